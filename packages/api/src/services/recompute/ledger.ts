import type { PrismaClient } from "@valuelens/db";

/**
 * The run ledger's progress writes. They must be visible while the recompute transaction is still
 * open (it holds the workspace's advisory lock until it commits), so each one is its own short
 * transaction on another pooled connection, RLS-scoped like withWorkspace (set_config(..., true)
 * in the same transaction). Never called for a row the main transaction has already written.
 */
export async function ledgerExec(prisma: PrismaClient, workspaceId: string, sql: (p: PrismaClient) => ReturnType<PrismaClient["$executeRaw"]>): Promise<void> {
  await prisma.$transaction([prisma.$executeRaw`SELECT set_config('app.current_workspace', ${workspaceId}, true)`, sql(prisma)]);
}

/** Claims the oldest queued run (from "Recompute now") or opens a new one; other queued runs are merged into it. */
export async function claimRun(prisma: PrismaClient, workspaceId: string, modelKind: string, triggeredBy: string): Promise<string> {
  const [, claimed] = await prisma.$transaction([
    prisma.$executeRaw`SELECT set_config('app.current_workspace', ${workspaceId}, true)`,
    prisma.$queryRaw<{ id: string }[]>`
      WITH q AS (
        SELECT id FROM model_runs WHERE workspace_id = ${workspaceId}::uuid AND status = 'queued' ORDER BY started_at, id LIMIT 1
      ), upd AS (
        UPDATE model_runs m SET status = 'running', step = 'starting', progress = 0, model_kind = ${modelKind}, started_at = now()
          FROM q WHERE m.workspace_id = ${workspaceId}::uuid AND m.id = q.id RETURNING m.id
      ), ins AS (
        INSERT INTO model_runs (workspace_id, model_kind, status, step, triggered_by)
        SELECT ${workspaceId}::uuid, ${modelKind}, 'running', 'starting', ${triggeredBy}
         WHERE NOT EXISTS (SELECT 1 FROM upd) RETURNING id
      )
      SELECT id::text FROM upd UNION ALL SELECT id::text FROM ins`,
  ]);
  const id = claimed[0]?.id;
  if (!id) throw new Error("could not open a model run");
  await ledgerExec(
    prisma,
    workspaceId,
    (p) => p.$executeRaw`UPDATE model_runs SET status = 'skipped', reason = ${"Merged into run " + id}, finished_at = now()
                          WHERE workspace_id = ${workspaceId}::uuid AND status = 'queued' AND id <> ${id}::uuid`,
  );
  // The caller holds the workspace's advisory lock, so no other run is really running: any row still
  // "running" belongs to a worker that died mid-run (its transaction rolled back). Close it.
  await ledgerExec(
    prisma,
    workspaceId,
    (p) => p.$executeRaw`UPDATE model_runs SET status = 'failed', error = 'Interrupted (the worker stopped before finishing).', finished_at = now()
                          WHERE workspace_id = ${workspaceId}::uuid AND status = 'running' AND id <> ${id}::uuid`,
  );
  return id;
}

export function setProgress(prisma: PrismaClient, workspaceId: string, runId: string, step: string, progress: number): Promise<void> {
  return ledgerExec(
    prisma,
    workspaceId,
    (p) => p.$executeRaw`UPDATE model_runs SET step = ${step}, progress = ${Math.round(progress)}
                          WHERE workspace_id = ${workspaceId}::uuid AND id = ${runId}::uuid`,
  );
}

export function failRun(prisma: PrismaClient, workspaceId: string, runId: string, error: string, durationMs: number): Promise<void> {
  return ledgerExec(
    prisma,
    workspaceId,
    (p) => p.$executeRaw`UPDATE model_runs SET status = 'failed', error = ${error.slice(0, 2000)}, finished_at = now(), duration_ms = ${durationMs}
                          WHERE workspace_id = ${workspaceId}::uuid AND id = ${runId}::uuid`,
  );
}
