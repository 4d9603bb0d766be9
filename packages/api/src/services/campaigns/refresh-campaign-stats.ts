/**
 * Campaign rollups (issue 6), written set-based after every full recompute, in its second tenant
 * transaction (one REPEATABLE READ snapshot of the scores it committed: run-recompute.ts refreshDerived):
 * - campaign_cohorts: per acquisition campaign (or channel, for customers without one) and
 *   acquisition month: customers, repeat buyers, 90-day retention, first-order / to-date revenue
 *   and margin, and sums of the predicted 12-month CLV (with its 80 % bounds) split into months
 *   1, 2–3 and 4–12 in the shape of each customer's expected purchases;
 * - campaign_cohort_months: value of those cohorts by months since acquisition (from
 *   customer_months, kept current by triggers);
 * - campaign_stats_refreshes: when, from which run, up to which data cut-off;
 * - campaign_key_totals: per key over the whole range, the sums of its campaign_cohorts rows and the
 *   payback-curve inputs by month since acquisition (customers whose cohort had reached the month
 *   by the last data month, and the value all its cohorts brought in it), so the page's default
 *   view reads one row per key instead of summing cohorts and grouping campaign_cohort_months.
 * Reads customers, customer_scores, customer_months and customer_weeks; never orders.
 *
 * Acquisition = the customer's first non-refunded order (customers.first_order_at), month in the
 * workspace time zone; customers with no order yet are not "acquired" and are left out.
 * 90-day retention = bought again in one of the 13 ISO weeks after the acquisition week (weekly
 * grain: a second order in the acquisition week itself is not counted), among customers acquired
 * at least 91 days before the data cut-off.
 */
import { Prisma, type Tx } from "@valuelens/db";
import { log, logError } from "../../log.ts";
import { builtFrom, readScorePrints, saveBuiltKeys, unchangedSince, type ScorePrints } from "../recompute/derived-keys.ts";

/** Per-statement limit of the refresh (the app role's default is 30 s; 1M customers need more on 2 cores). */
const REFRESH_STATEMENT_TIMEOUT = "300s";
/** Memory of the refresh's hash joins and aggregates over every acquired customer (1M rows ≈ 100 MB). */
const REFRESH_WORK_MEM = "256MB";

/**
 * A cohort's predicted 12-month CLV sums over its customers `c` joined to their scores `s`: scored, the sum
 * with its 80 % bounds, and the sum split into months 1, 2–3 and 4–12 in the shape of each customer's
 * expected purchases (evenly without them).
 */
const PREDICTED_SUMS = Prisma.raw(`count(s.predicted_clv_minor)::int AS scored,
           coalesce(sum(s.predicted_clv_minor), 0)::bigint AS clv,
           coalesce(sum(coalesce(s.predicted_clv_low_minor, s.predicted_clv_minor)), 0)::bigint AS lo,
           coalesce(sum(coalesce(s.predicted_clv_high_minor, s.predicted_clv_minor)), 0)::bigint AS hi,
           round(coalesce(sum(CASE WHEN s.expected_purchases_365 > 0 THEN s.predicted_clv_minor * s.expected_purchases_30 / s.expected_purchases_365
                                   ELSE s.predicted_clv_minor / 12.0 END), 0))::bigint AS m1,
           round(coalesce(sum(CASE WHEN s.expected_purchases_365 > 0 THEN s.predicted_clv_minor * (s.expected_purchases_90 - s.expected_purchases_30) / s.expected_purchases_365
                                   ELSE s.predicted_clv_minor * 2 / 12.0 END), 0))::bigint AS m2_3,
           round(coalesce(sum(CASE WHEN s.expected_purchases_365 > 0 THEN s.predicted_clv_minor * (s.expected_purchases_365 - s.expected_purchases_90) / s.expected_purchases_365
                                   ELSE s.predicted_clv_minor * 9 / 12.0 END), 0))::bigint AS m4_12`);

export interface CampaignRefreshOptions {
  /**
   * The score prints of this transaction's snapshot (the recompute reads them once for every derived part, on its
   * other connection while this refresh starts: awaited only where needed); read here when absent.
   */
  prints?: ScorePrints | Promise<ScorePrints>;
  /** Rebuild every row even when nothing they depend on changed since they were built (benchmarks, tests). */
  force?: boolean;
}

/**
 * What a refresh rebuilds, from what changed since the rows were built (derived-keys.ts): "full" after any
 * write (or without a key); "predicted" when only predicted values moved — the cohorts' predicted sums and
 * the key totals, not the order-only columns and cohort months (no scan of customer_months / customer_weeks);
 * "kept" when nothing moved (only the refresh row moves to the new run).
 */
export type CampaignRefreshMode = "full" | "predicted" | "kept";

/**
 * Runs in the recompute's second transaction, in a savepoint: if the refresh fails (a timeout on a huge
 * workspace), the page keeps the previous rollups, with their time (the scores have committed already).
 */
export async function refreshCampaignStats(tx: Tx, workspaceId: string, modelRunId: string | null, opts: CampaignRefreshOptions = {}): Promise<boolean> {
  await tx.$executeRawUnsafe("SAVEPOINT vl_campaign_stats");
  try {
    const started = Date.now();
    const prints = opts.prints ?? (await readScorePrints(tx, workspaceId));
    const [prev] = await tx.$queryRaw<{ n: number }[]>`SELECT 1 AS n FROM campaign_stats_refreshes WHERE workspace_id = ${workspaceId}::uuid`;
    const built = opts.force || !prev ? null : await builtFrom(tx, workspaceId, "campaigns");
    // After a write (or without a key) the rebuild does not wait for the prints: they are needed only for its key.
    const mode: CampaignRefreshMode = !built?.dataSame ? "full" : unchangedSince(built, await prints, ["pred"]) ? "kept" : "predicted";
    if (mode === "full") await writeCampaignStats(tx, workspaceId, modelRunId);
    else {
      if (mode === "predicted") await writePredictedSums(tx, workspaceId);
      await tx.$executeRaw`UPDATE campaign_stats_refreshes SET refreshed_at = now(), model_run_id = ${modelRunId}::uuid WHERE workspace_id = ${workspaceId}::uuid`;
    }
    await saveBuiltKeys(tx, workspaceId, "campaigns", { pred: (await prints).pred }, modelRunId);
    log("campaign_stats.refreshed", { workspaceId, modelRunId, mode, ms: Date.now() - started });
    await tx.$executeRawUnsafe("RELEASE SAVEPOINT vl_campaign_stats");
    return true;
  } catch (e) {
    await tx.$executeRawUnsafe("ROLLBACK TO SAVEPOINT vl_campaign_stats");
    logError("campaign_stats.refresh_failed", { workspaceId, modelRunId, error: e });
    return false;
  } finally {
    await tx.$executeRawUnsafe("SET LOCAL enable_nestloop TO DEFAULT");
    await tx.$executeRawUnsafe("SET LOCAL work_mem TO DEFAULT");
    await tx.$executeRawUnsafe("SET LOCAL statement_timeout TO DEFAULT");
  }
}

async function writeCampaignStats(tx: Tx, workspaceId: string, modelRunId: string | null): Promise<void> {
  await tx.$executeRawUnsafe(`SET LOCAL statement_timeout = '${REFRESH_STATEMENT_TIMEOUT}'`);
  // Joins over every acquired customer of the workspace: hash joins are right at any size (see
  // retention.ts: nested loops under small-table statistics took minutes).
  await tx.$executeRawUnsafe("SET LOCAL enable_nestloop = off");
  await tx.$executeRaw`DELETE FROM campaign_key_totals WHERE workspace_id = ${workspaceId}::uuid`;
  await tx.$executeRaw`DELETE FROM campaign_cohort_months WHERE workspace_id = ${workspaceId}::uuid`;
  await tx.$executeRaw`DELETE FROM campaign_cohorts WHERE workspace_id = ${workspaceId}::uuid`;
  // One statement writes cohorts and cohort months from one pass over the acquired customers (materialized
  // once: their keys were computed per joined customer_months row before, 4.2M times at 1M customers), with
  // memory for 1M-row hash tables (at the default 4 MB every join spilled ≈ 0.8 GB to disk). 90-day retention
  // is a semi-join (each customer once) instead of DISTINCT over every matching week. Cohort months are
  // summed per calendar month first, then per month offset (one offset per month within a cohort: the same
  // sums). Same rows as the two statements before (campaign-rollups test against them).
  await tx.$executeRawUnsafe(`SET LOCAL work_mem = '${REFRESH_WORK_MEM}'`);
  await tx.$executeRaw`
    WITH w AS (SELECT timezone FROM workspaces WHERE id = ${workspaceId}::uuid),
    cut AS (SELECT max(last_order_at) AS at FROM customers WHERE workspace_id = ${workspaceId}::uuid),
    c AS MATERIALIZED (
      SELECT c.id, ${ACQUIRED_KEYS},
             date_trunc('week', c.first_order_at AT TIME ZONE w.timezone)::date AS cw,
             c.first_order_at <= cut.at - interval '91 days' AS eligible,
             c.purchase_days, c.first_day_revenue_minor, c.revenue_minor, c.margin_minor
        FROM customers c CROSS JOIN w CROSS JOIN cut
       WHERE c.workspace_id = ${workspaceId}::uuid AND c.first_order_at IS NOT NULL
    ),
    retained AS (
      SELECT c.id AS customer_id FROM c
       WHERE c.eligible
         AND EXISTS (SELECT 1 FROM customer_weeks cw WHERE cw.workspace_id = ${workspaceId}::uuid AND cw.customer_id = c.id AND cw.week > c.cw AND cw.week <= c.cw + 91)
    ),
    cohorts AS (
      INSERT INTO campaign_cohorts (workspace_id, campaign_key, channel, cohort_month, customers, repeat_customers, eligible_90, retained_90,
                                    first_order_revenue_minor, revenue_minor, margin_minor, scored, predicted_clv_minor, predicted_clv_low_minor,
                                    predicted_clv_high_minor, predicted_m1_minor, predicted_m2_3_minor, predicted_m4_12_minor)
      SELECT ${workspaceId}::uuid, c.ck, c.ch, c.cm,
             count(*)::int,
             count(*) FILTER (WHERE c.purchase_days >= 2)::int,
             count(*) FILTER (WHERE c.eligible)::int,
             count(r.customer_id)::int,
             coalesce(sum(c.first_day_revenue_minor), 0)::bigint,
             coalesce(sum(c.revenue_minor), 0)::bigint,
             coalesce(sum(c.margin_minor), 0)::bigint,
             ${PREDICTED_SUMS}
        FROM c
        LEFT JOIN retained r ON r.customer_id = c.id
        LEFT JOIN customer_scores s ON s.workspace_id = ${workspaceId}::uuid AND s.customer_id = c.id
       GROUP BY c.ck, c.ch, c.cm
    ),
    by_month AS (
      SELECT c.ck, c.ch, c.cm, m.month, count(*) AS active, sum(m.revenue_minor) AS revenue, sum(m.margin_minor) AS margin
        FROM customer_months m JOIN c ON c.id = m.customer_id
       WHERE m.workspace_id = ${workspaceId}::uuid AND m.month >= c.cm
       GROUP BY c.ck, c.ch, c.cm, m.month
    )
    INSERT INTO campaign_cohort_months (workspace_id, campaign_key, channel, cohort_month, month_offset, active, revenue_minor, margin_minor)
    SELECT ${workspaceId}::uuid, g.ck, g.ch, g.cm,
           ((extract(year from g.month)::int * 12 + extract(month from g.month)::int) - (extract(year from g.cm)::int * 12 + extract(month from g.cm)::int))::smallint AS k,
           sum(g.active)::int, sum(g.revenue)::bigint, sum(g.margin)::bigint
      FROM by_month g
     GROUP BY g.ck, g.ch, g.cm, k`;
  await tx.$executeRaw`
    INSERT INTO campaign_stats_refreshes (workspace_id, refreshed_at, model_run_id, data_cutoff, last_data_month, customers)
    SELECT ${workspaceId}::uuid, now(), ${modelRunId}::uuid, x.cutoff,
           date_trunc('month', x.cutoff AT TIME ZONE w.timezone)::date, x.n
      FROM (SELECT max(last_order_at) AS cutoff, count(first_order_at)::int AS n FROM customers WHERE workspace_id = ${workspaceId}::uuid) x,
           (SELECT timezone FROM workspaces WHERE id = ${workspaceId}::uuid) w
    ON CONFLICT (workspace_id) DO UPDATE
       SET refreshed_at = EXCLUDED.refreshed_at, model_run_id = EXCLUDED.model_run_id, data_cutoff = EXCLUDED.data_cutoff,
           last_data_month = EXCLUDED.last_data_month, customers = EXCLUDED.customers`;
  await writeKeyTotals(tx, workspaceId);
}

/** An acquired customer `c`'s campaign key (ck), channel without a campaign (ch) and cohort month (cm) in the time zone of `w`. */
const ACQUIRED_KEYS = Prisma.sql`coalesce(c.acquisition_campaign_id::text, '') AS ck,
             CASE WHEN c.acquisition_campaign_id IS NULL THEN coalesce(c.acquisition_channel, '') ELSE '' END AS ch,
             date_trunc('month', c.first_order_at AT TIME ZONE w.timezone)::date AS cm`;

/** CTEs w (the workspace's time zone) and c: its acquired customers with their campaign key, channel and cohort month. */
function acquired(workspaceId: string): Prisma.Sql {
  return Prisma.sql`w AS (SELECT timezone FROM workspaces WHERE id = ${workspaceId}::uuid),
    c AS (
      SELECT c.id, ${ACQUIRED_KEYS}
        FROM customers c CROSS JOIN w
       WHERE c.workspace_id = ${workspaceId}::uuid AND c.first_order_at IS NOT NULL
    )`;
}

/**
 * Only the predicted sums of the existing cohorts (the data has not changed since they were written, so
 * the cohorts are the same), then the key totals again.
 */
async function writePredictedSums(tx: Tx, workspaceId: string): Promise<void> {
  await tx.$executeRawUnsafe(`SET LOCAL statement_timeout = '${REFRESH_STATEMENT_TIMEOUT}'`);
  await tx.$executeRawUnsafe("SET LOCAL enable_nestloop = off");
  await tx.$executeRawUnsafe(`SET LOCAL work_mem = '${REFRESH_WORK_MEM}'`);
  await tx.$executeRaw`
    WITH ${acquired(workspaceId)},
    p AS (
      SELECT c.ck, c.ch, c.cm, ${PREDICTED_SUMS}
        FROM c LEFT JOIN customer_scores s ON s.workspace_id = ${workspaceId}::uuid AND s.customer_id = c.id
       GROUP BY c.ck, c.ch, c.cm
    )
    UPDATE campaign_cohorts x
       SET scored = p.scored, predicted_clv_minor = p.clv, predicted_clv_low_minor = p.lo, predicted_clv_high_minor = p.hi,
           predicted_m1_minor = p.m1, predicted_m2_3_minor = p.m2_3, predicted_m4_12_minor = p.m4_12
      FROM p
     WHERE x.workspace_id = ${workspaceId}::uuid AND x.campaign_key = p.ck AND x.channel = p.ch AND x.cohort_month = p.cm`;
  await tx.$executeRaw`DELETE FROM campaign_key_totals WHERE workspace_id = ${workspaceId}::uuid`;
  await writeKeyTotals(tx, workspaceId);
}

async function writeKeyTotals(tx: Tx, workspaceId: string): Promise<void> {
  // Whole-range totals per key, from the two tables just written (a few thousand rows). The curve has
  // every month offset from 0 to the oldest cohort's age (or the last month with value, if later), so
  // adding keys' arrays gives a channel's curve exactly as summing their cohorts would (campaign-roi.ts,
  // live path); without a last data month there is no curve (empty arrays), as on the live path.
  await tx.$executeRaw`
    WITH r AS (SELECT extract(year FROM last_data_month)::int * 12 + extract(month FROM last_data_month)::int AS last
                 FROM campaign_stats_refreshes WHERE workspace_id = ${workspaceId}::uuid AND last_data_month IS NOT NULL),
    co AS (SELECT campaign_key, channel, customers,
                  r.last - (extract(year FROM cohort_month)::int * 12 + extract(month FROM cohort_month)::int) AS age
             FROM campaign_cohorts CROSS JOIN r WHERE workspace_id = ${workspaceId}::uuid),
    v AS (SELECT campaign_key, channel, month_offset::int AS k, sum(revenue_minor) AS rev, sum(margin_minor) AS mar
            FROM campaign_cohort_months WHERE workspace_id = ${workspaceId}::uuid AND EXISTS (SELECT 1 FROM r) GROUP BY 1, 2, 3),
    tops AS (SELECT campaign_key, channel, greatest(0, max(top)) AS top
               FROM (SELECT campaign_key, channel, age AS top FROM co UNION ALL SELECT campaign_key, channel, k FROM v) t
              GROUP BY 1, 2),
    el AS (SELECT t.campaign_key, t.channel, g.k, coalesce(sum(co.customers), 0)::int AS eligible
             FROM tops t CROSS JOIN LATERAL generate_series(0, t.top) g(k)
             LEFT JOIN co ON co.campaign_key = t.campaign_key AND co.channel = t.channel AND co.age >= g.k
            GROUP BY 1, 2, 3),
    curve AS (SELECT el.campaign_key, el.channel, array_agg(el.eligible ORDER BY el.k) AS e,
                     array_agg(coalesce(v.rev, 0)::bigint ORDER BY el.k) AS rev, array_agg(coalesce(v.mar, 0)::bigint ORDER BY el.k) AS mar
                FROM el LEFT JOIN v ON v.campaign_key = el.campaign_key AND v.channel = el.channel AND v.k = el.k
               GROUP BY 1, 2),
    sums AS (SELECT campaign_key, channel, sum(customers) AS customers, sum(repeat_customers) AS repeat_customers, sum(eligible_90) AS eligible_90,
                    sum(retained_90) AS retained_90, sum(first_order_revenue_minor) AS first_order_revenue_minor, sum(revenue_minor) AS revenue_minor,
                    sum(margin_minor) AS margin_minor, sum(scored) AS scored, sum(predicted_clv_minor) AS predicted_clv_minor,
                    sum(predicted_clv_low_minor) AS predicted_clv_low_minor, sum(predicted_clv_high_minor) AS predicted_clv_high_minor,
                    sum(predicted_m1_minor) AS predicted_m1_minor, sum(predicted_m2_3_minor) AS predicted_m2_3_minor, sum(predicted_m4_12_minor) AS predicted_m4_12_minor
               FROM campaign_cohorts WHERE workspace_id = ${workspaceId}::uuid GROUP BY 1, 2)
    INSERT INTO campaign_key_totals (workspace_id, campaign_key, channel, customers, repeat_customers, eligible_90, retained_90, first_order_revenue_minor,
                                     revenue_minor, margin_minor, scored, predicted_clv_minor, predicted_clv_low_minor, predicted_clv_high_minor,
                                     predicted_m1_minor, predicted_m2_3_minor, predicted_m4_12_minor, curve_eligible, curve_revenue_minor, curve_margin_minor)
    SELECT ${workspaceId}::uuid, campaign_key, channel, coalesce(s.customers, 0), coalesce(s.repeat_customers, 0), coalesce(s.eligible_90, 0),
           coalesce(s.retained_90, 0), coalesce(s.first_order_revenue_minor, 0), coalesce(s.revenue_minor, 0), coalesce(s.margin_minor, 0),
           coalesce(s.scored, 0), coalesce(s.predicted_clv_minor, 0), coalesce(s.predicted_clv_low_minor, 0), coalesce(s.predicted_clv_high_minor, 0),
           coalesce(s.predicted_m1_minor, 0), coalesce(s.predicted_m2_3_minor, 0), coalesce(s.predicted_m4_12_minor, 0),
           coalesce(c.e, '{}'), coalesce(c.rev, '{}'), coalesce(c.mar, '{}')
      FROM sums s FULL JOIN curve c USING (campaign_key, channel)`;
}
