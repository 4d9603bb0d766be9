import type { PrismaClient } from "@valuelens/db";
import { previousSendAt, reportPeriod } from "./schedule.ts";

/** A scheduled send that has not happened yet, found late by at most this much is still sent. */
export const MISFIRE_GRACE_MS = 24 * 3_600_000;

export interface DueReport {
  workspaceId: string;
  scheduleId: string;
  sendAt: Date;
  periodStart: string;
}

/**
 * Reports due now across workspaces (read-only scan as the owner role, like the recompute scan):
 * the latest slot of each active schedule, if it is after the schedule was created, not older than
 * the grace period, and has no ledger row yet. The send itself is idempotent, so two workers that
 * find the same report send it once.
 */
export async function findDueReports(owner: PrismaClient, now: Date): Promise<DueReport[]> {
  const schedules = await owner.$queryRaw<{ workspace_id: string; id: string; day_of_week: number; local_time: string; timezone: string; created_at: Date }[]>`
    SELECT workspace_id::text, id::text, day_of_week, local_time, timezone, created_at FROM report_schedules WHERE NOT paused`;
  const due: DueReport[] = [];
  for (const s of schedules) {
    let sendAt: Date;
    try {
      sendAt = previousSendAt({ dayOfWeek: s.day_of_week, localTime: s.local_time, timezone: s.timezone }, now);
    } catch {
      continue; // a schedule with a zone this runtime does not know: skipped, visible in its log
    }
    if (sendAt < s.created_at || now.getTime() - sendAt.getTime() > MISFIRE_GRACE_MS) continue;
    due.push({ workspaceId: s.workspace_id, scheduleId: s.id, sendAt, periodStart: reportPeriod(sendAt, s.timezone).periodStart });
  }
  if (due.length === 0) return [];
  const sent = await owner.$queryRaw<{ schedule_id: string; dedupe_key: string }[]>`
    SELECT DISTINCT schedule_id::text, dedupe_key FROM report_deliveries
     WHERE schedule_id = ANY(${due.map((d) => d.scheduleId)}::uuid[]) AND dedupe_key = ANY(${due.map((d) => d.periodStart)}::text[])`;
  const done = new Set(sent.map((r) => `${r.schedule_id}|${r.dedupe_key}`));
  return due.filter((d) => !done.has(`${d.scheduleId}|${d.periodStart}`));
}

/** Workspaces with deliveries to (re)try: pending, failed with back-off elapsed, or stuck sending. */
export async function findWorkspacesWithDeliveriesDue(owner: PrismaClient, now: Date): Promise<string[]> {
  const rows = await owner.$queryRaw<{ id: string }[]>`
    SELECT DISTINCT workspace_id::text AS id FROM report_deliveries
     WHERE status = 'pending'
        OR (status = 'failed' AND next_attempt_at <= ${now})
        OR (status = 'sending' AND created_at < ${new Date(now.getTime() - 10 * 60_000)})`;
  return rows.map((r) => r.id);
}
