/**
 * LTV:CAC ratio — value of a customer per unit of cost to acquire one (3 is the usual SaaS rule of
 * thumb). Null when CAC is null or 0 (free acquisition makes the ratio meaningless). Negative LTV
 * (net refunds) gives a negative ratio.
 * Complexity: O(1).
 *
 * @example
 * ltvToCac(120, 40); // 3
 * ltvToCac(120, 0);  // null
 */
import { ClvInputError } from "../errors.js";

export function ltvToCac(ltv: number, cacValue: number | null): number | null {
  if (!Number.isFinite(ltv)) throw new ClvInputError("ltvToCac", "ltv", null, `is ${ltv}, must be finite`);
  if (cacValue === null || cacValue === 0) return null;
  if (!Number.isFinite(cacValue) || cacValue < 0) throw new ClvInputError("ltvToCac", "cac", null, `is ${cacValue}, must be a finite number ≥ 0`);
  return ltv / cacValue;
}
