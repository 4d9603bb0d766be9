/**
 * Budget allocation across marketing channels with diminishing returns.
 *
 * Each channel's value curve is value_c(x) = k_c · x^β with 0 < β < 1 (default β = 0.5, the
 * square-root response common in media-mix work), calibrated so value_c(historicalSpend_c) =
 * historicalValue_c, i.e. k_c = historicalValue_c / historicalSpend_c^β. We maximise Σ value_c(x_c)
 * subject to Σ x_c ≤ budget and 0 ≤ x_c ≤ capMultiple · historicalSpend_c (default cap 2×: the
 * curve is only trusted near observed spend). The problem is concave, so the KKT solution is exact
 * "water-filling": x_c = min(cap_c, (β k_c / λ)^{1/(1−β)}) with the multiplier λ found by
 * bisection so the budget is used (or every channel is capped). Channels with no positive
 * historical value or no historical spend get nothing.
 * Reference: Boyd & Vandenberghe, Convex Optimization (2004), §5.5.3 (water-filling).
 * Complexity: O(channels × 200) bisection steps.
 *
 * @example
 * allocateBudget([{ channel: "search", historicalSpend: 100, historicalValue: 300 },
 *                 { channel: "social", historicalSpend: 100, historicalValue: 100 }], 200);
 * // search gets 180, social 20 (spend ∝ k² when β = 0.5); expected value ≈ 402.5 + 44.7
 */
import { ClvInputError } from "../errors.js";

export interface ChannelHistory {
  channel: string;
  historicalSpend: number;
  historicalValue: number;
}

export interface BudgetOptions {
  /** Returns exponent β in (0, 1); default 0.5. */
  beta?: number;
  /** Cap per channel as a multiple of its historical spend; default 2. */
  capMultiple?: number;
}

export interface ChannelAllocation {
  channel: string;
  spend: number;
  expectedValue: number;
  /** Marginal value of the next dollar at this allocation (β·value/spend). */
  marginalValue: number;
  explanation: string;
}

export interface BudgetAllocation {
  allocations: ChannelAllocation[];
  totalSpend: number;
  totalExpectedValue: number;
  /** Budget left because every useful channel hit its cap. */
  unallocated: number;
}

export function allocateBudget(channels: readonly ChannelHistory[], budget: number, options: BudgetOptions = {}): BudgetAllocation {
  const fn = "allocateBudget";
  const beta = options.beta ?? 0.5;
  const capMultiple = options.capMultiple ?? 2;
  if (!Number.isFinite(budget) || budget < 0) throw new ClvInputError(fn, "budget", null, `is ${budget}, must be a finite number ≥ 0`);
  if (!(beta > 0 && beta < 1)) throw new ClvInputError(fn, "beta", null, `is ${beta}, must be in (0, 1) for diminishing returns`);
  if (!(capMultiple > 0) || !Number.isFinite(capMultiple)) throw new ClvInputError(fn, "capMultiple", null, `is ${capMultiple}, must be a finite number > 0`);
  if (!Array.isArray(channels) || channels.length === 0) throw new ClvInputError(fn, "channels", null, "is empty");
  channels.forEach((c, i) => {
    if (!Number.isFinite(c.historicalSpend) || c.historicalSpend < 0) throw new ClvInputError(fn, "historicalSpend", i, `is ${c.historicalSpend}, must be a finite number ≥ 0`);
    if (!Number.isFinite(c.historicalValue)) throw new ClvInputError(fn, "historicalValue", i, `is ${c.historicalValue}, must be finite`);
  });
  const k = channels.map((c) => (c.historicalSpend > 0 && c.historicalValue > 0 ? c.historicalValue / Math.pow(c.historicalSpend, beta) : 0));
  const cap = channels.map((c) => capMultiple * c.historicalSpend);
  const expo = 1 / (1 - beta);
  const spendAt = (lambda: number): number[] => k.map((kc, i) => (kc > 0 ? Math.min(cap[i]!, Math.pow((beta * kc) / lambda, expo)) : 0));
  const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
  let x: number[];
  const maxUseful = sum(k.map((kc, i) => (kc > 0 ? cap[i]! : 0)));
  if (budget === 0 || maxUseful === 0) x = k.map(() => 0);
  else if (maxUseful <= budget) x = k.map((kc, i) => (kc > 0 ? cap[i]! : 0));
  else {
    // Σ x(λ) decreases in λ: bisect on ln λ
    let lo = -700;
    let hi = 700;
    for (let it = 0; it < 200; it++) {
      const mid = 0.5 * (lo + hi);
      if (sum(spendAt(Math.exp(mid))) > budget) lo = mid;
      else hi = mid;
    }
    x = spendAt(Math.exp(hi));
  }
  const allocations = channels.map((c, i): ChannelAllocation => {
    const spend = x[i]!;
    const value = k[i]! * Math.pow(spend, beta);
    const marginal = spend > 0 ? (beta * value) / spend : k[i]! > 0 ? Infinity : 0;
    let explanation: string;
    if (k[i] === 0) explanation = `${c.channel} gets nothing because it has no positive historical value per dollar to extrapolate from.`;
    else if (spend >= cap[i]! - 1e-9 * Math.max(1, cap[i]!)) explanation = `${c.channel} is capped at ${capMultiple}× its historical spend (${round(cap[i]!)}), beyond which its response curve is not trusted.`;
    else if (spend === 0) explanation = `${c.channel} gets nothing because the budget is zero.`;
    else explanation = `${c.channel} gets ${round(spend)}, where its next dollar returns ${round(marginal)} — the same marginal return as every other uncapped channel.`;
    return { channel: c.channel, spend, expectedValue: value, marginalValue: marginal, explanation };
  });
  const totalSpend = sum(x);
  return { allocations, totalSpend, totalExpectedValue: sum(allocations.map((a) => a.expectedValue)), unallocated: Math.max(0, budget - totalSpend) };
}

function round(v: number): string {
  return Number.isFinite(v) ? (Math.round(v * 100) / 100).toString() : String(v);
}

/**
 * Expected value of a given split under the same response curves as `allocateBudget`
 * (value_c(x) = k_c · x^β, calibrated on each channel's history; no cap: a split the user already
 * runs is evaluated as is). Used to compare a suggestion with the current split scaled to the same
 * budget. Channels with no positive history value contribute 0.
 *
 * @example
 * valueOfSplit([{ channel: "a", historicalSpend: 100, historicalValue: 300 }], [25]); // 30·√25 = 150
 */
export function valueOfSplit(channels: readonly ChannelHistory[], spends: readonly number[], options: Pick<BudgetOptions, "beta"> = {}): { perChannel: number[]; total: number } {
  const fn = "valueOfSplit";
  const beta = options.beta ?? 0.5;
  if (!(beta > 0 && beta < 1)) throw new ClvInputError(fn, "beta", null, `is ${beta}, must be in (0, 1) for diminishing returns`);
  if (spends.length !== channels.length) throw new ClvInputError(fn, "spends", null, `has ${spends.length} entries for ${channels.length} channels`);
  const perChannel = channels.map((c, i) => {
    const x = spends[i]!;
    if (!Number.isFinite(x) || x < 0) throw new ClvInputError(fn, "spends", i, `is ${x}, must be a finite number ≥ 0`);
    if (!Number.isFinite(c.historicalSpend) || c.historicalSpend < 0) throw new ClvInputError(fn, "historicalSpend", i, `is ${c.historicalSpend}, must be a finite number ≥ 0`);
    const k = c.historicalSpend > 0 && c.historicalValue > 0 ? c.historicalValue / Math.pow(c.historicalSpend, beta) : 0;
    return k * Math.pow(x, beta);
  });
  return { perChannel, total: perChannel.reduce((a, b) => a + b, 0) };
}
