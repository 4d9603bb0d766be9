import type { CustomerScores, ScoreOptions } from "@valuelens/clv-core";

/** Model time unit is the day; lifetimes' CLV convention of 30 days per month, 1 % monthly discount. */
export const CLV_OPTIONS: ScoreOptions = { horizons: [30, 90, 365], months: 12, discountRate: 0.01, unitsPerMonth: 30 };

/**
 * Churn-risk band from P(alive) at the data cut-off. Thresholds (documented on the Model page):
 * low ≥ 0.7, medium 0.3 – 0.7, high < 0.3.
 */
export const CHURN_THRESHOLDS = { low: 0.7, medium: 0.3 } as const;

export type ChurnRisk = "low" | "medium" | "high";

export function churnRisk(pAlive: number): ChurnRisk {
  if (pAlive >= CHURN_THRESHOLDS.low) return "low";
  if (pAlive >= CHURN_THRESHOLDS.medium) return "medium";
  return "high";
}

/**
 * Holdout verdict from the aggregate error |Σ predicted − Σ actual| / Σ actual of holdout purchases:
 * good ≤ 10 %, fair ≤ 25 %, poor above.
 */
export const VERDICT_THRESHOLDS = { good: 10, fair: 25 } as const;

export function holdoutVerdict(errorPct: number): "good" | "fair" | "poor" {
  if (errorPct <= VERDICT_THRESHOLDS.good) return "good";
  if (errorPct <= VERDICT_THRESHOLDS.fair) return "fair";
  return "poor";
}

/** Customer i's model outputs from a scoreCustomers result (with a spend model), as stored in customer_scores. */
export function predictedFields(sc: CustomerScores, i: number) {
  const [e30, e90, e365] = sc.expectedPurchases;
  const pAlive = sc.probabilityAlive[i]!;
  return {
    pAlive,
    e30: e30![i]!,
    e90: e90![i]!,
    e365: e365![i]!,
    clv: sc.clv![i]!,
    clvLow: sc.clvLow?.[i] ?? null,
    clvHigh: sc.clvHigh?.[i] ?? null,
    churnRisk: churnRisk(pAlive),
  };
}
