import { createHash } from "node:crypto";
import { withWorkspace, type PrismaClient, type Tx } from "@valuelens/db";
import { apiEnv } from "../../env.ts";
import { log, logWarn } from "../../log.ts";
import { DomainError } from "../domain-error.ts";
import { sendMail } from "../mailer.ts";
import { REPORT_SECTIONS, type TReportSection } from "@valuelens/validators";
import { z } from "zod";
import { renderCharts, type InlineImage } from "./charts.ts";
import { buildReportContent, rememberAtRisk } from "./content.ts";
import { renderReport } from "./render.ts";
import { unsubscribeLinks } from "./unsubscribe.ts";
import { reportPeriod } from "./schedule.ts";

/** Attempts before a delivery is given up (back-off 1, 2, 4, 8, 16 min between them). */
export const MAX_ATTEMPTS = 6;
/** A "sending" row older than this was interrupted (process died mid-send) and may be retried. */
const STUCK_MS = 10 * 60_000;

export type DeliveryStatus = "pending" | "sending" | "sent" | "outbox" | "failed";

function messageId(key: string, scheduleId: string, recipient: string): string {
  const r = createHash("sha256").update(recipient.toLowerCase()).digest("hex").slice(0, 16);
  return `<${key}.${scheduleId}.${r}@valuelens>`;
}

/**
 * Writes the ledger rows for one report (schedule + period, or a test) — one per recipient,
 * `ON CONFLICT DO NOTHING` on (workspace, schedule, dedupe key, recipient) — so a duplicated or
 * retried job finds its rows already there and sends nothing new.
 */
export async function prepareDeliveries(
  tx: Tx,
  input: { workspaceId: string; scheduleId: string; sendAt: Date; test?: { recipients: string[] } },
): Promise<{ dedupeKey: string; created: number; skipped?: "paused" | "no-recipients" }> {
  const s = await tx.reportSchedule.findUnique({
    where: { workspaceId_id: { workspaceId: input.workspaceId, id: input.scheduleId } },
    select: { id: true, recipients: true, timezone: true, paused: true, sections: true },
  });
  if (!s) throw new DomainError("NOT_FOUND", "Report schedule not found.");
  const dedupeKey = input.test ? `test-${crypto.randomUUID()}` : reportPeriod(input.sendAt, s.timezone).periodStart;
  if (s.paused && !input.test) return { dedupeKey, created: 0, skipped: "paused" };
  const recipients = [...new Set((input.test?.recipients ?? s.recipients).map((r) => r.trim().toLowerCase()))].filter(Boolean);
  if (recipients.length === 0) return { dedupeKey, created: 0, skipped: "no-recipients" };
  const period = { ...reportPeriod(input.sendAt, s.timezone), timezone: s.timezone };
  const content = await buildReportContent(tx, input.workspaceId, period, { sections: scheduleSections(s.sections), scheduleId: s.id });
  // Charts are the same for every recipient: rendered once, stored with each ledger row so the outbox
  // shows them and a retry sends the same bytes.
  const images = renderCharts(content, `${dedupeKey}.${s.id.slice(0, 8)}`);
  const appUrl = apiEnv().APP_URL;
  let created = 0;
  for (const recipient of recipients) {
    // Rendered per recipient: the unsubscribe links are theirs.
    const links = unsubscribeLinks(appUrl, input.workspaceId, s.id, recipient);
    const mail = renderReport(content, appUrl, { test: Boolean(input.test), unsubscribeUrl: links?.page ?? null, images });
    const rows = await tx.$executeRaw`
      INSERT INTO report_deliveries (workspace_id, schedule_id, dedupe_key, recipient, message_id, subject, html, text, period_from, period_to, images, one_click_url)
      VALUES (${input.workspaceId}::uuid, ${s.id}::uuid, ${dedupeKey}, ${recipient}, ${messageId(dedupeKey, s.id, recipient)},
              ${mail.subject}, ${mail.html}, ${mail.text}, ${period.from}, ${period.to}, ${JSON.stringify(images)}::jsonb, ${links?.oneClick ?? null})
      ON CONFLICT (workspace_id, schedule_id, dedupe_key, recipient) DO NOTHING`;
    created += rows;
  }
  // The at-risk list names each customer once per stretch at risk: remember whom this report listed
  // (only for a real send that wrote its rows; a test or a duplicated job changes nothing).
  if (!input.test && created > 0 && content.atRisk) await rememberAtRisk(tx, input.workspaceId, s.id, dedupeKey);
  return { dedupeKey, created };
}

/** The sections a stored schedule asks for, in display order (unknown names from older rows are dropped). */
export function scheduleSections(stored: readonly string[] | null): TReportSection[] {
  const set = new Set(stored ?? []);
  const known = REPORT_SECTIONS.filter((x) => set.has(x));
  return known.length > 0 ? known : ["kpis"];
}

const ZStoredImages = z.array(z.object({ cid: z.string(), filename: z.string(), alt: z.string(), base64: z.string(), width: z.number(), height: z.number() }));

/** The inline images stored with a ledger row. */
export function storedImages(json: unknown): InlineImage[] {
  const r = ZStoredImages.safeParse(json);
  return r.success ? r.data : [];
}

/** The HTML with cid: images turned into data: URIs, for showing a stored or previewed message in the browser. */
export function inlineImagesForBrowser(html: string, images: readonly InlineImage[]): string {
  let out = html;
  for (const im of images) out = out.split(`cid:${im.cid}`).join(`data:image/png;base64,${im.base64}`);
  return out;
}

const deliverySelect = { workspaceId: true, id: true, recipient: true, subject: true, html: true, text: true, messageId: true, attempts: true, images: true, oneClickUrl: true } as const;

/** Sends one claimed delivery and records the outcome in the same transaction as the claim. */
async function sendOne(
  tx: Tx,
  d: { workspaceId: string; id: string; recipient: string; subject: string; html: string; text: string; messageId: string; attempts: number; images: unknown; oneClickUrl: string | null },
) {
  try {
    const sent = await sendMail({
      to: d.recipient,
      subject: d.subject,
      html: d.html,
      text: d.text,
      messageId: d.messageId,
      attachments: storedImages(d.images).map((im) => ({ filename: im.filename, content: Buffer.from(im.base64, "base64"), contentType: "image/png", cid: im.cid, contentDisposition: "inline" as const })),
      // RFC 2369 + RFC 8058: mail clients show their own "Unsubscribe" and POST to the link in one click.
      ...(d.oneClickUrl ? { headers: { "List-Unsubscribe": `<${d.oneClickUrl}>`, "List-Unsubscribe-Post": "List-Unsubscribe=One-Click" } } : {}),
    });
    await tx.reportDelivery.update({
      where: { workspaceId_id: { workspaceId: d.workspaceId, id: d.id } },
      data: { status: sent ? "sent" : "outbox", sentAt: new Date(), lastError: null, nextAttemptAt: null },
      select: { id: true },
    });
    log("report.delivered", { workspaceId: d.workspaceId, deliveryId: d.id, via: sent ? "smtp" : "outbox" });
    return sent ? "sent" : "outbox";
  } catch (e) {
    const attempts = d.attempts;
    const final = attempts >= MAX_ATTEMPTS;
    const reason = e instanceof Error ? e.message : String(e);
    await tx.reportDelivery.update({
      where: { workspaceId_id: { workspaceId: d.workspaceId, id: d.id } },
      data: {
        status: "failed",
        lastError: reason.slice(0, 500),
        nextAttemptAt: final ? null : new Date(Date.now() + 2 ** (attempts - 1) * 60_000),
      },
      select: { id: true },
    });
    logWarn("report.delivery_failed", { workspaceId: d.workspaceId, deliveryId: d.id, attempts, final, reason });
    return "failed";
  }
}

/**
 * Sends what is due in a workspace (optionally one report): pending rows, failed rows whose back-off
 * has passed, and rows stuck in "sending". Each row is claimed with a conditional UPDATE (status
 * and attempts must still be what we read), so two workers never send the same row.
 * The one at-least-once window: the process dies after the SMTP server accepted the message and
 * before the status commit; the deterministic Message-ID lets receivers spot that duplicate.
 */
export async function sendDueDeliveries(
  prisma: PrismaClient,
  workspaceId: string,
  filter: { scheduleId?: string; dedupeKey?: string } = {},
): Promise<Record<DeliveryStatus, number>> {
  const counts: Record<DeliveryStatus, number> = { pending: 0, sending: 0, sent: 0, outbox: 0, failed: 0 };
  const due = await withWorkspace(prisma, workspaceId, (tx) =>
    tx.reportDelivery.findMany({
      where: {
        workspaceId,
        ...(filter.scheduleId ? { scheduleId: filter.scheduleId } : {}),
        ...(filter.dedupeKey ? { dedupeKey: filter.dedupeKey } : {}),
        OR: [
          { status: "pending" },
          { status: "failed", nextAttemptAt: { lte: new Date() } },
          { status: "sending", createdAt: { lt: new Date(Date.now() - STUCK_MS) } },
        ],
      },
      select: { id: true, status: true, attempts: true },
      orderBy: { createdAt: "asc" },
      take: 500,
    }),
  );
  for (const row of due) {
    const outcome = await withWorkspace(prisma, workspaceId, async (tx) => {
      const claimed = await tx.reportDelivery.updateMany({
        where: { workspaceId, id: row.id, status: row.status, attempts: row.attempts },
        data: { status: "sending", attempts: { increment: 1 } },
      });
      if (claimed.count === 0) return null; // someone else took it
      const d = await tx.reportDelivery.findUniqueOrThrow({
        where: { workspaceId_id: { workspaceId, id: row.id } },
        select: deliverySelect,
      });
      return sendOne(tx, d);
    }, { timeoutMs: 60_000 });
    if (outcome) counts[outcome]++;
  }
  return counts;
}

/** Sends the pending rows of one prepared report inside the caller's transaction (test sends). */
export async function sendPreparedInTx(tx: Tx, workspaceId: string, dedupeKey: string): Promise<Record<DeliveryStatus, number>> {
  const counts: Record<DeliveryStatus, number> = { pending: 0, sending: 0, sent: 0, outbox: 0, failed: 0 };
  const rows = await tx.reportDelivery.findMany({
    where: { workspaceId, dedupeKey, status: "pending" },
    select: deliverySelect,
  });
  for (const d of rows) {
    await tx.reportDelivery.update({ where: { workspaceId_id: { workspaceId, id: d.id } }, data: { status: "sending", attempts: { increment: 1 } }, select: { id: true } });
    counts[await sendOne(tx, { ...d, attempts: d.attempts + 1 })]++;
  }
  return counts;
}

/** A scheduled send: ledger rows in one transaction, then delivery. Safe to run twice. */
export async function deliverScheduledReport(
  prisma: PrismaClient,
  input: { workspaceId: string; scheduleId: string; sendAt: Date },
): Promise<{ dedupeKey: string; created: number; counts: Record<DeliveryStatus, number>; skipped?: string }> {
  // A background job: the digest reads several rollups and one pass over customer_scores, and renders charts — allow more than a request's 15 s.
  const prepared = await withWorkspace(prisma, input.workspaceId, (tx) => prepareDeliveries(tx, input), { timeoutMs: 120_000 });
  const counts = await sendDueDeliveries(prisma, input.workspaceId, { scheduleId: input.scheduleId, dedupeKey: prepared.dedupeKey });
  return { ...prepared, counts };
}
