/**
 * Campaign ROI (issue 6): metrics on a small hand-made workspace, checked against hand-computed
 * values and direct SQL; the demo's loyal channel has the best LTV:CAC; editing, roles, audit,
 * isolation; the CSV export.
 */
import { getDb, withWorkspace, type Tx } from "@valuelens/db";
import { DEMO_CHANNEL_PROFILES, DEMO_LOYAL_CHANNEL, generateDemoData, writeDemoData } from "@valuelens/db/seed";
import { beforeAll, describe, expect, it } from "vitest";
import { recomputeWorkspace } from "../src/services/recompute/index.ts";
import { campaignsCsv } from "../src/services/campaigns/index.ts";
import { computeCampaignRoi, type RoiBasis } from "../src/services/campaigns/campaign-roi.ts";
import { join, signUp, type Actor } from "./harness.ts";

const prisma = () => getDb().prisma;

interface Hand {
  owner: Actor & { workspaceId: string };
  ws: string;
  A: string;
  B: string;
  C: string;
}

/**
 * Campaign A (paid_search): $100 spread over 2025-01-01…10; customers a1, a2.
 *   a1: 2025-01-05 $30, 2025-02-10 $20, 2025-04-20 $50   a2: 2025-01-20 $40 (+ a refunded $40)
 * Campaign B (paid_social): $30 over 3 days; customer b1: 2025-01-02 $10, 2025-03-15 $5.
 * Campaign C: no spend, no customers. u1: no campaign, channel referral, 2025-01-03 $70.
 * A also has €5 of spend (other currency: reported, never added). No costs → margin = 30 %.
 */
async function handMade(): Promise<Hand> {
  const owner = await signUp("roi-hand");
  const ws = owner.workspaceId;
  const mk = (name: string, channel: string) =>
    owner.caller.campaigns.create({ workspaceId: ws, name, channel, startsAt: "2025-01-01", endsAt: null, notes: null }).then((r) => r.id);
  const A = await mk("Search A", "paid_search");
  const B = await mk("Social B", "paid_social");
  const C = await mk("=HYPERLINK(\"x\") C", "display");
  await owner.caller.campaigns.setSpend({ workspaceId: ws, campaignId: A, from: "2025-01-01", to: "2025-01-10", amountMinor: 10_000 });
  await owner.caller.campaigns.setSpend({ workspaceId: ws, campaignId: B, from: "2025-01-01", to: "2025-01-03", amountMinor: 3_000 });
  await withWorkspace(prisma(), ws, async (tx) => {
    await tx.campaignSpend.create({ data: { workspaceId: ws, campaignId: A, day: new Date("2025-01-02T00:00:00Z"), amountMinor: 500n, currency: "EUR" } });
    const cust = async (ext: string, campaign: string | null, channel: string | null) =>
      (await tx.customer.create({ data: { workspaceId: ws, externalId: ext, acquisitionCampaignId: campaign, acquisitionChannel: channel }, select: { id: true } })).id;
    const a1 = await cust("a1", A, "paid_search");
    const a2 = await cust("a2", A, null);
    const b1 = await cust("b1", B, "paid_social");
    const u1 = await cust("u1", null, "referral");
    const o = (customerId: string, day: string, amount: number, refunded = false) => ({
      workspaceId: ws, externalId: `${customerId}-${day}-${amount}-${refunded}`, customerId, orderedAt: new Date(`${day}T12:00:00Z`), amountMinor: BigInt(amount), currency: "USD", refunded,
    });
    await tx.order.createMany({
      data: [o(a1, "2025-01-05", 3000), o(a1, "2025-02-10", 2000), o(a1, "2025-04-20", 5000), o(a2, "2025-01-20", 4000), o(a2, "2025-01-25", 4000, true), o(b1, "2025-01-02", 1000), o(b1, "2025-03-15", 500), o(u1, "2025-01-03", 7000)],
    });
  });
  const r = await recomputeWorkspace(prisma(), ws, { compare: false });
  expect(r.status).toBe("succeeded");
  return { owner, ws, A, B, C };
}

describe("campaign ROI on a hand-made workspace", () => {
  let h: Hand;
  beforeAll(async () => {
    h = await handMade();
  });

  it("computes spend, CAC, value, LTV:CAC, ROI, payback, repeat and 90-day retention exactly (revenue, historical)", async () => {
    const r = await h.owner.caller.campaigns.roi({ workspaceId: h.ws, measure: "revenue", horizon: "historical" });
    expect(r.currency).toBe("USD");
    expect(r.fromMonth).toBe("2025-01");
    expect(r.toMonth).toBe("2025-01");
    expect(r.otherCurrencySpend).toEqual([{ currency: "EUR", amountMinor: "500" }]);
    expect(r.predictionsUnavailable).toMatch(/repeat buyers/);
    const A = r.campaigns.find((c) => c.key === h.A)!;
    expect(A).toMatchObject({
      spendMinor: "10000", customers: 2, lowConfidence: true, cacMinor: "5000", firstOrderRevenueMinor: "7000", historicalRevenueMinor: "14000",
      valueMinor: "14000", ltvMinor: "7000", ltvToCac: 1.4, roi: 0.4, repeatRate: 0.5, predicted12Minor: null, lifetimeMinor: null,
    });
    // per customer 3500, 4500, 4500, 7000 (months Jan…Apr) vs CAC 5000 → month 4, observed
    expect(A.paybackMonths).toBe(4);
    expect(A.paybackSource).toBe("actual");
    // a1 (acquired ≥ 91 days before the 2025-04-20 cut-off) bought again within 13 weeks; a2 is too recent to count
    expect(A.retention90).toBe(1);
    const B = r.campaigns.find((c) => c.key === h.B)!;
    expect(B).toMatchObject({ spendMinor: "3000", customers: 1, cacMinor: "3000", valueMinor: "1500", ltvToCac: 0.5, roi: -0.5, paybackMonths: null, repeatRate: 1 });
    const C = r.campaigns.find((c) => c.key === h.C)!;
    expect(C).toMatchObject({ spendMinor: "0", customers: 0, cacMinor: null, ltvToCac: null, roi: null, paybackMonths: null, repeatRate: null });
    expect(r.unattributed).toMatchObject({ customers: 1, historicalRevenueMinor: "7000", spendMinor: "0" });
    const ch = Object.fromEntries(r.channels.map((c) => [c.key, c]));
    expect(ch.paid_search).toMatchObject({ customers: 2, spendMinor: "10000", ltvToCac: 1.4 });
    expect(ch.referral).toMatchObject({ customers: 1, spendMinor: "0", cacMinor: "0", ltvToCac: null, roi: null });
    expect(ch.display).toMatchObject({ customers: 0 });
  });

  it("matches direct SQL over customers and campaign_spend", async () => {
    const r = await h.owner.caller.campaigns.roi({ workspaceId: h.ws, measure: "margin", horizon: "historical" });
    const sql = await withWorkspace(prisma(), h.ws, (tx) =>
      tx.$queryRaw<{ id: string; spend: string; n: number; rev: string; mar: string }[]>`
        SELECT k.id::text,
               (SELECT coalesce(sum(amount_minor), 0) FROM campaign_spend s WHERE s.workspace_id = k.workspace_id AND s.campaign_id = k.id AND s.currency = 'USD')::text AS spend,
               (SELECT count(*) FROM customers c WHERE c.workspace_id = k.workspace_id AND c.acquisition_campaign_id = k.id AND c.first_order_at IS NOT NULL)::int AS n,
               (SELECT coalesce(sum(revenue_minor), 0) FROM customers c WHERE c.workspace_id = k.workspace_id AND c.acquisition_campaign_id = k.id)::text AS rev,
               (SELECT coalesce(sum(margin_minor), 0) FROM customers c WHERE c.workspace_id = k.workspace_id AND c.acquisition_campaign_id = k.id)::text AS mar
          FROM campaigns k WHERE k.workspace_id = ${h.ws}::uuid`,
    );
    expect(sql).toHaveLength(3);
    for (const s of sql) {
      const c = r.campaigns.find((x) => x.key === s.id)!;
      expect(c.spendMinor).toBe(s.spend);
      expect(c.customers).toBe(s.n);
      expect(c.historicalRevenueMinor).toBe(s.rev);
      expect(c.valueMinor).toBe(s.mar);
    }
    const A = r.campaigns.find((c) => c.key === h.A)!;
    // margin 30 %: 900 + 600 + 1500 + 1200 = 4200 → ROI (4200 − 10000) / 10000; cumulative 1050…2100 never reaches 5000
    expect(A.valueMinor).toBe("4200");
    expect(A.roi).toBeCloseTo(-0.58, 12);
    expect(A.paybackMonths).toBeNull();
  });

  it("filters by acquisition month (spend by day in the same range) and reflects spend edits at once", async () => {
    const r = await h.owner.caller.campaigns.roi({ workspaceId: h.ws, measure: "revenue", horizon: "historical", fromMonth: "2025-02", toMonth: "2025-04" });
    expect(r.campaigns.every((c) => c.customers === 0 && c.spendMinor === "0")).toBe(true);
    const set = await h.owner.caller.campaigns.setSpend({ workspaceId: h.ws, campaignId: h.A, from: "2025-01-01", to: "2025-01-05", amountMinor: 1_001 });
    expect(set).toMatchObject({ days: 5, replacedMinor: "5000", currency: "USD" });
    const after = await h.owner.caller.campaigns.roi({ workspaceId: h.ws, measure: "revenue", horizon: "historical" });
    // 5 days now 201 + 200 × 4 = 1001, days 6–10 keep 1000 each → 6001
    expect(after.campaigns.find((c) => c.key === h.A)!.spendMinor).toBe("6001");
    const detail = await h.owner.caller.campaigns.get({ workspaceId: h.ws, campaignId: h.A });
    expect(detail.recentDays.at(-1)).toEqual({ day: "2025-01-01", amountMinor: "201" });
    expect(detail.totals).toEqual([
      { currency: "EUR", amountMinor: "500", days: 1, firstDay: "2025-01-02", lastDay: "2025-01-02" },
      { currency: "USD", amountMinor: "6001", days: 10, firstDay: "2025-01-01", lastDay: "2025-01-10" },
    ]);
    await h.owner.caller.campaigns.setSpend({ workspaceId: h.ws, campaignId: h.A, from: "2025-01-01", to: "2025-01-10", amountMinor: 10_000 });
  });

  it("keeps the monthly spend rollup equal to the daily spend through inserts, updates, deletes and a campaign's deletion", async () => {
    const rollup = (tx: Tx) =>
      tx.$queryRaw<{ k: string; amount: string; days: number }[]>`
        SELECT campaign_id::text || ' ' || to_char(month, 'YYYY-MM') || ' ' || currency AS k, amount_minor::text AS amount, days
          FROM campaign_spend_months WHERE workspace_id = ${h.ws}::uuid ORDER BY 1`;
    const direct = (tx: Tx) =>
      tx.$queryRaw<{ k: string; amount: string; days: number }[]>`
        SELECT campaign_id::text || ' ' || to_char(day, 'YYYY-MM') || ' ' || currency AS k, sum(amount_minor)::text AS amount, count(*)::int AS days
          FROM campaign_spend WHERE workspace_id = ${h.ws}::uuid GROUP BY 1 ORDER BY 1`;
    await withWorkspace(prisma(), h.ws, async (tx) => {
      // Written directly (not through campaigns.create) so the audit-log counts of the next test stay as they are.
      const D = (await tx.campaign.create({ data: { workspaceId: h.ws, externalId: "temp-d", name: "Temp D", channel: "display" }, select: { id: true } })).id;
      const before = await direct(tx);
      expect(await rollup(tx)).toEqual(before);
      // Plain SQL, as an import or another tool would write: days across a month boundary, two currencies.
      await tx.$executeRaw`INSERT INTO campaign_spend (workspace_id, campaign_id, day, amount_minor, currency)
        SELECT ${h.ws}::uuid, ${D}::uuid, date '2025-01-25' + g, 100 + g, CASE WHEN g % 4 = 0 THEN 'EUR' ELSE 'USD' END FROM generate_series(0, 19) g`;
      expect(await rollup(tx)).toEqual(await direct(tx));
      await tx.$executeRaw`UPDATE campaign_spend SET amount_minor = amount_minor * 3 WHERE workspace_id = ${h.ws}::uuid AND campaign_id = ${D}::uuid AND day < date '2025-02-03'`;
      await tx.$executeRaw`UPDATE campaign_spend SET day = day + 40 WHERE workspace_id = ${h.ws}::uuid AND campaign_id = ${D}::uuid AND day = date '2025-02-10'`; // moves to March
      await tx.$executeRaw`UPDATE campaign_spend SET currency = 'GBP' WHERE workspace_id = ${h.ws}::uuid AND campaign_id = ${D}::uuid AND currency = 'EUR' AND day > date '2025-02-01'`;
      expect(await rollup(tx)).toEqual(await direct(tx));
      await tx.$executeRaw`DELETE FROM campaign_spend WHERE workspace_id = ${h.ws}::uuid AND campaign_id = ${D}::uuid AND day >= date '2025-02-01'`;
      const afterDelete = await rollup(tx);
      expect(afterDelete).toEqual(await direct(tx));
      // Months left without any daily row disappear rather than staying at zero.
      expect(afterDelete.some((r) => r.k.startsWith(`${D} 2025-02`) || r.k.startsWith(`${D} 2025-03`))).toBe(false);
      await tx.$executeRaw`DELETE FROM campaigns WHERE workspace_id = ${h.ws}::uuid AND id = ${D}::uuid`; // spend goes by cascade
      expect(await rollup(tx)).toEqual(before);
    });
  });

  it("compares campaigns with curves against CAC, in the order asked", async () => {
    const cmp = await h.owner.caller.campaigns.compare({ workspaceId: h.ws, measure: "revenue", horizon: "historical", campaignIds: [h.B, h.A] });
    expect(cmp.campaigns.map((c) => c.key)).toEqual([h.B, h.A]);
    const a = cmp.campaigns[1]!.curve;
    expect(a.curve).toEqual([3500, 4500, 4500, 7000]);
    expect(a.actualMonths).toBe(4);
    expect(a.cacMinor).toBe(5000);
    expect(a.paybackMonths).toBe(4);
  });

  it("budget hint: needs spend and enough customers, otherwise explains", async () => {
    const b = await h.owner.caller.campaigns.budget({ workspaceId: h.ws, measure: "revenue", horizon: "historical", budgetMinor: 100_000 });
    expect(b.unavailable).toMatch(/at least 30 acquired customers/);
    const p = await h.owner.caller.campaigns.budget({ workspaceId: h.ws, measure: "revenue", horizon: "lifetime", budgetMinor: 100_000 });
    expect(p.unavailable).toMatch(/needs predictions/);
  });

  it("exports the comparison as formula-safe CSV", async () => {
    let csv = "";
    for await (const chunk of campaignsCsv(prisma(), h.owner.user.id, h.ws, { measure: "revenue", horizon: "historical", campaignIds: [h.A, h.C] })) csv += chunk;
    const lines = csv.trim().split("\r\n");
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^campaign,external_id,channel/);
    expect(lines[1]).toMatch(/^Search A,ui-search-a-[0-9a-f]{8},paid_search,2025-01-01,,true,USD,2025-01,2025-01,100\.00,2,true,50\.00,70\.00,140\.00,/);
    expect(lines[2]).toMatch(/^"'=HYPERLINK\(""x""\) C"/);
  });

  it("lets viewers and members read but only admins and owners edit; edits are audit-logged", async () => {
    const viewer = await join(h.owner, h.ws, "roi-viewer", "VIEWER");
    const member = await join(h.owner, h.ws, "roi-member", "MEMBER");
    const admin = await join(h.owner, h.ws, "roi-admin", "ADMIN");
    await expect(viewer.caller.campaigns.roi({ workspaceId: h.ws })).resolves.toBeTruthy();
    await expect(viewer.caller.campaigns.get({ workspaceId: h.ws, campaignId: h.A })).resolves.toBeTruthy();
    for (const who of [viewer, member]) {
      await expect(who.caller.campaigns.create({ workspaceId: h.ws, name: "x", channel: "y", startsAt: null, endsAt: null, notes: null })).rejects.toMatchObject({ code: "FORBIDDEN" });
      await expect(who.caller.campaigns.update({ workspaceId: h.ws, campaignId: h.A, name: "x", channel: "y", startsAt: null, endsAt: null, notes: null })).rejects.toMatchObject({ code: "FORBIDDEN" });
      await expect(who.caller.campaigns.setSpend({ workspaceId: h.ws, campaignId: h.A, from: "2025-01-01", to: "2025-01-01", amountMinor: 1 })).rejects.toMatchObject({ code: "FORBIDDEN" });
    }
    await admin.caller.campaigns.update({ workspaceId: h.ws, campaignId: h.C, name: "Display C", channel: "display", startsAt: "2025-01-01", endsAt: "2025-03-31", notes: "Banner test" });
    const d = await viewer.caller.campaigns.get({ workspaceId: h.ws, campaignId: h.C });
    expect(d).toMatchObject({ name: "Display C", endsAt: "2025-03-31", notes: "Banner test" });
    const logs = await withWorkspace(prisma(), h.ws, (tx) => tx.auditLog.findMany({ where: { workspaceId: h.ws, action: { startsWith: "campaign." } }, select: { action: true, actorUserId: true } }));
    expect(logs.filter((l) => l.action === "campaign.created")).toHaveLength(3);
    expect(logs.filter((l) => l.action === "campaign.spend_set").length).toBeGreaterThanOrEqual(4);
    expect(logs.find((l) => l.action === "campaign.updated")?.actorUserId).toBe(admin.user.id);
    await expect(admin.caller.campaigns.create({ workspaceId: h.ws, name: "dup", channel: "y", externalId: (await viewer.caller.campaigns.get({ workspaceId: h.ws, campaignId: h.A })).externalId, startsAt: null, endsAt: null, notes: null })).rejects.toMatchObject({ code: "CONFLICT" });
  });

  it("isolates workspaces: another tenant's campaign ids and workspace are not found", async () => {
    const other = await signUp("roi-other");
    await expect(other.caller.campaigns.roi({ workspaceId: h.ws })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(other.caller.campaigns.compare({ workspaceId: other.workspaceId, campaignIds: [h.A, h.B] })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(other.caller.campaigns.get({ workspaceId: other.workspaceId, campaignId: h.A })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(other.caller.campaigns.setSpend({ workspaceId: other.workspaceId, campaignId: h.A, from: "2025-01-01", to: "2025-01-01", amountMinor: 1 })).rejects.toMatchObject({ code: "NOT_FOUND" });
    const mine = await other.caller.campaigns.roi({ workspaceId: other.workspaceId });
    expect(mine.campaigns).toEqual([]);
    expect(mine.refreshedAt).toBeNull();
    const gen = campaignsCsv(prisma(), other.user.id, h.ws, { measure: "revenue", horizon: "historical" });
    await expect(gen.next()).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});

describe("campaign ROI on the demo data", () => {
  let demo: Actor & { workspaceId: string };
  beforeAll(async () => {
    demo = await signUp("roi-demo");
    const data = generateDemoData({ seed: 42, customers: 2500, start: new Date(Date.UTC(2024, 0, 1)), end: new Date(Date.UTC(2025, 11, 31, 23, 59, 59, 999)) });
    await writeDemoData(prisma(), demo.workspaceId, data, () => undefined);
    const run = await recomputeWorkspace(prisma(), demo.workspaceId, { compare: false });
    expect(run).toMatchObject({ status: "succeeded", predictions: true });
  });

  it("the whole-range curves pre-summed at the refresh give exactly what the live sums give, on every basis", async () => {
    const both = (basis: RoiBasis) =>
      withWorkspace(prisma(), demo.workspaceId, async (tx) => [await computeCampaignRoi(tx, demo.workspaceId, basis), await computeCampaignRoi(tx, demo.workspaceId, basis, { keyTotals: false })] as const);
    const [first] = await both({ measure: "revenue", horizon: "historical" });
    const explicit = { fromMonth: first.result.firstCohortMonth!, toMonth: first.result.lastCohortMonth! };
    expect(explicit.fromMonth < explicit.toMonth).toBe(true);
    let curvePoints = 0;
    for (const measure of ["revenue", "margin"] as const) {
      for (const horizon of ["historical", "predicted12", "lifetime"] as const) {
        for (const range of [{}, explicit]) {
          const [pre, live] = await both({ measure, horizon, ...range });
          expect(pre.curveSource, `${measure}/${horizon}`).toBe("precomputed");
          expect(live.curveSource).toBe("live");
          expect(pre.result).toEqual(live.result);
          expect([...pre.curves.entries()]).toEqual([...live.curves.entries()]);
          curvePoints += [...pre.curves.values()].reduce((n, c) => n + c.curve.length, 0);
        }
      }
    }
    expect(curvePoints).toBeGreaterThan(1000);
    // A narrower range cannot use the whole-range sums.
    const [narrow] = await both({ measure: "margin", horizon: "lifetime", fromMonth: "2024-07", toMonth: "2024-12" });
    expect(narrow.curveSource).toBe("live");
    // The rows themselves: one per key; at month 0 every acquired customer of the key is counted.
    const rows = await withWorkspace(prisma(), demo.workspaceId, (tx) =>
      tx.$queryRaw<{ bad: number; keys: number; cohortKeys: number }[]>`
        SELECT count(*) FILTER (WHERE t.curve_eligible[1] IS DISTINCT FROM c.n::int OR t.customers <> c.n)::int AS bad, count(*)::int AS keys,
               (SELECT count(DISTINCT (campaign_key, channel)) FROM campaign_cohorts WHERE workspace_id = ${demo.workspaceId}::uuid)::int AS "cohortKeys"
          FROM campaign_key_totals t
          JOIN (SELECT campaign_key, channel, sum(customers) AS n FROM campaign_cohorts WHERE workspace_id = ${demo.workspaceId}::uuid GROUP BY 1, 2) c
            ON c.campaign_key = t.campaign_key AND c.channel = t.channel
         WHERE t.workspace_id = ${demo.workspaceId}::uuid`,
    );
    expect(rows[0]!.keys).toBeGreaterThan(5);
    expect(rows[0]!.keys).toBe(rows[0]!.cohortKeys);
    expect(rows[0]!.bad).toBe(0);
  });

  it("compare reads only the picked campaigns and budget builds no curves, with the same figures as the full table", async () => {
    for (const range of [{}, { fromMonth: "2024-04", toMonth: "2025-03" }]) {
      const basis: RoiBasis = { measure: "margin", horizon: "lifetime", ...range };
      const full = await withWorkspace(prisma(), demo.workspaceId, (tx) => computeCampaignRoi(tx, demo.workspaceId, basis));
      const ids = full.result.campaigns.filter((c) => c.customers > 0).slice(0, 6).map((c) => c.key);
      const cmp = await demo.caller.campaigns.compare({ workspaceId: demo.workspaceId, ...basis, campaignIds: ids });
      expect(cmp.predictionsUnavailable).toBe(full.result.predictionsUnavailable);
      expect(cmp.fromMonth).toBe(full.result.fromMonth);
      expect(cmp.toMonth).toBe(full.result.toMonth);
      expect(cmp.campaigns).toEqual(ids.map((id) => ({ ...full.result.campaigns.find((c) => c.key === id)!, curve: full.curves.get(id)! })));
      const noCurves = await withWorkspace(prisma(), demo.workspaceId, (tx) => computeCampaignRoi(tx, demo.workspaceId, basis, { curves: false }));
      const strip = (m: { paybackMonths: number | null; paybackSource: string | null }) => ({ ...m, paybackMonths: null, paybackSource: null });
      expect(noCurves.result.channels).toEqual(full.result.channels.map(strip));
      expect(noCurves.result.campaigns).toEqual(full.result.campaigns.map(strip));
    }
  });

  it("the loyal channel (referral) has the best LTV:CAC among channels that spend, on every basis; budget hint beats the current split", async () => {
    expect(DEMO_CHANNEL_PROFILES[DEMO_LOYAL_CHANNEL].spendModel).not.toBe("none");
    for (const measure of ["revenue", "margin"] as const) {
      for (const horizon of ["historical", "predicted12", "lifetime"] as const) {
        const r = await demo.caller.campaigns.roi({ workspaceId: demo.workspaceId, measure, horizon });
        expect(r.predictionsUnavailable).toBeNull();
        const paying = r.channels.filter((c) => Number(c.spendMinor) > 0 && !c.lowConfidence);
        expect(paying.length).toBeGreaterThanOrEqual(4);
        const best = [...paying].sort((a, b) => b.ltvToCac! - a.ltvToCac!)[0]!;
        expect(best.key, `${measure}/${horizon}`).toBe(DEMO_LOYAL_CHANNEL);
        // ranges are ordered and predictions exist for every channel
        for (const c of paying) {
          expect(BigInt(c.predicted12LowMinor!)).toBeLessThanOrEqual(BigInt(c.predicted12Minor!));
          expect(BigInt(c.predicted12Minor!)).toBeLessThanOrEqual(BigInt(c.predicted12HighMinor!));
        }
      }
    }
    const r = await demo.caller.campaigns.roi({ workspaceId: demo.workspaceId });
    const organic = r.channels.find((c) => c.key === "organic")!;
    expect(organic).toMatchObject({ spendMinor: "0", ltvToCac: null });
    expect(r.unattributed!.customers).toBeGreaterThan(0);
    // three campaigns compared: curves start at month 1 and pass the CAC line for referral
    const ids = r.campaigns.filter((c) => c.customers >= 30).slice(0, 3).map((c) => c.key);
    const cmp = await demo.caller.campaigns.compare({ workspaceId: demo.workspaceId, campaignIds: ids });
    for (const c of cmp.campaigns) {
      expect(c.curve.curve.length).toBe(c.curve.actualMonths + 12);
      expect(c.curve.actualMonths).toBeGreaterThan(3);
    }
    // next month at today's total monthly spend: the suggestion moves money towards referral and email
    const monthly = r.channels.reduce((t, c) => t + Number(c.spendMinor), 0) / 24;
    const same = await demo.caller.campaigns.budget({ workspaceId: demo.workspaceId, budgetMinor: Math.round(monthly) });
    expect(same.months).toBe(24);
    expect(BigInt(same.suggestedExpectedValueMinor)).toBeGreaterThan(BigInt(same.currentExpectedValueMinor));
    const ref = same.lines.find((l) => l.channel === DEMO_LOYAL_CHANNEL)!;
    expect(BigInt(ref.suggestedMinor)).toBeGreaterThan(BigInt(ref.currentSplitMinor));
    expect(BigInt(same.unallocatedMinor)).toBeLessThanOrEqual(1n);
    // a budget far above history: every channel capped at 2× its monthly average, the rest left unallocated
    const b = await demo.caller.campaigns.budget({ workspaceId: demo.workspaceId, budgetMinor: 2_000_000 });
    expect(b.unavailable).toBeNull();
    expect(BigInt(b.suggestedExpectedValueMinor)).toBeGreaterThanOrEqual(BigInt(b.currentExpectedValueMinor));
    const lines = Object.fromEntries(b.lines.map((l) => [l.channel, l]));
    expect(lines.organic!.included).toBe(false);
    expect(lines.organic!.explanation).toMatch(/no spend/);
    for (const l of b.lines.filter((x) => x.included)) {
      expect(BigInt(l.suggestedMinor)).toBeLessThanOrEqual(BigInt(l.capMinor) + 1n);
      expect(l.explanation.startsWith(l.channel)).toBe(true);
    }
    expect(b.lines.filter((l) => l.included).reduce((s, l) => s + Number(l.suggestedMinor), 0)).toBeLessThanOrEqual(2_000_000 + b.lines.length);
    expect(Number(b.unallocatedMinor)).toBeGreaterThan(0);
  });
});
