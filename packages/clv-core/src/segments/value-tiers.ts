/**
 * Value tiers (high / medium / low) from a per-customer value such as predicted CLV.
 *
 * Two conventions:
 *  - `{ by: "percentile", high: 0.8, medium: 0.5 }` (default): a customer is "high" when their
 *    value is at or above the 80th percentile of all values (type-7 quantile), "medium" at or above
 *    the 50th, else "low". Ties never straddle tiers.
 *  - `{ by: "amount", high: 1000, medium: 200 }`: fixed money thresholds (value ≥ high → "high").
 * Complexity: O(n log n) for percentiles, O(n) for amounts.
 *
 * @example
 * valueTiers([5, 50, 500, 5000, 0], { by: "amount", high: 1000, medium: 100 });
 * // ["low", "low", "medium", "high", "low"]
 */
import { ClvInputError } from "../errors.js";
import { requireFinite, requireLength } from "../data/validate-columns.js";
import { quantileSorted } from "../models/score-customers.js";

export type ValueTier = "high" | "medium" | "low";
export type TierRule = { by: "percentile"; high?: number; medium?: number } | { by: "amount"; high: number; medium: number };

export interface TierThresholds {
  high: number;
  medium: number;
}

/** Throws a ClvInputError when a rule is unusable (non-finite amounts, percentiles outside 0…1, medium above high). */
export function checkTierRule(rule: TierRule, fn = "valueTiers"): void {
  if (rule.by === "amount") {
    if (!Number.isFinite(rule.high) || !Number.isFinite(rule.medium) || rule.medium > rule.high) throw new ClvInputError(fn, "rule", null, "needs finite amounts with medium ≤ high");
    return;
  }
  const ph = rule.high ?? 0.8;
  const pm = rule.medium ?? 0.5;
  if (!(pm >= 0 && pm <= ph && ph <= 1)) throw new ClvInputError(fn, "rule", null, "needs percentiles 0 ≤ medium ≤ high ≤ 1");
}

/**
 * The money thresholds a rule implies for these values. Amount rules return their amounts (any
 * number of values, even none); percentile rules need at least one value.
 */
export function tierThresholds(values: ArrayLike<number>, rule: TierRule = { by: "percentile" }): TierThresholds {
  const fn = "valueTiers";
  checkTierRule(rule, fn);
  if (rule.by === "amount") {
    requireFinite(fn, "values", values, null);
    return { high: rule.high, medium: rule.medium };
  }
  requireLength(fn, "values", values, null);
  requireFinite(fn, "values", values, null);
  const sorted = Float64Array.from(values).sort();
  return { high: quantileSorted(sorted, rule.high ?? 0.8), medium: quantileSorted(sorted, rule.medium ?? 0.5) };
}

/** The tier of one value under given thresholds: at or above `high` → high, at or above `medium` → medium. */
export function tierOf(value: number, t: TierThresholds): ValueTier {
  return value >= t.high ? "high" : value >= t.medium ? "medium" : "low";
}

export function valueTiers(values: ArrayLike<number>, rule: TierRule = { by: "percentile" }): ValueTier[] {
  const t = tierThresholds(values, rule);
  return Array.from(values, (v) => tierOf(v, t));
}
