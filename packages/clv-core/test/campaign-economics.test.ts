// Campaign ROI economics (issue 6). Hand-computed cases: every expected value is worked out in the comment.
import { describe, expect, test } from "vitest";
import {
  allocateBudget,
  cac,
  ClvInputError,
  cumulativeValuePerCustomer,
  ltvToCac,
  paybackWithForecast,
  predictedMonthlyIncrements,
  roi,
  valueOfSplit,
} from "../src/index.js";

describe("campaign metrics chain: spend → CAC → LTV:CAC → ROI", () => {
  test("a paid campaign: $5,000 for 125 customers worth $18,000", () => {
    const c = cac(5000, 125); // 40
    expect(c).toBe(40);
    expect(ltvToCac(18000 / 125, c)).toBe(3.6); // 144 / 40
    expect(roi(18000, 5000)).toBe(2.6); // (18000 − 5000) / 5000
  });
  test("zero spend (organic): CAC 0, LTV:CAC and ROI undefined (null), not infinite", () => {
    const c = cac(0, 80);
    expect(c).toBe(0);
    expect(ltvToCac(100, c)).toBeNull();
    expect(roi(8000, 0)).toBeNull();
  });
  test("zero customers (a campaign that has not converted yet): CAC null, ratio null, ROI −100 %", () => {
    const c = cac(1200, 0);
    expect(c).toBeNull();
    expect(ltvToCac(0, c)).toBeNull();
    expect(roi(0, 1200)).toBe(-1);
  });
  test("refunds bigger than sales: negative value gives a negative ratio and ROI below −1", () => {
    expect(ltvToCac(-10, 40)).toBe(-0.25);
    expect(roi(-500, 1000)).toBe(-1.5); // (−500 − 1000) / 1000
  });
});

describe("cumulativeValuePerCustomer", () => {
  test("divides each month by the customers whose cohort reached it", () => {
    // cohorts Jan (6 customers) and Mar (4); data through Mar → month 0: 10 eligible,
    // months 1–2: only Jan's 6. Values 500, 120, 60 → increments 50, 20, 10
    const r = cumulativeValuePerCustomer({ eligible: [10, 6, 6], value: [500, 120, 60] });
    expect(r.increments).toEqual([50, 20, 10]);
    expect(r.cumulative).toEqual([50, 70, 80]);
  });
  test("refunds make a month negative and the curve falls; a month nobody reached ends the curve", () => {
    const r = cumulativeValuePerCustomer({ eligible: [4, 4, 0, 0], value: [400, -40, 0, 0] });
    expect(r.cumulative).toEqual([100, 90]);
  });
  test("no customers → empty curve; bad input names the month", () => {
    expect(cumulativeValuePerCustomer({ eligible: [], value: [] }).cumulative).toEqual([]);
    expect(cumulativeValuePerCustomer({ eligible: [0], value: [0] }).cumulative).toEqual([]);
    expect(() => cumulativeValuePerCustomer({ eligible: [3, -1], value: [1, 1] })).toThrow(/eligible \(row 1\)/);
    expect(() => cumulativeValuePerCustomer({ eligible: [3], value: [1, 2] })).toThrow(ClvInputError);
  });
});

describe("predictedMonthlyIncrements", () => {
  test("follows the expected-purchase shape and sums to the value", () => {
    // e30 = 1, e90 = 2, e365 = 4 of value 120: month 1 = 120·1/4 = 30; months 2–3 = 120·1/4/2 = 15;
    // months 4–12 = 120·2/4/9 = 6.667
    const m = predictedMonthlyIncrements(120, { e30: 1, e90: 2, e365: 4 });
    expect(m).toHaveLength(12);
    expect(m[0]).toBe(30);
    expect(m[1]).toBe(15);
    expect(m[2]).toBe(15);
    expect(m[3]).toBeCloseTo(60 / 9, 12);
    expect(m.reduce((a, b) => a + b, 0)).toBeCloseTo(120, 10);
  });
  test("no expected purchases → spread evenly; inconsistent expectations rejected", () => {
    expect(predictedMonthlyIncrements(24, { e30: 0, e90: 0, e365: 0 })).toEqual(Array.from({ length: 12 }, () => 2));
    expect(() => predictedMonthlyIncrements(10, { e30: 2, e90: 1, e365: 3 })).toThrow(/e30 ≤ e90 ≤ e365/);
  });
});

describe("paybackWithForecast", () => {
  test("paid back within the observed months → actual", () => {
    // CAC 40; cumulative per customer 10, 25, 45 → month 3
    const p = paybackWithForecast([10, 25, 45], [5, 5], 40);
    expect(p).toMatchObject({ months: 3, source: "actual", actualMonths: 3 });
    expect(p.curve).toEqual([10, 25, 45, 50, 55]);
  });
  test("a campaign still running: two observed months, then the forecast crosses in month 4", () => {
    // 10, 18 observed; forecast +5 each: 23, 28 ≥ 25 → month 4
    expect(paybackWithForecast([10, 18], [5, 5, 5], 25)).toMatchObject({ months: 4, source: "predicted", curve: [10, 18, 23, 28, 33] });
  });
  test("never within data and forecast → null; zero cost → 0 months", () => {
    expect(paybackWithForecast([10, 12], [1, 1], 100)).toMatchObject({ months: null, source: null });
    expect(paybackWithForecast([5], [], 0)).toMatchObject({ months: 0, source: "actual" });
  });
  test("refunds: the first crossing counts even if the curve falls back later", () => {
    expect(paybackWithForecast([50, 30, 60], [], 40).months).toBe(1);
  });
  test("no actual months (customers acquired this month only): forecast from zero", () => {
    expect(paybackWithForecast([], [20, 20, 20], 50)).toMatchObject({ months: 3, source: "predicted", actualMonths: 0 });
  });
  test("rejects a negative cost", () => {
    expect(() => paybackWithForecast([1], [], -1)).toThrow(ClvInputError);
  });
});

describe("valueOfSplit (current split vs suggestion)", () => {
  const channels = [
    { channel: "search", historicalSpend: 100, historicalValue: 300 }, // k = 30
    { channel: "social", historicalSpend: 100, historicalValue: 100 }, // k = 10
  ];
  test("the optimum beats the current 50/50 split of the same budget", () => {
    // current 100/100: 30·10 + 10·10 = 400; optimum 180/20: 30·√180 + 10·√20 = 402.49 + 44.72 = 447.21
    const cur = valueOfSplit(channels, [100, 100]);
    expect(cur.total).toBeCloseTo(400, 9);
    const best = allocateBudget(channels, 200);
    expect(best.totalExpectedValue).toBeCloseTo(30 * Math.sqrt(180) + 10 * Math.sqrt(20), 9);
    expect(best.totalExpectedValue).toBeGreaterThan(cur.total);
  });
  test("a channel with zero spend history or no value contributes nothing; bad lengths rejected", () => {
    expect(valueOfSplit([{ channel: "organic", historicalSpend: 0, historicalValue: 500 }], [50]).total).toBe(0);
    expect(valueOfSplit([{ channel: "bad", historicalSpend: 50, historicalValue: -10 }], [50]).total).toBe(0);
    expect(() => valueOfSplit(channels, [1])).toThrow(ClvInputError);
  });
});
