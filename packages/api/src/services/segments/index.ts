export { segmentSnapshotRows, writeSegmentSnapshotRows, writeSegmentSnapshots, type SnapshotInput, type SnapshotKind } from "./snapshots.ts";
export { readTierRule, readTierSettings, tierRuleOf, updateTierSettings } from "./tier-settings.ts";
export {
  getRfmOverview,
  getTierOverview,
  type RfmOverview,
  type RfmCell,
  type RfmSegmentRow,
  type TierOverview,
  type TierRow,
  type SegmentFigures,
  type SegmentChange,
  type SnapshotRun,
} from "./overview.ts";
