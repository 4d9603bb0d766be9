/**
 * The background worker: a pg-boss (10.4.2, Node 20) queue of per-workspace recompute jobs.
 * - Every WORKER_SCAN_MS each worker looks for due workspaces (scan.ts) and enqueues one job per
 *   workspace with singletonKey = workspace id on a "stately" queue: at most one queued and one
 *   active job per workspace, however many workers or scans there are.
 * - A nightly cron job enqueues every workspace.
 * - Jobs are idempotent: recomputeWorkspace takes pg_try_advisory_xact_lock(hashtext(workspace)) and
 *   a second concurrent run exits as a no-op; the ModelRun ledger records every run. A job that ran
 *   twice (pg-boss#555) just replaces the scores with the same result.
 * Graceful shutdown on SIGTERM/SIGINT: stop scanning, let the active job finish (30 s), close pools.
 */
import { createDb, getDb, closeDb } from "@valuelens/db";
import { log, logError } from "@valuelens/api/log";
import { recomputeWorkspace } from "@valuelens/api/recompute";
import { failInterruptedImportsEverywhere } from "@valuelens/api/import-recovery";
import { runRequestedRebuild } from "@valuelens/api/services";
import PgBoss from "pg-boss";
import { z } from "zod";
import { workerEnv } from "./env.ts";
import { startReportQueue } from "./reports.ts";
import { allWorkspaces, findDueWorkspaces } from "./scan.ts";

const RECOMPUTE = "recompute";
const NIGHTLY = "recompute-nightly";
const ZJob = z.object({ workspaceId: z.string().uuid(), triggeredBy: z.string().max(40).default("worker") });

const env = workerEnv();
const ownerUrl = env.DATABASE_OWNER_URL ?? env.DATABASE_URL;
const owner = createDb(ownerUrl, { max: 2, log: (e, f) => log(e, f) });
const app = getDb((e, f) => log(e, f));

const boss = new PgBoss({ connectionString: ownerUrl, schema: "pgboss", max: 4, application_name: "valuelens-worker" });
boss.on("error", (err: Error) => logError("worker.queue_error", { error: err }));

let stopping = false;
let scanTimer: NodeJS.Timeout | null = null;
let stopReports: (() => void) | null = null;

async function enqueue(workspaceId: string, triggeredBy: string): Promise<void> {
  await boss.send(RECOMPUTE, { workspaceId, triggeredBy }, { singletonKey: workspaceId });
}

async function scan(): Promise<void> {
  if (stopping) return;
  try {
    // Imports whose process died (no heartbeat for a minute) are marked FAILED: at start-up and on
    // every scan, from any worker (a live import keeps its heartbeat fresh and is never touched).
    const interrupted = await failInterruptedImportsEverywhere(owner.prisma, app.prisma).catch((e: unknown) => {
      logError("worker.import_sweep_failed", { error: e });
      return 0;
    });
    if (interrupted > 0) log("worker.imports_interrupted", { count: interrupted });
    for (const d of await findDueWorkspaces(owner.prisma, env.RECOMPUTE_DEBOUNCE_MS)) {
      await enqueue(d.id, d.why === "queued" ? "manual" : d.why === "stale" ? "data-change" : "initial");
    }
  } catch (e) {
    logError("worker.scan_failed", { error: e });
  } finally {
    if (!stopping) scanTimer = setTimeout(() => void scan(), env.WORKER_SCAN_MS);
  }
}

async function main(): Promise<void> {
  await boss.start();
  await boss.createQueue(RECOMPUTE, { name: RECOMPUTE, policy: "stately", retryLimit: 2, retryDelay: 30, expireInSeconds: 3600 });
  await boss.createQueue(NIGHTLY, { name: NIGHTLY, policy: "short" });
  await boss.schedule(NIGHTLY, env.RECOMPUTE_CRON, {}, { tz: "UTC" });

  await boss.work(RECOMPUTE, { batchSize: 1, pollingIntervalSeconds: 1 }, async ([job]) => {
    if (!job) return;
    const data = ZJob.parse(job.data);
    // A large workspace's time-zone or margin change left its summaries to rebuild here, first.
    const rebuild = await runRequestedRebuild(app.prisma, data.workspaceId);
    if (rebuild.rebuilt) log("worker.summaries_rebuilt", { jobId: job.id, workspaceId: data.workspaceId, durationMs: rebuild.ms });
    // After data writes: rescore the changed customers with the last fit (falls back to a fast full
    // refresh when that is not sound, see recompute/incremental.ts); nightly, manual, first, or after a
    // rebuild (every margin and month moved; the derived rollups need it too): a full run.
    const mode = data.triggeredBy === "data-change" && !rebuild.rebuilt ? "incremental" : "full";
    const triggeredBy = rebuild.rebuilt ? "settings-change" : data.triggeredBy;
    const out = await recomputeWorkspace(app.prisma, data.workspaceId, { triggeredBy, mode });
    log("worker.job_done", { jobId: job.id, workspaceId: data.workspaceId, status: out.status });
    if (out.status === "failed") throw new Error(out.error);
  });
  await boss.work(NIGHTLY, async () => {
    const ids = await allWorkspaces(owner.prisma);
    for (const id of ids) await enqueue(id, "nightly");
    log("worker.nightly_enqueued", { workspaces: ids.length });
  });
  log("worker.ready", { scanMs: env.WORKER_SCAN_MS, debounceMs: env.RECOMPUTE_DEBOUNCE_MS, cron: env.RECOMPUTE_CRON });
  void scan();
  stopReports = await startReportQueue({ boss, owner: owner.prisma, app: app.prisma, intervalMs: env.REPORT_SCAN_MS, isStopping: () => stopping });
}

async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log("worker.stopping", { signal });
  if (scanTimer) clearTimeout(scanTimer);
  stopReports?.();
  await boss.stop({ graceful: true, timeout: 30_000, wait: true }).catch((e: unknown) => logError("worker.stop_failed", { error: e }));
  await owner.close().catch(() => undefined);
  await closeDb().catch(() => undefined);
  log("worker.stopped");
  process.exit(0);
}
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));

main().catch((e: unknown) => {
  logError("worker.crashed", { error: e });
  process.exit(1);
});
