import { ZCohortGroupsInput, ZCohortMatrixInput, ZRetentionCurvesInput, ZRetentionRatesInput } from "@valuelens/validators";
import { getCohortGroups, getCohortMatrix, getRetentionCurves, getRetentionRates } from "../services/retention.ts";
import { router, workspaceProcedure } from "../trpc.ts";

/** Retention page (issue 7): cohort heat-map, retention curves with sBG projections, key rates. */
export const retentionRouter = router({
  groups: workspaceProcedure("VIEWER")
    .input(ZCohortGroupsInput)
    .query(({ ctx, input }) => getCohortGroups(ctx.tx, ctx.workspace, input.split)),
  cohorts: workspaceProcedure("VIEWER")
    .input(ZCohortMatrixInput)
    .query(({ ctx, input }) =>
      getCohortMatrix(ctx.tx, ctx.workspace, { grain: input.grain, split: input.split, group: input.group, weeks: input.weeks, until: input.until }),
    ),
  curves: workspaceProcedure("VIEWER")
    .input(ZRetentionCurvesInput)
    .query(({ ctx, input }) => getRetentionCurves(ctx.tx, ctx.workspace, { split: input.split, windowMonths: input.windowMonths, horizonMonths: input.horizonMonths, group: input.group })),
  rates: workspaceProcedure("VIEWER")
    .input(ZRetentionRatesInput)
    .query(({ ctx }) => getRetentionRates(ctx.tx, ctx.workspace)),
});
