/**
 * Payback period in months: the first month m (1-based) whose cumulative margin reaches the spend,
 * from a per-month cumulative margin series (cumulative[0] = margin after month 1). Returns 0 when
 * spend is 0, and null when the series never covers the spend. The series may fall (refunds); the
 * first crossing counts.
 * Complexity: O(months).
 *
 * @example
 * paybackPeriod([10, 25, 45, 70], 40); // 3
 * paybackPeriod([10, 20], 40);          // null
 */
import { ClvInputError } from "../errors.js";
import { requireFinite } from "../data/validate-columns.js";

export function paybackPeriod(cumulativeMargin: ArrayLike<number>, spend: number): number | null {
  if (!Number.isFinite(spend) || spend < 0) throw new ClvInputError("paybackPeriod", "spend", null, `is ${spend}, must be a finite number ≥ 0`);
  requireFinite("paybackPeriod", "cumulativeMargin", cumulativeMargin, null);
  if (spend === 0) return 0;
  for (let i = 0; i < cumulativeMargin.length; i++) if (cumulativeMargin[i]! >= spend) return i + 1;
  return null;
}
