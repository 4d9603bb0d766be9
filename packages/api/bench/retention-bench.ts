/**
 * Retention benchmark (issue 7 target: the page's procedures p95 ≤ 300 ms on 1,000,000 customers and
 * 10,000,000 orders). On its own embedded PostgreSQL it generates, set-based (generate_series, one
 * statement per table, triggers off), a workspace of N customers acquired over 36 months whose
 * purchase months follow a heterogeneous geometric churn (θ per customer), with 1–4 orders per active
 * month (≈ 10 orders per customer): customers with summaries, customer_months, customer_weeks,
 * monthly_rollups, workspace_stats, 40 campaigns, synthetic scores (bench/synthetic-scores.ts) and a
 * succeeded model run. The page reads these tables, never `orders`, so orders themselves are not
 * written; their count is the sum of customer_months.orders.
 * Then, as the app role (RLS in force): refreshRetentionRollups (what every recompute runs at its end;
 * per-statement times from its log line), and every procedure the page calls, p50 / p95 / max over R
 * runs after 3 warm-up calls, through the tRPC caller (tenant transaction included).
 *
 *   pnpm --filter @valuelens/api exec tsx bench/retention-bench.ts [customers] [runs] [--reuse] [--generate-only] [--skip-refresh | --refresh-only]
 * --skip-refresh times the procedures on the rollups the previous run wrote (fails when they are not fresh);
 * --refresh-only times the refresh alone.
 *   BENCH_PG_DIR (default /tmp/vl-r7-pg), BENCH_PG_PORT (default 5491), BENCH_REFRESH_MODULE (see below).
 */
import { cpus, loadavg, totalmem } from "node:os";
import { createDb, withWorkspace } from "@valuelens/db";
import { grantAppRole, startEmbeddedPostgres } from "@valuelens/db/embedded";
import { deployMigrations } from "@valuelens/db/migrate";
import { insertSyntheticScores } from "./synthetic-scores.ts";
import { timeCalls } from "./time-calls.ts";
import type * as RollupsModule from "../src/services/retention-rollups.ts";

const nums = process.argv.filter((a) => /^\d+$/.test(a)).map(Number);
const N = nums[0] ?? 1_000_000;
const RUNS = nums[1] ?? 40;
const reuse = process.argv.includes("--reuse");
const generateOnly = process.argv.includes("--generate-only");
const skipRefresh = process.argv.includes("--skip-refresh");
const refreshOnly = process.argv.includes("--refresh-only");
const dir = process.env.BENCH_PG_DIR ?? "/tmp/vl-r7-pg";
const port = Number(process.env.BENCH_PG_PORT ?? 5491);

const say = (event: string, data: Record<string, unknown> = {}) => console.error(JSON.stringify({ event, ...data }));
const pg = await startEmbeddedPostgres({ dir, port, persistent: true });
await deployMigrations({ ownerUrl: pg.ownerUrl, log: () => undefined });
await grantAppRole(pg.ownerUrl, pg.appUrl);
// Modules that read DATABASE_URL (registerUser, the router's getDb) are imported after it is set.
process.env.DATABASE_URL = pg.appUrl;
const { registerUser } = await import("@valuelens/auth");
const { createCaller } = await import("../src/root.ts");
// BENCH_REFRESH_MODULE: another implementation of the refresh to time (a before/after: e.g. the previous commit's
// retention-rollups.ts saved under bench/ with its imports adjusted).
const { refreshRetentionRollups } = (await import(process.env.BENCH_REFRESH_MODULE ?? "../src/services/retention-rollups.ts")) as typeof RollupsModule;
const superDb = createDb(pg.superUrl.replace(/\/postgres$/, "/valuelens"), { max: 2 });
const appDb = createDb(pg.appUrl, { max: 4 });
const sup = superDb.prisma;
const big = { timeoutMs: 60 * 60_000 };

async function timed<T>(label: string, fn: () => Promise<T>): Promise<T> {
  const t = Date.now();
  const v = await fn();
  say(label, { s: (Date.now() - t) / 1000 });
  return v;
}

const slug = `retention-bench-${N}`;
try {
  let [ws] = (await sup.$queryRaw<{ id: string }[]>`SELECT id::text FROM workspaces WHERE slug = ${slug}`).map((r) => r.id);
  if (ws && !reuse) {
    await timed("drop_previous", () => sup.$executeRaw`DELETE FROM workspaces WHERE id = ${ws}::uuid`);
    ws = undefined;
  }
  if (!ws) {
    const id = crypto.randomUUID();
    ws = id;
    await sup.$executeRaw`INSERT INTO workspaces (id, name, slug, updated_at) VALUES (${id}::uuid, ${"Retention bench " + N}, ${slug}, now())`;
    await sup.$transaction(
      async (tx) => {
        await tx.$executeRawUnsafe("SET LOCAL session_replication_role = replica"); // bulk load: triggers and FK checks off
        await tx.$executeRawUnsafe("SET LOCAL statement_timeout = 0");
        await tx.$executeRawUnsafe("SELECT setseed(0.2026)");
        const W = `'${id}'::uuid`;
        await timed("campaigns", () =>
          tx.$executeRawUnsafe(
            `INSERT INTO campaigns (workspace_id, external_id, name, channel, starts_at)
             SELECT ${W}, 'cmp' || g, 'Campaign ' || g, (ARRAY['paid_search','paid_social','email','affiliate'])[1 + g % 4], timestamptz '2023-01-01' + g * interval '20 days'
               FROM generate_series(1, 40) g`,
          ),
        );
        // Per customer g: acquisition month f (0..35 from Jan 2023, more recent cohorts larger), churn probability θ,
        // lifetime in months L ~ Geometric(θ); active months j = 0..L (j = 0 always, later ones with p = 0.8),
        // 1–4 orders in each (cut at Dec 2025, the last data month).
        await timed("gen_months", () =>
          tx.$executeRawUnsafe(
            `CREATE TEMP TABLE gen_m ON COMMIT DROP AS
             WITH c AS (
               SELECT g, floor(36 * sqrt(random()))::int AS f, 0.03 + 0.45 * random() ^ 2 AS theta, floor(random() * 28)::int AS d FROM generate_series(1, ${N}) g
             ), l AS (SELECT g, f, d, least(35 - f, floor(ln(1 - random()) / ln(1 - theta))::int) AS life FROM c)
             SELECT l.g, l.f, l.d, l.f + j AS m, 1 + floor(random() * 4)::int AS orders
               FROM l CROSS JOIN LATERAL generate_series(0, l.life) j
              WHERE j = 0 OR random() < 0.8`,
          ),
        );
        await timed("customers", () =>
          tx.$executeRawUnsafe(
            `WITH a AS (SELECT g, min(f) AS f, min(d) AS d, max(m) AS lm, sum(orders) AS orders FROM gen_m GROUP BY g),
                  k AS (SELECT id, row_number() OVER (ORDER BY external_id) AS n, channel FROM campaigns WHERE workspace_id = ${W})
             INSERT INTO customers (workspace_id, external_id, acquisition_campaign_id, acquisition_channel, order_count, purchase_days, first_order_at, last_order_at,
                                    revenue_minor, first_day_revenue_minor, first_month_revenue_minor, margin_minor, summary_updated_at)
             SELECT ${W}, 'c' || a.g, k.id, coalesce(k.channel, (ARRAY['organic','referral'])[1 + a.g % 2]), a.orders, a.orders,
                    timestamptz '2023-01-01' + make_interval(months => a.f, days => a.d),
                    timestamptz '2023-01-01' + make_interval(months => a.lm, days => CASE WHEN a.lm = a.f THEN a.d ELSE 27 END),
                    a.orders * 4500, 4500, 4500, a.orders * 1350, now()
               FROM a LEFT JOIN k ON k.n = 1 + a.g % 50`,
          ),
        );
        await timed("customer_months", () =>
          tx.$executeRawUnsafe(
            `INSERT INTO customer_months (workspace_id, customer_id, month, orders, revenue_minor, margin_minor)
             SELECT ${W}, c.id, (date '2023-01-01' + make_interval(months => m.m))::date, m.orders, m.orders * 4500, m.orders * 1350
               FROM gen_m m JOIN customers c ON c.workspace_id = ${W} AND c.external_id = 'c' || m.g`,
          ),
        );
        // One week row per active month: the first order's week in the acquisition month, a week starting on day 2–21 otherwise (never two in one week).
        await timed("customer_weeks", () =>
          tx.$executeRawUnsafe(
            `INSERT INTO customer_weeks (workspace_id, customer_id, week, orders, revenue_minor, margin_minor)
             SELECT ${W}, m.customer_id, date_trunc('week', m.month + CASE WHEN m.month = date_trunc('month', c.first_order_at)::date THEN extract(day FROM c.first_order_at)::int - 1
                                                                       ELSE 7 + (abs(hashtext(m.customer_id::text || m.month)) % 14) END)::date,
                    m.orders, m.revenue_minor, m.margin_minor
               FROM customer_months m JOIN customers c ON c.workspace_id = m.workspace_id AND c.id = m.customer_id WHERE m.workspace_id = ${W}`,
          ),
        );
        await timed("monthly_rollups", () =>
          tx.$executeRawUnsafe(
            `INSERT INTO monthly_rollups (workspace_id, month, orders, revenue_minor, new_customer_revenue_minor, new_customers)
             SELECT ${W}, month, sum(orders), sum(revenue_minor), 0, 0 FROM customer_months WHERE workspace_id = ${W} GROUP BY month`,
          ),
        );
        await tx.$executeRawUnsafe(
          `INSERT INTO workspace_stats (workspace_id, customers, customers_with_orders, repeat_customers, orders, revenue_minor, updated_at)
           SELECT ${W}, count(*), count(*), count(*) FILTER (WHERE order_count > 1), sum(order_count), sum(revenue_minor), now() FROM customers WHERE workspace_id = ${W}`,
        );
        const [run] = await tx.$queryRawUnsafe<{ id: string }[]>(
          `INSERT INTO model_runs (workspace_id, model_kind, status, finished_at) VALUES (${W}, 'bgnbd', 'succeeded', now()) RETURNING id::text`,
        );
        await timed("customer_scores", () => insertSyntheticScores(tx, id, run!.id));
      },
      { timeout: 60 * 60_000, maxWait: 60_000 },
    );
    await timed("analyze", () => sup.$executeRawUnsafe("ANALYZE customers, customer_months, customer_weeks, customer_scores, monthly_rollups"));
  }
  const wsId = ws;
  const [size] = await sup.$queryRaw<{ customers: number; orders: number; months: number; weeks: number }[]>`
    SELECT (SELECT count(*) FROM customers WHERE workspace_id = ${wsId}::uuid)::int AS customers,
           (SELECT sum(orders) FROM customer_months WHERE workspace_id = ${wsId}::uuid)::int AS orders,
           (SELECT count(*) FROM customer_months WHERE workspace_id = ${wsId}::uuid)::int AS months,
           (SELECT count(*) FROM customer_weeks WHERE workspace_id = ${wsId}::uuid)::int AS weeks`;
  say("workspace", { workspaceId: wsId, ...size });
  let refreshLine = "";
  if (!generateOnly) {
    const [run] = await sup.$queryRaw<{ id: string }[]>`SELECT id::text FROM model_runs WHERE workspace_id = ${wsId}::uuid AND status = 'succeeded' ORDER BY finished_at DESC LIMIT 1`;
    const load0 = loadavg();
    // What the recompute runs at its end, in a tenant transaction as the app role.
    const t = Date.now();
    if (!skipRefresh) {
      const ok = await withWorkspace(appDb.prisma, wsId, (tx) => refreshRetentionRollups(tx, wsId, run!.id), big);
      if (!ok) throw new Error("refreshRetentionRollups failed (see its log line)");
    }
    const refreshMs = Date.now() - t;
    const [rr] = await sup.$queryRaw<{ rows: number; fresh: boolean }[]>`
      SELECT r.rows, (r.model_run_id = ${run!.id}::uuid AND w.metrics_stale_at IS NULL) AS fresh
        FROM retention_rollup_refreshes r JOIN workspaces w ON w.id = r.workspace_id WHERE r.workspace_id = ${wsId}::uuid`;
    if (!rr?.fresh) throw new Error("the retention rollups are not fresh: run without --skip-refresh");
    refreshLine = skipRefresh
      ? `refreshRetentionRollups: not run (--skip-refresh), ${rr.rows} rows from the previous refresh.`
      : `refreshRetentionRollups: ${(refreshMs / 1000).toFixed(1)} s, ${rr.rows} rows; load average ${load0.map((x) => x.toFixed(1)).join(" / ")} before, ${loadavg().map((x) => x.toFixed(1)).join(" / ")} after.`;
    if (refreshOnly) console.log(refreshLine);
  }
  if (!generateOnly && !refreshOnly) {
    const load0 = loadavg();

    const user = await registerUser(
      { name: "Bench", email: `bench-${Date.now().toString(36)}@example.com`, password: "correct horse battery staple", workspaceName: "Bench own" },
      "192.0.2.77",
    );
    await sup.$executeRaw`INSERT INTO memberships (workspace_id, user_id, role) VALUES (${wsId}::uuid, ${user.user.id}::uuid, 'VIEWER'::"Role") ON CONFLICT DO NOTHING`;
    const caller = createCaller({ prisma: appDb.prisma, user: user.user, ip: "192.0.2.77", requestId: "bench" });
    const workspaceId = wsId;
    // The page asks for one split group's curves (the group picked in its selector): here the largest campaign.
    const largest = async (split: "campaign" | "segment" | "channel") =>
      (await caller.retention.groups({ workspaceId, split })).groups.filter((g) => g.value !== "").sort((a, b) => b.customers - a.customers)[0]?.value ?? "";
    const campaign = await largest("campaign");
    const segment = await largest("segment");
    const channel = await largest("channel");
    const calls: [string, () => Promise<unknown>][] = [
      // What the page asks for: the no-split matrix with group "", a split's groups then one group's cohorts, weekly cohorts 52 at a time.
      ["cohorts (month, no split)", () => caller.retention.cohorts({ workspaceId, grain: "month", split: "none", group: "" })],
      ["cohorts (week, no split, latest 52)", () => caller.retention.cohorts({ workspaceId, grain: "week", split: "none", group: "" })],
      ["cohorts (week, no split, 52 to 2023-12)", () => caller.retention.cohorts({ workspaceId, grain: "week", split: "none", group: "", until: "2023-12-31" })],
      ["cohorts (week, largest campaign, latest 52)", () => caller.retention.cohorts({ workspaceId, grain: "week", split: "campaign", group: campaign })],
      ["groups (campaign)", () => caller.retention.groups({ workspaceId, split: "campaign" })],
      ["cohorts (quarter, largest channel)", () => caller.retention.cohorts({ workspaceId, grain: "quarter", split: "channel", group: channel })],
      ["cohorts (month, largest RFM segment)", () => caller.retention.cohorts({ workspaceId, grain: "month", split: "segment", group: segment })],
      ["cohorts (month, every RFM segment; API only)", () => caller.retention.cohorts({ workspaceId, grain: "month", split: "segment" })],
      ["curves (3-month window, no split)", () => caller.retention.curves({ workspaceId, split: "none", windowMonths: 3, horizonMonths: 24, group: "" })],
      ["curves (6-month window, one campaign)", () => caller.retention.curves({ workspaceId, split: "campaign", windowMonths: 6, horizonMonths: 24, group: campaign })],
      ["rates", () => caller.retention.rates({ workspaceId })],
    ];
    const timings = await timeCalls(calls, RUNS, (t) => say("procedure", { label: t.label, p50: t.p50, p95: t.p95 }));
    console.log(
      [
        `Workspace: ${size!.customers} customers, ${size!.orders} orders (${size!.months} customer_months, ${size!.weeks} customer_weeks rows).`,
        `Machine: ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}; load average ${load0.map((x) => x.toFixed(1)).join(" / ")} before, ${loadavg().map((x) => x.toFixed(1)).join(" / ")} after.`,
        refreshLine,
        "",
        `| procedure (${RUNS} runs after 3 warm-up) | p50 ms | p95 ms | max ms |`,
        "|---|---|---|---|",
        ...timings.map((t) => t.row),
      ].join("\n"),
    );
  }
} finally {
  await superDb.close();
  await appDb.close();
  await pg.stop();
}
