import { z } from "zod";
import { ZUuid, ZWorkspaceInput } from "./workspace.ts";

/** What a workspace API key may do: `read` the GET endpoints, `write` the POST (upsert) endpoints. */
export const API_KEY_SCOPES = ["read", "write"] as const;
export const ZApiKeyScope = z.enum(API_KEY_SCOPES);
export type TApiKeyScope = z.infer<typeof ZApiKeyScope>;

export const ZApiKeyCreate = ZWorkspaceInput.extend({
  name: z.string().trim().min(1, "Name the key (e.g. where it is used)").max(80, "At most 80 characters"),
  scopes: z
    .array(ZApiKeyScope)
    .min(1, "Choose at least one scope")
    .max(10)
    .transform((s) => [...new Set(s)].sort()),
}).strict();
export type TApiKeyCreate = z.infer<typeof ZApiKeyCreate>;

export const ZApiKeyRef = ZWorkspaceInput.extend({ keyId: ZUuid }).strict();
