import type { Tx } from "@valuelens/db";
import type { TReportSchedule } from "@valuelens/validators";
import { DomainError } from "../domain-error.ts";
import { apiEnv } from "../../env.ts";
import { renderCharts } from "./charts.ts";
import { buildReportContent } from "./content.ts";
import { inlineImagesForBrowser, prepareDeliveries, scheduleSections, sendPreparedInTx, storedImages } from "./deliver.ts";
import { renderReport } from "./render.ts";
import { nextSendAt, reportPeriod } from "./schedule.ts";

const scheduleSelect = {
  id: true,
  name: true,
  recipients: true,
  dayOfWeek: true,
  localTime: true,
  timezone: true,
  sections: true,
  paused: true,
  updatedAt: true,
} as const;

export async function listReportSchedules(tx: Tx, workspaceId: string) {
  const rows = await tx.reportSchedule.findMany({ where: { workspaceId }, select: scheduleSelect, orderBy: { createdAt: "asc" } });
  const now = new Date();
  return rows.map((r) => ({ ...r, nextSendAt: r.paused ? null : nextSendAt(r, now) }));
}

export async function saveReportSchedule(tx: Tx, actorId: string, input: TReportSchedule) {
  const data = {
    name: input.name,
    recipients: [...new Set(input.recipients)],
    dayOfWeek: input.dayOfWeek,
    localTime: input.localTime,
    timezone: input.timezone,
    sections: input.sections,
    paused: input.paused,
  };
  let id = input.id;
  if (id) {
    const res = await tx.reportSchedule.updateMany({ where: { workspaceId: input.workspaceId, id }, data });
    if (res.count === 0) throw new DomainError("NOT_FOUND", "Report schedule not found.");
  } else {
    id = (await tx.reportSchedule.create({ data: { ...data, workspaceId: input.workspaceId, createdById: actorId }, select: { id: true } })).id;
  }
  await tx.auditLog.create({
    data: { workspaceId: input.workspaceId, actorUserId: actorId, action: input.id ? "report.updated" : "report.created", target: id, details: { ...data } },
    select: { id: true },
  });
  return id;
}

export async function deleteReportSchedule(tx: Tx, actorId: string, workspaceId: string, scheduleId: string): Promise<void> {
  const res = await tx.reportSchedule.deleteMany({ where: { workspaceId, id: scheduleId } });
  if (res.count === 0) throw new DomainError("NOT_FOUND", "Report schedule not found.");
  await tx.auditLog.create({ data: { workspaceId, actorUserId: actorId, action: "report.deleted", target: scheduleId }, select: { id: true } });
}

/**
 * "Send a test now": the report of the last complete week, to the given addresses (default: the
 * schedule's), in this transaction. A test is user-initiated, so sending inside the request is fine.
 */
export async function sendTestReport(tx: Tx, workspaceId: string, scheduleId: string, recipients: string[] | undefined) {
  const schedule = await tx.reportSchedule.findUnique({ where: { workspaceId_id: { workspaceId, id: scheduleId } }, select: { recipients: true } });
  if (!schedule) throw new DomainError("NOT_FOUND", "Report schedule not found.");
  const prepared = await prepareDeliveries(tx, { workspaceId, scheduleId, sendAt: new Date(), test: { recipients: recipients ?? schedule.recipients } });
  return sendPreparedInTx(tx, workspaceId, prepared.dedupeKey);
}

export function listDeliveries(tx: Tx, workspaceId: string) {
  return tx.reportDelivery.findMany({
    where: { workspaceId },
    select: { id: true, scheduleId: true, dedupeKey: true, recipient: true, status: true, attempts: true, lastError: true, subject: true, sentAt: true, createdAt: true, nextAttemptAt: true },
    orderBy: { createdAt: "desc" },
    take: 100,
  });
}

export async function getDelivery(tx: Tx, workspaceId: string, deliveryId: string) {
  const d = await tx.reportDelivery.findUnique({
    where: { workspaceId_id: { workspaceId, id: deliveryId } },
    select: { id: true, recipient: true, subject: true, html: true, text: true, status: true, sentAt: true, createdAt: true, images: true, oneClickUrl: true },
  });
  if (!d) throw new DomainError("NOT_FOUND", "Delivery not found.");
  const { images, oneClickUrl, ...rest } = d;
  const list = storedImages(images);
  // The browser cannot resolve cid: references: show the stored images inline.
  return { ...rest, html: inlineImagesForBrowser(d.html, list), images: list.map((im) => ({ filename: im.filename, alt: im.alt, bytes: Math.floor((im.base64.length * 3) / 4) })), oneClickUnsubscribe: oneClickUrl !== null };
}

/** The next scheduled report as it would look if it were sent now (nothing is written or sent). */
export async function previewReport(tx: Tx, workspaceId: string, scheduleId: string) {
  const s = await tx.reportSchedule.findUnique({
    where: { workspaceId_id: { workspaceId, id: scheduleId } },
    select: { dayOfWeek: true, localTime: true, timezone: true, sections: true },
  });
  if (!s) throw new DomainError("NOT_FOUND", "Report schedule not found.");
  const sendAt = nextSendAt(s, new Date());
  const period = { ...reportPeriod(sendAt, s.timezone), timezone: s.timezone };
  const content = await buildReportContent(tx, workspaceId, period, { sections: scheduleSections(s.sections), scheduleId });
  const images = renderCharts(content, `preview.${scheduleId.slice(0, 8)}`);
  const mail = renderReport(content, apiEnv().APP_URL, { images });
  return { sendAt, subject: mail.subject, text: mail.text, html: inlineImagesForBrowser(mail.html, images) };
}
