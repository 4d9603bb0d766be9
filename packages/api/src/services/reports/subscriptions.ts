/**
 * A member's own report subscriptions: any role sees the workspace's schedules and adds or removes
 * their own sign-in address — never anyone else's. Admins set each schedule's recipients (the
 * workspace's defaults) on the same rows; a member's choice edits only their own address there.
 */
import type { Tx } from "@valuelens/db";
import { DomainError } from "../domain-error.ts";
import { REPORT_MAX_RECIPIENTS as MAX_RECIPIENTS } from "@valuelens/validators";
import { nextSendAt } from "./schedule.ts";

export interface MySubscription {
  id: string;
  name: string;
  dayOfWeek: number;
  localTime: string;
  timezone: string;
  sections: string[];
  paused: boolean;
  nextSendAt: Date | null;
  subscribed: boolean;
}

export async function listMySubscriptions(tx: Tx, workspaceId: string, email: string): Promise<MySubscription[]> {
  const me = email.trim().toLowerCase();
  const rows = await tx.reportSchedule.findMany({
    where: { workspaceId },
    select: { id: true, name: true, dayOfWeek: true, localTime: true, timezone: true, sections: true, paused: true, recipients: true },
    orderBy: { createdAt: "asc" },
  });
  const now = new Date();
  return rows.map(({ recipients, ...r }) => ({
    ...r,
    nextSendAt: r.paused ? null : nextSendAt(r, now),
    subscribed: recipients.some((x) => x.toLowerCase() === me),
  }));
}

/** Adds or removes the caller's own address (idempotent); recorded in the audit log when it changed something. */
export async function setMySubscription(
  tx: Tx,
  user: { id: string; email: string },
  workspaceId: string,
  scheduleId: string,
  subscribed: boolean,
): Promise<{ subscribed: boolean }> {
  const me = user.email.trim().toLowerCase();
  const s = await tx.reportSchedule.findUnique({ where: { workspaceId_id: { workspaceId, id: scheduleId } }, select: { recipients: true } });
  if (!s) throw new DomainError("NOT_FOUND", "Report schedule not found.");
  if (subscribed && !s.recipients.some((r) => r.toLowerCase() === me) && s.recipients.length >= MAX_RECIPIENTS) {
    throw new DomainError("BAD_REQUEST", `This report already has ${MAX_RECIPIENTS} recipients, the most one schedule can have. Ask an admin to split it.`);
  }
  const changed = subscribed
    ? await tx.$executeRaw`
        UPDATE report_schedules SET recipients = array_append(coalesce(recipients, '{}'), ${me}), updated_at = now()
         WHERE workspace_id = ${workspaceId}::uuid AND id = ${scheduleId}::uuid
           AND NOT EXISTS (SELECT 1 FROM unnest(coalesce(recipients, '{}')) r WHERE lower(r) = ${me})`
    : await tx.$executeRaw`
        UPDATE report_schedules SET recipients = ARRAY(SELECT r FROM unnest(recipients) r WHERE lower(r) <> ${me}), updated_at = now()
         WHERE workspace_id = ${workspaceId}::uuid AND id = ${scheduleId}::uuid
           AND EXISTS (SELECT 1 FROM unnest(coalesce(recipients, '{}')) r WHERE lower(r) = ${me})`;
  if (changed > 0) {
    await tx.auditLog.create({
      data: { workspaceId, actorUserId: user.id, action: subscribed ? "report.subscribed" : "report.unsubscribed", target: scheduleId, details: { email: me, via: "member" } },
      select: { id: true },
    });
  }
  return { subscribed };
}
