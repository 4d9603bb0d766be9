import { z } from "zod";
import { ZWorkspaceInput } from "./workspace.ts";

export const ZCohortGrain = z.enum(["week", "month", "quarter"]);
export type TCohortGrain = z.infer<typeof ZCohortGrain>;
/** segment = the customer's RFM segment and tier = value tier, both from the latest scores (now, not at acquisition). */
export const ZCohortSplit = z.enum(["none", "channel", "campaign", "segment", "tier"]);
export type TCohortSplit = z.infer<typeof ZCohortSplit>;

export const ZCohortMatrixInput = ZWorkspaceInput.extend({
  grain: ZCohortGrain.default("month"),
  split: ZCohortSplit.default("none"),
});
export type TCohortMatrixInput = z.infer<typeof ZCohortMatrixInput>;

export const ZRetentionCurvesInput = ZWorkspaceInput.extend({
  split: ZCohortSplit.default("none"),
  /** A customer churns once they go this many whole months without buying (the "active" window). */
  windowMonths: z.number().int().min(1).max(12).default(3),
  /** Months since acquisition to project to. */
  horizonMonths: z.number().int().min(6).max(60).default(24),
  /** Only this split group's curves (its key from the cohort matrix, "" = none/unknown); all groups when absent. */
  group: z.string().max(200).optional(),
});
export type TRetentionCurvesInput = z.infer<typeof ZRetentionCurvesInput>;

export const ZRetentionRatesInput = ZWorkspaceInput;
