import { createWorkspaceInTx } from "@valuelens/auth";
import { rebuildFromOrders, withUser, withWorkspace, type PrismaClient, type Tx } from "@valuelens/db";
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
    select: { id: true, name: true, slug: true, currency: true, timezone: true, marginRate: true, purchaseModel: true, createdAt: true, summariesRebuildAt: true },
  });
  if (!ws) throw new DomainError("NOT_FOUND", "Workspace not found.");
  const { summariesRebuildAt, ...rest } = ws;
  /** Set while the worker re-derives months, weeks and margins after a time-zone or margin change. */
  return { ...rest, marginRate: Number(ws.marginRate), rebuildPendingSince: summariesRebuildAt };
}

/**
 * Up to this many orders a time-zone or margin change rebuilds the summaries inside its own request
 * (≈ 12 µs per order: well under a second, BENCHMARKS.md "Session 8: the repair rebuild at 1M");
 * above it the rebuild would pass the request's 30 s statement limit (1M customers / 9.6M orders:
 * ≈ 2 min), so the change is saved at once and the worker rebuilds in the background.
 */
export const INLINE_REBUILD_MAX_ORDERS = 100_000;
/** Statement limit of a background rebuild (the app role's default is 30 s). */
const BACKGROUND_REBUILD_STATEMENT_TIMEOUT = "30min";

export async function updateWorkspaceSettings(
  tx: Tx,
  actorId: string,
  workspaceId: string,
  input: { name: string; timezone: string; marginRate: number },
) {
  const { rebuildPendingSince: _pending, ...before } = await getWorkspaceSettings(tx, workspaceId);
  await tx.workspace.update({
    where: { id: workspaceId },
    data: { name: input.name, timezone: input.timezone, marginRate: input.marginRate },
    select: { id: true },
  });
  let rebuild: "none" | "done" | "queued" = "none";
  if (before.timezone !== input.timezone || before.marginRate !== input.marginRate) {
    // Month / week buckets and margins depend on these: rebuild them from raw orders, in SQL — here
    // for a small workspace, by the worker (runRequestedRebuild) for a large one. The workspace row,
    // updated above, stays locked until this commits, so writes that mark it stale wait for it.
    const [stats] = await tx.$queryRaw<{ orders: number }[]>`SELECT orders FROM workspace_stats WHERE workspace_id = ${workspaceId}::uuid`;
    if ((stats?.orders ?? 0) <= INLINE_REBUILD_MAX_ORDERS) {
      await tx.$executeRaw`SELECT vl_rebuild_summaries(${workspaceId}::uuid)`;
      rebuild = "done";
    } else {
      await tx.$executeRaw`UPDATE workspaces SET summaries_rebuild_at = now(), metrics_stale_at = now() WHERE id = ${workspaceId}::uuid`;
      rebuild = "queued";
    }
  }
  await tx.auditLog.create({
    data: { workspaceId, actorUserId: actorId, action: "workspace.settings_updated", details: { before, after: input, rebuild } },
    select: { id: true },
  });
  return getWorkspaceSettings(tx, workspaceId);
}

/**
 * The worker's half of a large workspace's settings change: if a rebuild is pending, re-derive the
 * summaries, months, weeks and margins from raw orders (rebuildFromOrders: vl_rebuild_summaries split by
 * customer range over two connections that read this transaction's snapshot) and clear the request in
 * the same transaction. The workspace row is locked first (FOR NO KEY UPDATE), so a settings change
 * or a write marking the workspace stale waits until the rebuild commits instead of racing it; a
 * request made during the rebuild (another settings change) therefore comes after it and is run next
 * time. The workspace is marked stale so its predictions are recomputed on the new figures.
 */
export async function runRequestedRebuild(prisma: PrismaClient, workspaceId: string): Promise<{ rebuilt: boolean; ms: number }> {
  const started = Date.now();
  const rebuilt = await withWorkspace(
    prisma,
    workspaceId,
    async (tx) => {
      // Every worker job asks; only a pending request takes the lock (writers then wait on it).
      const [pending] = await tx.$queryRaw<{ at: Date | null }[]>`SELECT summaries_rebuild_at AS at FROM workspaces WHERE id = ${workspaceId}::uuid`;
      if (!pending?.at) return false;
      const [row] = await tx.$queryRaw<{ at: Date | null }[]>`
        SELECT summaries_rebuild_at AS at FROM workspaces WHERE id = ${workspaceId}::uuid FOR NO KEY UPDATE`;
      if (!row?.at) return false;
      await tx.$executeRawUnsafe(`SET LOCAL statement_timeout = '${BACKGROUND_REBUILD_STATEMENT_TIMEOUT}'`);
      await rebuildFromOrders(prisma, tx, workspaceId, { minOrders: INLINE_REBUILD_MAX_ORDERS, timeoutMs: 60 * 60_000 });
      await tx.$executeRaw`UPDATE workspaces SET summaries_rebuild_at = NULL, metrics_stale_at = now() WHERE id = ${workspaceId}::uuid`;
      return true;
    },
    { timeoutMs: 60 * 60_000 },
  );
  return { rebuilt, ms: Date.now() - started };
}
