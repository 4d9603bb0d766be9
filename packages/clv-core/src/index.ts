/**
 * @valuelens/clv-core — customer-lifetime-value models in pure TypeScript (no I/O, no clock, no
 * global randomness). See README.md for the API, a worked CDNOW example and references.
 */
export { ClvAbortedError, ClvInputError } from "./errors.js";

// data
export { summarizeTransactions, summarizeTransactionColumns, utcDay } from "./data/summarize-transactions.js";
export type { Transaction, TimeUnit, SummaryOptions, TransactionSummary, TransactionColumns, ColumnSummaryOptions, ColumnSummary } from "./data/summarize-transactions.js";
export { cohortRetention } from "./data/cohort-retention.js";
export type { CohortGrain, CohortRetention } from "./data/cohort-retention.js";
export { compressRows } from "./data/compress-rows.js";
export type { CompressedRfm } from "./data/compress-rows.js";
export type { RfmColumns } from "./data/validate-columns.js";

// models
export type { FitBoundary, FittedModel, FitOptions } from "./models/fitted-model.js";
export { fitBgNbd, bgNbdExpectedPurchases, bgNbdProbabilityAlive, bgNbdLogLikelihood } from "./models/bg-nbd.js";
export type { BgNbdParams, BgNbdModel } from "./models/bg-nbd.js";
export { fitParetoNbd, paretoNbdExpectedPurchases, paretoNbdProbabilityAlive, paretoNbdLogLikelihood } from "./models/pareto-nbd.js";
export type { ParetoNbdParams, ParetoNbdModel } from "./models/pareto-nbd.js";
export { fitModifiedBgNbd, modifiedBgNbdExpectedPurchases, modifiedBgNbdProbabilityAlive, modifiedBgNbdLogLikelihood } from "./models/modified-bg-nbd.js";
export type { ModifiedBgNbdParams, ModifiedBgNbdModel } from "./models/modified-bg-nbd.js";
export { fitGammaGamma, gammaGammaExpectedSpend, gammaGammaLogLikelihood } from "./models/gamma-gamma.js";
export type { GammaGammaParams, GammaGammaModel, SpendColumns } from "./models/gamma-gamma.js";
export { fitShiftedBetaGeometric, sbgSurvival, sbgRetentionRate } from "./models/shifted-beta-geometric.js";
export type { SbgParams, SbgModel } from "./models/shifted-beta-geometric.js";
export { fitBgBb, bgBbProbabilityAlive } from "./models/bg-bb.js";
export type { BgBbParams, BgBbModel, BgBbColumns } from "./models/bg-bb.js";
export { expectedPurchases, probabilityAlive } from "./models/purchase-model.js";
export type { PurchaseModel, PurchaseModelKind } from "./models/purchase-model.js";
export { customerLifetimeValue } from "./models/customer-lifetime-value.js";
export type { ClvInput, ClvOptions } from "./models/customer-lifetime-value.js";
export { holdoutByFrequency } from "./models/holdout-by-frequency.js";
export type { HoldoutBin } from "./models/holdout-by-frequency.js";
export { cumulativeTracking } from "./models/cumulative-tracking.js";
export { nextPurchaseWindow } from "./models/next-purchase.js";
export type { NextPurchaseWindow } from "./models/next-purchase.js";
export { scoreCustomers, sampleParameters, quantileSorted } from "./models/score-customers.js";
export type { ScoreInput, ScoreOptions, CustomerScores, IntervalOptions } from "./models/score-customers.js";

// segments
export { rfmScores, rfmSegment, quintileScores, quintileBreaks, quintileScoreOf, type QuintileBreaks, RFM_SEGMENTS } from "./segments/rfm.js";
export type { RfmInput, RfmScores, RfmSegment } from "./segments/rfm.js";
export { valueTiers, tierThresholds, tierOf, checkTierRule } from "./segments/value-tiers.js";
export type { ValueTier, TierRule, TierThresholds } from "./segments/value-tiers.js";

// economics
export { cac } from "./economics/cac.js";
export { ltvToCac } from "./economics/ltv-to-cac.js";
export { roi } from "./economics/roi.js";
export { paybackPeriod, paybackWithForecast } from "./economics/payback-period.js";
export type { PaybackWithForecast } from "./economics/payback-period.js";
export { cumulativeValuePerCustomer, predictedMonthlyIncrements } from "./economics/cohort-value-curve.js";
export type { CohortValueInput, CohortValueCurve } from "./economics/cohort-value-curve.js";
export { allocateBudget, valueOfSplit } from "./economics/budget-allocation.js";
export type { ChannelHistory, BudgetOptions, ChannelAllocation, BudgetAllocation } from "./economics/budget-allocation.js";

// math
export { mulberry32 } from "./math/mulberry32.js";
export type { Rng } from "./math/mulberry32.js";
export { normalSampler } from "./math/random-normal.js";
export { gammaSampler, exponentialSample } from "./math/random-gamma.js";
export { multivariateNormalSampler } from "./math/multivariate-normal.js";
export { cholesky, invertSpd } from "./math/cholesky.js";
export { normalQuantile } from "./math/normal-quantile.js";
export { hyp2f1 } from "./math/hyp2f1.js";
export { logAddExp, logSumExp, logDiffExp, sigmoid } from "./math/log-sum-exp.js";
export { gammaln, betaln, digamma } from "./math/special-functions.js";
export { minimizeBfgs } from "./math/minimize-bfgs.js";
export type { MinimizeOptions, MinimizeResult, ObjectiveWithGradient } from "./math/minimize-bfgs.js";
export { gaussLegendre } from "./math/gauss-legendre.js";
