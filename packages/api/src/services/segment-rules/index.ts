export { compileRule, type CompileContext } from "./compile.ts";
export { prepareRulePreview, previewRule, ruleContext, todayIn, PREVIEW_TIMEOUT_MS, type RulePreview, type RuleAggregates, type RuleMemberRow } from "./query.ts";
export { listRuleSegments, getRuleSegment, ruleSegmentStats, createRuleSegment, updateRuleSegment, deleteRuleSegment, type RuleSegmentSummary, type RuleSegmentDetail } from "./manage.ts";
export { snapshotRuleSegments, ruleSegmentHistory, type RuleSegmentHistoryPoint } from "./snapshots.ts";
export { compareRuleSegments, type SegmentComparison } from "./compare.ts";
export { listSegmentMembers, ruleSegmentCsv, ruleSegmentPredicate, ruleFieldOptions, SEGMENT_EXPORT_COLUMNS, type SegmentMembersPage, type RuleFieldOptions } from "./members.ts";
