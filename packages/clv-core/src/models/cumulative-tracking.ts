/**
 * Cumulative tracking of a holdout period: the expected cumulative number of repeat purchases of a
 * group of customers from the end of calibration to each time t,
 *
 *   C(t) = Σ_i E[Y_i(t) | x_i, t_x,i, T_i] = Σ_i P(alive_i) · E[Y(t) | x_i, T_i, alive],
 *
 * to be drawn against the observed cumulative repeat purchases in the same period (the "tracking
 * plot" of Fader, Hardie & Lee 2005, Fig. 2, in its conditional form: it starts at the calibration
 * end and, at t = holdout length, equals the sum behind `holdoutByFrequency`).
 * Complexity: O(n + distinct(x, T) · times) kernel evaluations.
 *
 * @example
 * cumulativeTracking(bg, { frequency, recency, T }, [7, 14, 21]); // [c(7), c(14), c(21)]
 */
import { requireFinite, validateRfm } from "../data/validate-columns.js";
import { ClvInputError } from "../errors.js";
import { kernelOf, type PurchaseModel } from "./purchase-model.js";

export function cumulativeTracking(
  model: PurchaseModel,
  data: { frequency: ArrayLike<number>; recency: ArrayLike<number>; T: ArrayLike<number> },
  times: ArrayLike<number>,
): Float64Array {
  const fn = "cumulativeTracking";
  const n = validateRfm(fn, data);
  requireFinite(fn, "times", times, 0);
  for (let j = 1; j < times.length; j++)
    if (times[j]! < times[j - 1]!) throw new ClvInputError(fn, "times", j, `is ${times[j]}, must not decrease (previous ${times[j - 1]})`);
  const k = kernelOf(fn, model);
  // Group customers by (x, T): the horizon factor depends on them only; P(alive) summed per group.
  const groups = new Map<string, { x: number; T: number; pa: number }>();
  for (let i = 0; i < n; i++) {
    const x = data.frequency[i]!;
    const T = data.T[i]!;
    const key = `${x}|${T}`;
    const pa = Math.exp(k.logPAlive(x, data.recency[i]!, T));
    const g = groups.get(key);
    if (g) g.pa += pa;
    else groups.set(key, { x, T, pa });
  }
  const out = new Float64Array(times.length);
  for (const g of groups.values()) for (let j = 0; j < times.length; j++) out[j] = out[j]! + g.pa * k.horizon(g.x, g.T, times[j]!);
  return out;
}
