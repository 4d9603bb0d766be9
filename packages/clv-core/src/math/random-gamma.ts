/**
 * Gamma(shape, rate) variates (Marsaglia–Tsang), plus Poisson and exponential helpers used to
 * simulate the BG/NBD and Gamma-Gamma processes (synthetic data, benchmarks, tests).
 *
 * Reference: Marsaglia & Tsang (2000), "A simple method for generating gamma variables",
 * ACM TOMS 26(3); shape < 1 via the boost Γ(k) = Γ(k+1)·U^{1/k}.
 * Complexity: O(1) expected per draw.
 *
 * @example
 * const gamma = gammaSampler(mulberry32(7));
 * gamma(0.243, 4.414); // a draw of λ for a CDNOW-like customer (mean 0.055 per week)
 */
import type { Rng } from "./mulberry32.js";
import { normalSampler } from "./random-normal.js";

export function gammaSampler(rng: Rng): (shape: number, rate: number) => number {
  const normal = normalSampler(rng);
  const draw = (shape: number, rate: number): number => {
    if (shape < 1) {
      const u = rng();
      return draw(shape + 1, rate) * Math.pow(u === 0 ? Number.MIN_VALUE : u, 1 / shape);
    }
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number;
      let v: number;
      do {
        x = normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = rng();
      if (u < 1 - 0.0331 * x * x * x * x) return (d * v) / rate;
      if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return (d * v) / rate;
    }
  };
  return draw;
}

/** Exponential(rate) waiting time. */
export function exponentialSample(rng: Rng, rate: number): number {
  return -Math.log(1 - rng()) / rate;
}
