// Shared test helpers: central-difference gradient checks and seeded permutations.
import { expect } from "vitest";
import { gammaSampler, mulberry32 } from "../src/index.js";
import type { CompressedRfm } from "../src/data/compress-rows.js";
import { minimizeBfgs } from "../src/math/minimize-bfgs.js";

/** The analytic gradient `f` writes into `g` matches central differences of `f` with step h (relative 1e-5). */
export function expectGradientMatches(f: (theta: number[], grad: Float64Array | null) => number, theta: number[], h: number): void {
  const g = new Float64Array(theta.length);
  f(theta, g);
  for (let j = 0; j < theta.length; j++) {
    const a = theta.slice();
    const b = theta.slice();
    a[j]! += h;
    b[j]! -= h;
    const num = (f(a, null) - f(b, null)) / (2 * h);
    expect(Math.abs(g[j]! - num)).toBeLessThan(1e-5 * Math.max(1, Math.abs(num)));
  }
}

/** A seeded Fisher–Yates permutation of 0..n−1. */
export function shuffledIndex(n: number, seed: number): number[] {
  const r = mulberry32(seed);
  const idx = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [idx[i], idx[j]] = [idx[j]!, idx[i]!];
  }
  return idx;
}

/**
 * Daily-grid buyers with no heterogeneity in dropout: λ ~ Gamma(0.8, 20) per day, ages 100–600 days, and
 * either every lifetime Exponential(rate) ("rate": the Pareto/NBD story with one μ) or a dropout chance
 * after every repeat purchase ("probability": the BG/NBD story with one p).
 */
export function simulateCommonDropout(seed: number, n: number, dropout: { rate: number } | { probability: number }) {
  const rng = mulberry32(seed);
  const gamma = gammaSampler(rng);
  const d = { frequency: new Float64Array(n), recency: new Float64Array(n), T: new Float64Array(n) };
  for (let i = 0; i < n; i++) {
    const lambda = gamma(0.8, 20);
    const life = "rate" in dropout ? -Math.log(1 - rng()) / dropout.rate : Infinity;
    const age = Math.floor(100 + rng() * 500);
    let t = 0;
    let x = 0;
    let last = 0;
    for (;;) {
      t += -Math.log(1 - rng()) / lambda;
      if (t > Math.min(age, life)) break;
      x++;
      last = t;
      if ("probability" in dropout && rng() < dropout.probability) break;
    }
    d.frequency[i] = x;
    d.recency[i] = Math.floor(last);
    d.T[i] = age;
  }
  return d;
}

/** A plain BFGS run on the mean negative log-likelihood (no boundary check): where it ends, its evaluations and the best log-likelihood it saw. */
export function plainFit(nll: (c: CompressedRfm, theta: ArrayLike<number>, grad: Float64Array | null) => number, c: CompressedRfm, start: number[]) {
  const n = c.totalWeight;
  let evaluations = 0;
  let best = Infinity;
  const res = minimizeBfgs(
    (th, g) => {
      evaluations++;
      const v = nll(c, th, g) / n;
      for (let j = 0; j < g.length; j++) g[j] = g[j]! / n;
      best = Math.min(best, v);
      return v;
    },
    start,
    { maxIterations: 300 },
  );
  return { x: res.x, evaluations, bestLogLikelihood: -best * n };
}

/** Mean T of compressed rows (the fits' default α). */
export function meanAge(c: CompressedRfm): number {
  let s = 0;
  for (let i = 0; i < c.size; i++) s += c.w[i]! * c.T[i]!;
  return s / c.totalWeight;
}
