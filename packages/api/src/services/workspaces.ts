import { createWorkspaceInTx } from "@valuelens/auth";
import { withUser, type PrismaClient, type Tx } from "@valuelens/db";
import type { TRole } from "@valuelens/validators";
import { DomainError } from "./domain-error.ts";

export interface WorkspaceSummary {
  id: string;
  name: string;
  slug: string;
  role: TRole;
}

/** The workspaces a user belongs to (RLS: only their own memberships are visible). */
export function listMyWorkspaces(prisma: PrismaClient, userId: string): Promise<WorkspaceSummary[]> {
  return withUser(prisma, userId, async (tx) => {
    const rows = await tx.membership.findMany({
      where: { userId },
      select: { role: true, workspace: { select: { id: true, name: true, slug: true } } },
      orderBy: { createdAt: "asc" },
    });
    return rows.map((r) => ({ ...r.workspace, role: r.role }));
  });
}

export async function getWorkspaceBySlug(prisma: PrismaClient, userId: string, slug: string): Promise<WorkspaceSummary> {
  const all = await listMyWorkspaces(prisma, userId);
  const ws = all.find((w) => w.slug === slug);
  if (!ws) throw new DomainError("NOT_FOUND", "Workspace not found.");
  return ws;
}

export function createWorkspace(
  prisma: PrismaClient,
  userId: string,
  input: { name: string; currency: string },
): Promise<{ id: string; slug: string }> {
  return withUser(prisma, userId, (tx) => createWorkspaceInTx(tx, { name: input.name, currency: input.currency, ownerId: userId }));
}

export async function getWorkspaceSettings(tx: Tx, workspaceId: string) {
  const ws = await tx.workspace.findUnique({
    where: { id: workspaceId },
    select: { id: true, name: true, slug: true, currency: true, timezone: true, marginRate: true, purchaseModel: true, createdAt: true },
  });
  if (!ws) throw new DomainError("NOT_FOUND", "Workspace not found.");
  return { ...ws, marginRate: Number(ws.marginRate) };
}

export async function updateWorkspaceSettings(
  tx: Tx,
  actorId: string,
  workspaceId: string,
  input: { name: string; timezone: string; marginRate: number },
) {
  const before = await getWorkspaceSettings(tx, workspaceId);
  await tx.workspace.update({
    where: { id: workspaceId },
    data: { name: input.name, timezone: input.timezone, marginRate: input.marginRate },
    select: { id: true },
  });
  if (before.timezone !== input.timezone || before.marginRate !== input.marginRate) {
    // Month buckets and margins depend on these: rebuild the rollups from raw orders, in SQL.
    await tx.$executeRaw`SELECT vl_rebuild_summaries(${workspaceId}::uuid)`;
  }
  await tx.auditLog.create({
    data: { workspaceId, actorUserId: actorId, action: "workspace.settings_updated", details: { before, after: input } },
    select: { id: true },
  });
  return getWorkspaceSettings(tx, workspaceId);
}
