import { z } from "zod";
import { ZEmail } from "./auth.ts";
import { ZUuid, ZWorkspaceInput } from "./workspace.ts";

export const REPORT_SECTIONS = ["kpis"] as const;

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
  recipients: z.array(ZEmail).min(1, "Add at least one recipient").max(50, "At most 50 recipients"),
  dayOfWeek: z.number().int().min(1).max(7),
  localTime: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "Time must be HH:MM (24 h)"),
  timezone: ZTimeZone,
  sections: z.array(z.enum(REPORT_SECTIONS)).default(["kpis"]),
  paused: z.boolean().default(false),
});
export type TReportSchedule = z.infer<typeof ZReportSchedule>;

export const ZReportScheduleRef = ZWorkspaceInput.extend({ scheduleId: ZUuid });
export const ZReportTest = ZReportScheduleRef.extend({ recipients: z.array(ZEmail).min(1).max(10).optional() });
export const ZReportDeliveryRef = ZWorkspaceInput.extend({ deliveryId: ZUuid });
