export { recomputeWorkspace, PURCHASE_MODELS, MIN_REPEAT_BUYERS, HOLDOUT_SHARE, COMPARISON_SAMPLE_MAX, isPurchaseModel, fitSpend, type RecomputeOutcome, type PurchaseModelName, type HoldoutResult } from "./run-recompute.ts";
export { readSummaries, readCalibration, holdoutCustomers, HOLDOUT_SAMPLE_MAX, type SummaryColumns } from "./summaries.ts";
export { churnRisk, holdoutVerdict, CHURN_THRESHOLDS, VERDICT_THRESHOLDS } from "./churn-risk.ts";
export { planIncremental } from "./refresh-incremental.ts";
export { readScoringState, INCREMENTAL_MIN_CUSTOMERS, INCREMENTAL_MAX_SHARE, type ScoringState } from "./incremental.ts";
