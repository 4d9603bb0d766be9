/**
 * Multivariate normal sampler N(mean, covariance) through the Cholesky factor: x = μ + L z.
 *
 * Used to draw model parameters from the approximate sampling distribution of the MLE
 * (log-parameters ~ N(θ̂, I(θ̂)⁻¹)) for CLV intervals.
 * Reference: Gentle, Random Number Generation and Monte Carlo Methods (2003), §5.3.
 * Complexity: O(d³) once, O(d²) per draw.
 *
 * @example
 * const draw = multivariateNormalSampler([0, 0], [[1, 0.5], [0.5, 1]], mulberry32(3));
 * draw(); // Float64Array of length 2
 */
import { cholesky } from "./cholesky.js";
import type { Rng } from "./mulberry32.js";
import { normalSampler } from "./random-normal.js";

export function multivariateNormalSampler(
  mean: ArrayLike<number>,
  covariance: readonly (readonly number[])[],
  rng: Rng,
): () => Float64Array {
  const d = mean.length;
  const L = cholesky(covariance);
  if (!L) throw new RangeError("multivariateNormalSampler: covariance is not positive definite");
  const normal = normalSampler(rng);
  const z = new Float64Array(d);
  return () => {
    for (let i = 0; i < d; i++) z[i] = normal();
    const out = new Float64Array(d);
    for (let i = 0; i < d; i++) {
      let v = mean[i]!;
      const Li = L[i]!;
      for (let k = 0; k <= i; k++) v += Li[k]! * z[k]!;
      out[i] = v;
    }
    return out;
  };
}
