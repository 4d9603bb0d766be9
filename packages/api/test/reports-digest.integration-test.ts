/**
 * The full weekly digest through a real SMTP server (smtp-server on loopback, parsed back with
 * mailparser) on a generated shop after two recomputes: every section, inline Chart.js PNGs
 * referenced by Content-ID with alt text, List-Unsubscribe + RFC 8058 one-click headers, the
 * at-risk list naming each customer once, expiring unsubscribe tokens, members managing only their
 * own subscription, and a Monday-09:00 Europe/Paris schedule across the spring DST change.
 */
import { createDb, getDb, withWorkspace } from "@valuelens/db";
import { generateDemoData, writeDemoData } from "@valuelens/db/seed";
import { REPORT_SECTIONS, type TReportSection } from "@valuelens/validators";
import type { ParsedMail } from "mailparser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recomputeWorkspace } from "../src/services/recompute/index.ts";
import { buildReportContent, deliverScheduledReport, findDueReports, reportPeriod, unsubscribeToken } from "../src/services/reports/index.ts";
import { getCohortMatrix } from "../src/services/retention.ts";
import { callerFor, join, signUp, type Actor } from "./harness.ts";
import { testSmtp, toAddress } from "./smtp.ts";

const smtp = testSmtp();
const prisma = () => getDb().prisma;
const ALL: TReportSection[] = [...REPORT_SECTIONS];
const PNG_SIGNATURE = "89504e470d0a1a0a";

let owner: Actor & { workspaceId: string };
let slug = "";
let scheduleId = "";
let highRisk = 0;

beforeAll(async () => {
  const port = await smtp.start();
  process.env.SMTP_URL = `smtp://127.0.0.1:${port}`;
  process.env.APP_URL = "http://valuelens.test";
  process.env.AUTH_SECRET = "test-secret-for-signed-links-0123456789";

  owner = await signUp("digest-owner", "Digest Shop");
  const ws = owner.workspaceId;
  const data = generateDemoData({ seed: 7, customers: 1500, start: new Date(Date.UTC(2024, 0, 1)), end: new Date(Date.UTC(2025, 11, 31, 23, 59, 59, 999)) });
  await writeDemoData(prisma(), ws, data, () => undefined);
  expect(await recomputeWorkspace(prisma(), ws, { compare: false })).toMatchObject({ status: "succeeded", predictions: true });
  // The first recompute becomes "a week ago": segment movement compares against it.
  await withWorkspace(prisma(), ws, (tx) => tx.$executeRaw`UPDATE segment_snapshots SET created_at = '2025-12-01T00:00:00Z' WHERE workspace_id = ${ws}::uuid`);
  // Some customers move: a burst of orders from 40 of them before the second recompute.
  await withWorkspace(prisma(), ws, async (tx) => {
    const some = await tx.customer.findMany({ where: { workspaceId: ws }, select: { id: true }, orderBy: { externalId: "asc" }, take: 40 });
    await tx.order.createMany({
      data: some.flatMap((c, i) => [0, 1, 2].map((k) => ({ workspaceId: ws, externalId: `burst-${i}-${k}`, customerId: c.id, orderedAt: new Date(Date.UTC(2025, 11, 29 + k, 12)), amountMinor: 25_000n, currency: "USD" }))),
    });
  });
  expect(await recomputeWorkspace(prisma(), ws, { compare: false })).toMatchObject({ status: "succeeded", predictions: true });
  const w = await withWorkspace(prisma(), ws, async (tx) => {
    const [r] = await tx.$queryRaw<{ n: bigint }[]>`SELECT count(*) AS n FROM customer_scores WHERE workspace_id = ${ws}::uuid AND rfm_m = 5 AND churn_risk = 'high'`;
    const x = await tx.workspace.findUniqueOrThrow({ where: { id: ws }, select: { slug: true, currency: true } });
    return { n: Number(r?.n ?? 0n), ...x };
  });
  expect(w.currency).toBe("USD");
  highRisk = w.n;
  slug = w.slug;
  scheduleId = await owner.caller.reports.saveSchedule({
    workspaceId: ws,
    name: "Monday digest",
    recipients: ["ana@example.com", "ben@example.com"],
    dayOfWeek: 1,
    localTime: "09:00",
    timezone: "Europe/Paris",
    sections: ALL,
    paused: false,
  });
}, 240_000);

afterAll(async () => {
  await smtp.stop();
});

function header(m: ParsedMail, key: string): string | undefined {
  return m.headerLines.find((h) => h.key === key)?.line.replace(/^[^:]+:\s*/, "").replace(/\r?\n\s+/g, " ");
}

describe("the weekly digest", () => {
  let mail: ParsedMail;

  it("sends every section with inline chart images, a text part, links to each page and unsubscribe headers", async () => {
    const before = smtp.received.length;
    const res = await deliverScheduledReport(prisma(), { workspaceId: owner.workspaceId, scheduleId, sendAt: new Date("2026-01-05T08:00:00Z") });
    expect(res).toMatchObject({ dedupeKey: "2025-12-29", created: 2, counts: { sent: 2, failed: 0 } });
    const mails = smtp.received.slice(before);
    expect(mails.map(toAddress).sort()).toEqual(["ana@example.com", "ben@example.com"]);
    mail = mails.find((m) => toAddress(m) === "ana@example.com")!;
    expect(mail.subject).toBe("Digest Shop: your week in customers (Dec 29, 2025 – Jan 4, 2026)");
    const html = String(mail.html);
    const text = mail.text ?? "";

    // Both parts carry every section.
    for (const h of ["Headline numbers", "Charts", "Segment movement", "High-value customers at risk", "Campaign leaderboard", "Newest cohorts' retention"]) {
      expect(text).toContain(`== ${h} ==`);
      expect(html).toContain(h.replace("'", "&#39;"));
    }
    for (const k of ["Revenue", "New customers", "Repeat rate", "Average predicted CLV", "Customers at risk"]) expect(text).toMatch(new RegExp(`^${k}: `, "m"));
    expect(text).toMatch(/^Average predicted CLV: \$[\d,]+\.\d\d \(/m);
    expect(text).toContain("Latest recompute (");
    expect(text).toMatch(/Grew most: /);
    expect(text).toMatch(/Ranked by LTV:CAC on /);
    expect(text).toMatch(/^Best:$/m);
    expect(text).toMatch(/Newest cohort 2025-\d\d: /);

    // Three charts: PNG bytes, inline with a Content-ID, referenced from the HTML with alt text.
    const images = mail.attachments.filter((a) => a.contentType === "image/png");
    expect(images).toHaveLength(3);
    for (const a of images) {
      expect(a.contentDisposition).toBe("inline");
      expect(a.content.subarray(0, 8).toString("hex")).toBe(PNG_SIGNATURE);
      expect(a.content.length).toBeGreaterThan(5_000); // axes, labels and bars, not a blank canvas
      expect(a.content.readUInt32BE(16)).toBe(1104); // IHDR width: 552 CSS px at 2×
      const cid = a.contentId!.replace(/^<|>$/g, "");
      expect(html).toMatch(new RegExp(`<img src="cid:${cid.replace(/[.]/g, "\\.")}" width="552" height="260" alt="[^"]{40,}"`));
    }
    expect(images.map((a) => a.filename).sort()).toEqual(["retention.png", "segments.png", "weekly-revenue.png"]);
    // No external image hosts.
    expect(html).not.toMatch(/<img[^>]+src="https?:/);

    // A link to each dashboard page, in both parts.
    const base = `http://valuelens.test/w/${slug}`;
    for (const page of ["overview", "segments", "customers", "campaigns", "retention", "reports"]) {
      expect(html).toContain(`href="${base}/${page}"`);
      expect(text).toContain(`${base}/${page}`);
    }

    // RFC 2369 / 8058 headers: one-click POST endpoint with a signed token for this recipient.
    const lu = header(mail, "list-unsubscribe");
    expect(lu).toMatch(/^<http:\/\/valuelens\.test\/api\/reports\/unsubscribe\?t=[\w-]+\.[\w-]+>$/);
    expect(header(mail, "list-unsubscribe-post")).toBe("List-Unsubscribe=One-Click");
  });

  it("lists high-value customers who turned at risk, with links, and does not list them again the next week", async () => {
    expect(highRisk).toBeGreaterThan(0);
    const text = mail.text ?? "";
    const listed = [...text.matchAll(new RegExp(`— http://valuelens\\.test/w/${slug}/customers/([0-9a-f-]{36})`, "g"))].map((m) => m[1]);
    expect(listed.length).toBe(Math.min(10, highRisk));
    expect(text).toContain(`${highRisk.toLocaleString("en-US")} high-value customer`);
    for (const id of listed) expect(String(mail.html)).toContain(`href="http://valuelens.test/w/${slug}/customers/${id}"`);
    const watched = await withWorkspace(prisma(), owner.workspaceId, (tx) => tx.reportRiskWatch.count({ where: { scheduleId } }));
    expect(watched).toBe(highRisk);

    const before = smtp.received.length;
    await deliverScheduledReport(prisma(), { workspaceId: owner.workspaceId, scheduleId, sendAt: new Date("2026-01-12T08:00:00Z") });
    const next = smtp.received.slice(before).find((m) => toAddress(m) === "ana@example.com")!;
    expect(next.text).toContain(`No high-value customer turned at risk since the last report (${highRisk.toLocaleString("en-US")} at risk in total).`);

    // One recovers (churn risk no longer high: leaves the watch list), then turns at risk again: listed again.
    const back = listed[0]!;
    const setRisk = (risk: string) =>
      withWorkspace(prisma(), owner.workspaceId, (tx) => tx.customerScore.updateMany({ where: { workspaceId: owner.workspaceId, customerId: back }, data: { churnRisk: risk } }));
    await setRisk("low");
    await deliverScheduledReport(prisma(), { workspaceId: owner.workspaceId, scheduleId, sendAt: new Date("2026-01-19T08:00:00Z") });
    expect(await withWorkspace(prisma(), owner.workspaceId, (tx) => tx.reportRiskWatch.count({ where: { scheduleId } }))).toBe(highRisk - 1);
    await setRisk("high");
    const b2 = smtp.received.length;
    await deliverScheduledReport(prisma(), { workspaceId: owner.workspaceId, scheduleId, sendAt: new Date("2026-01-26T08:00:00Z") });
    const again = smtp.received.slice(b2).find((m) => toAddress(m) === "ana@example.com")!;
    expect(again.text).toContain("1 high-value customer (top fifth by value to date) turned at risk");
    expect(again.text).toContain(`/customers/${back}`);
  });

  it("shows the outbox copy with its images in the browser and previews the next report with charts", async () => {
    const list = await owner.caller.reports.deliveries({ workspaceId: owner.workspaceId });
    const d = await owner.caller.reports.delivery({ workspaceId: owner.workspaceId, deliveryId: list[0]!.id });
    expect(d.images).toHaveLength(3);
    expect(d.oneClickUnsubscribe).toBe(true);
    expect(d.html).not.toContain("cid:");
    expect(d.html.match(/src="data:image\/png;base64,/g)).toHaveLength(3);
    const p = await owner.caller.reports.preview({ workspaceId: owner.workspaceId, scheduleId });
    expect(p.html.match(/src="data:image\/png;base64,/g)).toHaveLength(3);
    expect(p.text).toContain("== Campaign leaderboard ==");
  });

  it("one-click unsubscribe with the header's token; expired or tampered tokens are refused", async () => {
    const token = new URL(header(mail, "list-unsubscribe")!.slice(1, -1)).searchParams.get("t")!;
    const anon = callerFor(null);
    const expired = unsubscribeToken(owner.workspaceId, scheduleId, "ben@example.com", new Date(Date.now() - 366 * 86_400_000))!;
    await expect(anon.reports.unsubscribe({ token: expired })).rejects.toMatchObject({ code: "BAD_REQUEST", message: expect.stringMatching(/expired/) });
    // A token whose payload was edited (another address) fails the signature check.
    const [payload, mac] = token.split(".");
    const forged = Buffer.from(Buffer.from(payload!, "base64url").toString().replace("ana@", "ben@")).toString("base64url");
    await expect(anon.reports.unsubscribe({ token: `${forged}.${mac}` })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(anon.reports.unsubscribe({ token })).resolves.toEqual({ email: "ana@example.com", report: "Monday digest" });
    const s = await owner.caller.reports.schedules({ workspaceId: owner.workspaceId });
    expect(s.find((x) => x.id === scheduleId)!.recipients).toEqual(["ben@example.com"]);
  });
});

describe("retention section", () => {
  it("gives the Retention page's numbers, from the recompute's rollups and from the live fallback alike", async () => {
    const ws = owner.workspaceId;
    const period = { ...reportPeriod(new Date("2026-01-05T08:00:00Z"), "UTC"), timezone: "UTC" };
    const rolled = new Error("rolled back on purpose");
    const seen: { rollups?: unknown; live?: unknown; page?: unknown } = {};
    await withWorkspace(prisma(), ws, async (tx) => {
      const w = await tx.workspace.findUniqueOrThrow({ where: { id: ws }, select: { id: true, currency: true, timezone: true } });
      expect(await tx.retentionRollupRefresh.count({ where: { workspaceId: ws, modelRunId: { not: null } } })).toBe(1);
      seen.rollups = (await buildReportContent(tx, ws, period, { sections: ["retention"] })).retention;
      const m = await getCohortMatrix(tx, w, { grain: "month", split: "none" });
      const row = (cohort: string) => m.rows.find((r) => r.cohort.startsWith(cohort))!;
      const rate = (cohort: string, k: number) => {
        const c = row(cohort).cells.find((x) => x.period === k);
        return !c || c.incomplete ? null : c.active / row(cohort).size;
      };
      const r = seen.rollups as { newest: { cohort: string; size: number; retention: (number | null)[] }[] };
      seen.page = r.newest.map((n) => ({ cohort: n.cohort, size: row(n.cohort).size, retention: [1, 2, 3, 4, 5, 6].map((k) => rate(n.cohort, k) ?? null) }));
      await tx.retentionRollupRefresh.deleteMany({ where: { workspaceId: ws } });
      seen.live = (await buildReportContent(tx, ws, period, { sections: ["retention"] })).retention;
      throw rolled;
    }).catch((e: unknown) => {
      if (e !== rolled) throw e;
    });
    const r = seen.rollups as { newest: { cohort: string; size: number; retention: (number | null)[] }[]; earlier: unknown };
    expect(r.newest).toHaveLength(3);
    expect(r.earlier).not.toBeNull();
    expect(r.newest.map(({ cohort, size, retention }) => ({ cohort, size, retention }))).toEqual(seen.page);
    expect(seen.live).toEqual(seen.rollups);
  });
});

describe("members' own subscriptions", () => {
  it("any role adds and removes only their own address; admins' other recipients stay", async () => {
    const viewer = await join(owner, owner.workspaceId, "digest-viewer", "VIEWER");
    const member = await join(owner, owner.workspaceId, "digest-member", "MEMBER");
    const ws = owner.workspaceId;
    const mine = async (a: Actor) => (await a.caller.reports.mySubscriptions({ workspaceId: ws })).find((x) => x.id === scheduleId)!;
    expect(await mine(viewer)).toMatchObject({ name: "Monday digest", subscribed: false, timezone: "Europe/Paris" });
    await viewer.caller.reports.setMySubscription({ workspaceId: ws, scheduleId, subscribed: true });
    await viewer.caller.reports.setMySubscription({ workspaceId: ws, scheduleId, subscribed: true }); // idempotent
    await member.caller.reports.setMySubscription({ workspaceId: ws, scheduleId, subscribed: true });
    expect((await mine(viewer)).subscribed).toBe(true);
    const recipients = async () => (await owner.caller.reports.schedules({ workspaceId: ws })).find((x) => x.id === scheduleId)!.recipients;
    expect((await recipients()).sort()).toEqual(["ben@example.com", member.user.email.toLowerCase(), viewer.user.email.toLowerCase()].sort());
    await viewer.caller.reports.setMySubscription({ workspaceId: ws, scheduleId, subscribed: false });
    expect((await recipients()).sort()).toEqual(["ben@example.com", member.user.email.toLowerCase()].sort());
    // Viewers still cannot edit schedules or read the delivery log.
    await expect(viewer.caller.reports.schedules({ workspaceId: ws })).rejects.toMatchObject({ code: "FORBIDDEN" });
    const audit = await withWorkspace(prisma(), ws, (tx) =>
      tx.auditLog.findMany({ where: { workspaceId: ws, target: scheduleId, action: { in: ["report.subscribed", "report.unsubscribed"] } }, select: { action: true, actorUserId: true } }),
    );
    expect(audit.filter((a) => a.actorUserId === viewer.user.id).map((a) => a.action)).toEqual(["report.subscribed", "report.unsubscribed"]);
  });
});

describe("Monday 09:00 Europe/Paris across the spring DST change", () => {
  it("is due at 08:00 UTC before and 07:00 UTC after 29 March 2026, once each, for the right weeks", async () => {
    const o = await signUp("digest-dst", "DST Co");
    const id = await o.caller.reports.saveSchedule({ workspaceId: o.workspaceId, name: "Paris Monday", recipients: ["paris@example.com"], dayOfWeek: 1, localTime: "09:00", timezone: "Europe/Paris", sections: ["kpis"], paused: false });
    await withWorkspace(prisma(), o.workspaceId, (tx) => tx.reportSchedule.updateMany({ where: { id }, data: { createdAt: new Date("2026-03-01T00:00:00Z") } }));
    const ownerDb = createDb(process.env.DATABASE_OWNER_URL!, { max: 1 });
    try {
      const due = async (at: string) => (await findDueReports(ownerDb.prisma, new Date(at))).filter((d) => d.scheduleId === id);
      const before = smtp.received.length;
      // Winter time (UTC+1): 09:00 Paris = 08:00 UTC.
      expect(await due("2026-03-23T07:59:00Z")).toEqual([]);
      const winter = await due("2026-03-23T08:00:00Z");
      expect(winter).toEqual([{ workspaceId: o.workspaceId, scheduleId: id, sendAt: new Date("2026-03-23T08:00:00Z"), periodStart: "2026-03-16" }]);
      await deliverScheduledReport(prisma(), winter[0]!);
      await deliverScheduledReport(prisma(), winter[0]!); // a duplicated job
      expect(await due("2026-03-23T09:00:00Z")).toEqual([]);
      // Summer time from Sunday 29 March (UTC+2): 09:00 Paris = 07:00 UTC; the reported week is 167 h long.
      expect(await due("2026-03-30T06:59:00Z")).toEqual([]);
      const summer = await due("2026-03-30T07:00:00Z");
      expect(summer).toEqual([{ workspaceId: o.workspaceId, scheduleId: id, sendAt: new Date("2026-03-30T07:00:00Z"), periodStart: "2026-03-23" }]);
      await deliverScheduledReport(prisma(), summer[0]!);
      const mails = smtp.received.slice(before).filter((m) => toAddress(m) === "paris@example.com");
      expect(mails.map((m) => m.subject)).toEqual(["DST Co: your week in customers (Mar 16, 2026 – Mar 22, 2026)", "DST Co: your week in customers (Mar 23, 2026 – Mar 29, 2026)"]);
      const periods = await withWorkspace(prisma(), o.workspaceId, (tx) => tx.reportDelivery.findMany({ where: { scheduleId: id }, select: { periodFrom: true, periodTo: true }, orderBy: { periodFrom: "asc" } }));
      expect(periods.map((p) => [p.periodFrom.toISOString(), (p.periodTo.getTime() - p.periodFrom.getTime()) / 3_600_000])).toEqual([
        ["2026-03-15T23:00:00.000Z", 168],
        ["2026-03-22T23:00:00.000Z", 167],
      ]);
    } finally {
      await ownerDb.close();
    }
  });
});
