import { ZMonthlyRevenueInput } from "@valuelens/validators";
import { getMonthlyRevenue, getOverviewKpis } from "../services/index.ts";
import { router, workspaceProcedure } from "../trpc.ts";

export const overviewRouter = router({
  kpis: workspaceProcedure("VIEWER").query(({ ctx }) => getOverviewKpis(ctx.tx, ctx.workspace)),
  monthlyRevenue: workspaceProcedure("VIEWER")
    .input(ZMonthlyRevenueInput)
    .query(({ ctx, input }) => getMonthlyRevenue(ctx.tx, ctx.workspace.id, input.months)),
});
