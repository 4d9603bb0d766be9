/**
 * Weekly reports through a real SMTP server (smtp-server on loopback), parsed back with mailparser:
 * recipients, subject, both parts, links; a duplicated job sends nothing twice; SMTP down → failed
 * with back-off and the reason, then recovery sends each message exactly once.
 */
import { getDb, withWorkspace } from "@valuelens/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deliverScheduledReport, sendDueDeliveries } from "../src/services/reports/index.ts";
import { addCustomers, signUp } from "./harness.ts";
import { testSmtp, toAddress } from "./smtp.ts";

const smtp = testSmtp();
const received = smtp.received;
let port = 0;
const startSmtp = (onPort?: number) => smtp.start(onPort);
const stopSmtp = () => smtp.stop();

beforeAll(async () => {
  port = await startSmtp();
  process.env.SMTP_URL = `smtp://127.0.0.1:${port}`;
  process.env.APP_URL = "http://valuelens.test";
  process.env.AUTH_SECRET = "test-secret-for-signed-links-0123456789";
});
afterAll(async () => {
  await stopSmtp().catch(() => undefined);
});

async function makeSchedule(workspaceId: string, recipients: string[]): Promise<string> {
  return withWorkspace(getDb().prisma, workspaceId, async (tx) => {
    const s = await tx.reportSchedule.create({
      data: { workspaceId, name: "Monday digest", recipients, dayOfWeek: 1, localTime: "09:00", timezone: "Europe/Paris", sections: ["kpis"] },
      select: { id: true },
    });
    return s.id;
  });
}

describe("weekly report delivery", () => {
  it("sends one message per recipient with text and HTML parts, and never twice for the same week", async () => {
    const owner = await signUp("report-owner", "Report Co");
    await addCustomers(owner.workspaceId, "REPORT", 3); // first orders on 3, 4, 5 Jan 2025
    const scheduleId = await makeSchedule(owner.workspaceId, ["ana@example.com", "Ben@Example.com"]);
    const sendAt = new Date("2025-01-06T08:00:00Z"); // Monday 09:00 in Paris
    const before = received.length;
    const first = await deliverScheduledReport(getDb().prisma, { workspaceId: owner.workspaceId, scheduleId, sendAt });
    expect(first).toMatchObject({ dedupeKey: "2024-12-30", created: 2, counts: { sent: 2, failed: 0 } });
    const mails = received.slice(before);
    expect(mails.map(toAddress).sort()).toEqual(["ana@example.com", "ben@example.com"]);
    const m = mails[0]!;
    expect(m.subject).toBe("Report Co: your week in customers (Dec 30, 2024 – Jan 5, 2025)");
    expect(m.text).toContain("New customers: 3");
    expect(m.text).toContain("Revenue: $60.00 (new vs previous week $0.00"); // first orders: 1000 + 2000 + 3000 cents
    expect(m.html).toContain('href="http://valuelens.test/w/');
    expect(m.html).toContain("<caption");
    expect(m.messageId).toMatch(/^<2024-12-30\./);

    // The same job again (retried, duplicated, or a second worker): nothing new is sent.
    const again = await deliverScheduledReport(getDb().prisma, { workspaceId: owner.workspaceId, scheduleId, sendAt });
    expect(again).toMatchObject({ created: 0, counts: { sent: 0 } });
    expect(received.length - before).toBe(2);
  });

  it("retries with back-off while SMTP is down, records the reason, and sends once when it is back", async () => {
    const owner = await signUp("report-down", "Downtime Co");
    const scheduleId = await makeSchedule(owner.workspaceId, ["ops@example.com"]);
    await stopSmtp();
    const res = await deliverScheduledReport(getDb().prisma, { workspaceId: owner.workspaceId, scheduleId, sendAt: new Date("2025-03-10T08:00:00Z") });
    expect(res.counts).toMatchObject({ failed: 1, sent: 0 });
    const failed = await withWorkspace(getDb().prisma, owner.workspaceId, (tx) =>
      tx.reportDelivery.findFirstOrThrow({ where: { scheduleId }, select: { status: true, attempts: true, lastError: true, nextAttemptAt: true } }),
    );
    expect(failed.status).toBe("failed");
    expect(failed.attempts).toBe(1);
    expect(failed.lastError).toMatch(/ECONNREFUSED|connect/i);
    expect(failed.nextAttemptAt!.getTime()).toBeGreaterThan(Date.now());

    // Not due yet: nothing happens.
    expect(await sendDueDeliveries(getDb().prisma, owner.workspaceId)).toMatchObject({ sent: 0, failed: 0 });
    await startSmtp(port);
    await withWorkspace(getDb().prisma, owner.workspaceId, (tx) => tx.reportDelivery.updateMany({ where: { scheduleId }, data: { nextAttemptAt: new Date(Date.now() - 1000) } }));
    const before = received.length;
    const [a, b] = await Promise.all([sendDueDeliveries(getDb().prisma, owner.workspaceId), sendDueDeliveries(getDb().prisma, owner.workspaceId)]);
    expect(a.sent + b.sent).toBe(1);
    expect(received.length - before).toBe(1);
    const done = await withWorkspace(getDb().prisma, owner.workspaceId, (tx) => tx.reportDelivery.findFirstOrThrow({ where: { scheduleId }, select: { status: true, attempts: true } }));
    expect(done).toEqual({ status: "sent", attempts: 2 });
  });

  it("skips a paused schedule", async () => {
    const owner = await signUp("report-paused");
    const scheduleId = await makeSchedule(owner.workspaceId, ["x@example.com"]);
    await withWorkspace(getDb().prisma, owner.workspaceId, (tx) => tx.reportSchedule.updateMany({ where: { id: scheduleId }, data: { paused: true } }));
    const res = await deliverScheduledReport(getDb().prisma, { workspaceId: owner.workspaceId, scheduleId, sendAt: new Date("2025-03-10T08:00:00Z") });
    expect(res).toMatchObject({ created: 0, skipped: "paused" });
  });
});

describe("report content", () => {
  it("warns when no data arrived after the reported week ended", async () => {
    const owner = await signUp("report-stale", "Stale Co");
    await addCustomers(owner.workspaceId, "STALE", 1);
    const { buildReportContent, reportPeriod } = await import("../src/services/reports/index.ts");
    const p = reportPeriod(new Date(Date.now() + 14 * 86_400_000), "UTC");
    const c = await withWorkspace(getDb().prisma, owner.workspaceId, (tx) => buildReportContent(tx, owner.workspaceId, { ...p, timezone: "UTC" }));
    expect(c.stale).toBe(true);
    const old = reportPeriod(new Date("2025-01-06T09:00:00Z"), "UTC");
    const c2 = await withWorkspace(getDb().prisma, owner.workspaceId, (tx) => buildReportContent(tx, owner.workspaceId, { ...old, timezone: "UTC" }));
    expect(c2.stale).toBe(false);
  });
});

describe("due reports (worker scan)", () => {
  it("finds the latest slot of each active schedule once, within the grace period", async () => {
    const { createDb } = await import("@valuelens/db");
    const { findDueReports } = await import("../src/services/reports/index.ts");
    const owner = createDb(process.env.DATABASE_OWNER_URL!, { max: 1 });
    try {
      const o = await signUp("report-due", "Due Co");
      const scheduleId = await makeSchedule(o.workspaceId, ["due@example.com"]);
      await withWorkspace(getDb().prisma, o.workspaceId, (tx) =>
        tx.reportSchedule.updateMany({ where: { id: scheduleId }, data: { createdAt: new Date("2025-01-01T00:00:00Z") } }),
      );
      const mine = (list: { scheduleId: string }[]) => list.filter((d) => d.scheduleId === scheduleId);
      // Monday 13 Jan 2025, 10:00 UTC: the 09:00 Paris (08:00 UTC) slot is due.
      const now = new Date("2025-01-13T10:00:00Z");
      expect(mine(await findDueReports(owner.prisma, now))).toEqual([
        { workspaceId: o.workspaceId, scheduleId, sendAt: new Date("2025-01-13T08:00:00Z"), periodStart: "2025-01-06" },
      ]);
      // Too late (more than the 24 h grace): skipped rather than sent days later.
      expect(mine(await findDueReports(owner.prisma, new Date("2025-01-15T10:00:00Z")))).toEqual([]);
      // Once sent, it is no longer due.
      await deliverScheduledReport(getDb().prisma, { workspaceId: o.workspaceId, scheduleId, sendAt: new Date("2025-01-13T08:00:00Z") });
      expect(mine(await findDueReports(owner.prisma, now))).toEqual([]);
    } finally {
      await owner.close();
    }
  });
});

describe("unsubscribe links", () => {
  it("let one recipient leave one schedule with a signed link; tampered links are refused", async () => {
    const o = await signUp("report-unsub", "Unsub Co");
    const scheduleId = await makeSchedule(o.workspaceId, ["stay@example.com", "leave@example.com"]);
    const before = received.length;
    await deliverScheduledReport(getDb().prisma, { workspaceId: o.workspaceId, scheduleId, sendAt: new Date("2025-02-03T08:00:00Z") });
    const mail = received.slice(before).find((m) => toAddress(m) === "leave@example.com")!;
    const link = /Unsubscribe: (\S+)/.exec(mail.text ?? "")?.[1];
    expect(link).toMatch(/^http:\/\/valuelens\.test\/unsubscribe\?t=/);
    const token = new URL(link!).searchParams.get("t")!;
    const anon = (await import("./harness.ts")).callerFor(null);
    expect(await anon.reports.describeUnsubscribe({ token })).toEqual({ email: "leave@example.com", report: "Monday digest", workspace: "Unsub Co", subscribed: true });
    const tampered = token.replace(/.$/, (c) => (c === "A" ? "B" : "A"));
    await expect(anon.reports.unsubscribe({ token: tampered })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(anon.reports.unsubscribe({ token })).resolves.toEqual({ email: "leave@example.com", report: "Monday digest" });
    await expect(anon.reports.unsubscribe({ token })).resolves.toEqual({ email: "leave@example.com", report: "Monday digest" });
    const s = await withWorkspace(getDb().prisma, o.workspaceId, (tx) => tx.reportSchedule.findFirstOrThrow({ where: { id: scheduleId }, select: { recipients: true } }));
    expect(s.recipients).toEqual(["stay@example.com"]);
  });
});
