import { withWorkspace, type PrismaClient } from "@valuelens/db";
import { log } from "../../log.ts";
import { flushDeferred } from "./engine.ts";
import { failInterruptedImports, STALE_AFTER_MS } from "./service.ts";

/**
 * Start-up (and periodic) sweep across every workspace: imports whose process died — RUNNING or
 * QUEUED with no heartbeat for STALE_AFTER_MS — are marked FAILED ("interrupted"). The owner role
 * only finds the workspaces (read-only worker_scan policies); each is then handled by the app role
 * inside that workspace's tenant transaction. Then the summaries a dead import left deferred (its
 * committed chunks' customers, summary_deferred) are refreshed, in every workspace where no live
 * import is running (a live import flushes its own at its end). Returns how many jobs were marked.
 */
export async function failInterruptedImportsEverywhere(owner: PrismaClient, app: PrismaClient): Promise<number> {
  const rows = await owner.$queryRaw<{ id: string }[]>`
    SELECT DISTINCT workspace_id::text AS id FROM import_jobs
     WHERE status IN ('RUNNING', 'QUEUED')
       AND coalesce(heartbeat_at, started_at, created_at) < now() - make_interval(secs => ${STALE_AFTER_MS / 1000})`;
  let n = 0;
  for (const { id } of rows) n += await withWorkspace(app, id, (tx) => failInterruptedImports(tx, id));
  const deferred = await owner.$queryRaw<{ id: string }[]>`
    SELECT DISTINCT d.workspace_id::text AS id FROM summary_deferred d
     WHERE NOT EXISTS (SELECT 1 FROM import_jobs j WHERE j.workspace_id = d.workspace_id AND j.status IN ('RUNNING', 'QUEUED'))`;
  for (const { id } of deferred) {
    const refreshed = await flushDeferred(app, id, { workspaceId: id });
    if (refreshed > 0) log("import.deferred_summaries_refreshed", { workspaceId: id, customers: refreshed });
  }
  return n;
}
