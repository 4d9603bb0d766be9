import { z } from "zod";
import {
  ZChangeRole,
  ZCreateWorkspace,
  ZInvite,
  ZRemoveMember,
  ZRevokeInvite,
  ZSlug,
  ZWorkspaceSettings,
} from "@valuelens/validators";
import {
  changeMemberRole,
  createWorkspace,
  getWorkspaceBySlug,
  getWorkspaceSettings,
  inviteMember,
  listMembers,
  listMyWorkspaces,
  removeMember,
  revokeInvitation,
  updateWorkspaceSettings,
} from "../services/index.ts";
import { protectedProcedure, router, workspaceProcedure } from "../trpc.ts";

export const workspaceRouter = router({
  list: protectedProcedure.query(({ ctx }) => listMyWorkspaces(ctx.prisma, ctx.user.id)),
  bySlug: protectedProcedure.input(z.object({ slug: ZSlug })).query(({ ctx, input }) => getWorkspaceBySlug(ctx.prisma, ctx.user.id, input.slug)),
  create: protectedProcedure.input(ZCreateWorkspace).mutation(({ ctx, input }) => createWorkspace(ctx.prisma, ctx.user.id, input)),

  settings: workspaceProcedure("VIEWER").query(({ ctx }) => getWorkspaceSettings(ctx.tx, ctx.workspace.id)),
  updateSettings: workspaceProcedure("ADMIN")
    .input(ZWorkspaceSettings)
    .mutation(({ ctx, input }) => updateWorkspaceSettings(ctx.tx, ctx.user.id, ctx.workspace.id, input)),

  members: workspaceProcedure("VIEWER").query(({ ctx }) => listMembers(ctx.tx, ctx.workspace.id)),
  invite: workspaceProcedure("ADMIN")
    .input(ZInvite)
    .mutation(({ ctx, input }) =>
      inviteMember(ctx.tx, { id: ctx.user.id, role: ctx.role, name: ctx.user.name, email: ctx.user.email }, ctx.workspace, input),
    ),
  revokeInvite: workspaceProcedure("ADMIN")
    .input(ZRevokeInvite)
    .mutation(({ ctx, input }) => revokeInvitation(ctx.tx, ctx.user.id, ctx.workspace.id, input.invitationId)),
  changeRole: workspaceProcedure("ADMIN")
    .input(ZChangeRole)
    .mutation(({ ctx, input }) => changeMemberRole(ctx.tx, { id: ctx.user.id, role: ctx.role }, ctx.workspace.id, input)),
  removeMember: workspaceProcedure("ADMIN")
    .input(ZRemoveMember)
    .mutation(({ ctx, input }) => removeMember(ctx.tx, { id: ctx.user.id, role: ctx.role }, ctx.workspace.id, input.userId)),
  leave: workspaceProcedure("VIEWER").mutation(({ ctx }) =>
    removeMember(ctx.tx, { id: ctx.user.id, role: ctx.role }, ctx.workspace.id, ctx.user.id),
  ),
  auditLog: workspaceProcedure("ADMIN")
    .input(z.object({ limit: z.number().int().min(1).max(200).default(50) }))
    .query(({ ctx, input }) =>
      ctx.tx.auditLog.findMany({
        where: { workspaceId: ctx.workspace.id },
        select: { id: true, action: true, target: true, actorUserId: true, createdAt: true, details: true },
        orderBy: { createdAt: "desc" },
        take: input.limit,
      }),
    ),
});
