/**
 * Value-tier thresholds (issue 5): percentile rules use the type-7 sample quantile (Hyndman & Fan,
 * "Sample quantiles in statistical packages", The American Statistician 50(4), 1996 — the default
 * of R's quantile() and NumPy's percentile(method="linear")); amount rules are fixed money
 * thresholds. A customer is in a tier when their value is AT OR ABOVE its threshold, so equal values
 * always share a tier. Reference values below are worked by hand from that definition
 * (h = (n − 1)·p, q = x[⌊h⌋] + (h − ⌊h⌋)(x[⌊h⌋+1] − x[⌊h⌋])) and match R's quantile(x, p, type = 7).
 */
import { describe, expect, test } from "vitest";
import { checkTierRule, ClvInputError, tierOf, tierThresholds, valueTiers, type ValueTier } from "../src/index.js";

const count = (tiers: ValueTier[], t: ValueTier) => tiers.filter((x) => x === t).length;

describe("percentile thresholds", () => {
  test("type-7 quantiles on unsorted input (R: quantile(c(40,10,30,20,50), c(.5,.8)) = 30, 42)", () => {
    expect(tierThresholds([40, 10, 30, 20, 50])).toEqual({ high: 42, medium: 30 });
    expect(valueTiers([40, 10, 30, 20, 50])).toEqual(["medium", "low", "medium", "low", "high"]);
  });

  test("custom percentiles: top 10 % high, next 40 % medium", () => {
    const v = Array.from({ length: 100 }, (_, i) => i + 1); // 1..100
    // p90: h = 89.1 → 90 + 0.1 = 90.1; p50: h = 49.5 → 50.5
    const t = tierThresholds(v, { by: "percentile", high: 0.9, medium: 0.5 });
    expect(t.high).toBeCloseTo(90.1, 12);
    expect(t.medium).toBeCloseTo(50.5, 12);
    const tiers = valueTiers(v, { by: "percentile", high: 0.9, medium: 0.5 });
    expect([count(tiers, "high"), count(tiers, "medium"), count(tiers, "low")]).toEqual([10, 40, 50]);
  });

  test("ties at a threshold never straddle tiers (all equal → all high)", () => {
    expect(valueTiers([7, 7, 7, 7])).toEqual(["high", "high", "high", "high"]);
    // sorted: 0 0 5 5 5 5 5 5 5 10; p80 = x[7] + 0.2·(x[8] − x[7]) = 5 → every 5 is high (8 of 10, not 2)
    const v = [5, 0, 5, 5, 10, 5, 5, 0, 5, 5];
    expect(tierThresholds(v)).toEqual({ high: 5, medium: 5 });
    expect(count(valueTiers(v), "high")).toBe(8);
    expect(count(valueTiers(v), "medium")).toBe(0);
  });

  test("edge percentiles: 0 puts everyone high, 1 only the maximum; medium = high leaves no medium tier", () => {
    const v = [3, 1, 2, 9, 9];
    expect(valueTiers(v, { by: "percentile", high: 0, medium: 0 })).toEqual(["high", "high", "high", "high", "high"]);
    expect(valueTiers(v, { by: "percentile", high: 1, medium: 0.5 })).toEqual(["medium", "low", "low", "high", "high"]);
    const same = valueTiers([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], { by: "percentile", high: 0.6, medium: 0.6 });
    expect(count(same, "medium")).toBe(0);
    expect(count(same, "high")).toBe(4); // p60 = 6.4 → 7..10
  });

  test("a single customer is high; negative values (net refunds) are ranked like any other", () => {
    expect(valueTiers([123])).toEqual(["high"]);
    expect(valueTiers([-50, -10, 0, 10, 50])).toEqual(["low", "low", "medium", "medium", "high"]);
  });

  test("distinct values: the high tier holds ⌈(1 − p)·(n − 1)⌉ customers or so, whatever n", () => {
    for (const n of [2, 3, 10, 57, 1000]) {
      const v = Array.from({ length: n }, (_, i) => (i * 7919) % n); // a permutation of 0..n−1
      const tiers = valueTiers(v);
      // values ≥ p80 = 0.8(n − 1): exactly n − ⌈0.8(n − 1)⌉ of 0..n−1
      expect(count(tiers, "high"), `n=${n}`).toBe(n - Math.ceil(0.8 * (n - 1) - 1e-9));
      expect(count(tiers, "high") + count(tiers, "medium"), `n=${n}`).toBe(n - Math.ceil(0.5 * (n - 1) - 1e-9));
    }
  });

  test("rejects empty input, non-finite values and impossible percentiles", () => {
    expect(() => valueTiers([])).toThrow(ClvInputError);
    expect(() => valueTiers([1, NaN, 3])).toThrow(/values \(row 1\)/);
    expect(() => valueTiers([1, Infinity])).toThrow(ClvInputError);
    expect(() => valueTiers([1, 2], { by: "percentile", high: 0.5, medium: 0.8 })).toThrow(/medium ≤ high/);
    expect(() => valueTiers([1, 2], { by: "percentile", high: 1.2 })).toThrow(ClvInputError);
    expect(() => valueTiers([1, 2], { by: "percentile", high: 0.8, medium: -0.1 })).toThrow(ClvInputError);
    expect(() => valueTiers([1, 2], { by: "percentile", high: NaN })).toThrow(ClvInputError);
  });
});

describe("amount thresholds", () => {
  test("a value equal to a threshold belongs to that tier", () => {
    const rule = { by: "amount", high: 100_000, medium: 20_000 } as const; // minor units: 1,000.00 and 200.00
    expect(valueTiers([100_000, 99_999, 20_000, 19_999, 0, -500, 5_000_000], rule)).toEqual(["high", "medium", "medium", "low", "low", "low", "high"]);
  });

  test("thresholds are the amounts, independent of the data; medium = high leaves no medium tier", () => {
    expect(tierThresholds([1, 2, 3], { by: "amount", high: 50, medium: 10 })).toEqual({ high: 50, medium: 10 });
    expect(valueTiers([5, 10, 11], { by: "amount", high: 10, medium: 10 })).toEqual(["low", "high", "high"]);
    expect(valueTiers([1, 2], { by: "amount", high: 0, medium: 0 })).toEqual(["high", "high"]);
  });

  test("no customers: an amount rule still applies (empty result), a percentile rule cannot", () => {
    expect(valueTiers([], { by: "amount", high: 10, medium: 1 })).toEqual([]);
    expect(() => tierThresholds([], { by: "percentile" })).toThrow(/empty/);
  });

  test("rejects medium above high and non-finite amounts, naming the rule", () => {
    expect(() => valueTiers([1], { by: "amount", high: 10, medium: 20 })).toThrow(/rule.*medium ≤ high/);
    expect(() => checkTierRule({ by: "amount", high: Infinity, medium: 1 })).toThrow(ClvInputError);
    expect(() => checkTierRule({ by: "amount", high: 10, medium: NaN })).toThrow(ClvInputError);
    expect(() => checkTierRule({ by: "percentile" })).not.toThrow();
  });
});

describe("tierOf", () => {
  test("applies thresholds to one value (≥ high → high, ≥ medium → medium)", () => {
    const t = { high: 10, medium: 5 };
    expect([tierOf(10, t), tierOf(9.99, t), tierOf(5, t), tierOf(4.99, t), tierOf(-1, t)]).toEqual(["high", "medium", "medium", "low", "low"]);
  });
});
