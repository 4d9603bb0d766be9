/**
 * Calibration/holdout check: mean actual vs predicted holdout purchases per calibration-period
 * frequency bin (0, 1, …, maxBin where the last bin is "maxBin or more"). This is the classic
 * plot of Fader, Hardie & Lee (2005), Figure 4 (CDNOW, 39-week holdout).
 * Complexity: O(n + distinct(x, T) series evaluations).
 *
 * @example
 * holdoutByFrequency(bg, { frequency, recency, T, holdoutFrequency }, 39, 7);
 * // [{ bin: 0, customers: 1411, actual: 0.24, predicted: 0.23 }, …]
 */
import { validateRfm } from "../data/validate-columns.js";
import { requireFinite, requireLength } from "../data/validate-columns.js";
import { ClvInputError } from "../errors.js";
import { XTCache } from "./customer-lifetime-value.js";
import { kernelOf, type PurchaseModel } from "./purchase-model.js";

export interface HoldoutBin {
  bin: number;
  customers: number;
  actual: number;
  predicted: number;
}

export function holdoutByFrequency(
  model: PurchaseModel,
  data: { frequency: ArrayLike<number>; recency: ArrayLike<number>; T: ArrayLike<number>; holdoutFrequency: ArrayLike<number> },
  holdoutLength: number,
  maxBin = 7,
): HoldoutBin[] {
  const fn = "holdoutByFrequency";
  const n = validateRfm(fn, data);
  requireLength(fn, "holdoutFrequency", data.holdoutFrequency, n);
  requireFinite(fn, "holdoutFrequency", data.holdoutFrequency, 0);
  if (!Number.isFinite(holdoutLength) || holdoutLength <= 0) throw new ClvInputError(fn, "holdoutLength", null, `is ${holdoutLength}, must be > 0`);
  if (!Number.isInteger(maxBin) || maxBin < 0) throw new ClvInputError(fn, "maxBin", null, `is ${maxBin}, must be an integer ≥ 0`);
  const k = kernelOf(fn, model);
  const h = new XTCache((x, T) => k.horizon(x, T, holdoutLength));
  const count = new Float64Array(maxBin + 1);
  const actual = new Float64Array(maxBin + 1);
  const predicted = new Float64Array(maxBin + 1);
  for (let i = 0; i < n; i++) {
    const x = data.frequency[i]!;
    const bin = Math.min(maxBin, Math.floor(x));
    count[bin] = count[bin]! + 1;
    actual[bin] = actual[bin]! + data.holdoutFrequency[i]!;
    predicted[bin] = predicted[bin]! + Math.exp(k.logPAlive(x, data.recency[i]!, data.T[i]!)) * h.get(x, data.T[i]!);
  }
  const out: HoldoutBin[] = [];
  for (let b = 0; b <= maxBin; b++) {
    const c = count[b]!;
    out.push({ bin: b, customers: c, actual: c > 0 ? actual[b]! / c : NaN, predicted: c > 0 ? predicted[b]! / c : NaN });
  }
  return out;
}
