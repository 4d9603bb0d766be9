/**
 * Return on investment: (value − spend) / spend. Null when spend is 0. Value may be negative
 * (refunds exceeding revenue), giving ROI below −1.
 * Complexity: O(1).
 *
 * @example
 * roi(1500, 1000); // 0.5
 * roi(-200, 1000); // -1.2
 */
import { ClvInputError } from "../errors.js";

export function roi(value: number, spend: number): number | null {
  if (!Number.isFinite(value)) throw new ClvInputError("roi", "value", null, `is ${value}, must be finite`);
  if (!Number.isFinite(spend) || spend < 0) throw new ClvInputError("roi", "spend", null, `is ${spend}, must be a finite number ≥ 0`);
  if (spend === 0) return null;
  return (value - spend) / spend;
}
