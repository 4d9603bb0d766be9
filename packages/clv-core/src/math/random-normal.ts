/**
 * Standard normal variates from a seeded uniform generator (Marsaglia polar method).
 *
 * Reference: Marsaglia & Bray (1964), "A convenient method for generating normal variables".
 * Complexity: O(1) expected per draw (acceptance rate π/4, two normals per accepted pair).
 *
 * @example
 * const normal = normalSampler(mulberry32(1));
 * normal(); // a N(0, 1) draw, reproducible from the seed
 */
import type { Rng } from "./mulberry32.js";

export function normalSampler(rng: Rng): () => number {
  let spare = NaN;
  return () => {
    if (!Number.isNaN(spare)) {
      const v = spare;
      spare = NaN;
      return v;
    }
    for (;;) {
      const u = 2 * rng() - 1;
      const v = 2 * rng() - 1;
      const s = u * u + v * v;
      if (s > 0 && s < 1) {
        const m = Math.sqrt((-2 * Math.log(s)) / s);
        spare = v * m;
        return u * m;
      }
    }
  };
}
