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

export interface PaybackWithForecast {
  /** Months (1 = the acquisition month) until the curve reaches the cost; null if never within the data and forecast. */
  months: number | null;
  /** Whether the crossing is observed ("actual") or projected ("predicted"); null when there is none. */
  source: "actual" | "predicted" | null;
  /** The full curve: actual months, then the forecast continued from the last actual value. */
  curve: number[];
  /** Number of leading entries of `curve` that are actual (observed). */
  actualMonths: number;
}

/**
 * Payback from actuals, then from predictions: the actual cumulative value per customer is
 * extended by the forecast monthly increments (starting from its last value), and the first month
 * reaching `cost` is the payback. A campaign that is still running simply has a short actual part.
 * Cost 0 pays back at once (0 months, "actual"); a null or negative cost is rejected by the caller.
 *
 * @example
 * paybackWithForecast([10, 18], [5, 5, 5], 25); // months 4, source "predicted", curve [10, 18, 23, 28, 33]
 */
export function paybackWithForecast(actualCumulative: ArrayLike<number>, forecastIncrements: ArrayLike<number>, cost: number): PaybackWithForecast {
  const fn = "paybackWithForecast";
  if (!Number.isFinite(cost) || cost < 0) throw new ClvInputError(fn, "cost", null, `is ${cost}, must be a finite number ≥ 0`);
  requireFinite(fn, "actualCumulative", actualCumulative, null);
  requireFinite(fn, "forecastIncrements", forecastIncrements, null);
  const curve = Array.from(actualCumulative);
  const actualMonths = curve.length;
  let run = actualMonths > 0 ? curve[actualMonths - 1]! : 0;
  for (let i = 0; i < forecastIncrements.length; i++) curve.push((run += forecastIncrements[i]!));
  if (cost === 0) return { months: 0, source: "actual", curve, actualMonths };
  for (let i = 0; i < curve.length; i++) {
    if (curve[i]! >= cost) return { months: i + 1, source: i < actualMonths ? "actual" : "predicted", curve, actualMonths };
  }
  return { months: null, source: null, curve, actualMonths };
}
