/**
 * Benchmark (issue 4 speed): an orders import's summary flush alone — `flushDeferred`, the step that
 * runs after the last chunk and brings every deferred customer's summary, customer_months/weeks,
 * monthly_rollups and workspace_stats up to date — at the size of `pnpm bench:import` (N orders for
 * N/5 customers, same distribution of customers, days and amounts), as the app role under RLS.
 *
 * Set-up (untimed): a workspace "Flush bench <N>" is generated once with set-based SQL through the
 * import's own write mode (vl_bulk_begin_deferred: the orders' customers go on the deferred list, as
 * the import's chunks put them; orders inserted per 20,000 rows in customer order, as the chunks
 * write them) and kept in the data directory. Before each trial the workspace is put back into the
 * state an orders import leaves before its flush: customer_months/weeks and monthly_rollups empty,
 * customer summaries and workspace_stats' order figures at zero, every customer on the deferred
 * list; then VACUUM (ANALYZE) of the touched tables and a CHECKPOINT, so every trial starts alike.
 *
 * Timed: flushDeferred(prisma, ws) — the import's code, its slices and transactions.
 * --check: afterwards, compares every summary, rollup, stat and customer month/week row with
 * vl_rebuild_summaries + vl_rebuild_customer_months (≈ 90 s at 1M; fails the run if they differ).
 *
 * Usage: BENCH_PG_DIR=/tmp/vl-i4s6/pg1m BENCH_PG_PORT=5487 \
 *   flock /tmp/vl/bench.lock pnpm --filter @valuelens/api exec tsx bench/import-flush-bench.ts [orders] [--trials N] [--writers 1,2] [--check]
 * Prints one JSON line per trial (seconds, customers refreshed, load averages before/after).
 */
import os from "node:os";
import { createDb, withWorkspace, type Tx } from "@valuelens/db";
import { grantAppRole, startEmbeddedPostgres } from "@valuelens/db/embedded";
import { deployMigrations } from "@valuelens/db/migrate";
import { FLUSH_WRITERS, flushDeferred } from "../src/services/import/engine.ts";

const N = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 1_000_000);
const CUSTOMERS = Math.max(1, Math.floor(N / 5));
const trialsArg = process.argv.indexOf("--trials");
const trials = trialsArg > 0 ? Number(process.argv[trialsArg + 1]) : 1;
const check = process.argv.includes("--check");
// --writers a,b,…: flush transactions at a time, one value per trial in turn (default the import's
// FLUSH_WRITERS), e.g. --trials 4 --writers 1,2 alternates one and two.
const writersArg = process.argv.indexOf("--writers");
const writersList = writersArg > 0 ? (process.argv[writersArg + 1] ?? "").split(",").map(Number) : [FLUSH_WRITERS];
const dir = process.env.BENCH_PG_DIR ?? "/tmp/vl-import-flush-pg";
const port = Number(process.env.BENCH_PG_PORT ?? 5487);
const LONG = { timeoutMs: 3_600_000 };

const say = (event: string, data: Record<string, unknown> = {}) => console.log(JSON.stringify({ event, ...data }));
const load = () => os.loadavg().map((x) => Math.round(x * 100) / 100);

const own = await startEmbeddedPostgres({ dir, port, persistent: true });
await deployMigrations({ ownerUrl: own.ownerUrl, log: () => undefined });
await grantAppRole(own.ownerUrl, own.appUrl);
const app = createDb(own.appUrl);
const owner = createDb(own.ownerUrl);
const superuser = createDb(own.superUrl.replace(/\/postgres$/, "/valuelens"));

/** A tenant transaction of `db` in workspace `ws` without a statement timeout (set-up statements run minutes). */
function long<T>(db: typeof app, ws: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return withWorkspace(
    db.prisma,
    ws,
    async (tx) => {
      await tx.$executeRawUnsafe("SET LOCAL statement_timeout = 0");
      return fn(tx);
    },
    LONG,
  );
}

const name = `Flush bench ${N}`;
const found = await superuser.prisma.$queryRaw<{ id: string }[]>`SELECT id::text FROM workspaces WHERE name = ${name}`;
const ws = found[0]?.id ?? (await generate());

/** The bench workspace, generated once (set-up; see the header). */
async function generate(): Promise<string> {
  const id = crypto.randomUUID();
  const t = performance.now();
  await long(app, id, async (tx) => {
    await tx.workspace.create({ data: { id, name, slug: `flush-bench-${id.slice(0, 8)}` }, select: { id: true } });
    await tx.$executeRaw`SELECT vl_bulk_begin_deferred(${id}::uuid)`;
    await tx.$executeRaw`
      INSERT INTO customers (workspace_id, external_id, email, name, signed_up_at)
      SELECT ${id}::uuid, 'c' || i, 'c' || i || '@example.com', 'Customer ' || i, timestamptz '2023-01-01 00:00Z' + (i % 700) * interval '1 day'
        FROM generate_series(0, ${CUSTOMERS}::int - 1) i`;
    // The orders of import-bench.ts's orderLine(false), written 20,000 rows at a time in customer order.
    await tx.$executeRaw`
      INSERT INTO orders (workspace_id, external_id, customer_id, ordered_at, amount_minor, currency)
      SELECT ${id}::uuid, 'o' || g.i, c.id,
             timestamptz '2023-01-01 00:00Z' + ((g.i * 13 + (g.i / ${CUSTOMERS}::bigint) * 53) % 1000) * interval '1 day' + (g.i % 86400) * interval '1 second',
             (g.i % 500) * 100 + 100 + (g.i % 100), 'USD'
        FROM generate_series(0::bigint, ${N}::bigint - 1) g(i)
        JOIN customers c ON c.workspace_id = ${id}::uuid AND c.external_id = 'c' || ((g.i * 7919) % ${CUSTOMERS}::bigint)
       ORDER BY g.i / 20000, c.id`;
  });
  say("generated", { workspaceId: id, orders: N, customers: CUSTOMERS, s: Math.round(performance.now() - t) / 1000 });
  return id;
}

/** Back to the state an orders import leaves before its flush (see the header). */
async function reset(workspaceId: string): Promise<void> {
  await long(owner, workspaceId, async (tx) => {
    await tx.$executeRaw`DELETE FROM customer_months WHERE workspace_id = ${workspaceId}::uuid`;
    await tx.$executeRaw`DELETE FROM customer_weeks WHERE workspace_id = ${workspaceId}::uuid`;
    await tx.$executeRaw`DELETE FROM monthly_rollups WHERE workspace_id = ${workspaceId}::uuid`;
    await tx.$executeRaw`UPDATE workspace_stats SET customers_with_orders = 0, repeat_customers = 0, orders = 0, revenue_minor = 0
                          WHERE workspace_id = ${workspaceId}::uuid`;
    await tx.$executeRaw`
      UPDATE customers SET order_count = 0, purchase_days = 0, first_order_at = NULL, last_order_at = NULL, revenue_minor = 0,
             margin_minor = 0, first_day_revenue_minor = 0, first_month_revenue_minor = 0, summary_updated_at = NULL
       WHERE workspace_id = ${workspaceId}::uuid AND (order_count <> 0 OR first_order_at IS NOT NULL OR summary_updated_at IS NOT NULL)`;
    await tx.$executeRaw`
      INSERT INTO summary_deferred (workspace_id, customer_id)
      SELECT ${workspaceId}::uuid, o.customer_id FROM orders o WHERE o.workspace_id = ${workspaceId}::uuid GROUP BY o.customer_id ORDER BY 2
      ON CONFLICT DO NOTHING`;
  });
  for (const t of ["customers", "customer_months", "customer_weeks", "monthly_rollups", "workspace_stats", "summary_deferred", "orders"]) {
    await superuser.prisma.$executeRawUnsafe(`VACUUM (ANALYZE) ${t}`);
  }
  await superuser.prisma.$executeRawUnsafe("CHECKPOINT");
}

/** Everything derived from orders, hashed; then rebuilt from raw orders and hashed again. */
function equalsRebuild(workspaceId: string): Promise<boolean> {
  return long(app, workspaceId, async (tx) => {
    const snap = async () =>
      (
        await tx.$queryRaw<{ h: string }[]>`
          SELECT md5(string_agg(x, '|' ORDER BY x)) AS h FROM (
            SELECT concat_ws(',', 'c', external_id, order_count, purchase_days, first_order_at, last_order_at, revenue_minor, margin_minor, first_day_revenue_minor, first_month_revenue_minor) AS x FROM customers WHERE workspace_id = ${workspaceId}::uuid
            UNION ALL SELECT concat_ws(',', 'm', month, orders, revenue_minor, new_customers, new_customer_revenue_minor) FROM monthly_rollups WHERE workspace_id = ${workspaceId}::uuid AND (orders <> 0 OR revenue_minor <> 0 OR new_customers <> 0 OR new_customer_revenue_minor <> 0)
            UNION ALL SELECT concat_ws(',', 's', customers, customers_with_orders, repeat_customers, orders, revenue_minor) FROM workspace_stats WHERE workspace_id = ${workspaceId}::uuid
            UNION ALL SELECT concat_ws(',', 'cm', customer_id, month, orders, revenue_minor, margin_minor) FROM customer_months WHERE workspace_id = ${workspaceId}::uuid
            UNION ALL SELECT concat_ws(',', 'cw', customer_id, week, orders, revenue_minor, margin_minor) FROM customer_weeks WHERE workspace_id = ${workspaceId}::uuid) s`
      )[0]?.h;
    const before = await snap();
    await tx.$executeRaw`SELECT vl_rebuild_summaries(${workspaceId}::uuid), vl_rebuild_customer_months(${workspaceId}::uuid)`;
    return before === (await snap());
  });
}

try {
  for (let trial = 1; trial <= trials; trial++) {
    await reset(ws);
    const loadBefore = load();
    const t = performance.now();
    const writers = writersList[(trial - 1) % writersList.length] ?? FLUSH_WRITERS;
    const refreshed = await flushDeferred(app.prisma, ws, {}, writers);
    const s = (performance.now() - t) / 1000;
    const left = await withWorkspace(app.prisma, ws, (tx) => tx.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM summary_deferred WHERE workspace_id = ${ws}::uuid`);
    say("flush", { trial, writers, orders: N, customers: refreshed, s: Math.round(s * 100) / 100, customersPerS: Math.round(refreshed / s), leftOnList: left[0]?.n, loadBefore, loadAfter: load() });
    if (check) {
      const t2 = performance.now();
      const same = await equalsRebuild(ws);
      say("check", { trial, equalsRebuild: same, rebuildS: Math.round(performance.now() - t2) / 1000 });
      if (!same) process.exitCode = 1;
    }
  }
} finally {
  await Promise.all([app.close(), owner.close(), superuser.close()]);
  await own.stop();
}
say("machine", { cpus: os.cpus().length, model: os.cpus()[0]?.model, memGiB: Math.round(os.totalmem() / 1024 ** 3), node: process.version });
