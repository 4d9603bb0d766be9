import { z } from "zod";
import { ZWorkspaceInput } from "./workspace.ts";

export const ZMonthlyRevenueInput = ZWorkspaceInput.extend({
  /** Number of most recent months with data to return (the chart's range). */
  months: z.number().int().min(1).max(120).default(24),
});
