/**
 * Benchmark (issue 9 speed targets): a workspace with N customers (default 1,000,000) and about ten
 * orders each (≈ 10,000,000 orders), on its own embedded PostgreSQL:
 *   1. full rebuild of the per-customer summaries and retention rollups from raw orders (SQL, repair path),
 *   2. full recompute (fit + holdout + 3-model comparison + score + write) and a fast refresh,
 *   3. 10,000 new orders written through the normal trigger path, then the fast refresh that makes
 *      them visible (the worker adds its 1 s scan + 1 s debounce on top).
 * Orders are generated set-based in SQL (generate_series) with triggers off, as a bulk restore would;
 * the rebuild in step 1 is what makes the summaries consistent, and it is timed.
 *
 * Usage: pnpm --filter @valuelens/worker exec tsx bench/scale-1m.ts [customers] [--reuse]
 *   BENCH_PG_DIR (default /tmp/vl-bench-pg) and BENCH_PG_PORT (default 5460): where the database lives;
 *   --reuse keeps an already generated workspace of the same size (generation takes minutes);
 *   --generate-only stops after generating it; --skip-rebuild (with --reuse) times only steps 2 and 3;
 *   --quick (with --reuse) skips the rebuilds and the full run: one fast run as the base, then step 3;
 *   --new-month first writes one order in the month after the workspace's last (deleted again at the end): the
 *     cut-off month moves, so the full run rebuilds every retention rollup row (retention-rollups.ts, mode "full"
 *     with the per-customer state kept) — the whole run in its monthly worst case;
 *   --pause=S then waits S seconds with the server up and times steps 1–3 again: on this VM the page cache empties
 *     after about a minute of idleness (BENCHMARKS.md, Session 14) while PostgreSQL's shared buffers stay, as on a
 *     server that keeps running — each start of this bench begins with both empty.
 * Prints one JSON line per phase and a summary; paste the figures into BENCHMARKS.md.
 */
import os from "node:os";
import { createDb, type DbHandle, rebuildFromOrders, withWorkspace } from "@valuelens/db";
import { grantAppRole, startEmbeddedPostgres } from "@valuelens/db/embedded";
import { deployMigrations } from "@valuelens/db/migrate";
import { recomputeWorkspace } from "@valuelens/api/recompute";

const customers = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 1_000_000);
const reuse = process.argv.includes("--reuse");
/** Only create the workspace's data (to run the timed part later with --reuse on a quieter machine). */
const generateOnly = process.argv.includes("--generate-only");
/** With --reuse: skip the (slow) repair rebuilds and time the recompute on the stored summaries. */
const skipRebuild = process.argv.includes("--skip-rebuild");
/** With --reuse: only one fast recompute (the base), then the 10k-order write and the incremental refresh. */
const quick = process.argv.includes("--quick");
const newMonth = process.argv.includes("--new-month");
const pauseS = Number(process.argv.find((a) => a.startsWith("--pause="))?.slice("--pause=".length) ?? 0);
const dir = process.env.BENCH_PG_DIR ?? "/tmp/vl-bench-pg";
const port = Number(process.env.BENCH_PG_PORT ?? 5460);

class GenerateOnly extends Error {}
const say = (event: string, data: Record<string, unknown> = {}) => console.log(JSON.stringify({ event, ...data }));
async function timed<T>(label: string, fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t = Date.now();
  const value = await fn();
  const ms = Date.now() - t;
  say(label, { ms });
  return { ms, value };
}

const pg = await startEmbeddedPostgres({ dir, port, persistent: true });
await deployMigrations({ ownerUrl: pg.ownerUrl, log: () => undefined });
await grantAppRole(pg.ownerUrl, pg.appUrl);
const superDb: DbHandle = createDb(pg.superUrl.replace(/\/postgres$/, "/valuelens"), { max: 2 });
const appDb: DbHandle = createDb(pg.appUrl, { max: 4 });
const sup = superDb.prisma;

const slug = `bench-${customers}`;
try {
  const existing = await sup.$queryRaw<{ id: string }[]>`SELECT id::text FROM workspaces WHERE slug = ${slug}`;
  let ws = existing[0]?.id;
  if (ws && !reuse) {
    await timed("drop_previous", () => sup.$executeRaw`DELETE FROM workspaces WHERE id = ${ws}::uuid`);
    ws = undefined;
  }
  if (!ws) {
    ws = crypto.randomUUID();
    await sup.$executeRaw`INSERT INTO workspaces (id, name, slug, updated_at) VALUES (${ws}::uuid, ${"Bench " + customers}, ${slug}, now())`;
    await sup.$transaction(
      async (tx) => {
        // Triggers (summaries, rollups, FK checks) off for the bulk load; the timed rebuild below restores consistency.
        await tx.$executeRawUnsafe(`SET LOCAL session_replication_role = replica`);
        await tx.$executeRawUnsafe(`SET LOCAL statement_timeout = 0`);
        const c = await timed("generate_customers", () =>
          tx.$executeRaw`
            INSERT INTO customers (workspace_id, id, external_id, email, acquisition_channel, created_at, updated_at)
            SELECT ${ws}::uuid, gen_random_uuid(), 'c' || g, 'c' || g || '@bench.example', (ARRAY['email','paid_search','social','referral'])[1 + g % 4], now(), now()
              FROM generate_series(1, ${customers}) g`,
        );
        // Per customer: first purchase uniform over 600 days from 2024-01-01; a purchase count with mean ≈ 10
        // (1 + exponential); later purchases uniform over an individual lifetime of up to 400 days.
        const o = await timed("generate_orders", () =>
          tx.$executeRaw`
            INSERT INTO orders (workspace_id, id, external_id, customer_id, ordered_at, amount_minor, currency, created_at, updated_at)
            SELECT ${ws}::uuid, gen_random_uuid(), c.external_id || '-' || k, c.id,
                   c.first_at + CASE WHEN k = 1 THEN interval '0' ELSE (random() * c.life) * interval '1 day' END,
                   (1000 + random() * 9000)::bigint, 'USD', now(), now()
              FROM (SELECT id, external_id, timestamptz '2024-01-01 00:00:00+00' + (random() * 600) * interval '1 day' AS first_at,
                           random() * 400 AS life, 1 + floor(-ln(1 - random()) * 9)::int AS n
                      FROM customers WHERE workspace_id = ${ws}::uuid) c,
                   generate_series(1, c.n) k`,
        );
        say("generated", { customers: c.value, orders: o.value });
      },
      { timeout: 60 * 60_000, maxWait: 60_000 },
    );
    await timed("analyze", async () => {
      await sup.$executeRawUnsafe(`ANALYZE customers`);
      await sup.$executeRawUnsafe(`ANALYZE orders`);
    });
  }
  const wsId = ws;
  const [{ n_orders } = { n_orders: 0n }] = await sup.$queryRaw<{ n_orders: bigint }[]>`SELECT count(*) AS n_orders FROM orders WHERE workspace_id = ${wsId}::uuid`;
  say("workspace", { workspaceId: wsId, customers, orders: Number(n_orders) });
  if (generateOnly) throw new GenerateOnly();
  const nextMonthOrder = newMonth
    ? await withWorkspace(appDb.prisma, wsId, async (tx) => {
        const [o] = await tx.$queryRaw<{ id: string; at: Date }[]>`
          INSERT INTO orders (workspace_id, id, external_id, customer_id, ordered_at, amount_minor, currency, created_at, updated_at)
          SELECT ${wsId}::uuid, gen_random_uuid(), 'new-month-' || gen_random_uuid(), c.id,
                 (SELECT max(month) FROM monthly_rollups WHERE workspace_id = ${wsId}::uuid AND orders > 0) + interval '1 month 1 day 12 hours',
                 5000, 'USD', now(), now()
            FROM (SELECT id FROM customers WHERE workspace_id = ${wsId}::uuid ORDER BY id LIMIT 1) c
          RETURNING id::text, ordered_at AS at`;
        return o;
      })
    : undefined;
  if (nextMonthOrder) say("new_month_order", nextMonthOrder);

  const series = async (label: string) => {
    // 1. Full rebuild from raw orders (the repair path), as the app role in the workspace's context, the
    // way a settings change runs it: since 20261124108100_fast_rebuild vl_rebuild_summaries rebuilds
    // everything derived from orders (summaries, rollups, stats, customer_months, customer_weeks) in
    // one pass, so it is the whole rebuild (vl_rebuild_customer_months is its months-and-weeks part).
    // Since 20261124108500 the app runs it split by customer range over two connections (rebuildFromOrders).
    const skipped = async () => ({ ms: 0, value: undefined });
    const rebuild = await (skipRebuild || quick ? skipped() : timed("rebuild_from_orders", () =>
      withWorkspace(appDb.prisma, wsId, async (tx) => {
        await tx.$executeRawUnsafe(`SET LOCAL statement_timeout = 0`);
        return rebuildFromOrders(appDb.prisma, tx, wsId, { timeoutMs: 60 * 60_000 });
      }, { timeoutMs: 60 * 60_000 }),
    ));

    // 2. Recompute as the app role (RLS in force), the way the worker runs it.
    const full = quick
      ? { ms: 0, value: { status: "skipped" } }
      : await timed("recompute_full", () => recomputeWorkspace(appDb.prisma, wsId, { triggeredBy: "bench", timeoutMs: 60 * 60_000 }));
    const fast = await timed("recompute_fast", () => recomputeWorkspace(appDb.prisma, wsId, { triggeredBy: "bench", mode: "fast", timeoutMs: 60 * 60_000 }));

    // 3. 10,000 new orders for existing customers through the trigger path (the write is the import's
    // cost; its statement limit is lifted so a loaded machine does not cancel it), then the refresh
    // the worker runs after a data write: incremental (only the changed customers, with the last fit).
    const write = await timed("write_10k_orders", () =>
      withWorkspace(appDb.prisma, wsId, async (tx) => {
        await tx.$executeRawUnsafe(`SET LOCAL statement_timeout = 0`);
        return tx.$executeRaw`
          INSERT INTO orders (workspace_id, id, external_id, customer_id, ordered_at, amount_minor, currency, created_at, updated_at)
          SELECT ${wsId}::uuid, gen_random_uuid(), 'new-' || gen_random_uuid(), c.id, timestamptz '2025-09-01 00:00:00+00' + (random() * 20) * interval '1 day',
                 (1000 + random() * 9000)::bigint, 'USD', now(), now()
            FROM (SELECT id FROM customers WHERE workspace_id = ${wsId}::uuid ORDER BY id LIMIT 10000) c`;
      }, { timeoutMs: 30 * 60_000 }),
    );
    const refresh = await timed("recompute_after_10k", () => recomputeWorkspace(appDb.prisma, wsId, { triggeredBy: "data-change", mode: "incremental", timeoutMs: 60 * 60_000 }));

    say(label, {
      customers,
      orders: Number(n_orders),
      machine: `${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
      load: os.loadavg().map((x) => Math.round(x * 10) / 10),
      rebuildFromOrdersMs: rebuild.ms,
      fullRecomputeMs: full.ms,
      // The scoring transaction's own duration: scores and the run are visible from then on; the derived
      // summaries (campaign, retention, rule segments) follow in a second transaction within fullRecomputeMs.
      fullScoresVisibleMs: "durationMs" in full.value ? full.value.durationMs : null,
      fastScoresVisibleMs: "durationMs" in fast.value ? fast.value.durationMs : null,
      fullRebuildPlusRecomputeMs: rebuild.ms + full.ms,
      fastRefreshMs: fast.ms,
      write10kOrdersMs: write.ms,
      refreshAfter10kMs: refresh.ms,
      visibleAfter10kMs: write.ms + refresh.ms,
      statuses: [full.value.status, fast.value.status, refresh.value.status],
      newMonth,
    });
  };
  try {
    await series("summary");
    if (pauseS > 0) {
      say("pause", { seconds: pauseS });
      await new Promise((r) => setTimeout(r, pauseS * 1000));
      await series("summary_after_pause");
    }
  } finally {
    // Also after a failed step: the workspace's data ends as it started.
    if (nextMonthOrder)
      await withWorkspace(appDb.prisma, wsId, (tx) => tx.$executeRaw`DELETE FROM orders WHERE workspace_id = ${wsId}::uuid AND id = ${nextMonthOrder.id}::uuid`);
  }
} catch (e) {
  if (!(e instanceof GenerateOnly)) throw e;
} finally {
  await superDb.close();
  await appDb.close();
  await pg.stop();
}
