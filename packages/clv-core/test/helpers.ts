// Shared test helpers: central-difference gradient checks and seeded permutations.
import { expect } from "vitest";
import { mulberry32 } from "../src/index.js";

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
