import { ZApiKeyCreate, ZApiKeyRef } from "@valuelens/validators";
import { createApiKey, listApiKeys, revokeApiKey } from "../services/api-keys.ts";
import { router, workspaceProcedure } from "../trpc.ts";

/** Workspace API keys for the ingestion API: ADMIN and above only (checked on the server). */
export const apiKeysRouter = router({
  list: workspaceProcedure("ADMIN").query(({ ctx }) => listApiKeys(ctx.tx, ctx.workspace.id)),
  create: workspaceProcedure("ADMIN")
    .input(ZApiKeyCreate)
    .mutation(({ ctx, input }) => createApiKey(ctx.tx, ctx.user.id, ctx.workspace.id, { name: input.name, scopes: input.scopes })),
  revoke: workspaceProcedure("ADMIN")
    .input(ZApiKeyRef)
    .mutation(({ ctx, input }) => revokeApiKey(ctx.tx, ctx.user.id, ctx.workspace.id, input.keyId)),
});
