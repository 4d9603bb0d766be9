import { describe, expect, it } from "vitest";

import { createRng, hashSeed, logGamma, mulberry32, sfc32 } from "./rng.ts";

const N = 60_000;

function moments(draw: () => number, n = N): { mean: number; variance: number; min: number; max: number } {
  let sum = 0;
  let sumSq = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const x = draw();
    sum += x;
    sumSq += x * x;
    if (x < min) min = x;
    if (x > max) max = x;
  }
  const mean = sum / n;
  return { mean, variance: sumSq / n - mean * mean, min, max };
}

describe("rng", () => {
  it("is deterministic per seed and differs across seeds", () => {
    const a = createRng(7);
    const b = createRng(7);
    const c = createRng(8);
    const xs = Array.from({ length: 20 }, () => a.next());
    expect(Array.from({ length: 20 }, () => b.next())).toEqual(xs);
    expect(Array.from({ length: 20 }, () => c.next())).not.toEqual(xs);
    expect(hashSeed(1, 2)).not.toBe(hashSeed(2, 1));
    expect(sfc32(1)()).toBe(sfc32(1)());
    expect(mulberry32(1)()).toBe(mulberry32(1)());
  });

  it("uniform / int / bernoulli stay in range with the right mean", () => {
    const rng = createRng(1);
    const u = moments(() => rng.next());
    expect(u.min).toBeGreaterThanOrEqual(0);
    expect(u.max).toBeLessThan(1);
    expect(u.mean).toBeCloseTo(0.5, 2);
    expect(u.variance).toBeCloseTo(1 / 12, 2);
    const ints = moments(() => rng.int(3, 9));
    expect(ints.min).toBe(3);
    expect(ints.max).toBe(8);
    expect(moments(() => (rng.bernoulli(0.3) ? 1 : 0)).mean).toBeCloseTo(0.3, 1);
  });

  it("normal, exponential, gamma, beta and poisson have the documented moments", () => {
    const rng = createRng(2);
    const normal = moments(() => rng.normal(3, 2));
    expect(normal.mean).toBeCloseTo(3, 1);
    expect(Math.sqrt(normal.variance)).toBeCloseTo(2, 1);

    const exp = moments(() => rng.exponential(4));
    expect(exp.mean).toBeCloseTo(0.25, 2);

    for (const [shape, scale] of [
      [0.4, 2],
      [1, 1],
      [3.5, 0.5],
      [12, 3],
    ] as const) {
      const g = moments(() => rng.gamma(shape, scale));
      expect(g.min).toBeGreaterThan(0);
      expect(g.mean / (shape * scale)).toBeCloseTo(1, 1);
      expect(g.variance / (shape * scale * scale)).toBeGreaterThan(0.9);
      expect(g.variance / (shape * scale * scale)).toBeLessThan(1.1);
    }

    const beta = moments(() => rng.beta(2, 5));
    expect(beta.mean).toBeCloseTo(2 / 7, 2);
    expect(beta.variance).toBeCloseTo((2 * 5) / (49 * 8), 3);

    for (const mean of [0.7, 4, 25, 300]) {
      const p = moments(() => rng.poisson(mean));
      expect(p.mean / mean).toBeCloseTo(1, 1);
      expect(p.variance / mean).toBeGreaterThan(0.93);
      expect(p.variance / mean).toBeLessThan(1.07);
      expect(Number.isInteger(rng.poisson(mean))).toBe(true);
    }
    expect(rng.poisson(0)).toBe(0);
  });

  it("weightedIndex follows the weights and logGamma matches factorials", () => {
    const rng = createRng(3);
    const counts = [0, 0, 0];
    for (let i = 0; i < N; i++) {
      const k = rng.weightedIndex([1, 0, 3]);
      counts[k] = (counts[k] ?? 0) + 1;
    }
    expect(counts[1]).toBe(0);
    expect((counts[2] ?? 0) / N).toBeCloseTo(0.75, 1);
    expect(logGamma(1)).toBeCloseTo(0, 10);
    expect(logGamma(11)).toBeCloseTo(Math.log(3628800), 8);
    expect(logGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 8);
    expect(() => rng.gamma(0)).toThrow(RangeError);
    expect(() => rng.pick([])).toThrow(RangeError);
  });
});
