import { ZImportJobInput, ZImportListInput, ZImportMappingInput, ZImportRejectionsInput } from "@valuelens/validators";
import { cancelImport, getImport, getSavedMapping, listImports, listRejections } from "../services/import/index.ts";
import { router, workspaceProcedure } from "../trpc.ts";

/** Import history and progress (reads), cancel and saved mappings (ADMIN). The upload itself is an HTTP route. */
export const importRouter = router({
  list: workspaceProcedure("VIEWER")
    .input(ZImportListInput)
    .query(({ ctx, input }) => listImports(ctx.tx, ctx.workspace.id, input.limit)),
  get: workspaceProcedure("VIEWER")
    .input(ZImportJobInput)
    .query(({ ctx, input }) => getImport(ctx.tx, ctx.workspace.id, input.jobId)),
  rejections: workspaceProcedure("MEMBER")
    .input(ZImportRejectionsInput)
    .query(({ ctx, input }) => listRejections(ctx.tx, ctx.workspace.id, input.jobId, input.limit)),
  cancel: workspaceProcedure("ADMIN")
    .input(ZImportJobInput)
    .mutation(({ ctx, input }) => cancelImport(ctx.tx, ctx.workspace.id, input.jobId)),
  savedMapping: workspaceProcedure("ADMIN")
    .input(ZImportMappingInput)
    .query(({ ctx, input }) => getSavedMapping(ctx.tx, ctx.workspace.id, input.kind)),
});
