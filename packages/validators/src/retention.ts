import { z } from "zod";
import { ZWorkspaceInput } from "./workspace.ts";

export const ZCohortGrain = z.enum(["week", "month", "quarter"]);
export type TCohortGrain = z.infer<typeof ZCohortGrain>;
/** segment = the customer's RFM segment and tier = value tier, both from the latest scores (now, not at acquisition). */
export const ZCohortSplit = z.enum(["none", "channel", "campaign", "segment", "tier"]);
export type TCohortSplit = z.infer<typeof ZCohortSplit>;

/** Weekly cohorts returned per call by default (the heat-map pages through older ones). */
export const WEEK_COHORTS_DEFAULT = 52;
/** At most this many weekly cohorts per call. */
export const WEEK_COHORTS_MAX = 104;

const ZCalendarDay = z
  .string()
  .regex(/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, "Use YYYY-MM-DD")
  .refine((s) => new Date(`${s}T00:00:00Z`).toISOString().startsWith(s), "Not a calendar date");

export const ZCohortMatrixInput = ZWorkspaceInput.extend({
  grain: ZCohortGrain.default("month"),
  split: ZCohortSplit.default("none"),
  /** Only this split group's cohorts (its key from retention.groups, "" = none/unknown); every group when absent. */
  group: z.string().max(200).optional(),
  /** Week grain: how many weekly cohorts, the latest up to `until` (other grains return every cohort). */
  weeks: z.number().int().min(1).max(WEEK_COHORTS_MAX).default(WEEK_COHORTS_DEFAULT),
  /** Week grain: the newest cohort shown is the week holding this day (default: the latest week with data). */
  until: ZCalendarDay.optional(),
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

/** The groups a split has (the page's group selector), with their customers. */
export const ZCohortGroupsInput = ZWorkspaceInput.extend({ split: ZCohortSplit.default("none") });
export type TCohortGroupsInput = z.infer<typeof ZCohortGroupsInput>;
