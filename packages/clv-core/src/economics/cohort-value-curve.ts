/**
 * Cumulative value per acquired customer by months since acquisition, for a group of acquisition
 * cohorts observed for different lengths of time (the "cohort LTV curve" marketers compare with
 * CAC). Month index 0 is the acquisition month. For each month k, the increment per customer is the
 * value the cohorts produced in their k-th month divided by the customers of the cohorts that have
 * reached month k (`eligible[k]`); the curve is the running sum of increments. Dividing by the
 * eligible customers, not all customers, keeps young cohorts from dragging the curve down (they
 * have not had the chance to buy yet). Months with no eligible customer end the curve.
 * Value may be negative in a month (refunds), so the curve may fall.
 * Complexity: O(months).
 *
 * @example
 * // 10 customers acquired; all 10 observed in month 0 and 1, 4 of them in month 2
 * cumulativeValuePerCustomer({ eligible: [10, 10, 4], value: [500, 200, 40] });
 * // increments [50, 20, 10], cumulative [50, 70, 80]
 */
import { ClvInputError } from "../errors.js";

export interface CohortValueInput {
  /** Customers whose cohort has reached month k (non-increasing in practice). */
  eligible: ArrayLike<number>;
  /** Value (revenue or margin, any unit) produced in month k by those customers. */
  value: ArrayLike<number>;
}

export interface CohortValueCurve {
  increments: number[];
  cumulative: number[];
}

export function cumulativeValuePerCustomer(input: CohortValueInput): CohortValueCurve {
  const fn = "cumulativeValuePerCustomer";
  const { eligible, value } = input;
  if (eligible.length !== value.length) throw new ClvInputError(fn, "value", null, `has ${value.length} months, eligible has ${eligible.length}`);
  const increments: number[] = [];
  const cumulative: number[] = [];
  let run = 0;
  for (let k = 0; k < eligible.length; k++) {
    const n = eligible[k]!;
    const v = value[k]!;
    if (!Number.isFinite(n) || n < 0) throw new ClvInputError(fn, "eligible", k, `is ${n}, must be a finite number ≥ 0`);
    if (!Number.isFinite(v)) throw new ClvInputError(fn, "value", k, `is ${v}, must be finite`);
    if (n === 0) break;
    const inc = v / n;
    run += inc;
    increments.push(inc);
    cumulative.push(run);
  }
  return { increments, cumulative };
}

/**
 * Spreads a customer's predicted value over the months after a point, in the shape of the
 * purchase model's expected purchases: the share e30/e365 in the first month, (e90 − e30)/e365
 * spread over months 2–3 and (e365 − e90)/e365 over months 4–12. Without expected purchases
 * (e365 ≤ 0) the value is spread evenly over 12 months. Returns 12 monthly increments summing to
 * `value`.
 *
 * @example
 * predictedMonthlyIncrements(120, { e30: 1, e90: 2, e365: 4 }); // [30, 15, 15, 6.67 × 9]
 */
export function predictedMonthlyIncrements(value: number, expected: { e30: number; e90: number; e365: number }): number[] {
  const fn = "predictedMonthlyIncrements";
  if (!Number.isFinite(value)) throw new ClvInputError(fn, "value", null, `is ${value}, must be finite`);
  const { e30, e90, e365 } = expected;
  for (const [k, v] of Object.entries(expected)) if (!Number.isFinite(v) || v < 0) throw new ClvInputError(fn, k, null, `is ${v}, must be a finite number ≥ 0`);
  if (!(e30 <= e90 && e90 <= e365)) throw new ClvInputError(fn, "expected", null, `must satisfy e30 ≤ e90 ≤ e365 (got ${e30}, ${e90}, ${e365})`);
  if (e365 <= 0) return Array.from({ length: 12 }, () => value / 12);
  const m1 = (value * e30) / e365;
  const m23 = (value * (e90 - e30)) / e365 / 2;
  const m412 = (value * (e365 - e90)) / e365 / 9;
  return [m1, m23, m23, ...Array.from({ length: 9 }, () => m412)];
}
