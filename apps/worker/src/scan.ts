import type { PrismaClient } from "@valuelens/db";

export interface Due {
  id: string;
  why: "stale" | "queued" | "never";
}

/**
 * Workspaces that need a recompute: data written and quiet for `debounceMs` (metrics_stale_at is set
 * in the same transaction as every write, so the "enqueue" is transactional: an outbox), an ADMIN's
 * queued "Recompute now" run, or never scored at all (a fresh seed or sign-up). Runs as the owner
 * role (policy worker_scan, vl_is_owner()); returns ids only. Order = the order jobs are enqueued and
 * run in: someone's "Recompute now" first, then the most recently written or created workspaces (the
 * people most likely looking at them right now; after a restart with many due workspaces, a fresh
 * sign-up or import is not queued behind hundreds of idle ones).
 */
export async function findDueWorkspaces(owner: PrismaClient, debounceMs: number): Promise<Due[]> {
  return owner.$queryRaw<Due[]>`
    SELECT w.id::text AS id,
           CASE WHEN EXISTS (SELECT 1 FROM model_runs r WHERE r.workspace_id = w.id AND r.status = 'queued') THEN 'queued'
                WHEN NOT EXISTS (SELECT 1 FROM model_runs r WHERE r.workspace_id = w.id) THEN 'never'
                ELSE 'stale' END AS why
      FROM workspaces w
     WHERE (w.metrics_stale_at IS NOT NULL AND w.metrics_stale_at < now() - make_interval(secs => ${debounceMs / 1000}))
        OR EXISTS (SELECT 1 FROM model_runs r WHERE r.workspace_id = w.id AND r.status = 'queued')
        OR NOT EXISTS (SELECT 1 FROM model_runs r WHERE r.workspace_id = w.id)
     ORDER BY EXISTS (SELECT 1 FROM model_runs r WHERE r.workspace_id = w.id AND r.status = 'queued') DESC,
              greatest(w.metrics_stale_at, w.created_at) DESC`;
}

export async function allWorkspaces(owner: PrismaClient): Promise<string[]> {
  const rows = await owner.$queryRaw<{ id: string }[]>`SELECT id::text AS id FROM workspaces`;
  return rows.map((r) => r.id);
}
