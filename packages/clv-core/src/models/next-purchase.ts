/**
 * When is a customer's next purchase expected, if they are still active?
 *
 * In BG/NBD, MBG/NBD and Pareto/NBD, an active customer buys as a Poisson process with rate λ, and
 * λ ~ Gamma(r, α) across customers. Given x repeat purchases over an observation period of length T
 * (and the customer being active), the posterior of λ is Gamma(r + x, α + T) — the Poisson–gamma
 * update does not depend on when the purchases happened (Fader, Hardie & Lee 2005, "Counting your
 * customers the easy way", §3; Schmittlein, Morrison & Colombo 1987 for Pareto/NBD). The waiting time
 * W from the end of observation to the next purchase, for a customer who stays active, is then
 * exponential given λ and, integrating λ out, Lomax (Pareto type II):
 *
 *   P(W > w) = ((α + T) / (α + T + w))^(r + x),   quantile  w_q = (α + T)·((1 − q)^(−1/(r+x)) − 1).
 *
 * The window is conditional on the customer being active (report it next to P(alive)); in the BG
 * family a customer can only drop out right after a purchase, so for them "active now" means "active
 * until the next purchase" exactly; under Pareto/NBD it is the usual "if they stay active" reading.
 * Times are in the model's time unit. Complexity: O(number of quantiles).
 *
 * @example
 * nextPurchaseWindow({ r: 0.243, alpha: 4.414 }, 2, 38.86); // { median: …, low: …, high: … } in weeks
 */
import { ClvInputError } from "../errors.js";

export interface NextPurchaseWindow {
  /** Median waiting time to the next purchase, given the customer stays active. */
  median: number;
  /** Lower and upper quantiles (default 10 % and 90 %). */
  low: number;
  high: number;
  /** Probability of a purchase within `within` time units, given active (when asked). */
  probabilityWithin?: number;
}

function quantile(shape: number, scale: number, q: number): number {
  // expm1 keeps precision for small q; (1 − q)^(−1/k) − 1 = expm1(−ln(1 − q)/k)
  return scale * Math.expm1(-Math.log1p(-q) / shape);
}

export function nextPurchaseWindow(
  params: { r: number; alpha: number },
  x: number,
  T: number,
  opts: { low?: number; high?: number; within?: number } = {},
): NextPurchaseWindow {
  const fn = "nextPurchaseWindow";
  const { r, alpha } = params;
  if (!(r > 0) || !Number.isFinite(r)) throw new ClvInputError(fn, "r", null, `is ${r}, must be > 0`);
  if (!(alpha > 0) || !Number.isFinite(alpha)) throw new ClvInputError(fn, "alpha", null, `is ${alpha}, must be > 0`);
  if (!(x >= 0) || !Number.isFinite(x)) throw new ClvInputError(fn, "x", null, `is ${x}, must be ≥ 0`);
  if (!(T >= 0) || !Number.isFinite(T)) throw new ClvInputError(fn, "T", null, `is ${T}, must be ≥ 0`);
  const lo = opts.low ?? 0.1;
  const hi = opts.high ?? 0.9;
  if (!(lo > 0 && lo < hi && hi < 1)) throw new ClvInputError(fn, "low/high", null, `are ${lo}/${hi}, must satisfy 0 < low < high < 1`);
  const shape = r + x;
  const scale = alpha + T;
  const out: NextPurchaseWindow = { median: quantile(shape, scale, 0.5), low: quantile(shape, scale, lo), high: quantile(shape, scale, hi) };
  if (opts.within !== undefined) {
    if (!(opts.within >= 0)) throw new ClvInputError(fn, "within", null, `is ${opts.within}, must be ≥ 0`);
    out.probabilityWithin = -Math.expm1(shape * (Math.log(scale) - Math.log(scale + opts.within)));
  }
  return out;
}
