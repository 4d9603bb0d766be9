/**
 * Customer acquisition cost: marketing spend divided by customers acquired with it.
 * Returns null when no customer was acquired (CAC is undefined, not infinite, so dashboards can
 * show "—"); zero spend gives 0. Spend must be ≥ 0 (refunds of ad spend are netted by the caller).
 * Complexity: O(1).
 *
 * @example
 * cac(5000, 125); // 40
 * cac(5000, 0);   // null
 */
import { ClvInputError } from "../errors.js";

export function cac(spend: number, newCustomers: number): number | null {
  if (!Number.isFinite(spend) || spend < 0) throw new ClvInputError("cac", "spend", null, `is ${spend}, must be a finite number ≥ 0`);
  if (!Number.isFinite(newCustomers) || newCustomers < 0) throw new ClvInputError("cac", "newCustomers", null, `is ${newCustomers}, must be a finite number ≥ 0`);
  if (newCustomers === 0) return null;
  return spend / newCustomers;
}
