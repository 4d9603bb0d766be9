/**
 * Shifted-beta-geometric (sBG) model of contractual retention: each customer churns at the end of
 * a period with a constant probability θ ~ Beta(α, β); heterogeneity makes the cohort's retention
 * rate rise over time.
 *
 * Reference: Fader & Hardie (2007), "How to Project Customer Retention", Journal of Interactive
 * Marketing 21(1), eq. (3)–(7). Years 0–7 of 1,000 customers: regular 1000, 631, 468, 382, 326,
 * 289, 262, 241 → α = 0.704, β = 1.182; high end 1000, 869, 743, 653, 593, 551, 517, 491 →
 * α = 0.668, β = 3.806.
 * Complexity: fit O(iterations × periods); survival and retention O(1).
 *
 * @example
 * const m = fitShiftedBetaGeometric([1000, 631, 468, 382, 326, 289, 262, 241]);
 * sbgSurvival(m, 8);      // projected share still active at the start of year 8
 * sbgRetentionRate(m, 2); // (β + 1)/(α + β + 1)
 */
import { ClvInputError } from "../errors.js";
import { betaln } from "../math/special-functions.js";
import { fitLogParameters, type FitOptions, type FittedModel } from "./fitted-model.js";

export interface SbgParams {
  alpha: number;
  beta: number;
}
export type SbgModel = FittedModel<"sbg", SbgParams>;

/**
 * @param activeCounts customers still active at the start of each period; the first entry is the cohort size
 */
export function fitShiftedBetaGeometric(activeCounts: ArrayLike<number>, options: FitOptions<SbgParams> = {}): SbgModel {
  const fn = "fitShiftedBetaGeometric";
  if (!activeCounts || activeCounts.length < 2) throw new ClvInputError(fn, "activeCounts", null, "needs the cohort size and at least one later period");
  for (let i = 0; i < activeCounts.length; i++) {
    const v = activeCounts[i]!;
    if (!Number.isFinite(v) || v < 0) throw new ClvInputError(fn, "activeCounts", i, `is ${v}, must be a finite count ≥ 0`);
    if (i > 0 && v > activeCounts[i - 1]!) throw new ClvInputError(fn, "activeCounts", i, `is ${v}, more than the previous period (counts must not increase)`);
  }
  if (!(activeCounts[0]! > 0)) throw new ClvInputError(fn, "activeCounts", 0, "is 0 (empty cohort)");
  const counts = Array.from(activeCounts);
  const negLL = (theta: Float64Array): number => {
    const a = Math.exp(theta[0]!);
    const b = Math.exp(theta[1]!);
    // P(T = 1) = a/(a+b); P(T = t) = P(T = t−1)(b+t−2)/(a+b+t−1); S(t) = S(t−1) − P(T = t)
    let lp = Math.log(a / (a + b));
    let ll = 0;
    let lsurv = 0;
    for (let t = 1; t < counts.length; t++) {
      if (t > 1) lp += Math.log((b + t - 2) / (a + b + t - 1));
      const churned = counts[t - 1]! - counts[t]!;
      if (churned > 0) ll += churned * lp;
      lsurv += Math.log((b + t - 1) / (a + b + t - 1));
    }
    ll += counts[counts.length - 1]! * lsurv;
    return -ll;
  };
  return fitLogParameters("sbg", ["alpha", "beta"], (th) => negLL(th), false, { alpha: 1, beta: 1 }, counts[0]!, options);
}

/** S(t) = B(α, β+t)/B(α, β): share of the cohort still active after t periods (t ≥ 0, may be fractional). */
export function sbgSurvival(model: { params: SbgParams }, t: number): number {
  if (!Number.isFinite(t) || t < 0) throw new ClvInputError("sbgSurvival", "t", null, `is ${t}, must be a finite number ≥ 0`);
  const { alpha, beta } = model.params;
  return Math.exp(betaln(alpha, beta + t) - betaln(alpha, beta));
}

/** r(t) = S(t)/S(t−1) = (β + t − 1)/(α + β + t − 1): retention rate in period t (t ≥ 1). */
export function sbgRetentionRate(model: { params: SbgParams }, t: number): number {
  if (!Number.isFinite(t) || t < 1) throw new ClvInputError("sbgRetentionRate", "t", null, `is ${t}, must be a finite number ≥ 1`);
  const { alpha, beta } = model.params;
  return (beta + t - 1) / (alpha + beta + t - 1);
}
