// Property tests (fast-check): invariants that must hold for any valid input, not just CDNOW.
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { bgNbdLogLikelihood, expectedPurchases, modifiedBgNbdLogLikelihood, paretoNbdLogLikelihood, probabilityAlive, type PurchaseModel } from "../src/index.js";
import { compressRows } from "../src/data/compress-rows.js";

const pos = (min: number, max: number) => fc.double({ min, max, noNaN: true, noDefaultInfinity: true });
const customer = fc
  .tuple(fc.integer({ min: 0, max: 400 }), pos(0, 1), pos(0, 400))
  .map(([x, frac, T]) => ({ x, tx: x === 0 ? 0 : frac * T, T }));

function model(kind: PurchaseModel["kind"], v: number[]): PurchaseModel {
  const params = kind === "pareto-nbd" ? { r: v[0]!, alpha: v[1]!, s: v[2]!, beta: v[3]! } : { r: v[0]!, alpha: v[1]!, a: v[2]!, b: v[3]! };
  return { kind, params, paramOrder: Object.keys(params), logLikelihood: 0, converged: true, iterations: 0, standardErrors: params, covariance: [], observations: 1 } as unknown as PurchaseModel;
}
const kinds = fc.constantFrom<PurchaseModel["kind"]>("bg-nbd", "mbg-nbd", "pareto-nbd");
const params = fc.tuple(pos(0.01, 20), pos(1e-3, 200), pos(0.01, 20), pos(1e-3, 200));

describe("purchase-model invariants", () => {
  test("P(alive) ∈ [0, 1]; expected purchases finite, ≥ 0 and non-decreasing in t", () => {
    fc.assert(
      fc.property(kinds, params, customer, pos(0, 200), pos(0, 200), (kind, v, c, t1, dt) => {
        const m = model(kind, v);
        const pa = probabilityAlive(m, c.x, c.tx, c.T);
        expect(pa).toBeGreaterThanOrEqual(0);
        expect(pa).toBeLessThanOrEqual(1);
        const e1 = expectedPurchases(m, t1, c.x, c.tx, c.T);
        const e2 = expectedPurchases(m, t1 + dt, c.x, c.tx, c.T);
        expect(Number.isFinite(e1) && Number.isFinite(e2)).toBe(true);
        expect(e1).toBeGreaterThanOrEqual(0);
        expect(e2).toBeGreaterThanOrEqual(e1 * (1 - 1e-9) - 1e-12);
      }),
      { numRuns: 300, seed: 42 },
    );
  });

  test("weights-compression gives the same log-likelihood as the uncompressed rows", () => {
    fc.assert(
      fc.property(kinds, params, fc.array(customer, { minLength: 1, maxLength: 30 }), fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 30, maxLength: 30 }), (kind, v, cs, reps) => {
        const expanded = { frequency: [] as number[], recency: [] as number[], T: [] as number[] };
        cs.forEach((c, i) => {
          for (let k = 0; k < reps[i]!; k++) {
            expanded.frequency.push(c.x);
            expanded.recency.push(c.tx);
            expanded.T.push(c.T);
          }
        });
        const weighted = { frequency: cs.map((c) => c.x), recency: cs.map((c) => c.tx), T: cs.map((c) => c.T), weights: cs.map((_, i) => reps[i]!) };
        const ll = kind === "pareto-nbd" ? paretoNbdLogLikelihood : kind === "bg-nbd" ? bgNbdLogLikelihood : modifiedBgNbdLogLikelihood;
        const p = model(kind, v).params as never;
        const a = ll(p, expanded);
        const b = ll(p, weighted);
        // summing per-row terms vs multiplying by weights: relative rounding only
        expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(a)));
        expect(compressRows(expanded).totalWeight).toBe(expanded.frequency.length);
      }),
      { numRuns: 150, seed: 7 },
    );
  });
});
