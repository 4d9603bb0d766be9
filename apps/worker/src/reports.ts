/**
 * Weekly reports on the same PostgreSQL-backed queue as the recompute (pg-boss): every
 * REPORT_SCAN_MS each worker finds due reports across workspaces (owner's read-only scan) and
 * enqueues one "report" job per schedule and week (singletonKey schedule:week, so scans by several
 * workers enqueue it once), and one "report-retry" job per workspace whose failed deliveries'
 * back-off elapsed. Any worker runs the jobs, as the app role. Delivery itself is idempotent per
 * (schedule, week, recipient): a job that runs twice never sends twice.
 */
import type PgBoss from "pg-boss";
import type { PrismaClient } from "@valuelens/db";
import { log, logError } from "@valuelens/api/log";
import { deliverScheduledReport, findDueReports, findWorkspacesWithDeliveriesDue, sendDueDeliveries } from "@valuelens/api/reports";
import { z } from "zod";

export const REPORT_QUEUE = "report";
export const REPORT_RETRY_QUEUE = "report-retry";

const ZReportJob = z.object({ workspaceId: z.string().uuid(), scheduleId: z.string().uuid(), sendAt: z.coerce.date(), periodStart: z.string().min(1).max(40) });
const ZRetryJob = z.object({ workspaceId: z.string().uuid() });

export async function startReportQueue(opts: { boss: PgBoss; owner: PrismaClient; app: PrismaClient; intervalMs: number; isStopping: () => boolean }): Promise<() => void> {
  const { boss } = opts;
  await boss.createQueue(REPORT_QUEUE, { name: REPORT_QUEUE, policy: "standard", retryLimit: 3, retryDelay: 60, retryBackoff: true, expireInSeconds: 600 });
  await boss.createQueue(REPORT_RETRY_QUEUE, { name: REPORT_RETRY_QUEUE, policy: "stately", retryLimit: 1, expireInSeconds: 600 });
  await boss.work(REPORT_QUEUE, { batchSize: 1, pollingIntervalSeconds: 2 }, async ([job]) => {
    if (!job) return;
    const d = ZReportJob.parse(job.data);
    const res = await deliverScheduledReport(opts.app, d);
    log("worker.report_sent", { jobId: job.id, workspaceId: d.workspaceId, scheduleId: d.scheduleId, period: d.periodStart, created: res.created, ...res.counts });
  });
  await boss.work(REPORT_RETRY_QUEUE, { batchSize: 1, pollingIntervalSeconds: 2 }, async ([job]) => {
    if (!job) return;
    const { workspaceId } = ZRetryJob.parse(job.data);
    const counts = await sendDueDeliveries(opts.app, workspaceId);
    if (counts.sent + counts.outbox + counts.failed > 0) log("worker.report_retries", { jobId: job.id, workspaceId, ...counts });
  });

  let timer: NodeJS.Timeout | null = null;
  const scan = async () => {
    if (opts.isStopping()) return;
    try {
      const now = new Date();
      for (const d of await findDueReports(opts.owner, now)) {
        // The key makes a second scan (or another worker's) a no-op while the job is queued or
        // running; once it ran, the delivery ledger makes a late duplicate send nothing.
        await boss.send(REPORT_QUEUE, { ...d, sendAt: d.sendAt.toISOString() }, { singletonKey: `${d.scheduleId}:${d.periodStart}`, singletonSeconds: 3600 });
      }
      for (const workspaceId of await findWorkspacesWithDeliveriesDue(opts.owner, now)) {
        await boss.send(REPORT_RETRY_QUEUE, { workspaceId }, { singletonKey: workspaceId });
      }
    } catch (e) {
      logError("worker.report_scan_failed", { error: e });
    } finally {
      if (!opts.isStopping()) timer = setTimeout(() => void scan(), opts.intervalMs);
    }
  };
  void scan();
  return () => {
    if (timer) clearTimeout(timer);
  };
}
