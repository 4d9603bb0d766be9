import { z } from "zod";
import { ZEmail, ZRole, ZWorkspaceName } from "./auth.ts";

export const ZUuid = z.string().uuid("Must be a valid id");
export const ZSlug = z.string().min(1).max(100).regex(/^[a-z0-9-]+$/, "Invalid workspace address");

/** Every workspace-scoped procedure input carries the workspace it acts on. */
export const ZWorkspaceInput = z.object({ workspaceId: ZUuid });
export type TWorkspaceInput = z.infer<typeof ZWorkspaceInput>;

export const ZCreateWorkspace = z.object({ name: ZWorkspaceName, currency: z.string().length(3).toUpperCase().default("USD") });
export type TCreateWorkspace = z.infer<typeof ZCreateWorkspace>;

export const ZInvite = ZWorkspaceInput.extend({ email: ZEmail, role: ZRole });
export type TInvite = z.infer<typeof ZInvite>;

export const ZAcceptInvite = z.object({ token: z.string().min(20).max(200) });

export const ZChangeRole = ZWorkspaceInput.extend({ userId: ZUuid, role: ZRole });
export const ZRemoveMember = ZWorkspaceInput.extend({ userId: ZUuid });
export const ZRevokeInvite = ZWorkspaceInput.extend({ invitationId: ZUuid });

export const ZWorkspaceSettings = ZWorkspaceInput.extend({
  name: ZWorkspaceName,
  timezone: z.string().min(1).max(64).refine((tz) => {
    try {
      new Intl.DateTimeFormat("en-US", { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  }, "Unknown time zone"),
  marginRate: z.number().min(0, "Margin rate must be between 0 and 1").max(1, "Margin rate must be between 0 and 1"),
});
