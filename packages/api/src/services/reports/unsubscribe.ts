import { createHmac, timingSafeEqual } from "node:crypto";
import { withWorkspace, type PrismaClient } from "@valuelens/db";
import { apiEnv } from "../../env.ts";
import { log } from "../../log.ts";
import { DomainError } from "../domain-error.ts";

interface Claims {
  w: string;
  s: string;
  e: string;
}

function secret(): string | null {
  return apiEnv().AUTH_SECRET ?? null;
}

function sign(payload: string, key: string): string {
  return createHmac("sha256", key).update(`unsubscribe.${payload}`).digest("base64url");
}

/** A link token that lets one address leave one schedule; null when no signing secret is configured. */
export function unsubscribeToken(workspaceId: string, scheduleId: string, email: string): string | null {
  const key = secret();
  if (!key) return null;
  const payload = Buffer.from(JSON.stringify({ w: workspaceId, s: scheduleId, e: email.toLowerCase() } satisfies Claims)).toString("base64url");
  return `${payload}.${sign(payload, key)}`;
}

export function unsubscribeUrl(appUrl: string, workspaceId: string, scheduleId: string, email: string): string | null {
  const t = unsubscribeToken(workspaceId, scheduleId, email);
  return t ? `${appUrl}/unsubscribe?t=${t}` : null;
}

function verify(token: string): Claims {
  const key = secret();
  const [payload, mac] = token.split(".");
  if (!key || !payload || !mac) throw new DomainError("BAD_REQUEST", "This unsubscribe link is not valid.");
  const expected = Buffer.from(sign(payload, key));
  const given = Buffer.from(mac);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw new DomainError("BAD_REQUEST", "This unsubscribe link is not valid.");
  const c = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Partial<Claims>;
  if (typeof c.w !== "string" || typeof c.s !== "string" || typeof c.e !== "string") throw new DomainError("BAD_REQUEST", "This unsubscribe link is not valid.");
  return { w: c.w, s: c.s, e: c.e };
}

/** What a link would unsubscribe (for the confirmation page). */
export async function describeUnsubscribe(prisma: PrismaClient, token: string): Promise<{ email: string; report: string; workspace: string; subscribed: boolean }> {
  const c = verify(token);
  return withWorkspace(prisma, c.w, async (tx) => {
    const s = await tx.reportSchedule.findUnique({ where: { workspaceId_id: { workspaceId: c.w, id: c.s } }, select: { name: true, recipients: true, workspace: { select: { name: true } } } });
    if (!s) throw new DomainError("NOT_FOUND", "This report no longer exists.");
    return { email: c.e, report: s.name, workspace: s.workspace.name, subscribed: s.recipients.includes(c.e) };
  });
}

/** One click: removes the address from the schedule's recipients (idempotent) and records it. */
export async function unsubscribe(prisma: PrismaClient, token: string): Promise<{ email: string; report: string }> {
  const c = verify(token);
  return withWorkspace(prisma, c.w, async (tx) => {
    const s = await tx.reportSchedule.findUnique({ where: { workspaceId_id: { workspaceId: c.w, id: c.s } }, select: { name: true } });
    if (!s) throw new DomainError("NOT_FOUND", "This report no longer exists.");
    const removed = await tx.$executeRaw`
      UPDATE report_schedules SET recipients = array_remove(recipients, ${c.e}), updated_at = now()
       WHERE workspace_id = ${c.w}::uuid AND id = ${c.s}::uuid AND ${c.e} = ANY(recipients)`;
    if (removed > 0) {
      await tx.auditLog.create({ data: { workspaceId: c.w, action: "report.unsubscribed", target: c.s, details: { email: c.e } }, select: { id: true } });
      log("report.unsubscribed", { workspaceId: c.w, scheduleId: c.s });
    }
    return { email: c.e, report: s.name };
  });
}
