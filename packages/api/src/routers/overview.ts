import { ZMonthlyRevenueInput } from "@valuelens/validators";
import { getMonthlyRevenue, getOverviewKpis } from "../services/index.ts";
import { getPredictionSummary } from "../services/predictions/index.ts";
import { router, workspaceProcedure } from "../trpc.ts";

export const overviewRouter = router({
  kpis: workspaceProcedure("VIEWER").query(({ ctx }) => getOverviewKpis(ctx.tx, ctx.workspace)),
  monthlyRevenue: workspaceProcedure("VIEWER")
    .input(ZMonthlyRevenueInput)
    .query(({ ctx, input }) => getMonthlyRevenue(ctx.tx, ctx.workspace.id, input.months)),
  /** Predicted 12-month revenue with range, customer equity, share at risk, CLV histogram (issue 9). */
  predictions: workspaceProcedure("VIEWER").query(({ ctx }) => getPredictionSummary(ctx.tx, ctx.workspace)),
});
