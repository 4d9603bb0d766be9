import { withWorkspace, type PrismaClient } from "@valuelens/db";
import { failInterruptedImports, STALE_AFTER_MS } from "./service.ts";

/**
 * Start-up (and periodic) sweep across every workspace: imports whose process died — RUNNING or
 * QUEUED with no heartbeat for STALE_AFTER_MS — are marked FAILED ("interrupted"). The owner role
 * only finds the workspaces (read-only worker_scan policy on import_jobs); each is then marked by the
 * app role inside that workspace's tenant transaction. Returns how many jobs were marked.
 */
export async function failInterruptedImportsEverywhere(owner: PrismaClient, app: PrismaClient): Promise<number> {
  const rows = await owner.$queryRaw<{ id: string }[]>`
    SELECT DISTINCT workspace_id::text AS id FROM import_jobs
     WHERE status IN ('RUNNING', 'QUEUED')
       AND coalesce(heartbeat_at, started_at, created_at) < now() - make_interval(secs => ${STALE_AFTER_MS / 1000})`;
  let n = 0;
  for (const { id } of rows) n += await withWorkspace(app, id, (tx) => failInterruptedImports(tx, id));
  return n;
}
