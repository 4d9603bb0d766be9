export { appRouter, createCaller, type AppRouter } from "./root.ts";
export { createContext, type Context, type SessionClaims } from "./context.ts";
export type { Meta } from "./trpc.ts";
export { log, logWarn, logError, setLogLevel } from "./log.ts";
export { apiEnv } from "./env.ts";
export type { OverviewKpis, MonthlyRevenuePoint, Money, WorkspaceSummary } from "./services/index.ts";
export type { CohortMatrix, CohortRow, CohortCell, RetentionCurve, RetentionCurves, CurvePoint, RetentionRates, RepeatRate } from "./services/retention.ts"; // retention (issue 7)
export type { RfmOverview, RfmCell, RfmSegmentRow, TierOverview, TierRow, SegmentChange, SnapshotRun } from "./services/segments/index.ts"; // segments (issue 5)
export type { SegmentComparison, RulePreview, RuleSegmentSummary, RuleSegmentDetail, RuleSegmentHistoryPoint } from "./services/segment-rules/index.ts"; // rule segments (issue 5)
