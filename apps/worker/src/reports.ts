/**
 * Weekly reports in the worker: every REPORT_SCAN_MS, find due reports across workspaces (owner's
 * read-only scan) and deliver each as the app role; then retry deliveries whose back-off elapsed.
 * Delivery is idempotent per (schedule, week, recipient), so several workers can run this loop.
 */
import type { PrismaClient } from "@valuelens/db";
import { log, logError } from "@valuelens/api/log";
import { deliverScheduledReport, findDueReports, findWorkspacesWithDeliveriesDue, sendDueDeliveries } from "@valuelens/api/reports";

export function startReportLoop(opts: { owner: PrismaClient; app: PrismaClient; intervalMs: number; isStopping: () => boolean }): () => void {
  let timer: NodeJS.Timeout | null = null;
  const tick = async () => {
    if (opts.isStopping()) return;
    try {
      const now = new Date();
      for (const d of await findDueReports(opts.owner, now)) {
        if (opts.isStopping()) break;
        const res = await deliverScheduledReport(opts.app, d);
        log("worker.report_sent", { workspaceId: d.workspaceId, scheduleId: d.scheduleId, period: d.periodStart, created: res.created, ...res.counts });
      }
      for (const ws of await findWorkspacesWithDeliveriesDue(opts.owner, now)) {
        if (opts.isStopping()) break;
        const counts = await sendDueDeliveries(opts.app, ws);
        if (counts.sent + counts.outbox + counts.failed > 0) log("worker.report_retries", { workspaceId: ws, ...counts });
      }
    } catch (e) {
      logError("worker.report_scan_failed", { error: e });
    } finally {
      if (!opts.isStopping()) timer = setTimeout(() => void tick(), opts.intervalMs);
    }
  };
  void tick();
  return () => {
    if (timer) clearTimeout(timer);
  };
}
