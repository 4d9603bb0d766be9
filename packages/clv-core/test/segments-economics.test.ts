// Hand-computed cases (no external reference): every expected value below is worked out in the comment.
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { allocateBudget, cac, ClvInputError, cohortRetention, ltvToCac, paybackPeriod, quintileBreaks, quintileScoreOf, quintileScores, RFM_SEGMENTS, rfmScores, rfmSegment, roi, tierThresholds, valueTiers } from "../src/index.js";

describe("RFM", () => {
  test("quintile scores: 10 distinct values → two per quintile; ties share a score", () => {
    expect(Array.from(quintileScores([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]))).toEqual([1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
    expect(Array.from(quintileScores([5, 5, 5, 5]))).toEqual([1, 1, 1, 1]);
    // recency: smaller is better
    expect(Array.from(quintileScores([1, 30, 90], false))).toEqual([5, 3, 1]);
  });
  test("quintile scores follow the rank definition min(5, 1 + ⌊5ρ⌋), ρ = values strictly worse / (n − 1), with ties, both directions, NaN", () => {
    const byRank = (vals: number[], higher: boolean) =>
      vals.map((v) => {
        if (vals.length === 1) return 3;
        const worse = vals.filter((w) => (higher ? w < v : w > v)).length;
        return Math.min(5, 1 + Math.floor((5 * worse) / (vals.length - 1)));
      });
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 300 }), fc.boolean(), (vals, higher) => {
        expect(Array.from(quintileScores(vals, higher))).toEqual(byRank(vals, higher));
        // rfmScores' segments are rfmSegment's names for the same scores
        const s = rfmScores({ recency: vals, frequency: vals.map((v) => v % 7), monetary: vals.map((v) => 40 - v) });
        s.segment.forEach((name, i) => expect(name).toBe(rfmSegment(s.r[i]!, s.f[i]!, s.m[i]!)));
      }),
      { numRuns: 300 },
    );
    // A column with NaN keeps its former ranking (NaN sorts last, is never "worse" than a number).
    expect(Array.from(quintileScores([1, NaN, 3, 2]))).toEqual([1, 1, 4, 2]);
  });
  test("quintile breaks reproduce every member's score (both directions, ties, one value) and place new values", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 300 }), fc.boolean(), (vals, higher) => {
        const scores = quintileScores(vals, higher);
        const q = quintileBreaks(vals, higher);
        vals.forEach((v, i) => expect(quintileScoreOf(v, q)).toBe(scores[i]));
        // A new value scores as it would inside the population with it added, give or take one band
        // (from 10 values on; a population of one scores 3, while two values score 1 and 5).
        if (vals.length < 10) return;
        const extra = vals[0]! + 0.5;
        const withIt = quintileScores([...vals, extra], higher);
        expect(Math.abs(quintileScoreOf(extra, q) - withIt[vals.length]!)).toBeLessThanOrEqual(1);
      }),
      { numRuns: 300 },
    );
    // 1..10: cut points 2, 4, 6, 8 (w ≥ ⌈9(k−1)/5⌉ = 2, 4, 6, 8 values below); 4.5 beats four values → score 3.
    const q = quintileBreaks([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(q.breaks).toEqual([2, 4, 6, 8]);
    expect(quintileScoreOf(4.5, q)).toBe(3);
    expect(quintileScoreOf(100, q)).toBe(5);
    expect(quintileScoreOf(3, quintileBreaks([7]))).toBe(3);
    expect(() => quintileBreaks([])).toThrow(ClvInputError);
  });
  test("segment grid: every (R, FM) cell maps to one of the 11 names, all 11 used", () => {
    const used = new Set<string>();
    for (let r = 1; r <= 5; r++) for (let fm = 1; fm <= 5; fm++) used.add(rfmSegment(r, fm));
    expect([...used].sort()).toEqual([...RFM_SEGMENTS].sort());
    expect(rfmSegment(5, 5)).toBe("Champions");
    expect(rfmSegment(5, 1)).toBe("New");
    expect(rfmSegment(1, 1)).toBe("Lost");
    expect(rfmSegment(1, 5)).toBe("Can't Lose Them");
    expect(rfmSegment(3, 3)).toBe("Need Attention");
    expect(rfmSegment(4, 4, 3)).toBe("Loyal"); // FM = round(3.5) = 4
    expect(() => rfmSegment(0, 3)).toThrow(ClvInputError);
  });
  test("rfmScores end to end", () => {
    const s = rfmScores({ recency: [1, 30, 90], frequency: [10, 2, 1], monetary: [500, 80, 20] });
    expect(Array.from(s.r)).toEqual([5, 3, 1]);
    expect(Array.from(s.f)).toEqual([5, 3, 1]);
    expect(s.segment).toEqual(["Champions", "Need Attention", "Lost"]);
    expect(() => rfmScores({ recency: [], frequency: [], monetary: [] })).toThrow(/empty/);
    expect(() => rfmScores({ recency: [1], frequency: [NaN], monetary: [1] })).toThrow(ClvInputError);
  });
});

describe("value tiers", () => {
  test("percentiles (type-7) and amounts; negative values (refunds) allowed", () => {
    // values 0..9: p80 = 7.2, p50 = 4.5 → 8, 9 high; 5, 6, 7 medium
    const v = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    expect(tierThresholds(v)).toEqual({ high: 7.2, medium: 4.5 });
    expect(valueTiers(v)).toEqual(["low", "low", "low", "low", "low", "medium", "medium", "medium", "high", "high"]);
    expect(valueTiers([5, 50, 500, 5000, -20], { by: "amount", high: 1000, medium: 100 })).toEqual(["low", "low", "medium", "high", "low"]);
    expect(() => valueTiers([], { by: "percentile" })).toThrow(ClvInputError);
  });
});

describe("economics", () => {
  test("cac, ltvToCac, roi with zero spend, zero customers and refunds", () => {
    expect(cac(5000, 125)).toBe(40);
    expect(cac(0, 10)).toBe(0);
    expect(cac(5000, 0)).toBeNull();
    expect(() => cac(-1, 3)).toThrow(ClvInputError);
    expect(ltvToCac(120, 40)).toBe(3);
    expect(ltvToCac(120, 0)).toBeNull();
    expect(ltvToCac(120, null)).toBeNull();
    expect(ltvToCac(-30, 40)).toBe(-0.75); // net refunds
    expect(roi(1500, 1000)).toBe(0.5);
    expect(roi(-200, 1000)).toBe(-1.2);
    expect(roi(100, 0)).toBeNull();
  });
  test("payback period", () => {
    expect(paybackPeriod([10, 25, 45, 70], 40)).toBe(3);
    expect(paybackPeriod([10, 20], 40)).toBeNull();
    expect(paybackPeriod([], 0)).toBe(0);
    expect(paybackPeriod([50, 30, 60], 40)).toBe(1); // first crossing counts even if refunds pull it back
    expect(paybackPeriod([-10, 20, 45], 40)).toBe(3);
  });
  test("budget allocation: water-filling with diminishing returns and caps", () => {
    // k_search = 300/√100 = 30, k_social = 100/√100 = 10; β = 0.5 → x ∝ k² → 9:1 of 200 → 180 / 20
    const r = allocateBudget(
      [
        { channel: "search", historicalSpend: 100, historicalValue: 300 },
        { channel: "social", historicalSpend: 100, historicalValue: 100 },
      ],
      200,
    );
    expect(r.allocations[0]!.spend).toBeCloseTo(180, 6);
    expect(r.allocations[1]!.spend).toBeCloseTo(20, 6);
    expect(r.totalExpectedValue).toBeCloseTo(30 * Math.sqrt(180) + 10 * Math.sqrt(20), 6);
    // equal marginal returns at the optimum: β k x^{β−1}
    expect(r.allocations[0]!.marginalValue).toBeCloseTo(r.allocations[1]!.marginalValue, 6);
    expect(r.allocations[0]!.explanation).toMatch(/search gets 180/);
    // caps: 2× historical spend, leftover unallocated; zero-value channel gets nothing
    const capped = allocateBudget(
      [
        { channel: "a", historicalSpend: 10, historicalValue: 50 },
        { channel: "b", historicalSpend: 10, historicalValue: 0 },
        { channel: "c", historicalSpend: 0, historicalValue: 0 },
      ],
      100,
    );
    expect(capped.allocations.map((a) => a.spend)).toEqual([20, 0, 0]);
    expect(capped.unallocated).toBe(80);
    expect(capped.allocations[0]!.explanation).toMatch(/capped/);
    expect(capped.allocations[1]!.explanation).toMatch(/no positive historical value/);
    expect(allocateBudget([{ channel: "a", historicalSpend: 10, historicalValue: 50 }], 0).totalSpend).toBe(0);
    expect(() => allocateBudget([], 10)).toThrow(ClvInputError);
    expect(() => allocateBudget([{ channel: "a", historicalSpend: 1, historicalValue: 1 }], 10, { beta: 1 })).toThrow(/diminishing/);
  });
});

describe("cohort retention", () => {
  const d = (s: string): Date => new Date(`${s}T12:00:00Z`);
  const events = [
    { customerId: "a", at: d("2024-01-05") },
    { customerId: "a", at: d("2024-01-25") }, // same month: counted once
    { customerId: "a", at: d("2024-03-01") },
    { customerId: "b", at: d("2024-01-20") },
    { customerId: "c", at: d("2024-02-10") },
    { customerId: "c", at: d("2024-03-10") },
  ];
  test("monthly: triangle of distinct active customers", () => {
    const r = cohortRetention(events, { grain: "month" });
    expect(r.cohorts).toEqual(["2024-01-01", "2024-02-01"]);
    expect(r.sizes).toEqual([2, 1]);
    expect(r.active).toEqual([[2, 0, 1], [1, 1]]);
    expect(r.retention).toEqual([[1, 0, 0.5], [1, 1]]);
  });
  test("quarter and ISO week grains", () => {
    expect(cohortRetention(events, { grain: "quarter" }).active).toEqual([[3]]);
    const w = cohortRetention(
      [
        { customerId: "a", at: d("2024-01-01") }, // Monday
        { customerId: "a", at: d("2024-01-07") }, // Sunday, same ISO week
        { customerId: "a", at: d("2024-01-08") }, // next Monday
      ],
      { grain: "week" },
    );
    expect(w.cohorts).toEqual(["2024-01-01"]);
    expect(w.active).toEqual([[1, 1]]);
    expect(cohortRetention([], { grain: "month" }).cohorts).toEqual([]);
    expect(() => cohortRetention([{ customerId: "", at: d("2024-01-01") }], { grain: "month" })).toThrow(ClvInputError);
  });
});
