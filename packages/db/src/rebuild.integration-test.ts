/**
 * The repair rebuild (vl_rebuild_summaries, vl_rebuild_customer_months; one pass since migration
 * 20261124108100_fast_rebuild) is the oracle of the on-write summary tests, so it is checked here
 * against an independent reference: plain SELECTs over the raw orders, written the way the first
 * (slow, delete-and-recompute) rebuild defined every value — numeric rounding of the margin, UTC days,
 * months and ISO weeks in the workspace's time zone, revenue only in its currency. fast-check
 * generates workspaces (time zones with half- and quarter-hour offsets, margin rates with rounding
 * ties, refunds, foreign currency, missing costs, same-day orders, deleted orders, customers without
 * orders, negative and huge amounts) and damages the stored summaries in random ways before a rebuild.
 */
import fc from "fast-check";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type DbHandle } from "./client.ts";
import { APP_ROLE } from "./embedded.ts";
import { rebuildFromOrders, type RebuildOptions } from "./rebuild.ts";
import { withWorkspace, type Tx } from "./tenant.ts";

let h: DbHandle;
beforeAll(() => {
  h = createDb(process.env.DATABASE_URL!);
});
afterAll(async () => {
  await h.close();
});

class RollBack extends Error {}
/** Runs fn in the workspace's transaction and rolls it back. */
async function rolledBack(ws: string, fn: (tx: Tx) => Promise<void>): Promise<void> {
  await withWorkspace(h.prisma, ws, async (tx) => {
    await fn(tx);
    throw new RollBack();
  }).catch((e: unknown) => {
    if (!(e instanceof RollBack)) throw e;
  });
}

type Rows = string[];
const text = (rows: { r: string }[]): Rows => rows.map((x) => x.r);

/** What the workspace stores now. */
async function stored(tx: Tx, ws: string) {
  return {
    customers: text(await tx.$queryRaw<{ r: string }[]>`
      SELECT row(id, order_count, purchase_days, first_order_at, last_order_at, revenue_minor, margin_minor,
                 first_day_revenue_minor, first_month_revenue_minor)::text AS r
        FROM customers WHERE workspace_id = ${ws}::uuid ORDER BY id`),
    rollups: text(await tx.$queryRaw<{ r: string }[]>`
      SELECT row(month, orders, revenue_minor, new_customers, new_customer_revenue_minor)::text AS r
        FROM monthly_rollups WHERE workspace_id = ${ws}::uuid ORDER BY month`),
    stats: text(await tx.$queryRaw<{ r: string }[]>`
      SELECT row(customers, customers_with_orders, repeat_customers, orders, revenue_minor)::text AS r
        FROM workspace_stats WHERE workspace_id = ${ws}::uuid`),
    months: text(await tx.$queryRaw<{ r: string }[]>`
      SELECT row(customer_id, month, orders, revenue_minor, margin_minor)::text AS r
        FROM customer_months WHERE workspace_id = ${ws}::uuid ORDER BY customer_id, month`),
    weeks: text(await tx.$queryRaw<{ r: string }[]>`
      SELECT row(customer_id, week, orders, revenue_minor, margin_minor)::text AS r
        FROM customer_weeks WHERE workspace_id = ${ws}::uuid ORDER BY customer_id, week`),
  };
}

/** The same, computed from the raw orders by plain queries (the reference). */
async function reference(tx: Tx, ws: string) {
  const orders = ordersCte();
  return {
    customers: text(await tx.$queryRawUnsafe<{ r: string }[]>(`
      WITH ${orders},
      f AS (SELECT customer_id, count(*)::int AS n, count(DISTINCT d)::int AS days, min(ordered_at) AS first_at,
                   max(ordered_at) AS last_at, sum(amt)::bigint AS rev, sum(mar)::bigint AS margin, min(d) AS first_d, min(m) AS first_m
              FROM o GROUP BY customer_id),
      g AS (SELECT f.customer_id, sum(o.amt) FILTER (WHERE o.d = f.first_d)::bigint AS fdr,
                   sum(o.amt) FILTER (WHERE o.m = f.first_m)::bigint AS fmr
              FROM o JOIN f USING (customer_id) GROUP BY f.customer_id)
      SELECT row(c.id, coalesce(f.n, 0), coalesce(f.days, 0), f.first_at, f.last_at, coalesce(f.rev, 0), coalesce(f.margin, 0),
                 coalesce(g.fdr, 0), coalesce(g.fmr, 0))::text AS r
        FROM customers c LEFT JOIN f ON f.customer_id = c.id LEFT JOIN g ON g.customer_id = c.id
       WHERE c.workspace_id = $1::uuid ORDER BY c.id`, ws)),
    rollups: text(await tx.$queryRawUnsafe<{ r: string }[]>(`
      WITH ${orders},
      first AS (SELECT customer_id, min(m) AS m FROM o GROUP BY customer_id),
      fm AS (SELECT first.m, count(DISTINCT first.customer_id)::int AS n, sum(o.amt)::bigint AS rev
               FROM first JOIN o ON o.customer_id = first.customer_id AND o.m = first.m GROUP BY first.m)
      SELECT row(o.m, count(*)::int, sum(o.amt)::bigint, coalesce(max(fm.n), 0), coalesce(max(fm.rev), 0))::text AS r
        FROM o LEFT JOIN fm ON fm.m = o.m GROUP BY o.m ORDER BY o.m`, ws)),
    stats: text(await tx.$queryRawUnsafe<{ r: string }[]>(`
      WITH ${orders}
      SELECT row((SELECT count(*) FROM customers WHERE workspace_id = $1::uuid)::int,
                 (SELECT count(DISTINCT customer_id) FROM o)::int,
                 (SELECT count(*) FROM (SELECT customer_id FROM o GROUP BY customer_id HAVING count(DISTINCT d) >= 2) x)::int,
                 (SELECT count(*) FROM o)::int, (SELECT coalesce(sum(amt), 0) FROM o)::bigint)::text AS r`, ws)),
    months: text(await tx.$queryRawUnsafe<{ r: string }[]>(`
      WITH ${orders}
      SELECT row(customer_id, m, count(*)::int, sum(amt)::bigint, sum(mar)::bigint)::text AS r
        FROM o GROUP BY customer_id, m ORDER BY customer_id, m`, ws)),
    weeks: text(await tx.$queryRawUnsafe<{ r: string }[]>(`
      WITH ${orders}
      SELECT row(customer_id, wk, count(*)::int, sum(amt)::bigint, sum(mar)::bigint)::text AS r
        FROM o GROUP BY customer_id, wk ORDER BY customer_id, wk`, ws)),
  };
}

/** The workspace's non-refunded orders with their UTC day, local month and ISO week, revenue and margin. */
function ordersCte(): string {
  return `o AS (
    SELECT o.customer_id, o.ordered_at, (o.ordered_at AT TIME ZONE 'UTC')::date AS d,
           date_trunc('month', o.ordered_at AT TIME ZONE w.timezone)::date AS m,
           date_trunc('week', o.ordered_at AT TIME ZONE w.timezone)::date AS wk,
           CASE WHEN o.currency = w.currency THEN o.amount_minor ELSE 0 END AS amt,
           CASE WHEN o.currency = w.currency
                THEN o.amount_minor - coalesce(o.cost_minor, round(o.amount_minor * (1 - w.margin_rate))::bigint)
                ELSE 0 END AS mar
      FROM orders o JOIN workspaces w ON w.id = o.workspace_id
     WHERE o.workspace_id = $1::uuid AND NOT o.refunded)`;
}

/** Rows of the summary tables written by the current transaction (a rebuild of consistent data writes none). */
async function writtenHere(tx: Tx, ws: string): Promise<number> {
  const [r] = await tx.$queryRaw<{ n: number }[]>`
    SELECT ((SELECT count(*) FROM customers WHERE workspace_id = ${ws}::uuid AND xmin = pg_current_xact_id()::xid)
          + (SELECT count(*) FROM customer_months WHERE workspace_id = ${ws}::uuid AND xmin = pg_current_xact_id()::xid)
          + (SELECT count(*) FROM customer_weeks WHERE workspace_id = ${ws}::uuid AND xmin = pg_current_xact_id()::xid)
          + (SELECT count(*) FROM monthly_rollups WHERE workspace_id = ${ws}::uuid AND xmin = pg_current_xact_id()::xid))::int AS n`;
  return r?.n ?? -1;
}

interface Gen {
  tz: string;
  rate: string;
  customers: number;
  orders: { customer: number; minutes: number; amount: bigint; cost: bigint | null; currency: "USD" | "EUR"; refunded: boolean }[];
  deleted: number[];
}

// Around a month end, so UTC days, local months and ISO weeks all cross boundaries; minutes resolution.
const BASE = Date.UTC(2025, 1, 26, 20);
const amountArb = fc.oneof(
  { weight: 6, arbitrary: fc.bigInt({ min: 1n, max: 50_000n }) },
  { weight: 2, arbitrary: fc.constantFrom(5n, 15n, 25n, 35n, 45n, 2_000n, 0n) }, // half-way roundings for most rates
  { weight: 1, arbitrary: fc.constantFrom(-5n, -15n, -1_234n) },
  { weight: 1, arbitrary: fc.constantFrom(10_000_000_000_005n, 12_345_678_901_234_565n) }, // past the integer fast path
);
const genArb: fc.Arbitrary<Gen> = fc.record({
  // Europe/Berlin: summer time starts 2025-03-30 01:00 UTC, inside the generated window (BASE + 45 days).
  tz: fc.constantFrom("UTC", "America/New_York", "Asia/Kolkata", "Pacific/Chatham", "America/St_Johns", "Europe/Berlin"),
  rate: fc.constantFrom("0.3000", "0.3500", "0.1235", "0.5000", "0.0000", "1.0000", "0.0005"),
  customers: fc.integer({ min: 1, max: 7 }),
  orders: fc.array(
    fc.record({
      customer: fc.integer({ min: 0, max: 6 }),
      minutes: fc.oneof(fc.integer({ min: 0, max: 60 * 24 * 45 }), fc.constantFrom(0, 1, 60 * 4, 60 * 28, 60 * 28 + 30)),
      amount: amountArb,
      cost: fc.option(fc.bigInt({ min: 0n, max: 30_000n }), { nil: null, freq: 2 }),
      currency: fc.constantFrom("USD" as const, "USD" as const, "USD" as const, "EUR" as const),
      refunded: fc.boolean(),
    }),
    { maxLength: 30 },
  ),
  deleted: fc.array(fc.integer({ min: 0, max: 29 }), { maxLength: 4 }),
});

async function makeWorkspace(g: Gen): Promise<string> {
  const ws = crypto.randomUUID();
  await withWorkspace(h.prisma, ws, async (tx) => {
    await tx.workspace.create({ data: { id: ws, name: "R", slug: `r-${ws}`, timezone: g.tz, marginRate: g.rate }, select: { id: true } });
    const ids: string[] = [];
    for (let i = 0; i < g.customers; i++) {
      ids.push((await tx.customer.create({ data: { workspaceId: ws, externalId: `c${i}` }, select: { id: true } })).id);
    }
    // Two statements (two trigger runs), then some deletes.
    const rows = g.orders
      .filter((o) => o.customer < ids.length)
      .map((o, i) => ({
        workspaceId: ws, externalId: `o${i}`, customerId: ids[o.customer]!, orderedAt: new Date(BASE + o.minutes * 60_000),
        amountMinor: o.amount, costMinor: o.cost, currency: o.currency, refunded: o.refunded,
      }));
    const half = Math.floor(rows.length / 2);
    if (half > 0) await tx.order.createMany({ data: rows.slice(0, half) });
    if (rows.length > half) await tx.order.createMany({ data: rows.slice(half) });
    if (g.deleted.length > 0) await tx.order.deleteMany({ where: { workspaceId: ws, externalId: { in: g.deleted.map((i) => `o${i}`) } } });
  });
  return ws;
}

interface Damage {
  customers: number; // every n-th customer's summary altered (0 = none)
  monthsDeleted: boolean;
  monthsChanged: boolean;
  bogusRows: boolean;
  rollups: "keep" | "delete" | "bogus";
  stats: "keep" | "delete" | "wrong";
}
const damageArb: fc.Arbitrary<Damage> = fc.record({
  customers: fc.constantFrom(0, 1, 2, 3),
  monthsDeleted: fc.boolean(),
  monthsChanged: fc.boolean(),
  bogusRows: fc.boolean(),
  rollups: fc.constantFrom("keep" as const, "delete" as const, "bogus" as const),
  stats: fc.constantFrom("keep" as const, "delete" as const, "wrong" as const),
});

async function damage(tx: Tx, ws: string, d: Damage): Promise<void> {
  if (d.customers > 0) {
    await tx.$executeRaw`
      UPDATE customers SET order_count = order_count + 1, purchase_days = 0, first_order_at = NULL, revenue_minor = revenue_minor - 7,
             margin_minor = 3, first_day_revenue_minor = 0, first_month_revenue_minor = 1
       WHERE workspace_id = ${ws}::uuid AND abs(hashtext(external_id)) % ${d.customers} = 0`;
  }
  if (d.monthsDeleted) {
    await tx.$executeRaw`DELETE FROM customer_months WHERE workspace_id = ${ws}::uuid AND abs(hashtext(customer_id::text || month)) % 2 = 0`;
    await tx.$executeRaw`DELETE FROM customer_weeks WHERE workspace_id = ${ws}::uuid AND abs(hashtext(customer_id::text || week)) % 2 = 1`;
  }
  if (d.monthsChanged) {
    await tx.$executeRaw`UPDATE customer_months SET orders = orders + 1, margin_minor = margin_minor - 1 WHERE workspace_id = ${ws}::uuid`;
    await tx.$executeRaw`UPDATE customer_weeks SET revenue_minor = revenue_minor + 1 WHERE workspace_id = ${ws}::uuid`;
  }
  if (d.bogusRows) {
    await tx.$executeRaw`
      INSERT INTO customer_months (workspace_id, customer_id, month, orders, revenue_minor, margin_minor)
      SELECT workspace_id, id, date '2024-06-01', 2, 100, 50 FROM customers WHERE workspace_id = ${ws}::uuid
      ON CONFLICT DO NOTHING`;
    await tx.$executeRaw`
      INSERT INTO customer_weeks (workspace_id, customer_id, week, orders, revenue_minor, margin_minor)
      SELECT workspace_id, id, date '2024-06-03', 2, 100, 50 FROM customers WHERE workspace_id = ${ws}::uuid
      ON CONFLICT DO NOTHING`;
  }
  if (d.rollups === "delete") await tx.$executeRaw`DELETE FROM monthly_rollups WHERE workspace_id = ${ws}::uuid`;
  if (d.rollups === "bogus") {
    await tx.$executeRaw`
      INSERT INTO monthly_rollups (workspace_id, month, orders, revenue_minor, new_customers, new_customer_revenue_minor)
      VALUES (${ws}::uuid, date '2024-06-01', 3, 300, 1, 100), (${ws}::uuid, date '2025-02-01', 0, 0, 0, 0)
      ON CONFLICT (workspace_id, month) DO UPDATE SET orders = monthly_rollups.orders + 1`;
  }
  if (d.stats === "delete") await tx.$executeRaw`DELETE FROM workspace_stats WHERE workspace_id = ${ws}::uuid`;
  if (d.stats === "wrong") await tx.$executeRaw`UPDATE workspace_stats SET customers = customers + 2, repeat_customers = 9, revenue_minor = 1 WHERE workspace_id = ${ws}::uuid`;
}

describe("repair rebuild from raw orders", () => {
  it("equals the reference computed from raw orders, whatever was stored, and writes nothing when nothing drifted", async () => {
    await fc.assert(
      fc.asyncProperty(genArb, damageArb, async (g, d) => {
        const ws = await makeWorkspace(g);
        await rolledBack(ws, async (tx) => {
          const expected = await reference(tx, ws);
          // The triggers kept everything current (they may leave all-zero rollup months behind, which
          // a rebuild drops): a rebuild finds nothing to write.
          const kept = await stored(tx, ws);
          expect({ ...kept, rollups: kept.rollups.filter((r) => !/^\([^,]*,0,0,0,0\)$/.test(r)) }).toEqual(expected);
          await tx.$executeRaw`SELECT vl_rebuild_summaries(${ws}::uuid), vl_rebuild_customer_months(${ws}::uuid)`;
          expect(await writtenHere(tx, ws)).toBe(0);
          expect(await stored(tx, ws)).toEqual(expected);

          // Damaged summaries: vl_rebuild_summaries restores everything derived from orders.
          await damage(tx, ws, d);
          await tx.$executeRaw`SELECT vl_rebuild_summaries(${ws}::uuid)`;
          expect(await stored(tx, ws)).toEqual(expected);
          // Every customer the rebuild rewrote has its summary_updated_at moved.
          const [moved] = await tx.$queryRaw<{ n: number }[]>`
            SELECT count(*)::int AS n FROM customers WHERE workspace_id = ${ws}::uuid AND xmin = pg_current_xact_id()::xid
               AND summary_updated_at IS DISTINCT FROM now()::timestamptz(3)`;
          expect(moved?.n).toBe(0);

          // vl_rebuild_customer_months restores the month and week rows and nothing else.
          await damage(tx, ws, { ...d, customers: 0, rollups: "keep", stats: "keep", monthsDeleted: true, bogusRows: true });
          const before = await stored(tx, ws);
          await tx.$executeRaw`SELECT vl_rebuild_customer_months(${ws}::uuid)`;
          const after = await stored(tx, ws);
          expect({ months: after.months, weeks: after.weeks }).toEqual({ months: expected.months, weeks: expected.weeks });
          expect({ ...after, months: [], weeks: [] }).toEqual({ ...before, months: [], weeks: [] });
        });
      }),
      { numRuns: 40, seed: 20261124 },
    );
  });

  it("moves months, weeks and margins to the new time zone and margin rate after a settings change", async () => {
    const g: Gen = {
      tz: "UTC", rate: "0.3000", customers: 3, deleted: [],
      orders: [
        // 2025-03-01 02:00 UTC: March in UTC, Friday February 28 in New York.
        { customer: 0, minutes: 60 * 54, amount: 1_000n, cost: null, currency: "USD", refunded: false },
        { customer: 0, minutes: 60 * 24 * 9, amount: 2_005n, cost: null, currency: "USD", refunded: false },
        { customer: 1, minutes: 60 * 55, amount: 15n, cost: 4n, currency: "USD", refunded: false },
        { customer: 1, minutes: 60 * 56, amount: 999n, cost: null, currency: "EUR", refunded: false },
      ],
    };
    const ws = await makeWorkspace(g);
    await rolledBack(ws, async (tx) => {
      const utc = await stored(tx, ws);
      expect(utc.months[0]).toContain("2025-03-01");
      await tx.$executeRaw`UPDATE workspaces SET timezone = 'America/New_York', margin_rate = 0.5 WHERE id = ${ws}::uuid`;
      await tx.$executeRaw`SELECT vl_rebuild_summaries(${ws}::uuid)`;
      const ny = await stored(tx, ws);
      expect(ny).toEqual(await reference(tx, ws));
      expect(ny.months[0]).toContain("2025-02-01");
      expect(ny.weeks[0]).toContain("2025-02-24");
      expect(ny.rollups.map((r) => r.slice(1, 11))).toEqual(["2025-02-01", "2025-03-01"]);
    });
  });
});

// The same rebuild split by customer-id range over several connections (rebuildFromOrders; the path
// the worker and the benches take at 1M). Its range transactions commit, so these workspaces are
// damaged and repaired for real (each property run makes its own).
describe("repair rebuild split over connections", () => {
  const committed = (ws: string, fn: (tx: Tx) => Promise<void>) => withWorkspace(h.prisma, ws, fn);
  const split = (ws: string, opts: RebuildOptions) =>
    committed(ws, async (tx) => {
      const r = await rebuildFromOrders(h.prisma, tx, ws, { minOrders: 0, ...opts });
      expect(r.split).toBe(true);
      expect(r.connections).toBe(Math.min(opts.connections ?? 2, r.ranges));
    });
  const now = (ws: string) => withWorkspace(h.prisma, ws, (tx) => stored(tx, ws));

  it("equals the reference for any cut into ranges, on one to three connections, whatever was stored", async () => {
    await fc.assert(
      fc.asyncProperty(genArb, damageArb, fc.integer({ min: 2, max: 6 }), fc.constantFrom(1, 2, 3), async (g, d, ranges, connections) => {
        const ws = await makeWorkspace(g);
        const expected = await withWorkspace(h.prisma, ws, (tx) => reference(tx, ws));
        // Consistent data: nothing changes (and no summary is marked as updated).
        const [{ at: before } = { at: null }] = await withWorkspace(h.prisma, ws, (tx) =>
          tx.$queryRaw<{ at: string | null }[]>`SELECT max(summary_updated_at)::text AS at FROM customers WHERE workspace_id = ${ws}::uuid`);
        await split(ws, { ranges, connections });
        expect(await now(ws)).toEqual(expected);
        const [{ at: after } = { at: null }] = await withWorkspace(h.prisma, ws, (tx) =>
          tx.$queryRaw<{ at: string | null }[]>`SELECT max(summary_updated_at)::text AS at FROM customers WHERE workspace_id = ${ws}::uuid`);
        expect(after).toBe(before);

        await committed(ws, (tx) => damage(tx, ws, d));
        await split(ws, { ranges, connections });
        expect(await now(ws)).toEqual(expected);

        // Months and weeks only: the rest stays as it was.
        await committed(ws, (tx) => damage(tx, ws, { ...d, customers: 0, rollups: "keep", stats: "keep", monthsDeleted: true, bogusRows: true }));
        const damaged = await now(ws);
        await split(ws, { ranges, connections, summaries: false });
        const after2 = await now(ws);
        expect({ months: after2.months, weeks: after2.weeks }).toEqual({ months: expected.months, weeks: expected.weeks });
        expect({ ...after2, months: [], weeks: [] }).toEqual({ ...damaged, months: [], weeks: [] });
      }),
      { numRuns: 25, seed: 20261124 },
    );
  });

  it("a writer holding a customer the rebuild must repair: the rebuild gives up, the writer commits, nothing is lost", async () => {
    const ws = await makeWorkspace({
      tz: "UTC", rate: "0.3000", customers: 3, deleted: [],
      orders: [0, 1, 2].map((customer) => ({ customer, minutes: 60 * customer, amount: 1_000n, cost: null, currency: "USD" as const, refunded: false })),
    });
    // Every customer's summary drifted (committed): the rebuild must rewrite every customer row.
    await committed(ws, (tx) => damage(tx, ws, { customers: 1, monthsDeleted: false, monthsChanged: false, bogusRows: false, rollups: "keep", stats: "keep" }));
    let written!: () => void;
    const isWritten = new Promise<void>((r) => (written = r));
    let gate!: () => void;
    const open = new Promise<void>((r) => (gate = r));
    // An import-like writer: its order's triggers lock the customer's rows; at the end it marks the
    // workspace stale (as every app write does), which waits for the rebuild's workspace-row lock.
    const writer = committed(ws, async (tx) => {
      const [c] = await tx.$queryRaw<{ id: string }[]>`SELECT id::text FROM customers WHERE workspace_id = ${ws}::uuid ORDER BY id LIMIT 1`;
      await tx.order.create({
        data: { workspaceId: ws, externalId: "late", customerId: c!.id, orderedAt: new Date(BASE + 60_000 * 60 * 30), amountMinor: 700n, currency: "USD" },
        select: { id: true },
      });
      written();
      await open;
      await tx.$executeRaw`UPDATE workspaces SET metrics_stale_at = now() WHERE id = ${ws}::uuid`;
    });
    await isWritten;
    // Without a lock limit this would wait forever: range -> writer's row -> workspace row -> caller -> range.
    const rebuild = committed(ws, async (tx) => {
      await rebuildFromOrders(h.prisma, tx, ws, { minOrders: 0, lockTimeoutMs: 300 });
    });
    await expect(rebuild).rejects.toThrow(/nothing written.*lock timeout/s);
    gate();
    await writer;
    // Run again with the writer committed: everything equals the orders, the late one included.
    await split(ws, {});
    const after = await now(ws);
    expect(after).toEqual(await withWorkspace(h.prisma, ws, (tx) => reference(tx, ws)));
    expect(after.customers.some((r) => r.includes(",2,"))).toBe(true); // the writer's customer has 2 orders
  });

  // Migration 20261124109400: with nothing to update, a range's UPDATE of month / week rows does not
  // read (and sort) the stored rows of the range a second time: its join sits under a one-time filter.
  // The plans come from auto_explain (superuser to load it), run as the app role like the app's range
  // transactions; consistent data first, then a month and a week row changed behind the triggers' back.
  it("reads the stored month and week rows for an update only when one of them needs it", async () => {
    const superUrl = process.env.TEST_DATABASE_SUPER_URL;
    if (!superUrl) throw new Error("TEST_DATABASE_SUPER_URL is not set: run through the test command or its globalSetup");
    const ws = await makeWorkspace({
      tz: "Europe/Berlin", rate: "0.3000", customers: 4, deleted: [],
      orders: [0, 1, 2, 3, 0, 1].map((customer, i) => ({ customer, minutes: 60 * 24 * 9 * i, amount: 1_000n, cost: null, currency: "USD" as const, refunded: false })),
    });
    const db = new pg.Client({ connectionString: superUrl.replace(/\/postgres$/, "/valuelens") });
    const notices: string[] = [];
    db.on("notice", (n) => notices.push(n.message ?? ""));
    await db.connect();
    // The plan of each UPDATE of a range's rows (the part of the range's statement from "CTE upd_m" / "CTE upd_w" to the next CTE).
    const updatePlans = async (lo: string | null) => {
      notices.length = 0;
      await db.query("SELECT vl_rebuild_range($1::uuid, $2::uuid, NULL, true)", [ws, lo]);
      const plan = notices.find((p) => p.includes("WITH o AS MATERIALIZED")) ?? "";
      return (["m", "w"] as const).map((t) => {
        const from = plan.indexOf(`CTE upd_${t}\n`);
        return from < 0 ? "" : plan.slice(from, plan.indexOf(`CTE del_${t}\n`, from));
      });
    };
    try {
      await db.query("LOAD 'auto_explain'");
      for (const set of ["log_min_duration = 0", "log_nested_statements = on", "log_level = notice", "log_analyze = on"]) await db.query(`SET auto_explain.${set}`);
      await db.query("BEGIN ISOLATION LEVEL REPEATABLE READ");
      await db.query("SELECT set_config('app.current_workspace', $1, true)", [ws]);
      await db.query(`SET LOCAL ROLE ${APP_ROLE}`);
      const [second] = (await db.query<{ id: string }>("SELECT id::text FROM customers WHERE workspace_id = $1 ORDER BY id OFFSET 1 LIMIT 1", [ws])).rows;
      for (const lo of [null, second!.id]) {
        const plans = await updatePlans(lo);
        for (const [i, t] of (["customer_months", "customer_weeks"] as const).entries()) {
          expect(plans[i]).toMatch(new RegExp(`Update on ${t} `));
          // Every node under the one-time filter: never executed.
          expect(plans[i]).toMatch(/One-Time Filter: /);
          const scans = plans[i]!.split("\n").filter((l) => l.includes(` on ${t} `) && !l.includes("Update on"));
          expect(scans.length).toBeGreaterThan(0);
          expect(scans.filter((l) => !l.includes("never executed"))).toEqual([]);
        }
      }
      // One month row and one week row wrong: the update runs and repairs them.
      await db.query("UPDATE customer_months SET orders = orders + 1 WHERE workspace_id = $1 AND customer_id = $2", [ws, second!.id]);
      await db.query("UPDATE customer_weeks SET orders = orders + 1 WHERE workspace_id = $1 AND customer_id = $2", [ws, second!.id]);
      const plans = await updatePlans(null);
      for (const [i, t] of (["customer_months", "customer_weeks"] as const).entries()) {
        expect(plans[i]!.split("\n").filter((l) => l.includes(` on ${t} `) && !l.includes("Update on") && l.includes("actual"))).not.toEqual([]);
      }
      const repaired = await db.query<{ n: number }>(
        `SELECT (SELECT count(*) FROM customer_months WHERE workspace_id = $1 AND xmin = pg_current_xact_id()::xid)::int
              + (SELECT count(*) FROM customer_weeks WHERE workspace_id = $1 AND xmin = pg_current_xact_id()::xid)::int AS n`, [ws]);
      expect(repaired.rows[0]?.n).toBeGreaterThanOrEqual(2);
      await db.query("ROLLBACK");
    } finally {
      await db.end();
    }
  });

  it("cuts the customers into ranges of about equal size that cover them all", async () => {
    const ws = await makeWorkspace({ tz: "UTC", rate: "0.3000", customers: 7, orders: [], deleted: [] });
    await withWorkspace(h.prisma, ws, async (tx) => {
      const ids = (await tx.$queryRaw<{ id: string }[]>`SELECT id::text FROM customers WHERE workspace_id = ${ws}::uuid ORDER BY id`).map((r) => r.id);
      const bounds = async (n: number) =>
        (await tx.$queryRaw<{ b: string[] }[]>`SELECT vl_rebuild_bounds(${ws}::uuid, ${n}::int)::text[] AS b`)[0]?.b;
      expect(await bounds(1)).toEqual([]);
      expect(await bounds(2)).toEqual([ids[4]]); // 4 + 3
      expect(await bounds(3)).toEqual([ids[3], ids[6]]); // 3 + 3 + 1
      expect(await bounds(20)).toEqual(ids.slice(1)); // one customer each
    });
  });

  it("refuses to run on settings the caller has not committed (the other connections would not see them)", async () => {
    const ws = await makeWorkspace({
      tz: "UTC", rate: "0.3000", customers: 2, deleted: [],
      orders: [{ customer: 0, minutes: 60 * 54, amount: 1_000n, cost: null, currency: "USD", refunded: false }],
    });
    const before = await now(ws);
    await expect(
      committed(ws, async (tx) => {
        await tx.$executeRaw`UPDATE workspaces SET timezone = 'America/New_York' WHERE id = ${ws}::uuid`;
        await rebuildFromOrders(h.prisma, tx, ws, { minOrders: 0 });
      }),
    ).rejects.toThrow(/commit the settings change before the rebuild/);
    expect(await now(ws)).toEqual(before);
    // Committed first, the split rebuild moves the months to the new time zone.
    await committed(ws, async (tx) => {
      await tx.$executeRaw`UPDATE workspaces SET timezone = 'America/New_York' WHERE id = ${ws}::uuid`;
    });
    await split(ws, {});
    const ny = await now(ws);
    expect(ny).toEqual(await withWorkspace(h.prisma, ws, (tx) => reference(tx, ws)));
    expect(ny.months[0]).toContain("2025-02-01");
  });
});
