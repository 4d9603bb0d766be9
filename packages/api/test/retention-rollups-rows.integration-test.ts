/**
 * Retention rollups, row by row: after a forced full refresh (and after a delta refresh for new segments / tiers) every cell,
 * lifetime and repeat row equals what a plain query gives for its definition — one GROUP BY per split with the
 * split key as text (as the page's live queries do), lifetimes from a per-customer window pass per "active"
 * window (getRetentionCurves' query), quarter cells from one row per customer and quarter. The refresh computes
 * them very differently (one aggregation of customer_months at the finest grain summed up to every split,
 * lifetimes as per-row intervals of windows), so this pins it to the definitions on data made to hit the edges:
 * purchase gaps of every length around the windows, customers without orders, refunds, a non-UTC time zone.
 */
import { mulberry32 } from "@valuelens/clv-core";
import { getDb, withWorkspace, type Tx } from "@valuelens/db";
import { generateDemoData, writeDemoData } from "@valuelens/db/seed";
import type { TCohortSplit } from "@valuelens/validators";
import { describe, expect, it } from "vitest";
import { recomputeWorkspace } from "../src/services/recompute/index.ts";
import { MONTH_IDX, refreshRetentionRollups, ROLLUP_WINDOWS, scoresJoin, SPLIT_KEY, WEEK_IDX } from "../src/services/retention-rollups.ts";
import { signUp } from "./harness.ts";

const DAY = 86_400_000;
const prisma = () => getDb().prisma;
const SPLITS: TCohortSplit[] = ["none", "channel", "campaign", "segment", "tier"];

/** The workspace's cell, life and repeat rollup rows as sorted text. */
async function written(tx: Tx, ws: string): Promise<string[]> {
  const rows = await tx.$queryRawUnsafe<{ t: string }[]>(
    `SELECT concat_ws('|', kind, grain, split, grp, w, c0, k, customers, revenue_minor, margin_minor) AS t
       FROM retention_rollups WHERE workspace_id = $1::uuid AND kind IN ('cell', 'life', 'repeat')
     UNION ALL
     SELECT concat_ws('|', kind, grain, split, grp, w, c0, k, customers, gaps, round(gap_seconds::numeric, 3))
       FROM retention_rollups WHERE workspace_id = $1::uuid AND kind = 'gaps'`,
    ws,
  );
  return rows.map((r) => r.t).sort();
}

/** The same rows from their definitions. */
async function expected(tx: Tx, ws: string): Promise<string[]> {
  await tx.$executeRawUnsafe("SET LOCAL enable_nestloop = off");
  const [{ last } = { last: null }] = await tx.$queryRawUnsafe<{ last: number | null }[]>(
    `SELECT ${MONTH_IDX("max(month)")} AS last FROM monthly_rollups WHERE workspace_id = $1::uuid AND orders > 0`,
    ws,
  );
  if (last === null) return [];
  const tz = `(SELECT timezone FROM workspaces WHERE id = $1::uuid)`;
  const out: string[] = [];
  const add = async (sql: string) => out.push(...(await tx.$queryRawUnsafe<{ t: string }[]>(sql, ws)).map((r) => r.t));
  for (const split of SPLITS) {
    const key = SPLIT_KEY[split].expr;
    const cust = (period: "month" | "week") =>
      `(SELECT c.id, ${key} AS grp, ${period === "month" ? MONTH_IDX(`date_trunc('month', c.first_order_at AT TIME ZONE ${tz})::date`) : WEEK_IDX(`date_trunc('week', c.first_order_at AT TIME ZONE ${tz})::date`)} AS c0
          FROM customers c ${scoresJoin(split)} WHERE c.workspace_id = $1::uuid AND c.first_order_at IS NOT NULL)`;
    const cells = (grain: string, periods: string, period: "month" | "week", c0: string) =>
      add(`SELECT concat_ws('|', 'cell', '${grain}', '${split}', c.grp, 0, ${c0}, x.p - ${c0}, count(*), sum(x.rev), sum(x.mar)) AS t
             FROM ${periods} x JOIN ${cust(period)} c ON c.id = x.customer_id GROUP BY c.grp, ${c0}, x.p`);
    await cells("month", `(SELECT customer_id, ${MONTH_IDX("month")} AS p, revenue_minor AS rev, margin_minor AS mar FROM customer_months WHERE workspace_id = $1::uuid)`, "month", "c.c0");
    await cells("week", `(SELECT customer_id, ${WEEK_IDX("week")} AS p, revenue_minor AS rev, margin_minor AS mar FROM customer_weeks WHERE workspace_id = $1::uuid)`, "week", "c.c0");
    await cells(
      "quarter",
      `(SELECT customer_id, ${MONTH_IDX("month")} / 3 AS p, sum(revenue_minor) AS rev, sum(margin_minor) AS mar FROM customer_months WHERE workspace_id = $1::uuid GROUP BY 1, 2)`,
      "month",
      "(c.c0 / 3)",
    );
    for (const w of ROLLUP_WINDOWS)
      await add(
        `WITH m AS (SELECT customer_id, ${MONTH_IDX("month")} AS p FROM customer_months WHERE workspace_id = $1::uuid),
         g AS (SELECT customer_id, p, lead(p) OVER (PARTITION BY customer_id ORDER BY p) AS nxt, min(p) OVER (PARTITION BY customer_id) AS p0 FROM m),
         l AS (SELECT customer_id, p0, min(p) FILTER (WHERE (nxt IS NULL AND ${last - 1} - p >= ${w}) OR nxt - p > ${w}) + 1 - p0 AS life FROM g GROUP BY customer_id, p0)
         SELECT concat_ws('|', 'life', 'month', '${split}', grp, ${w}, p0, coalesce(life, -1), count(*), 0, 0) AS t
           FROM (SELECT ${key} AS grp, l.p0, l.life FROM l JOIN customers c ON c.workspace_id = $1::uuid AND c.id = l.customer_id ${scoresJoin(split)}) z
          GROUP BY grp, p0, life`,
      );
  }
  await add(
    `WITH m AS (SELECT customer_id, ${MONTH_IDX("month")} AS p, orders, row_number() OVER (PARTITION BY customer_id ORDER BY month) AS rn FROM customer_months WHERE workspace_id = $1::uuid),
     f AS (SELECT customer_id, min(p) FILTER (WHERE rn = 1) AS p0, min(p) FILTER (WHERE rn = 2) AS p1, bool_or(rn = 1 AND orders >= 2) AS again FROM m GROUP BY customer_id)
     SELECT concat_ws('|', 'repeat', 'month', 'none', '', 0, p0, d, count(*), 0, 0) AS t
       FROM (SELECT p0, coalesce(CASE WHEN again THEN 0 ELSE p1 - p0 END, -1) AS d FROM f) y GROUP BY p0, d`,
  );
  await add(
    `SELECT concat_ws('|', 'gaps', 'month', 'none', '', 0, c0, 0, count(*), sum(purchase_days - 1), round(sum(extract(epoch FROM last_order_at - first_order_at))::float8::numeric, 3)) AS t
       FROM (SELECT ${MONTH_IDX(`date_trunc('month', first_order_at AT TIME ZONE ${tz})::date`)} AS c0, purchase_days, last_order_at, first_order_at
               FROM customers WHERE workspace_id = $1::uuid AND purchase_days >= 2) g GROUP BY c0`,
  );
  return out.sort();
}

/**
 * Customers over ~3 years in channels and campaigns (some with neither, some never buying); each buys in runs
 * of months separated by gaps of 1–16 months (so every window's "churned" test meets gaps just under, at and
 * over it), a few orders a month, some refunded or in another currency.
 */
async function load(ws: string, seed: number, customers: number): Promise<void> {
  const rng = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)]!;
  const start = Date.UTC(2023, 0, 1);
  const end = Date.UTC(2025, 11, 20);
  await withWorkspace(prisma(), ws, async (tx) => {
    await tx.$executeRaw`UPDATE workspaces SET timezone = 'America/New_York' WHERE id = ${ws}::uuid`;
    const camps = await Promise.all(
      ["spring", "summer", "autumn"].map((k, i) => tx.campaign.create({ data: { workspaceId: ws, externalId: k, name: k, channel: ["paid", "email", "social"][i]! }, select: { id: true } })),
    );
    await tx.customer.createMany({
      data: Array.from({ length: customers }, (_, c) => ({
        workspaceId: ws,
        externalId: `c${c}`,
        acquisitionChannel: rng() < 0.2 ? null : pick(["email", "paid", "social", "organic"]),
        acquisitionCampaignId: rng() < 0.4 ? null : pick(camps).id,
      })),
    });
    const ids = new Map((await tx.customer.findMany({ where: { workspaceId: ws }, select: { id: true, externalId: true } })).map((r) => [r.externalId, r.id]));
    const orders: { workspaceId: string; externalId: string; customerId: string; orderedAt: Date; amountMinor: bigint; currency: string; refunded: boolean }[] = [];
    for (let c = 0; c < customers; c++) {
      if (rng() < 0.05) continue; // never bought
      let t = start + Math.floor(rng() * (end - start) * 0.9);
      let i = 0;
      while (t < end && i < 40) {
        // A run of consecutive months, then a gap.
        const run = 1 + Math.floor(rng() * 4);
        for (let m = 0; m < run && t < end; m++) {
          const n = 1 + Math.floor(rng() * 3);
          for (let k = 0; k < n; k++)
            orders.push({
              workspaceId: ws,
              externalId: `o${c}-${i++}`,
              customerId: ids.get(`c${c}`)!,
              orderedAt: new Date(t + Math.floor(rng() * 27) * DAY + Math.floor(rng() * DAY)),
              amountMinor: BigInt(100 + Math.floor(rng() * 10_000)),
              currency: rng() < 0.1 ? "EUR" : "USD",
              refunded: i > 1 && rng() < 0.08,
            });
          t += 31 * DAY;
        }
        if (rng() < 0.3) break;
        t += (1 + Math.floor(rng() * 16)) * 30 * DAY;
      }
    }
    for (let i = 0; i < orders.length; i += 1000) await tx.order.createMany({ data: orders.slice(i, i + 1000) });
  });
}

describe("retention rollup rows", () => {
  it("equal their definitions after a forced full refresh and after a delta refresh for new segments and tiers", async () => {
    const owner = await signUp("retrows");
    const ws = owner.workspaceId;
    await load(ws, 20261124, 600);
    const run = await recomputeWorkspace(prisma(), ws, { compare: false });
    if (run.status !== "succeeded") throw new Error(`recompute ${run.status}`);
    const runId = run.runId;
    const check = async (label: string) => {
      const [got, want] = await withWorkspace(prisma(), ws, async (tx) => [await written(tx, ws), await expected(tx, ws)]);
      expect(new Set(got.map((r) => r.split("|").slice(0, 3).join("|"))).size, label).toBe(3 * 5 + 5 + 2); // every grain × split, life × split, repeat, gaps
      expect(got.length, label).toBeGreaterThan(5_000);
      expect(got, label).toEqual(want);
    };
    await check("after the recompute");
    await withWorkspace(prisma(), ws, async (tx) => expect(await refreshRetentionRollups(tx, ws, runId, { force: true })).toBe(true), { timeoutMs: 120_000 });
    await check("forced full refresh");
    // New value tiers and segments for a tenth of the customers: the refresh replaces only their contributions (mode delta).
    await withWorkspace(prisma(), ws, async (tx) => {
      await tx.$executeRaw`UPDATE customer_scores SET value_tier = CASE value_tier WHEN 'high' THEN 'low' WHEN 'low' THEN 'medium' ELSE 'high' END,
                                 rfm_segment = CASE WHEN hashtext(customer_id::text) % 2 = 0 THEN 'Champions' ELSE rfm_segment END
                            WHERE workspace_id = ${ws}::uuid AND hashtext(customer_id::text) % 10 = 0`;
      let mode: string | undefined;
      expect(await refreshRetentionRollups(tx, ws, runId, { report: (r) => (mode = r.mode) })).toBe(true);
      expect(mode).toBe("delta");
    });
    await check("scores-only refresh");
  });

  it("equal their definitions on the demo data in a far time zone, with orders on local month, year, leap-day, ISO-week and DST edges", async () => {
    const owner = await signUp("retrowsedge");
    const ws = owner.workspaceId;
    const data = generateDemoData({ seed: 11, customers: 900, start: new Date(Date.UTC(2023, 6, 1)), end: new Date(Date.UTC(2025, 5, 30)) });
    await writeDemoData(prisma(), ws, data, () => undefined);
    // Chatham Islands: UTC+12:45 / +13:45 (DST from the last Sunday of September to the first Sunday of April), so local
    // months, years and ISO weeks begin on another UTC day than the data's, at a quarter-hour offset.
    const edges = [
      "2024-02-29 23:59:59.999", "2024-03-01 00:00:00", // leap day / first of a month
      "2024-12-29 23:59:59", "2024-12-30 00:00:00", // Sunday / Monday of ISO week 2025-W01
      "2024-12-31 23:59:59.999", "2025-01-01 00:00:00", // year
      "2024-09-29 02:44:59", "2024-09-29 03:45:00", // DST starts (02:45 → 03:45)
      "2025-04-06 02:44:59", "2025-04-06 03:44:59", // DST ends (03:45 → 02:45, the hour runs twice)
      "2025-03-31 23:59:59", "2025-04-01 00:00:00", // last complete month / quarter edge
    ];
    await withWorkspace(prisma(), ws, async (tx) => {
      await tx.$executeRaw`UPDATE workspaces SET timezone = 'Pacific/Chatham' WHERE id = ${ws}::uuid`;
      // Existing customers get orders on the edges; new customers have their first (cohort-making) order on one.
      await tx.$executeRawUnsafe(
        `INSERT INTO customers (workspace_id, id, external_id, created_at, updated_at)
         SELECT $1::uuid, gen_random_uuid(), 'edge-' || i, now(), now() FROM generate_series(1, ${edges.length}) i`,
        ws,
      );
      await tx.$executeRawUnsafe(
        `INSERT INTO orders (workspace_id, id, external_id, customer_id, ordered_at, amount_minor, currency, created_at, updated_at)
         SELECT $1::uuid, gen_random_uuid(), 'edge-' || e.i || '-' || c.rn, c.id, e.t::timestamp AT TIME ZONE 'Pacific/Chatham', 1000 + e.i, 'USD', now(), now()
           FROM unnest($2::text[]) WITH ORDINALITY e(t, i)
           JOIN (SELECT id, row_number() OVER (ORDER BY external_id) AS rn FROM customers WHERE workspace_id = $1::uuid AND external_id NOT LIKE 'edge-%') c ON c.rn % ${edges.length} = e.i - 1 AND c.rn <= 200
         UNION ALL
         SELECT $1::uuid, gen_random_uuid(), 'edge-first-' || e.i, c.id, e.t::timestamp AT TIME ZONE 'Pacific/Chatham', 500, 'USD', now(), now()
           FROM unnest($2::text[]) WITH ORDINALITY e(t, i) JOIN customers c ON c.workspace_id = $1::uuid AND c.external_id = 'edge-' || e.i`,
        ws,
        edges,
      );
    }, { timeoutMs: 120_000 });
    // The time zone changed: the rebuild puts months and weeks in local time, as a settings change does.
    await withWorkspace(prisma(), ws, (tx) => tx.$executeRawUnsafe("SELECT vl_rebuild_summaries($1::uuid)", ws), { timeoutMs: 120_000 });
    const run = await recomputeWorkspace(prisma(), ws, { compare: false });
    if (run.status !== "succeeded") throw new Error(`recompute ${run.status}`);
    const [got, want] = await withWorkspace(prisma(), ws, async (tx) => {
      expect(await refreshRetentionRollups(tx, ws, run.runId, { force: true })).toBe(true);
      return [await written(tx, ws), await expected(tx, ws)];
    }, { timeoutMs: 120_000 });
    expect(got.length).toBeGreaterThan(2_000);
    expect(got.filter((r) => r.startsWith("gaps|")).length).toBeGreaterThan(10);
    expect(got).toEqual(want);
  });
});
