import { ZModelRunsInput, ZSetPurchaseModel, ZWorkspaceInput } from "@valuelens/validators";
import { getModelStatus, listModelRuns, requestRecompute, setPurchaseModel } from "../services/predictions/index.ts";
import { router, workspaceProcedure } from "../trpc.ts";

export const modelRouter = router({
  /** Latest successful run (the model card), the active run's progress, freshness. */
  status: workspaceProcedure("VIEWER")
    .input(ZWorkspaceInput)
    .query(({ ctx }) => getModelStatus(ctx.tx, ctx.workspace.id)),
  runs: workspaceProcedure("VIEWER")
    .input(ZModelRunsInput)
    .query(({ ctx, input }) => listModelRuns(ctx.tx, ctx.workspace.id, input.limit)),
  recomputeNow: workspaceProcedure("ADMIN")
    .input(ZWorkspaceInput)
    .mutation(({ ctx }) => requestRecompute(ctx.tx, ctx.workspace.id, "manual")),
  setPurchaseModel: workspaceProcedure("ADMIN")
    .input(ZSetPurchaseModel)
    .mutation(({ ctx, input }) => setPurchaseModel(ctx.tx, ctx.workspace.id, input.model, ctx.user.id)),
});
