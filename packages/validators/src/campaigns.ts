/** Campaign ROI (issue 6): inputs of the Campaigns page and its forms. */
import { z } from "zod";
import { ZUuid } from "./workspace.ts";

/** Campaigns with fewer acquired customers than this are flagged low-confidence and not ranked. */
export const CAMPAIGN_MIN_CUSTOMERS = 30;
/** The budget hint never suggests more than this multiple of a channel's average monthly spend. */
export const BUDGET_CAP_MULTIPLE = 2;
/** Diminishing-returns exponent of the budget hint: value = a · spend^β. */
export const BUDGET_BETA = 0.5;
/** Longest spend range one entry may spread over (days). */
export const MAX_SPEND_RANGE_DAYS = 366;

export const ZValueMeasure = z.enum(["revenue", "margin"]);
export type TValueMeasure = z.infer<typeof ZValueMeasure>;
export const ZValueHorizon = z.enum(["historical", "predicted12", "lifetime"]);
export type TValueHorizon = z.infer<typeof ZValueHorizon>;

const ZMonth = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, "Use YYYY-MM");
const ZDay = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, "Use YYYY-MM-DD").refine((s) => !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s), "Not a calendar date");

/** The value basis and acquisition-month range every metric is computed for. */
export const ZCampaignBasis = z.strictObject({
  workspaceId: ZUuid,
  measure: ZValueMeasure.default("revenue"),
  horizon: ZValueHorizon.default("lifetime"),
  /** First acquisition month (inclusive), YYYY-MM; omitted = from the first cohort. */
  fromMonth: ZMonth.optional(),
  /** Last acquisition month (inclusive), YYYY-MM; omitted = through the last cohort. */
  toMonth: ZMonth.optional(),
}).refine((v) => !v.fromMonth || !v.toMonth || v.fromMonth <= v.toMonth, { message: "The start month must not be after the end month", path: ["toMonth"] });
export type TCampaignBasis = z.infer<typeof ZCampaignBasis>;

export const ZCampaignCompareInput = z.strictObject({
  workspaceId: ZUuid,
  measure: ZValueMeasure.default("revenue"),
  horizon: ZValueHorizon.default("lifetime"),
  fromMonth: ZMonth.optional(),
  toMonth: ZMonth.optional(),
  campaignIds: z.array(ZUuid).min(2, "Pick at least 2 campaigns").max(6, "Pick at most 6 campaigns").refine((a) => new Set(a).size === a.length, "Each campaign once"),
});
export type TCampaignCompareInput = z.infer<typeof ZCampaignCompareInput>;

export const ZBudgetHintInput = z.strictObject({
  workspaceId: ZUuid,
  measure: ZValueMeasure.default("revenue"),
  horizon: ZValueHorizon.default("lifetime"),
  fromMonth: ZMonth.optional(),
  toMonth: ZMonth.optional(),
  /** Total budget for next month, minor units of the workspace currency. */
  budgetMinor: z.number().int().min(0).max(1e13),
});
export type TBudgetHintInput = z.infer<typeof ZBudgetHintInput>;

export const ZCampaignRef = z.strictObject({ workspaceId: ZUuid, campaignId: ZUuid });

const ZCampaignFields = {
  name: z.string().trim().min(1, "Name the campaign").max(200),
  channel: z.string().trim().min(1, "Give the channel").max(80),
  externalId: z.string().trim().min(1).max(200).optional(),
  startsAt: ZDay.nullable(),
  endsAt: ZDay.nullable(),
  notes: z.string().max(2000).nullable(),
};
const datesInOrder = (v: { startsAt: string | null; endsAt: string | null }) => !v.startsAt || !v.endsAt || v.startsAt <= v.endsAt;

export const ZCampaignCreate = z.strictObject({ workspaceId: ZUuid, ...ZCampaignFields }).refine(datesInOrder, { message: "The end date must not be before the start date", path: ["endsAt"] });
export type TCampaignCreate = z.infer<typeof ZCampaignCreate>;
export const ZCampaignUpdate = z.strictObject({ workspaceId: ZUuid, campaignId: ZUuid, ...ZCampaignFields }).refine(datesInOrder, { message: "The end date must not be before the start date", path: ["endsAt"] });
export type TCampaignUpdate = z.infer<typeof ZCampaignUpdate>;

/**
 * Spend entry: a total over a date range, spread evenly per day (the remainder cent by cent on
 * the first days, so the days sum exactly to the total). It REPLACES the campaign's spend in the
 * workspace currency on those days; one day = a range of one day; a total of 0 clears the range.
 */
export const ZCampaignSpendSet = z
  .strictObject({ workspaceId: ZUuid, campaignId: ZUuid, from: ZDay, to: ZDay, amountMinor: z.number().int().min(0).max(1e13) })
  .refine((v) => v.from <= v.to, { message: "The end day must not be before the start day", path: ["to"] })
  .refine((v) => (Date.parse(v.to) - Date.parse(v.from)) / 86_400_000 < MAX_SPEND_RANGE_DAYS, { message: `At most ${MAX_SPEND_RANGE_DAYS} days per entry`, path: ["to"] });
export type TCampaignSpendSet = z.infer<typeof ZCampaignSpendSet>;

/**
 * "1,234.5" → 123450 minor units for a currency with `digits` decimals, exactly (string arithmetic,
 * no floating point). Returns null for anything that is not a non-negative amount with at most
 * `digits` decimals.
 */
export function decimalToMinor(text: string, digits: number): number | null {
  const s = text.trim().replace(/[,\s_]/g, "");
  const m = /^(\d+)(?:\.(\d*))?$/.exec(s);
  if (!m) return null;
  const frac = m[2] ?? "";
  if (frac.length > digits) return null;
  const v = Number(BigInt(m[1]!) * 10n ** BigInt(digits) + BigInt(frac.padEnd(digits, "0") || "0"));
  return Number.isSafeInteger(v) ? v : null;
}

/** Splits a total into `days` integer parts that differ by at most one unit and sum exactly to it. */
export function spreadEvenly(totalMinor: number, days: number): number[] {
  if (!Number.isInteger(totalMinor) || totalMinor < 0 || !Number.isInteger(days) || days < 1) throw new RangeError(`spreadEvenly(${totalMinor}, ${days})`);
  const base = Math.floor(totalMinor / days);
  const extra = totalMinor - base * days;
  return Array.from({ length: days }, (_, i) => base + (i < extra ? 1 : 0));
}

/** CSV export of the comparison: the compared campaigns, or all campaigns without a selection. */
export const ZCampaignExportInput = z.strictObject({
  workspaceId: ZUuid,
  measure: ZValueMeasure.default("revenue"),
  horizon: ZValueHorizon.default("lifetime"),
  fromMonth: ZMonth.optional(),
  toMonth: ZMonth.optional(),
  campaignIds: z.array(ZUuid).max(6).optional(),
});
export type TCampaignExportInput = z.infer<typeof ZCampaignExportInput>;
