import { z } from "zod";
import { ZEmail } from "./auth.ts";
import { ZUuid, ZWorkspaceInput } from "./workspace.ts";

/** What a weekly report can contain, in the order the email shows it. */
export const REPORT_SECTIONS = ["kpis", "charts", "segments", "at_risk", "campaigns", "retention"] as const;
export type TReportSection = (typeof REPORT_SECTIONS)[number];
export const REPORT_SECTION_LABELS: Record<TReportSection, string> = {
  kpis: "Headline numbers",
  charts: "Charts",
  segments: "Segment movement",
  at_risk: "High-value customers at risk",
  campaigns: "Campaign leaderboard",
  retention: "Newest cohorts' retention",
};

export const REPORT_MAX_RECIPIENTS = 50;

const ZTimeZone = z
  .string()
  .min(1)
  .max(64)
  .refine((tz) => {
    try {
      new Intl.DateTimeFormat("en-US", { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  }, "Unknown time zone");

export const ZReportSchedule = ZWorkspaceInput.extend({
  id: ZUuid.optional(),
  name: z.string().trim().min(1, "Name the report").max(80),
  recipients: z.array(ZEmail).min(1, "Add at least one recipient").max(REPORT_MAX_RECIPIENTS, `At most ${REPORT_MAX_RECIPIENTS} recipients`),
  dayOfWeek: z.number().int().min(1).max(7),
  localTime: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "Time must be HH:MM (24 h)"),
  timezone: ZTimeZone,
  sections: z.array(z.enum(REPORT_SECTIONS)).min(1, "Choose at least one section").default([...REPORT_SECTIONS]),
  paused: z.boolean().default(false),
});
export type TReportSchedule = z.infer<typeof ZReportSchedule>;

export const ZReportScheduleRef = ZWorkspaceInput.extend({ scheduleId: ZUuid });
export const ZReportTest = ZReportScheduleRef.extend({ recipients: z.array(ZEmail).min(1).max(10).optional() });
export const ZReportDeliveryRef = ZWorkspaceInput.extend({ deliveryId: ZUuid });
/** A member subscribes or unsubscribes their own address (never anyone else's). */
export const ZMySubscription = ZReportScheduleRef.extend({ subscribed: z.boolean() });
export const ZUnsubscribeToken = z.object({ token: z.string().min(20).max(2000) });
