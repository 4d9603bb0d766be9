// Numerical building blocks against closed forms; and the typed input errors.
import { describe, expect, test } from "vitest";
import { bgNbdProbabilityAlive, cholesky, ClvInputError, fitBgNbd, gaussLegendre, hyp2f1, invertSpd, logAddExp, logDiffExp, logSumExp, minimizeBfgs, mulberry32, multivariateNormalSampler, normalQuantile, normalSampler } from "../src/index.js";

describe("math", () => {
  test("hyp2f1 against closed forms (A&S 15.1.3, 15.1.8)", () => {
    // ₂F₁(1,1;2;z) = −ln(1−z)/z ; ₂F₁(a,b;b;z) = (1−z)^{−a}
    for (const z of [-0.9, -0.3, 0.1, 0.5, 0.9]) {
      expect(hyp2f1(1, 1, 2, z)).toBeCloseTo(-Math.log1p(-z) / z, 12);
      expect(hyp2f1(0.7, 2.3, 2.3, z)).toBeCloseTo(Math.pow(1 - z, -0.7), 12);
    }
    expect(hyp2f1(1, 1, 2, 1)).toBeNaN();
  });
  test("normal quantile (tabulated values, Acklam's stated accuracy 1.15e-9 relative)", () => {
    expect(normalQuantile(0.5)).toBeCloseTo(0, 12);
    expect(Math.abs(normalQuantile(0.9) - 1.2815515655446004)).toBeLessThan(1.2815515655446004 * 1.15e-9);
    expect(Math.abs(normalQuantile(0.975) - 1.959963984540054)).toBeLessThan(1.959963984540054 * 1.15e-9);
    expect(Math.abs(normalQuantile(0.001) + 3.090232306167813)).toBeLessThan(3.090232306167813 * 1.15e-9);
  });
  test("log-sum-exp family", () => {
    expect(logAddExp(1000, 1000)).toBeCloseTo(1000 + Math.LN2, 12);
    expect(logSumExp([-Infinity, 0])).toBe(0);
    expect(logDiffExp(Math.log(3), Math.log(1))).toBeCloseTo(Math.log(2), 14);
  });
  test("Gauss–Legendre integrates degree-31 polynomials exactly with 16 nodes", () => {
    const { nodes, weights } = gaussLegendre(16);
    let s = 0;
    for (let k = 0; k < 16; k++) s += weights[k]! * Math.pow(nodes[k]!, 31);
    expect(s).toBeCloseTo(1 / 32, 14);
  });
  test("Cholesky and SPD inverse", () => {
    expect(cholesky([[4, 2], [2, 3]])).toEqual([[2, 0], [1, Math.SQRT2]]);
    const inv = invertSpd([[4, 2], [2, 3]])!;
    expect(inv[0]![0]).toBeCloseTo(3 / 8, 14);
    expect(inv[0]![1]).toBeCloseTo(-2 / 8, 14);
    expect(cholesky([[1, 2], [2, 1]])).toBeNull();
  });
  test("BFGS minimises the Rosenbrock function and honours bounds", () => {
    const r = minimizeBfgs((x, g) => {
      const [a, b] = [x[0]!, x[1]!];
      g[0] = -2 * (1 - a) - 400 * a * (b - a * a);
      g[1] = 200 * (b - a * a);
      return (1 - a) ** 2 + 100 * (b - a * a) ** 2;
    }, [-1.2, 1]);
    expect(r.converged).toBe(true);
    expect(r.x[0]).toBeCloseTo(1, 6);
    expect(r.x[1]).toBeCloseTo(1, 6);
    const bounded = minimizeBfgs((x, g) => {
      g[0] = 2 * (x[0]! - 5);
      return (x[0]! - 5) ** 2;
    }, [0], { lower: [-1], upper: [2] });
    expect(bounded.x[0]).toBe(2);
  });
  test("seeded RNGs are reproducible and roughly right", () => {
    expect(mulberry32(42)()).toBe(mulberry32(42)());
    const n = normalSampler(mulberry32(1));
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < 20000; i++) {
      const v = n();
      s += v;
      s2 += v * v;
    }
    expect(Math.abs(s / 20000)).toBeLessThan(0.03);
    expect(Math.abs(s2 / 20000 - 1)).toBeLessThan(0.05);
    const draw = multivariateNormalSampler([1, -1], [[1, 0.8], [0.8, 1]], mulberry32(3));
    let c = 0;
    for (let i = 0; i < 20000; i++) {
      const v = draw();
      c += (v[0]! - 1) * (v[1]! + 1);
    }
    expect(Math.abs(c / 20000 - 0.8)).toBeLessThan(0.05);
  });
});

describe("ClvInputError names function, field and row", () => {
  const cases: [string, () => unknown, string, number | null][] = [
    ["negative count", () => fitBgNbd({ frequency: [1, -1], recency: [1, 0], T: [2, 2] }), "frequency", 1],
    ["recency > T", () => fitBgNbd({ frequency: [1, 1], recency: [1, 3], T: [2, 2] }), "recency", 1],
    ["NaN", () => fitBgNbd({ frequency: [1], recency: [NaN], T: [2] }), "recency", 0],
    ["empty", () => fitBgNbd({ frequency: [], recency: [], T: [] }), "frequency", null],
    ["length mismatch", () => fitBgNbd({ frequency: [1, 2], recency: [1], T: [2, 2] }), "recency", null],
    ["recency without frequency", () => fitBgNbd({ frequency: [0], recency: [1], T: [2] }), "recency", 0],
  ];
  for (const [name, f, field, row] of cases) {
    test(name, () => {
      try {
        f();
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(ClvInputError);
        const err = e as ClvInputError;
        expect(err.fn).toBe("fitBgNbd");
        expect(err.field).toBe(field);
        expect(err.row).toBe(row);
        expect(err.message).toContain("fitBgNbd");
      }
    });
  }
  test("per-customer functions validate too", () => {
    const m = { params: { r: 0.24, alpha: 4.4, a: 0.79, b: 2.4 } };
    expect(() => bgNbdProbabilityAlive(m, 1, 5, 3)).toThrow(/exceeds T/);
    expect(() => bgNbdProbabilityAlive(m, [1, 1], [1, 1], [2, -2])).toThrow(/row 1/);
  });
});
