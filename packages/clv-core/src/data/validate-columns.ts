/**
 * Input checks shared by every fit and score function: columns of equal, non-zero length, finite
 * values, non-negative counts, recency ≤ T, zero recency for zero frequency. Failures throw a
 * ClvInputError naming the public function, the field and the row.
 *
 * Complexity: O(n).
 *
 * @example
 * validateRfm("fitBgNbd", { frequency: [1], recency: [2], T: [1] }); // throws: recency (row 0) exceeds T
 */
import { ClvInputError } from "../errors.js";

/** Per-customer repeat-purchase summary, one entry per customer (or per pattern with weights). */
export interface RfmColumns {
  frequency: ArrayLike<number>;
  recency: ArrayLike<number>;
  T: ArrayLike<number>;
  /** Number of customers sharing each row (default 1 each). */
  weights?: ArrayLike<number>;
}

// recency and T are often rounded (CDNOW: 2 decimals), so allow recency to exceed T by rounding noise.
const SLACK = 1e-9;

export function requireLength(fn: string, field: string, col: ArrayLike<number> | undefined, n: number | null): number {
  if (col === undefined || col === null || typeof col.length !== "number") throw new ClvInputError(fn, field, null, "is missing");
  if (col.length === 0) throw new ClvInputError(fn, field, null, "is empty (no customers)");
  if (n !== null && col.length !== n) throw new ClvInputError(fn, field, null, `has length ${col.length}, expected ${n}`);
  return col.length;
}

export function requireFinite(fn: string, field: string, col: ArrayLike<number>, min: number | null): void {
  // fast path: one comparison chain per value (NaN fails every comparison); details only on failure
  const lo = min ?? -Infinity;
  let ok = true;
  for (let i = 0; i < col.length; i++) {
    const v = col[i]!;
    if (!(v >= lo && v < Infinity && v > -Infinity)) {
      ok = false;
      break;
    }
  }
  if (ok && (col instanceof Float64Array || col instanceof Float32Array || col instanceof Int32Array || col instanceof Uint32Array || col instanceof Int16Array || col instanceof Uint16Array || col instanceof Int8Array || col instanceof Uint8Array)) return;
  for (let i = 0; i < col.length; i++) {
    const v = col[i]!;
    if (typeof v !== "number" || !Number.isFinite(v)) throw new ClvInputError(fn, field, i, `is not a finite number (${String(v)})`);
    if (min !== null && v < min) throw new ClvInputError(fn, field, i, `is ${v}, must be ≥ ${min}`);
  }
}

export function validateRfm(fn: string, cols: RfmColumns): number {
  const n = requireLength(fn, "frequency", cols.frequency, null);
  requireLength(fn, "recency", cols.recency, n);
  requireLength(fn, "T", cols.T, n);
  requireFinite(fn, "frequency", cols.frequency, 0);
  requireFinite(fn, "recency", cols.recency, 0);
  requireFinite(fn, "T", cols.T, 0);
  const { frequency, recency, T } = cols;
  for (let i = 0; i < n; i++) {
    const r = recency[i]!;
    const t = T[i]!;
    if (r > t * (1 + SLACK) + SLACK) throw new ClvInputError(fn, "recency", i, `is ${r}, exceeds T = ${t}`);
    if (frequency[i] === 0 && r !== 0) throw new ClvInputError(fn, "recency", i, `is ${r} but frequency is 0 (must be 0)`);
  }
  if (cols.weights !== undefined) {
    requireLength(fn, "weights", cols.weights, n);
    requireFinite(fn, "weights", cols.weights, 0);
    let total = 0;
    for (let i = 0; i < n; i++) total += cols.weights[i]!;
    if (!(total > 0)) throw new ClvInputError(fn, "weights", null, "sum to zero (no customers)");
  }
  return n;
}
