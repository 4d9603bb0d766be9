/**
 * Helpers so every per-customer function accepts either scalars or columns:
 * `f(model, 2, 30.43, 38.86)` → number, `f(model, freqCol, recCol, TCol)` → Float64Array.
 *
 * Complexity: O(n) plus the per-row kernel.
 */
import { ClvInputError } from "../errors.js";
import { requireFinite, requireLength } from "../data/validate-columns.js";

export type Num = number | ArrayLike<number>;

export function isScalar(v: Num): v is number {
  return typeof v === "number";
}

/** Validates scalars or columns and maps `kernel` over the rows. */
export function mapRows(
  fn: string,
  frequency: Num,
  recency: Num,
  T: Num,
  kernel: (x: number, tx: number, T: number) => number,
): number | Float64Array {
  if (isScalar(frequency) && isScalar(recency) && isScalar(T)) {
    checkRow(fn, frequency, recency, T, null);
    return kernel(frequency, recency, T);
  }
  const f = asColumn(fn, "frequency", frequency);
  const n = f.length;
  const r = asColumn(fn, "recency", recency);
  const t = asColumn(fn, "T", T);
  requireLength(fn, "recency", r, n);
  requireLength(fn, "T", t, n);
  requireFinite(fn, "frequency", f, 0);
  requireFinite(fn, "recency", r, 0);
  requireFinite(fn, "T", t, 0);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const x = f[i]!;
    const tx = r[i]!;
    const tt = t[i]!;
    checkRow(fn, x, tx, tt, i);
    out[i] = kernel(x, tx, tt);
  }
  return out;
}

function asColumn(fn: string, field: string, v: Num): ArrayLike<number> {
  if (typeof v === "number") throw new ClvInputError(fn, field, null, "must be a column when the other inputs are columns");
  requireLength(fn, field, v, null);
  return v;
}

export function checkRow(fn: string, x: number, tx: number, T: number, row: number | null): void {
  if (!Number.isFinite(x) || x < 0) throw new ClvInputError(fn, "frequency", row, `is ${x}, must be a finite number ≥ 0`);
  if (!Number.isFinite(tx) || tx < 0) throw new ClvInputError(fn, "recency", row, `is ${tx}, must be a finite number ≥ 0`);
  if (!Number.isFinite(T) || T < 0) throw new ClvInputError(fn, "T", row, `is ${T}, must be a finite number ≥ 0`);
  if (tx > T * (1 + 1e-9) + 1e-9) throw new ClvInputError(fn, "recency", row, `is ${tx}, exceeds T = ${T}`);
}

export function checkHorizon(fn: string, t: number): void {
  if (!Number.isFinite(t) || t < 0) throw new ClvInputError(fn, "t", null, `is ${t}, must be a finite number ≥ 0`);
}
