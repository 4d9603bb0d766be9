import { createHmac, timingSafeEqual } from "node:crypto";
import { withWorkspace, type PrismaClient } from "@valuelens/db";
import { apiEnv } from "../../env.ts";
import { log } from "../../log.ts";
import { DomainError } from "../domain-error.ts";

interface Claims {
  w: string;
  s: string;
  e: string;
  /** Expiry, seconds since the epoch. */
  x: number;
}

/** How long an emailed unsubscribe link works (a year of weekly reports; older mail points to the Reports page). */
export const UNSUBSCRIBE_TTL_MS = 365 * 86_400_000;

function secret(): string | null {
  return apiEnv().AUTH_SECRET ?? null;
}

function sign(payload: string, key: string): string {
  return createHmac("sha256", key).update(`unsubscribe.${payload}`).digest("base64url");
}

/** A link token that lets one address leave one schedule until it expires; null when no signing secret is configured. */
export function unsubscribeToken(workspaceId: string, scheduleId: string, email: string, now = new Date()): string | null {
  const key = secret();
  if (!key) return null;
  const claims: Claims = { w: workspaceId, s: scheduleId, e: email.toLowerCase(), x: Math.floor((now.getTime() + UNSUBSCRIBE_TTL_MS) / 1000) };
  const payload = Buffer.from(JSON.stringify(claims)).toString("base64url");
  return `${payload}.${sign(payload, key)}`;
}

/**
 * The two ways out of a report, both carrying the same signed token: the confirmation page linked
 * from the email body (a GET never unsubscribes: mail scanners follow links), and the RFC 8058
 * one-click endpoint named in List-Unsubscribe, which mail clients POST to.
 */
export function unsubscribeLinks(appUrl: string, workspaceId: string, scheduleId: string, email: string, now = new Date()): { page: string; oneClick: string } | null {
  const t = unsubscribeToken(workspaceId, scheduleId, email, now);
  return t ? { page: `${appUrl}/unsubscribe?t=${t}`, oneClick: `${appUrl}/api/reports/unsubscribe?t=${t}` } : null;
}

function verify(token: string, now = new Date()): Claims {
  const key = secret();
  const [payload, mac] = token.split(".");
  if (!key || !payload || !mac) throw new DomainError("BAD_REQUEST", "This unsubscribe link is not valid.");
  const expected = Buffer.from(sign(payload, key));
  const given = Buffer.from(mac);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw new DomainError("BAD_REQUEST", "This unsubscribe link is not valid.");
  const c = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Partial<Claims>;
  if (typeof c.w !== "string" || typeof c.s !== "string" || typeof c.e !== "string" || typeof c.x !== "number") {
    throw new DomainError("BAD_REQUEST", "This unsubscribe link is not valid.");
  }
  if (c.x * 1000 < now.getTime()) {
    throw new DomainError("BAD_REQUEST", "This unsubscribe link has expired. Sign in and manage your subscriptions on the Reports page, or use the link in a newer report.");
  }
  return { w: c.w, s: c.s, e: c.e, x: c.x };
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
