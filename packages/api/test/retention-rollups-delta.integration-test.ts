/**
 * Retention rollups after small writes (issue 9, session 13): a refresh that applies only the changed customers'
 * old → new contributions (mode "delta", from the per-customer state retention_rollup_customers) must write exactly
 * the rows a forced full refresh writes on the same snapshot. A sequence of random small writes of every kind —
 * new orders in new and existing months, a refund and a delete that remove a month row, a customer's channel and
 * campaign changed, a first order moved to an earlier month, new customers, a deleted customer, orders on a local
 * month boundary, new segments / tiers / predicted values as a refit gives them — each followed by a delta refresh
 * compared with a full refresh in a savepoint (rolled back, so the next delta starts from the previous delta's
 * state), in a non-UTC time zone; then the cut-off month moves and the time zone changes (both rebuild everything)
 * and deltas continue from the new state.
 */
import { mulberry32 } from "@valuelens/clv-core";
import { getDb, withWorkspace, type Tx } from "@valuelens/db";
import { generateDemoData, writeDemoData } from "@valuelens/db/seed";
import { describe, expect, it, vi } from "vitest";
import { onWorkspaceDataChanged } from "../src/services/data-changed.ts";
import { recomputeWorkspace } from "../src/services/recompute/index.ts";
import { DELTA_MAX_SHARE, refreshRetentionRollups, type RetentionRefreshReport } from "../src/services/retention-rollups.ts";
import { signUp } from "./harness.ts";

const prisma = () => getDb().prisma;

/** Every rollup row of the workspace as sorted text (gap seconds are float sums: compared to the millisecond). */
async function rows(tx: Tx, ws: string): Promise<string[]> {
  const r = await tx.$queryRawUnsafe<{ t: string }[]>(
    `SELECT concat_ws('|', kind, grain, split, grp, w, c0, k, customers, revenue_minor, margin_minor, gaps, round(gap_seconds::numeric, 3)) AS t
       FROM retention_rollups WHERE workspace_id = $1::uuid ORDER BY 1`,
    ws,
  );
  return r.map((x) => x.t);
}

/** A new workspace with `customers` demo customers (Jan 2024 – Jun 2025) and a first full run. */
async function demoWorkspace(tag: string, seed: number, customers: number) {
  const ws = (await signUp(tag)).workspaceId;
  const data = generateDemoData({ seed, customers, start: new Date(Date.UTC(2024, 0, 1)), end: new Date(Date.UTC(2025, 5, 30)) });
  await writeDemoData(prisma(), ws, data, () => undefined);
  const run = await recomputeWorkspace(prisma(), ws, { compare: false });
  if (run.status !== "succeeded") throw new Error(`recompute ${run.status}`);
  return { ws, data, run };
}

type Write = {
  name: string;
  mode: RetentionRefreshReport["mode"];
  state?: RetentionRefreshReport["state"];
  /** The refresh's deltaMaxShare: 0.9 unless given (the demo data's cut-off moves touch up to 43 % of the customers). */
  share?: number;
  /** What the report's fallback must match (none unless given). */
  fallback?: RegExp;
  sql: (rng: () => number) => string;
};

/** Picks `n` customers with orders (text list of quoted ids) by a random offset. */
const someBuyers = (n: number, rng: () => number, extra = "true") =>
  `(SELECT id FROM customers WHERE workspace_id = $1::uuid AND order_count > 0 AND ${extra} ORDER BY md5(id::text || '${Math.floor(rng() * 1e9)}') LIMIT ${n})`;

/** An order for each customer of `who` at the local time `local` (text) in the workspace's time zone. */
const orderAt = (who: string, local: string, tag: string) =>
  `INSERT INTO orders (workspace_id, id, external_id, customer_id, ordered_at, amount_minor, currency, created_at, updated_at)
   SELECT $1::uuid, gen_random_uuid(), '${tag}-' || gen_random_uuid(), c.id, (${local})::timestamp AT TIME ZONE (SELECT timezone FROM workspaces WHERE id = $1::uuid),
          500 + (hashtext(c.id::text) & 4095), 'USD', now(), now()
     FROM ${who} c`;

const WRITES: Write[] = [
  {
    name: "new orders in existing and new months",
    mode: "delta",
    sql: (rng) => orderAt(`${someBuyers(4, rng)}`, `'2024-0${1 + Math.floor(rng() * 9)}-1${Math.floor(rng() * 9)} 12:00'`, "new"),
  },
  {
    // A customer with several purchase months loses the only order of one of them: the month row goes.
    name: "refund that removes a month",
    mode: "delta",
    sql: (rng) => `UPDATE orders o SET refunded = true, updated_at = now()
      WHERE o.workspace_id = $1::uuid AND o.id IN (
        SELECT min(o.id::text)::uuid FROM orders o JOIN customers c ON c.workspace_id = o.workspace_id AND c.id = o.customer_id
         WHERE o.workspace_id = $1::uuid AND NOT o.refunded AND c.purchase_days >= 3 AND c.first_order_at < o.ordered_at
         GROUP BY o.customer_id, date_trunc('month', o.ordered_at) HAVING count(*) = 1
         ORDER BY md5(min(o.id::text) || '${Math.floor(rng() * 1e9)}') LIMIT 3)`,
  },
  {
    name: "deleted orders (one a customer's only order)",
    mode: "delta",
    sql: (rng) => `DELETE FROM orders WHERE workspace_id = $1::uuid AND id IN (
        (SELECT id FROM orders WHERE workspace_id = $1::uuid ORDER BY md5(id::text || '${Math.floor(rng() * 1e9)}') LIMIT 3)
        UNION ALL (SELECT min(o.id::text)::uuid FROM orders o JOIN customers c ON c.workspace_id = o.workspace_id AND c.id = o.customer_id
                    WHERE o.workspace_id = $1::uuid AND c.order_count = 1 GROUP BY c.id ORDER BY md5(c.id::text || '${Math.floor(rng() * 1e9)}') LIMIT 1))`,
  },
  {
    name: "channel and campaign changed",
    mode: "delta",
    sql: (rng) => `UPDATE customers c SET acquisition_channel = CASE WHEN c.acquisition_channel IS NULL THEN 'delta-test' END,
        acquisition_campaign_id = (SELECT id FROM campaigns WHERE workspace_id = $1::uuid AND id IS DISTINCT FROM c.acquisition_campaign_id ORDER BY id LIMIT 1)
      WHERE c.workspace_id = $1::uuid AND c.id IN ${someBuyers(3, rng)}`,
  },
  {
    name: "a first order moved to an earlier month (new cohort)",
    mode: "delta",
    sql: (rng) => orderAt(someBuyers(2, rng, "first_order_at > '2024-06-01'"), `'2023-1${Math.floor(rng() * 3)}-15 08:00'`, "early"),
  },
  {
    name: "new customers, one without orders",
    mode: "delta",
    sql: (rng) => {
      const tag = Math.floor(rng() * 1e9);
      return `WITH c AS (INSERT INTO customers (workspace_id, id, external_id, acquisition_channel, created_at, updated_at)
          SELECT $1::uuid, gen_random_uuid(), 'delta-new-${tag}-' || i, CASE WHEN i = 1 THEN 'delta-new' END, now(), now() FROM generate_series(1, 3) i RETURNING id, external_id)
        INSERT INTO orders (workspace_id, id, external_id, customer_id, ordered_at, amount_minor, currency, created_at, updated_at)
        SELECT $1::uuid, gen_random_uuid(), 'delta-new-o-' || gen_random_uuid(), c.id, timestamptz '2024-11-05 10:00+00' + k * interval '40 days', 2500, 'USD', now(), now()
          FROM c CROSS JOIN generate_series(0, 2) k WHERE c.external_id NOT LIKE '%-3'`;
    },
  },
  {
    // Local month boundary: the last instant of March and the first of April in the workspace's zone.
    name: "orders on a local month boundary",
    mode: "delta",
    sql: (rng) =>
      `${orderAt(someBuyers(2, rng), "'2025-03-31 23:59:59.999'", "edge1")};
       ${orderAt(someBuyers(2, rng), "'2025-04-01 00:00:00'", "edge2")}`,
  },
  {
    // As a refit gives them: other tiers and segments for some customers, other predicted values for more.
    name: "new segments, tiers and predicted values",
    mode: "delta",
    sql: (rng) => {
      const k = Math.floor(rng() * 1e9);
      return `UPDATE customer_scores SET value_tier = CASE value_tier WHEN 'high' THEN 'low' WHEN 'low' THEN 'medium' ELSE 'high' END,
                rfm_segment = CASE WHEN hashtext(customer_id::text || '${k}') % 2 = 0 THEN 'Champions' ELSE rfm_segment END
          WHERE workspace_id = $1::uuid AND abs(hashtext(customer_id::text || '${k}')) % 20 = 0;
        UPDATE customer_scores SET predicted_clv_minor = predicted_clv_minor + 777, expected_purchases_30 = expected_purchases_30 * 1.01
          WHERE workspace_id = $1::uuid AND predicted_clv_minor IS NOT NULL AND abs(hashtext(customer_id::text || '${k}')) % 3 = 0`;
    },
  },
  {
    name: "a deleted customer",
    mode: "delta",
    sql: (rng) => `DELETE FROM customers WHERE workspace_id = $1::uuid AND id IN ${someBuyers(1, rng, "purchase_days >= 2")}`,
  },
];

/**
 * The cut-off month moves (the last month row's lifetimes of every customer depend on it): still a delta, of the
 * written customers and of those whose last purchase month's lifetimes the move changes (checked against the full
 * refresh like every step) — forward by one month, forward by four, and back by four when those orders go again.
 * The same move with the default share: too many customers for a delta here, so every row is rebuilt and only the
 * written customer's state (the others' data did not change); the deltas after it start from that state.
 */
const NEXT_MONTH: Write = { name: "an order in a new last month", mode: "delta", sql: (rng) => orderAt(someBuyers(1, rng), "'2025-07-03 09:00'", "next") };
const NEXT_MONTH_FULL: Write = {
  name: "an order in a new last month, default share",
  mode: "full",
  state: "changed",
  share: DELTA_MAX_SHARE,
  fallback: /customers changed/,
  sql: (rng) => orderAt(someBuyers(1, rng), "'2025-08-03 09:00'", "next2"),
};
const JUMP_AHEAD: Write = { name: "an order four months after the last", mode: "delta", sql: (rng) => orderAt(someBuyers(1, rng), "'2025-12-20 18:00'", "jump") };
const JUMP_GONE: Write = {
  name: "the last four months' orders deleted (cut-off month back)",
  mode: "delta",
  sql: () => `DELETE FROM orders WHERE workspace_id = $1::uuid AND ordered_at >= timestamp '2025-09-01' AT TIME ZONE (SELECT timezone FROM workspaces WHERE id = $1::uuid)`,
};
/** A time-zone change (with the rebuild a settings change runs): months and weeks move, everything is rebuilt. */
const NEW_ZONE: Write = {
  name: "time-zone change",
  mode: "full",
  state: "all",
  sql: () => `UPDATE workspaces SET timezone = 'Pacific/Chatham' WHERE id = $1::uuid; SELECT vl_rebuild_summaries($1::uuid)`,
};

describe("retention rollups after small writes", () => {
  it("a delta refresh writes exactly the rows of a full refresh, write after write", async () => {
    const owner = await signUp("retdelta");
    const ws = owner.workspaceId;
    const data = generateDemoData({ seed: 31, customers: 500, start: new Date(Date.UTC(2024, 0, 1)), end: new Date(Date.UTC(2025, 5, 30)) });
    await writeDemoData(prisma(), ws, data, () => undefined);
    // A zone west of UTC with DST: local months begin on another UTC day than the data's.
    await withWorkspace(prisma(), ws, async (tx) => {
      await tx.$executeRaw`UPDATE workspaces SET timezone = 'America/Sao_Paulo' WHERE id = ${ws}::uuid`;
      await tx.$executeRawUnsafe("SELECT vl_rebuild_summaries($1::uuid)", ws);
    }, { timeoutMs: 120_000 });
    const run = await recomputeWorkspace(prisma(), ws, { compare: false });
    if (run.status !== "succeeded") throw new Error(`recompute ${run.status}`);

    const rng = mulberry32(20261125);
    const sequence = [...WRITES, ...WRITES.map((w) => WRITES[Math.floor(rng() * WRITES.length)] ?? w), NEXT_MONTH, WRITES[0]!, WRITES[3]!, NEXT_MONTH_FULL, WRITES[2]!, JUMP_AHEAD, JUMP_GONE, NEW_ZONE, WRITES[1]!, WRITES[7]!];
    let deltas = 0;
    for (const [i, write] of sequence.entries()) {
      const label = `${i}: ${write.name}`;
      await withWorkspace(prisma(), ws, async (tx) => {
        for (const sql of write.sql(rng).split(/;\s*\n?\s*(?=[A-Z])/)) await tx.$executeRawUnsafe(sql, ws);
        await onWorkspaceDataChanged(tx, ws);
      }, { timeoutMs: 120_000 });
      const { report, got, want } = await withWorkspace(
        prisma(),
        ws,
        async (tx) => {
          let report: RetentionRefreshReport | undefined;
          expect(await refreshRetentionRollups(tx, ws, run.runId, { report: (r) => (report = r), deltaMaxShare: write.share ?? 0.9 }), label).toBe(true);
          const got = await rows(tx, ws);
          // The full refresh on the same snapshot, undone so the next write's delta starts from this one's state.
          await tx.$executeRawUnsafe("SAVEPOINT cmp");
          expect(await refreshRetentionRollups(tx, ws, run.runId, { force: true }), label).toBe(true);
          const want = await rows(tx, ws);
          await tx.$executeRawUnsafe("ROLLBACK TO SAVEPOINT cmp");
          return { report, got, want };
        },
        { timeoutMs: 120_000, isolationLevel: "RepeatableRead" },
      );
      expect(report?.mode, label).toBe(write.mode);
      if (write.fallback) expect(report?.fallback, label).toMatch(write.fallback);
      else expect(report?.fallback ?? null, label).toBeNull();
      expect(report?.state, label).toBe(write.state ?? "changed");
      if (report?.mode === "delta") {
        deltas++;
        expect(report.changed, label).toBeGreaterThan(0);
      }
      expect(got.length, label).toBeGreaterThan(1_000);
      expect(got, label).toEqual(want);
    }
    expect(deltas).toBeGreaterThanOrEqual(sequence.length - 2);
  });

  it("falls back to the full refresh when too many customers changed", async () => {
    const { ws, data, run } = await demoWorkspace("retdeltamany", 32, 200);
    await withWorkspace(prisma(), ws, async (tx) => {
      await tx.$executeRawUnsafe(orderAt(someBuyers(120, () => 0.5), "'2024-05-05 10:00'", "many"), ws);
      await onWorkspaceDataChanged(tx, ws);
    });
    const [report, got, want] = await withWorkspace(prisma(), ws, async (tx) => {
      let report: RetentionRefreshReport | undefined;
      expect(await refreshRetentionRollups(tx, ws, run.runId, { report: (r) => (report = r) })).toBe(true);
      const got = await rows(tx, ws);
      expect(await refreshRetentionRollups(tx, ws, run.runId, { force: true })).toBe(true);
      return [report, got, await rows(tx, ws)] as const;
    }, { timeoutMs: 120_000, isolationLevel: "RepeatableRead" });
    expect(report?.mode).toBe("full");
    expect(report?.fallback).toMatch(/customers changed/);
    expect(report?.state).toBe("all");
    expect(got).toEqual(want);
    const [state] = await withWorkspace(prisma(), ws, (tx) => tx.$queryRawUnsafe<{ n: number }[]>("SELECT count(*)::int AS n FROM retention_rollup_customers WHERE workspace_id = $1::uuid", ws));
    expect(state?.n).toBe(data.customers.length);
  });

  it("the nightly run rebuilds every row and state after a write; other runs apply the delta", async () => {
    const { ws } = await demoWorkspace("retdeltanight", 33, 200);
    // What each run's retention refresh did, from its log line.
    const seen = new Map<string, { mode: string; state: string }>();
    const write = process.stdout.write.bind(process.stdout);
    const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
      for (const line of String(chunk).split("\n")) {
        if (!line.includes('"retention_rollups.refreshed"')) continue;
        const e = JSON.parse(line) as { modelRunId: string; mode: string; state: string };
        seen.set(e.modelRunId, { mode: e.mode, state: e.state });
      }
      return write(chunk);
    });
    try {
      for (const triggeredBy of ["nightly", "manual"]) {
        await withWorkspace(prisma(), ws, async (tx) => {
          await tx.$executeRawUnsafe(orderAt(someBuyers(3, () => 0.25), "'2024-09-09 10:00'", triggeredBy), ws);
          await onWorkspaceDataChanged(tx, ws);
        });
        const run = await recomputeWorkspace(prisma(), ws, { compare: false, triggeredBy });
        if (run.status !== "succeeded") throw new Error(`recompute ${run.status}`);
        expect(seen.get(run.runId), triggeredBy).toEqual(triggeredBy === "nightly" ? { mode: "full", state: "all" } : { mode: "delta", state: "changed" });
      }
    } finally {
      spy.mockRestore();
    }
  });

  it("a deleted workspace's state goes with it (no foreign key: a trigger on workspaces)", async () => {
    const owner = await signUp("retdeltadrop");
    const ws = owner.workspaceId;
    const stateRows = () =>
      withWorkspace(prisma(), ws, async (tx) =>
        (await tx.$queryRawUnsafe<{ n: number }[]>(
          `SELECT (SELECT count(*) FROM retention_rollup_customers WHERE workspace_id = $1::uuid) + (SELECT count(*) FROM retention_rollup_customer_rows WHERE workspace_id = $1::uuid) AS n`,
          ws,
        ))[0]?.n,
      );
    await withWorkspace(prisma(), ws, async (tx) => {
      await tx.$executeRawUnsafe("INSERT INTO retention_rollup_customers (workspace_id, customer_id, ch, ca, sg, vt) SELECT $1::uuid, gen_random_uuid(), '', '', '', '' FROM generate_series(1, 3)", ws);
      await tx.$executeRawUnsafe("INSERT INTO retention_rollup_customer_rows (workspace_id, customer_id, ok) SELECT $1::uuid, customer_id, true FROM retention_rollup_customers WHERE workspace_id = $1::uuid", ws);
    });
    expect(Number(await stateRows())).toBe(6);
    await withWorkspace(prisma(), ws, (tx) => tx.$executeRaw`DELETE FROM workspaces WHERE id = ${ws}::uuid`);
    expect(Number(await stateRows())).toBe(0);
  });
});
