import { z } from "zod";
import { ZUuid, ZWorkspaceInput } from "./workspace.ts";

/**
 * Value-tier thresholds of a workspace (issue 5), stored as versioned JSON on the workspace.
 * - percentile: a customer is "high" at or above the `high` percentile (0–1, type-7 quantile) of
 *   predicted CLV, "medium" at or above `medium`, else "low" (default 0.8 / 0.5: top 20 % high).
 * - amount: fixed predicted-CLV amounts in minor units of the workspace currency (strings: money
 *   never travels as a float).
 * Without predictions (small-data mode) the same rule applies to historical value.
 */
const ZPercentile = z.number().min(0, "A percentile must be between 0 and 100 %").max(1, "A percentile must be between 0 and 100 %");
const ZAmountMinor = z.string().regex(/^\d{1,15}$/, "Must be a non-negative amount in minor units");

export const ZTierSettings = z.discriminatedUnion("by", [
  z
    .strictObject({ v: z.literal(1), by: z.literal("percentile"), high: ZPercentile, medium: ZPercentile })
    .refine((s) => s.medium <= s.high, { message: "The medium tier's percentile must not be above the high tier's", path: ["medium"] }),
  z
    .strictObject({ v: z.literal(1), by: z.literal("amount"), highMinor: ZAmountMinor, mediumMinor: ZAmountMinor })
    .refine((s) => BigInt(s.mediumMinor) <= BigInt(s.highMinor), { message: "The medium tier's amount must not be above the high tier's", path: ["mediumMinor"] }),
]);
export type TTierSettings = z.infer<typeof ZTierSettings>;

export const DEFAULT_TIER_SETTINGS: TTierSettings = { v: 1, by: "percentile", high: 0.8, medium: 0.5 };

/** Stored JSON → settings; anything unreadable (hand-edited, older shape) falls back to the default. */
export function parseTierSettings(json: unknown): TTierSettings {
  if (json === null || json === undefined) return DEFAULT_TIER_SETTINGS;
  const r = ZTierSettings.safeParse(json);
  return r.success ? r.data : DEFAULT_TIER_SETTINGS;
}

/** Update: new settings, or null to go back to the default. */
export const ZUpdateTierSettings = z.strictObject({ workspaceId: ZUuid, settings: ZTierSettings.nullable() });
export type TUpdateTierSettings = z.infer<typeof ZUpdateTierSettings>;

export const ZSegmentsInput = ZWorkspaceInput.strict();

/** Measures the RFM map can be coloured by. */
export const RFM_MAP_MEASURES = ["customers", "avgPredictedClv", "avgPAlive", "revenue"] as const;
export const ZRfmMapMeasure = z.enum(RFM_MAP_MEASURES);
export type TRfmMapMeasure = z.infer<typeof ZRfmMapMeasure>;
