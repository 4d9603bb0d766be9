/**
 * Campaign ROI benchmark (issue 6): a workspace of N customers (default 1,000,000) across 200
 * campaigns in 6 channels (10 % without a campaign), generated set-based with generate_series:
 * customers with summaries, ~3 customer_months and customer_weeks rows each, a score per customer
 * and two years of daily spend per campaign. Then times the rollup refresh (what the recompute runs
 * at its end) and the page's procedures through the tRPC caller (RLS transaction included):
 * campaigns.roi (default and a 6-month margin/historical range), campaigns.compare (3 campaigns),
 * campaigns.budget — p50 / p95 / max over R runs after a warm-up. Prints a Markdown block.
 *   eval "$(VALUELENS_DATA_DIR=… VALUELENS_PG_PORT=… pnpm -s db:env)"
 *   pnpm --filter @valuelens/api exec tsx bench/campaigns-bench.ts [customers] [runs]
 * BENCH_REUSE=<workspaceId>,<userId>,<email> (printed by a previous run) times the procedures on an
 * already generated workspace, without generating or refreshing again; add --refresh to run (and
 * time) the rollup refresh on it first, e.g. after a migration added a rollup table.
 * Besides the page's queries (roi, compare, budget, get — the campaign editor's read), it times two
 * references: the whole-range ROI summed live (what the page did before campaign_key_totals), and the floor every procedure pays (tenant transaction + SELECT 1).
 */
import { cpus, loadavg, totalmem } from "node:os";
import { closeDb, getDb, withWorkspace } from "@valuelens/db";
import { createCaller } from "../src/root.ts";
import { benchOwner } from "./bench-owner.ts";
import { refreshCampaignStats } from "../src/services/campaigns/refresh-campaign-stats.ts";
import { computeCampaignRoi } from "../src/services/campaigns/campaign-roi.ts";
import { ensureScorePartition } from "../src/services/recompute/write-scores.ts";
import { timeCalls } from "./time-calls.ts";

const ROLLUPS_ONLY = process.argv.includes("--rollups-only");
const REFRESH_REUSED = process.argv.includes("--refresh");
const N = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 1_000_000);
const RUNS = Number(process.argv.filter((a) => /^\d+$/.test(a))[1] ?? 40);
const CAMPAIGNS = 200;
const { prisma } = getDb();

const t0 = Date.now();
const load0 = loadavg();
const { user, workspaceId: ws, reused: reuse } = await benchOwner({ name: "Bench", emailPrefix: "bench", workspaceName: `Campaign bench ${N}`, ip: "192.0.2.77" });
const big = { timeoutMs: 60 * 60_000 };
const step = async (label: string, sql: string) => {
  const s = Date.now();
  await withWorkspace(
    prisma,
    ws,
    async (tx) => {
      await tx.$executeRawUnsafe("SET LOCAL statement_timeout = 0"); // generation only
      await tx.$executeRawUnsafe(sql.replaceAll("$WS", `'${ws}'::uuid`));
    },
    big,
  );
  console.error(`${label}: ${((Date.now() - s) / 1000).toFixed(1)} s`);
};

if (!reuse) await step(
  "campaigns",
  `INSERT INTO campaigns (workspace_id, external_id, name, channel, starts_at)
   SELECT $WS, 'cmp' || g, 'Campaign ' || g, (ARRAY['paid_search','paid_social','email','affiliate','display','referral'])[1 + g % 6], timestamptz '2024-01-01' + (g % 90) * interval '1 day'
     FROM generate_series(1, ${CAMPAIGNS}) g`,
);
if (!reuse) await step(
  "spend (730 days per campaign)",
  `INSERT INTO campaign_spend (workspace_id, campaign_id, day, amount_minor, currency)
   SELECT $WS, c.id, date '2024-01-01' + d, 5000 + (abs(hashtext(c.id::text || d)) % 20000), 'USD'
     FROM campaigns c CROSS JOIN generate_series(0, 729) d WHERE c.workspace_id = $WS`,
);
if (ROLLUPS_ONLY && !reuse) {
  // The read path alone: the rollup rows a refresh of N customers over 24 acquisition months writes
  // (what the procedures read does not grow with customers, only with campaigns × months).
  await step(
    "rollups (200 campaigns × 24 months + 20 campaign-less channels)",
    `WITH k AS (SELECT id::text AS ck, '' AS ch FROM campaigns WHERE workspace_id = $WS
                UNION ALL SELECT '', 'organic-' || g FROM generate_series(1, 20) g),
          m AS (SELECT date '2024-01-01' + make_interval(months => i) AS cm, i FROM generate_series(0, 23) i),
          ins AS (
            INSERT INTO campaign_cohorts (workspace_id, campaign_key, channel, cohort_month, customers, repeat_customers, eligible_90, retained_90,
                                          first_order_revenue_minor, revenue_minor, margin_minor, scored, predicted_clv_minor, predicted_clv_low_minor,
                                          predicted_clv_high_minor, predicted_m1_minor, predicted_m2_3_minor, predicted_m4_12_minor)
            SELECT $WS, k.ck, k.ch, m.cm::date, ${Math.round(N / 220 / 24)}, ${Math.round(N / 220 / 24 / 2)}, ${Math.round(N / 220 / 24)}, ${Math.round(N / 220 / 24 / 3)},
                   4000 * ${Math.round(N / 220 / 24)}, 12000 * ${Math.round(N / 220 / 24)}, 3600 * ${Math.round(N / 220 / 24)}, ${Math.round(N / 220 / 24)},
                   6000 * ${Math.round(N / 220 / 24)}, 4000 * ${Math.round(N / 220 / 24)}, 9000 * ${Math.round(N / 220 / 24)}, 800 * ${Math.round(N / 220 / 24)}, 1400 * ${Math.round(N / 220 / 24)}, 3800 * ${Math.round(N / 220 / 24)}
              FROM k CROSS JOIN m RETURNING 1)
     INSERT INTO campaign_cohort_months (workspace_id, campaign_key, channel, cohort_month, month_offset, active, revenue_minor, margin_minor)
     SELECT $WS, k.ck, k.ch, m.cm::date, o, 10, 1000 * (24 - o), 300 * (24 - o)
       FROM k CROSS JOIN m CROSS JOIN generate_series(0, 23) o WHERE m.i + o <= 23`,
  );
  await step(
    "refresh row",
    `INSERT INTO campaign_stats_refreshes (workspace_id, refreshed_at, data_cutoff, last_data_month, customers) VALUES ($WS, now(), timestamptz '2025-12-31', date '2025-12-01', ${N})
     ON CONFLICT (workspace_id) DO UPDATE SET refreshed_at = now(), data_cutoff = EXCLUDED.data_cutoff, last_data_month = EXCLUDED.last_data_month, customers = EXCLUDED.customers`,
  );
}
// Customers: campaign by i mod 220 (the last 20 slots = no campaign), first order spread over two years,
// value and loyalty depending on the channel so the metrics differ.
if (!ROLLUPS_ONLY && !reuse) await step(
  `customers (${N})`,
  `WITH c AS (SELECT id, channel, row_number() OVER (ORDER BY external_id) AS k FROM campaigns WHERE workspace_id = $WS)
   INSERT INTO customers (workspace_id, external_id, acquisition_campaign_id, acquisition_channel, order_count, purchase_days, first_order_at, last_order_at,
                          revenue_minor, first_day_revenue_minor, first_month_revenue_minor, margin_minor, summary_updated_at)
   SELECT $WS, 'c' || g, c.id, coalesce(c.channel, 'organic'), 1 + g % 5, 1 + g % 5,
          timestamptz '2024-01-01' + (g % 700) * interval '1 day',
          timestamptz '2024-01-01' + (g % 700 + (g % 5) * 20) * interval '1 day',
          (1 + g % 5) * (2000 + g % 7000), 2000 + g % 7000, 2000 + g % 7000, ((1 + g % 5) * (2000 + g % 7000)) * 3 / 10, now()
     FROM generate_series(1, ${N}) g LEFT JOIN c ON c.k = 1 + g % 220`,
);
if (!ROLLUPS_ONLY && !reuse) await step(
  "customer_months (~3 per customer)",
  `INSERT INTO customer_months (workspace_id, customer_id, month, orders, revenue_minor, margin_minor)
   SELECT $WS, c.id, (date_trunc('month', c.first_order_at) + m * interval '1 month')::date, 1, c.revenue_minor / 3, c.margin_minor / 3
     FROM customers c CROSS JOIN generate_series(0, 2) m WHERE c.workspace_id = $WS AND (m = 0 OR c.purchase_days > m)`,
);
if (!ROLLUPS_ONLY && !reuse) await step(
  "customer_weeks (~3 per customer)",
  `INSERT INTO customer_weeks (workspace_id, customer_id, week, orders, revenue_minor, margin_minor)
   SELECT $WS, c.id, (date_trunc('week', c.first_order_at) + m * interval '3 weeks')::date, 1, c.revenue_minor / 3, c.margin_minor / 3
     FROM customers c CROSS JOIN generate_series(0, 2) m WHERE c.workspace_id = $WS AND (m = 0 OR c.purchase_days > m)`,
);
const [run] = reuse
  ? [{ id: "" }]
  : await withWorkspace(prisma, ws, (tx) =>
      tx.$queryRaw<{ id: string }[]>`INSERT INTO model_runs (workspace_id, model_kind, status, finished_at) VALUES (${ws}::uuid, 'bgnbd', 'succeeded', now()) RETURNING id::text`,
    );
if (!ROLLUPS_ONLY && !reuse) await withWorkspace(prisma, ws, (tx) => ensureScorePartition(tx, ws)); // partitioned per workspace
if (!ROLLUPS_ONLY && !reuse) await step(
  "customer_scores",
  `INSERT INTO customer_scores (workspace_id, customer_id, model_run_id, p_alive, expected_purchases_30, expected_purchases_90, expected_purchases_365,
                                predicted_clv_minor, predicted_clv_low_minor, predicted_clv_high_minor, historical_clv_minor, churn_risk,
                                rfm_r, rfm_f, rfm_m, rfm_segment, value_tier, scored_at, last_order_at)
   SELECT $WS, c.id, '${run!.id}'::uuid, 0.6, 0.1 * c.purchase_days, 0.3 * c.purchase_days, 1.0 * c.purchase_days,
          c.revenue_minor / 2, c.revenue_minor / 3, c.revenue_minor, c.revenue_minor, 'low', 3, 3, 3, 'Need Attention', 'medium', now(), c.last_order_at
     FROM customers c WHERE c.workspace_id = $WS`,
);
const tLoad = Date.now();

// The same statements the recompute runs at its end (inside its transaction).
const latestRun = async () =>
  (await withWorkspace(prisma, ws, (tx) => tx.$queryRaw<{ id: string }[]>`SELECT id::text FROM model_runs WHERE workspace_id = ${ws}::uuid ORDER BY started_at DESC LIMIT 1`))[0]?.id ?? null;
const doRefresh = !ROLLUPS_ONLY && (!reuse || REFRESH_REUSED);
const refreshRunId = reuse ? (doRefresh ? await latestRun() : null) : run!.id;
const r0 = Date.now();
const refreshed = !doRefresh || (await withWorkspace(prisma, ws, (tx) => refreshCampaignStats(tx, ws, refreshRunId), big));
const refreshMs = Date.now() - r0;
if (!refreshed) throw new Error("the campaign rollup refresh failed (see the log line above)");
const counts = await withWorkspace(prisma, ws, (tx) =>
  tx.$queryRaw<{ cohorts: number; months: number; spendMonths: number; curve: number }[]>`SELECT (SELECT count(*) FROM campaign_cohorts WHERE workspace_id = ${ws}::uuid)::int AS cohorts, (SELECT count(*) FROM campaign_cohort_months WHERE workspace_id = ${ws}::uuid)::int AS months, (SELECT count(*) FROM campaign_spend_months WHERE workspace_id = ${ws}::uuid)::int AS "spendMonths", (SELECT count(*) FROM campaign_key_totals WHERE workspace_id = ${ws}::uuid)::int AS curve`,
);

const caller = createCaller({ prisma, user, ip: "192.0.2.77", requestId: "bench" });
const roi = await caller.campaigns.roi({ workspaceId: ws });
const top3 = roi.campaigns.slice(0, 3).map((c) => c.key);
const cases: [string, () => Promise<unknown>][] = [
  ["campaigns.roi (all months, lifetime revenue)", () => caller.campaigns.roi({ workspaceId: ws })],
  ["campaigns.roi (6 months, historical margin)", () => caller.campaigns.roi({ workspaceId: ws, measure: "margin", horizon: "historical", fromMonth: "2024-07", toMonth: "2024-12" })],
  ["campaigns.compare (3 campaigns)", () => caller.campaigns.compare({ workspaceId: ws, campaignIds: top3 })],
  ["campaigns.compare (3 campaigns, 6 months)", () => caller.campaigns.compare({ workspaceId: ws, campaignIds: top3, fromMonth: "2024-07", toMonth: "2024-12" })],
  ["campaigns.budget", () => caller.campaigns.budget({ workspaceId: ws, budgetMinor: 50_000_000 })],
  ["campaigns.get (campaign editor)", () => caller.campaigns.get({ workspaceId: ws, campaignId: top3[0]! })],
  ["reference: ROI service, all months, summed live", () => withWorkspace(prisma, ws, (tx) => computeCampaignRoi(tx, ws, { measure: "revenue", horizon: "lifetime" }, { keyTotals: false }))],
  ["reference: tenant transaction + SELECT 1", () => withWorkspace(prisma, ws, (tx) => tx.$queryRaw`SELECT 1`)],
];
const rows = (await timeCalls(cases, RUNS, (t) => console.error(t.row))).map((t) => t.row);
const curveSource = (await withWorkspace(prisma, ws, (tx) => computeCampaignRoi(tx, ws, { measure: "revenue", horizon: "lifetime" }))).curveSource;

console.log(`
Workspace: ${N.toLocaleString("en-US")} customers (${roi.campaigns.reduce((s, c) => s + c.customers, 0).toLocaleString("en-US")} attributed to ${CAMPAIGNS} campaigns, the rest without a campaign), ${counts[0]!.cohorts.toLocaleString("en-US")} campaign_cohorts rows, ${counts[0]!.months.toLocaleString("en-US")} campaign_cohort_months rows, ${counts[0]!.curve.toLocaleString("en-US")} campaign_key_totals rows (whole-range reads: ${curveSource}), ${(CAMPAIGNS * 730).toLocaleString("en-US")} daily spend rows (${counts[0]!.spendMonths.toLocaleString("en-US")} campaign_spend_months rows)${reuse ? "" : `; generated in ${((tLoad - t0) / 1000).toFixed(0)} s`}.
Machine: ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}; PostgreSQL embedded, RLS on, app role.

Load average (1/5/15 min) at start ${load0.map((x) => x.toFixed(1)).join(" / ")}, at end ${loadavg().map((x) => x.toFixed(1)).join(" / ")} (shared machine).

${reuse && !doRefresh ? "Reused workspace (BENCH_REUSE): no generation or refresh in this run." : ROLLUPS_ONLY ? "Read path only (--rollups-only): rollup rows written directly, no refresh timed." : `Rollup refresh (refreshCampaignStats, run at the end of each recompute): **${(refreshMs / 1000).toFixed(1)} s**.`}

| procedure (tRPC caller, tenant transaction, ${RUNS} runs after 3 warm-up) | p50 ms | p95 ms | max ms |
|---|---|---|---|
${rows.join("\n")}
`);
await closeDb();
