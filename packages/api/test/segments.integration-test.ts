/**
 * Segments — RFM and value tiers (issue 5) against a real PostgreSQL, on demo data (1,500 customers,
 * two years of orders): the per-recompute snapshot equals a direct aggregation of customer_scores,
 * "change since the previous recompute" compares the right two runs, tier thresholds are applied by
 * the recompute and enforced by role with an audit trail, small-data and empty workspaces, the
 * Customers page's RFM-cell filter, and tenant isolation.
 */
import { TRPCError } from "@trpc/server";
import { tierThresholds } from "@valuelens/clv-core";
import { getDb, withWorkspace } from "@valuelens/db";
import { generateDemoData, writeDemoData } from "@valuelens/db/seed";
import { beforeAll, describe, expect, it } from "vitest";
import { recomputeWorkspace } from "../src/services/recompute/index.ts";
import { writeSegmentSnapshots } from "../src/services/segments/index.ts";
import { addCustomers, join, signUp, type Actor } from "./harness.ts";

let owner: Actor & { workspaceId: string };
let admin: Actor;
let member: Actor;
let viewer: Actor;
let firstRun: string;

const ws = () => owner.workspaceId;

interface Agg {
  kind: string;
  key: string;
  customers: number;
  revenue: string;
  hist: string;
  pred: string | null;
  p_alive: number | null;
  lo: string | null;
  hi: string | null;
}

/** The reference: each grouping computed by its own GROUP BY straight from customer_scores + customers. */
async function directAggregates(workspaceId: string): Promise<Agg[]> {
  return withWorkspace(getDb().prisma, workspaceId, (tx) =>
    tx.$queryRaw<Agg[]>`
      WITH x AS (SELECT s.*, c.revenue_minor FROM customer_scores s JOIN customers c ON c.workspace_id = s.workspace_id AND c.id = s.customer_id
                  WHERE s.workspace_id = ${workspaceId}::uuid)
      SELECT 'rfm' AS kind, rfm_segment AS key, count(*)::int AS customers, sum(revenue_minor)::text AS revenue, sum(historical_clv_minor)::text AS hist,
             sum(predicted_clv_minor)::text AS pred, sum(p_alive) AS p_alive,
             min(coalesce(predicted_clv_minor, historical_clv_minor))::text AS lo, max(coalesce(predicted_clv_minor, historical_clv_minor))::text AS hi
        FROM x GROUP BY rfm_segment
      UNION ALL
      SELECT 'tier', value_tier, count(*)::int, sum(revenue_minor)::text, sum(historical_clv_minor)::text, sum(predicted_clv_minor)::text, sum(p_alive),
             min(coalesce(predicted_clv_minor, historical_clv_minor))::text, max(coalesce(predicted_clv_minor, historical_clv_minor))::text
        FROM x GROUP BY value_tier
      UNION ALL
      SELECT 'rfm_cell', rfm_r || ',' || rfm_f, count(*)::int, sum(revenue_minor)::text, sum(historical_clv_minor)::text, sum(predicted_clv_minor)::text, sum(p_alive),
             min(coalesce(predicted_clv_minor, historical_clv_minor))::text, max(coalesce(predicted_clv_minor, historical_clv_minor))::text
        FROM x GROUP BY rfm_r, rfm_f
      UNION ALL
      SELECT 'total', 'all', count(*)::int, coalesce(sum(revenue_minor), 0)::text, coalesce(sum(historical_clv_minor), 0)::text, sum(predicted_clv_minor)::text, sum(p_alive),
             min(coalesce(predicted_clv_minor, historical_clv_minor))::text, max(coalesce(predicted_clv_minor, historical_clv_minor))::text
        FROM x
      ORDER BY 1, 2`,
  );
}

async function snapshotOf(workspaceId: string, runId: string): Promise<Agg[]> {
  return withWorkspace(getDb().prisma, workspaceId, (tx) =>
    tx.$queryRaw<Agg[]>`
      SELECT kind, key, customers, revenue_minor::text AS revenue, historical_clv_sum_minor::text AS hist, predicted_clv_sum_minor::text AS pred,
             p_alive_sum AS p_alive, min_value_minor::text AS lo, max_value_minor::text AS hi
        FROM segment_snapshots WHERE workspace_id = ${workspaceId}::uuid AND model_run_id = ${runId}::uuid
       ORDER BY 1, 2`,
  );
}

/** Float sums (P(alive)) are compared to 1e-9 relative: the two plans may add in a different order. */
function expectSameAggregates(a: Agg[], b: Agg[]): void {
  const strip = (r: Agg) => ({ ...r, p_alive: null });
  expect(a.map(strip)).toEqual(b.map(strip));
  a.forEach((r, i) => {
    const o = b[i]!.p_alive;
    if (r.p_alive === null || o === null) expect(r.p_alive).toBe(o);
    else expect(Math.abs(r.p_alive - o)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(o)));
  });
}

async function recompute(workspaceId: string): Promise<string> {
  const out = await recomputeWorkspace(getDb().prisma, workspaceId, { compare: false, triggeredBy: "test" });
  if (out.status !== "succeeded") throw new Error(`recompute ${out.status}`);
  return out.runId;
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "OK";
  } catch (e) {
    return e instanceof TRPCError ? e.code : `THROWN ${String(e)}`;
  }
}

beforeAll(async () => {
  owner = await signUp("segowner", "Segments demo");
  admin = await join(owner, owner.workspaceId, "segadmin", "ADMIN");
  member = await join(owner, owner.workspaceId, "segmember", "MEMBER");
  viewer = await join(owner, owner.workspaceId, "segviewer", "VIEWER");
  const data = generateDemoData({ seed: 11, customers: 1500, start: new Date(Date.UTC(2024, 0, 1)), end: new Date(Date.UTC(2025, 11, 31)) });
  await writeDemoData(getDb().prisma, owner.workspaceId, data, () => undefined);
  firstRun = await recompute(owner.workspaceId);
}, 300_000);

describe("segment snapshots", () => {
  it("equal a direct aggregation of customer_scores for every segment, tier, RFM cell and the total", async () => {
    const direct = await directAggregates(ws());
    const snap = await snapshotOf(ws(), firstRun);
    expect(direct.length).toBeGreaterThan(20);
    expectSameAggregates(snap, direct);
    const total = snap.find((r) => r.kind === "total")!;
    expect(total.customers).toBeGreaterThan(1000);
    expect(total.pred).not.toBeNull();
    for (const kind of ["rfm", "tier", "rfm_cell"]) expect(snap.filter((r) => r.kind === kind).reduce((s, r) => s + r.customers, 0), kind).toBe(total.customers);
  });

  it("are the rows the grouped SQL scan of the written scores gives, meta included (the recompute sums them in memory)", async () => {
    const read = (tx: Parameters<Parameters<typeof withWorkspace>[2]>[0]) =>
      tx.$queryRaw<(Agg & { meta: unknown })[]>`
        SELECT kind, key, customers, revenue_minor::text AS revenue, historical_clv_sum_minor::text AS hist, predicted_clv_sum_minor::text AS pred,
               p_alive_sum AS p_alive, min_value_minor::text AS lo, max_value_minor::text AS hi, meta
          FROM segment_snapshots WHERE workspace_id = ${ws()}::uuid AND model_run_id = ${firstRun}::uuid ORDER BY 1, 2`;
    const rollback = new Error("rollback");
    let fromSql: (Agg & { meta: unknown })[] = [];
    const inMemory = await withWorkspace(getDb().prisma, ws(), read);
    await withWorkspace(getDb().prisma, ws(), async (tx) => {
      await tx.$executeRaw`DELETE FROM segment_snapshots WHERE workspace_id = ${ws()}::uuid AND model_run_id = ${firstRun}::uuid`;
      await writeSegmentSnapshots(tx, ws(), firstRun);
      fromSql = await read(tx);
      throw rollback;
    }).catch((e: unknown) => {
      if (e !== rollback) throw e;
    });
    expect(fromSql.length).toBeGreaterThan(20);
    expect(inMemory.map((r) => r.meta)).toEqual(fromSql.map((r) => r.meta));
    expectSameAggregates(inMemory.map(({ meta: _m, ...r }) => r), fromSql.map(({ meta: _m, ...r }) => r));
  });

  it("serves the RFM map and segments from the snapshot, with shares and averages that add up", async () => {
    const o = await viewer.caller.segments.rfmOverview({ workspaceId: ws() });
    expect(o.current?.runId).toBe(firstRun);
    expect(o.current?.predictions).toBe(true);
    expect(o.previous).toBeNull();
    expect(o.cells).toHaveLength(25);
    expect(o.cells.map((c) => `${c.r},${c.f}`).slice(0, 6)).toEqual(["5,1", "5,2", "5,3", "5,4", "5,5", "4,1"]);
    const direct = await directAggregates(ws());
    const cellRef = direct.filter((r) => r.kind === "rfm_cell");
    for (const c of o.cells) {
      const ref = cellRef.find((r) => r.key === `${c.r},${c.f}`);
      expect(c.customers, `${c.r},${c.f}`).toBe(ref?.customers ?? 0);
      if (ref && ref.pred !== null) {
        // average predicted CLV = sum / n rounded to the minor unit
        expect(Math.abs(Number(c.avgPredictedClvMinor) - Number(ref.pred) / ref.customers)).toBeLessThanOrEqual(0.5);
        expect(c.avgPAlive).toBeCloseTo(ref.p_alive! / ref.customers, 9);
      }
      expect(c.change).toBeNull();
    }
    const shareSum = o.segments.reduce((s, x) => s + x.customerShare, 0);
    const revShareSum = o.segments.reduce((s, x) => s + (x.revenueShare ?? 0), 0);
    expect(shareSum).toBeCloseTo(1, 9);
    expect(revShareSum).toBeCloseTo(1, 9);
    expect(o.segments[0]!.segment).toBe("Champions");
    expect(o.segments.map((s) => s.segment)).toContain("Can't Lose Them");
    const champions = o.segments.find((s) => s.segment === "Champions")!;
    const ref = direct.find((r) => r.kind === "rfm" && r.key === "Champions")!;
    expect(champions.customers).toBe(ref.customers);
    expect(champions.revenueMinor).toBe(ref.revenue);
    expect(Math.abs(Number(champions.avgHistoricalClvMinor) - Number(ref.hist) / ref.customers)).toBeLessThanOrEqual(0.5);
  });

  it("computes the change since the previous recompute from the two latest runs", async () => {
    const before = await snapshotOf(ws(), firstRun);
    // New customers (all recent, one-off buyers) shift the RFM scores of everyone.
    await addCustomers(ws(), "SEGNEW", 40);
    const second = await recompute(ws());
    const after = await snapshotOf(ws(), second);
    expectSameAggregates(after, await directAggregates(ws()));
    const o = await viewer.caller.segments.rfmOverview({ workspaceId: ws() });
    expect(o.current?.runId).toBe(second);
    expect(o.previous?.runId).toBe(firstRun);
    const tot = (rows: Agg[]) => rows.find((r) => r.kind === "total")!.customers;
    expect(tot(after)).toBe(tot(before) + 40);
    let changed = 0;
    for (const s of o.segments) {
      const b = before.find((r) => r.kind === "rfm" && r.key === s.segment)?.customers ?? 0;
      const a = after.find((r) => r.kind === "rfm" && r.key === s.segment)?.customers ?? 0;
      expect(s.change, s.segment).toEqual({
        previousCustomers: b,
        previousCustomerShare: b / tot(before),
        deltaCustomers: a - b,
        deltaShare: a / tot(after) - b / tot(before),
      });
      if (a !== b) changed++;
    }
    expect(changed).toBeGreaterThan(0);
    const t = await viewer.caller.segments.tiers({ workspaceId: ws() });
    expect(t.tiers.reduce((s, x) => s + (x.change?.deltaCustomers ?? 0), 0)).toBe(40);
  });
});

describe("value tiers", () => {
  it("by default: top 20 % high, next 30 % medium by predicted CLV, as clv-core's type-7 percentiles say", async () => {
    const t = await viewer.caller.segments.tiers({ workspaceId: ws() });
    expect(t.settings).toEqual({ v: 1, by: "percentile", high: 0.8, medium: 0.5 });
    expect(t.appliedSettings).toEqual(t.settings);
    expect(t.pendingRecompute).toBe(false);
    expect(t.basis).toBe("predicted");
    const clv = await withWorkspace(getDb().prisma, ws(), (tx) =>
      tx.$queryRaw<{ v: bigint; tier: string }[]>`SELECT predicted_clv_minor AS v, value_tier AS tier FROM customer_scores WHERE workspace_id = ${ws()}::uuid`,
    );
    // Tiers were assigned on unrounded CLV; the stored values are rounded to the minor unit, so allow one unit at the edge.
    const th = tierThresholds(clv.map((r) => Number(r.v)));
    for (const r of clv) {
      const v = Number(r.v);
      if (v >= th.high + 1) expect(r.tier).toBe("high");
      else if (v < th.high - 1 && v >= th.medium + 1) expect(r.tier).toBe("medium");
      else if (v < th.medium - 1) expect(r.tier).toBe("low");
    }
    const high = t.tiers.find((x) => x.tier === "high")!;
    expect(high.customerShare).toBeGreaterThan(0.17);
    expect(high.customerShare).toBeLessThan(0.23);
    expect(t.tiers.reduce((s, x) => s + (x.predictedShare ?? 0), 0)).toBeCloseTo(1, 9);
    // High tier's lowest value is at least the medium tier's highest.
    expect(BigInt(high.minValueMinor!) >= BigInt(t.tiers.find((x) => x.tier === "medium")!.maxValueMinor!)).toBe(true);
  });

  it("only ADMIN and OWNER change thresholds (server-side); each change is audited and queues a recompute the tiers then follow", async () => {
    const amount = { v: 1 as const, by: "amount" as const, highMinor: "20000", mediumMinor: "5000" };
    expect(await codeOf(member.caller.segments.updateTierSettings({ workspaceId: ws(), settings: amount }))).toBe("FORBIDDEN");
    expect(await codeOf(viewer.caller.segments.updateTierSettings({ workspaceId: ws(), settings: amount }))).toBe("FORBIDDEN");
    expect(await codeOf(admin.caller.segments.updateTierSettings({ workspaceId: ws(), settings: { ...amount, mediumMinor: "30000" } }))).toBe("BAD_REQUEST");
    expect(await codeOf(admin.caller.segments.updateTierSettings({ workspaceId: ws(), settings: { v: 1, by: "percentile", high: 0.5, medium: 0.9 } }))).toBe("BAD_REQUEST");
    expect((await viewer.caller.segments.tiers({ workspaceId: ws() })).settings.by).toBe("percentile");

    const res = await admin.caller.segments.updateTierSettings({ workspaceId: ws(), settings: amount });
    expect(res).toMatchObject({ changed: true, settings: amount });
    expect(res.runId).toBeTruthy();
    // Saving the same thresholds again changes nothing and writes no second entry.
    expect((await owner.caller.segments.updateTierSettings({ workspaceId: ws(), settings: amount })).changed).toBe(false);
    const audit = await withWorkspace(getDb().prisma, ws(), (tx) =>
      tx.auditLog.findMany({ where: { workspaceId: ws(), action: "segments.update_tier_settings" }, orderBy: { id: "asc" }, select: { actorUserId: true, details: true } }),
    );
    expect(audit).toEqual([{ actorUserId: admin.user.id, details: { before: { v: 1, by: "percentile", high: 0.8, medium: 0.5 }, after: amount } }]);
    const queued = await withWorkspace(getDb().prisma, ws(), (tx) => tx.modelRun.findFirst({ where: { workspaceId: ws(), status: "queued" }, select: { id: true, triggeredBy: true } }));
    expect(queued).toEqual({ id: res.runId, triggeredBy: "tier-settings" });

    const pending = await viewer.caller.segments.tiers({ workspaceId: ws() });
    expect(pending.pendingRecompute).toBe(true);
    expect(pending.appliedSettings?.by).toBe("percentile");

    const run = await recompute(ws());
    expect(run).toBe(res.runId); // the worker claims the queued run
    const t = await viewer.caller.segments.tiers({ workspaceId: ws() });
    expect(t.pendingRecompute).toBe(false);
    expect(t.appliedSettings).toEqual(amount);
    const wrong = await withWorkspace(getDb().prisma, ws(), (tx) =>
      tx.$queryRaw<{ n: number }[]>`
        SELECT count(*)::int AS n FROM customer_scores
         WHERE workspace_id = ${ws()}::uuid
           AND value_tier <> CASE WHEN predicted_clv_minor >= 20000 THEN 'high' WHEN predicted_clv_minor >= 5000 THEN 'medium' ELSE 'low' END`,
    );
    // Assigned on unrounded CLV: only a value within half a minor unit of a threshold could differ.
    const edge = await withWorkspace(getDb().prisma, ws(), (tx) =>
      tx.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM customer_scores WHERE workspace_id = ${ws()}::uuid AND predicted_clv_minor IN (20000, 5000)`,
    );
    expect(wrong[0]!.n).toBeLessThanOrEqual(edge[0]!.n);
    const high = t.tiers.find((x) => x.tier === "high")!;
    if (high.customers > 0) expect(BigInt(high.minValueMinor!) >= 20000n - 1n).toBe(true);

    // Reset to the default: audited, queued again.
    const reset = await owner.caller.segments.updateTierSettings({ workspaceId: ws(), settings: null });
    expect(reset).toMatchObject({ changed: true, settings: { v: 1, by: "percentile", high: 0.8, medium: 0.5 } });
    const n = await withWorkspace(getDb().prisma, ws(), (tx) => tx.auditLog.count({ where: { workspaceId: ws(), action: "segments.update_tier_settings" } }));
    expect(n).toBe(2);
    await recompute(ws());
  });
});

describe("without predictions, empty, and isolation", () => {
  it("small-data mode: RFM figures and tiers by historical value; predicted columns empty with the reason", async () => {
    const small = await signUp("segsmall");
    await addCustomers(small.workspaceId, "SEGSMALL", 6);
    await recompute(small.workspaceId);
    const o = await small.caller.segments.rfmOverview({ workspaceId: small.workspaceId });
    expect(o.current?.predictions).toBe(false);
    expect(o.current?.reason).toMatch(/repeat buyers/);
    expect(o.totals?.customers).toBe(6);
    expect(o.totals?.predictedClvSumMinor).toBeNull();
    expect(o.cells.reduce((s, c) => s + c.customers, 0)).toBe(6);
    for (const c of o.cells) {
      expect(c.avgPredictedClvMinor).toBeNull();
      expect(c.avgPAlive).toBeNull();
    }
    const t = await small.caller.segments.tiers({ workspaceId: small.workspaceId });
    expect(t.basis).toBe("historical");
    expect(t.tiers.every((x) => x.predictedShare === null)).toBe(true);
    expect(t.tiers.reduce((s, x) => s + x.customers, 0)).toBe(6);
    expectSameAggregates(await snapshotOf(small.workspaceId, o.current!.runId), await directAggregates(small.workspaceId));
  });

  it("empty workspace (no recompute yet): no figures, no error", async () => {
    const empty = await signUp("segempty");
    const o = await empty.caller.segments.rfmOverview({ workspaceId: empty.workspaceId });
    expect(o).toMatchObject({ current: null, previous: null, totals: null, cells: [], segments: [] });
    const t = await empty.caller.segments.tiers({ workspaceId: empty.workspaceId });
    expect(t).toMatchObject({ current: null, tiers: [], appliedSettings: null, pendingRecompute: false });
  });

  it("the Customers page's RFM-cell filter lists exactly the cell's customers", async () => {
    const o = await viewer.caller.segments.rfmOverview({ workspaceId: ws() });
    const cell = o.cells.filter((c) => c.customers > 0).sort((a, b) => a.customers - b.customers)[0]!;
    const seen = new Set<string>();
    let cursor: { v: string; id: string } | null = null;
    for (;;) {
      const page: Awaited<ReturnType<typeof viewer.caller.customers.list>> = await viewer.caller.customers.list({
        workspaceId: ws(),
        sort: "historicalClv",
        limit: 100,
        cursor,
        filters: { rfmR: cell.r, rfmF: cell.f },
      });
      for (const r of page.rows) seen.add(r.id);
      if (!page.nextCursor) break;
      cursor = page.nextCursor;
    }
    expect(seen.size).toBe(cell.customers);
    expect(await codeOf(viewer.caller.customers.list({ workspaceId: ws(), filters: { rfmR: 6 } }))).toBe("BAD_REQUEST");
  });

  it("another workspace's owner cannot read these figures, and RLS hides the snapshot rows", async () => {
    const other = await signUp("segother", "CANARY other");
    expect(await codeOf(other.caller.segments.rfmOverview({ workspaceId: ws() }))).toMatch(/^(FORBIDDEN|NOT_FOUND)$/);
    expect(await codeOf(other.caller.segments.tiers({ workspaceId: ws() }))).toMatch(/^(FORBIDDEN|NOT_FOUND)$/);
    expect(await codeOf(other.caller.segments.updateTierSettings({ workspaceId: ws(), settings: null }))).toMatch(/^(FORBIDDEN|NOT_FOUND)$/);
    const leaked = await withWorkspace(getDb().prisma, other.workspaceId, (tx) =>
      tx.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM segment_snapshots WHERE workspace_id = ${ws()}::uuid`,
    );
    expect(leaked[0]!.n).toBe(0);
    const own = await withWorkspace(getDb().prisma, ws(), (tx) => tx.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM segment_snapshots`);
    expect(own[0]!.n).toBeGreaterThan(0);
  });
});
