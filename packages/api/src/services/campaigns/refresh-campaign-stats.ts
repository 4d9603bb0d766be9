/**
 * Campaign rollups (issue 6), written set-based at the end of every recompute, inside the recompute's
 * tenant transaction (so they match the scores they were built from, atomically):
 * - campaign_cohorts: per acquisition campaign (or channel, for customers without one) and
 *   acquisition month: customers, repeat buyers, 90-day retention, first-order / to-date revenue
 *   and margin, and sums of the predicted 12-month CLV (with its 80 % bounds) split into months
 *   1, 2–3 and 4–12 in the shape of each customer's expected purchases;
 * - campaign_cohort_months: value of those cohorts by months since acquisition (from
 *   customer_months, kept current by triggers);
 * - campaign_stats_refreshes: when, from which run, up to which data cut-off.
 * Reads customers, customer_scores, customer_months and customer_weeks; never orders.
 *
 * Acquisition = the customer's first non-refunded order (customers.first_order_at), month in the
 * workspace time zone; customers with no order yet are not "acquired" and are left out.
 * 90-day retention = bought again in one of the 13 ISO weeks after the acquisition week (weekly
 * grain: a second order in the acquisition week itself is not counted), among customers acquired
 * at least 91 days before the data cut-off.
 */
import type { Tx } from "@valuelens/db";
import { logError } from "../../log.ts";

/** Per-statement limit of the refresh (the app role's default is 30 s; 1M customers need more on 2 cores). */
const REFRESH_STATEMENT_TIMEOUT = "300s";

/**
 * Runs inside the recompute's transaction, in a savepoint: if the refresh fails (a timeout on a huge
 * workspace), the scores still commit and the page keeps the previous rollups, with their time.
 */
export async function refreshCampaignStats(tx: Tx, workspaceId: string, modelRunId: string | null): Promise<boolean> {
  await tx.$executeRawUnsafe("SAVEPOINT vl_campaign_stats");
  try {
    await writeCampaignStats(tx, workspaceId, modelRunId);
    await tx.$executeRawUnsafe("RELEASE SAVEPOINT vl_campaign_stats");
    return true;
  } catch (e) {
    await tx.$executeRawUnsafe("ROLLBACK TO SAVEPOINT vl_campaign_stats");
    logError("campaign_stats.refresh_failed", { workspaceId, modelRunId, error: e });
    return false;
  } finally {
    await tx.$executeRawUnsafe("SET LOCAL enable_nestloop TO DEFAULT");
    await tx.$executeRawUnsafe("SET LOCAL statement_timeout TO DEFAULT");
  }
}

async function writeCampaignStats(tx: Tx, workspaceId: string, modelRunId: string | null): Promise<void> {
  await tx.$executeRawUnsafe(`SET LOCAL statement_timeout = '${REFRESH_STATEMENT_TIMEOUT}'`);
  // Joins over every acquired customer of the workspace: hash joins are right at any size (see
  // retention.ts: nested loops under small-table statistics took minutes).
  await tx.$executeRawUnsafe("SET LOCAL enable_nestloop = off");
  await tx.$executeRaw`DELETE FROM campaign_cohort_months WHERE workspace_id = ${workspaceId}::uuid`;
  await tx.$executeRaw`DELETE FROM campaign_cohorts WHERE workspace_id = ${workspaceId}::uuid`;
  await tx.$executeRaw`
    WITH w AS (SELECT timezone FROM workspaces WHERE id = ${workspaceId}::uuid),
    cut AS (SELECT max(last_order_at) AS at FROM customers WHERE workspace_id = ${workspaceId}::uuid),
    c AS (
      SELECT c.id,
             coalesce(c.acquisition_campaign_id::text, '') AS ck,
             CASE WHEN c.acquisition_campaign_id IS NULL THEN coalesce(c.acquisition_channel, '') ELSE '' END AS ch,
             date_trunc('month', c.first_order_at AT TIME ZONE w.timezone)::date AS cm,
             date_trunc('week', c.first_order_at AT TIME ZONE w.timezone)::date AS cw,
             c.first_order_at <= cut.at - interval '91 days' AS eligible,
             c.purchase_days, c.first_day_revenue_minor, c.revenue_minor, c.margin_minor
        FROM customers c CROSS JOIN w CROSS JOIN cut
       WHERE c.workspace_id = ${workspaceId}::uuid AND c.first_order_at IS NOT NULL
    ),
    retained AS (
      SELECT DISTINCT cw.customer_id
        FROM customer_weeks cw JOIN c ON c.id = cw.customer_id
       WHERE cw.workspace_id = ${workspaceId}::uuid AND c.eligible AND cw.week > c.cw AND cw.week <= c.cw + 91
    )
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
           count(s.predicted_clv_minor)::int,
           coalesce(sum(s.predicted_clv_minor), 0)::bigint,
           coalesce(sum(coalesce(s.predicted_clv_low_minor, s.predicted_clv_minor)), 0)::bigint,
           coalesce(sum(coalesce(s.predicted_clv_high_minor, s.predicted_clv_minor)), 0)::bigint,
           round(coalesce(sum(CASE WHEN s.expected_purchases_365 > 0 THEN s.predicted_clv_minor * s.expected_purchases_30 / s.expected_purchases_365
                                   ELSE s.predicted_clv_minor / 12.0 END), 0))::bigint,
           round(coalesce(sum(CASE WHEN s.expected_purchases_365 > 0 THEN s.predicted_clv_minor * (s.expected_purchases_90 - s.expected_purchases_30) / s.expected_purchases_365
                                   ELSE s.predicted_clv_minor * 2 / 12.0 END), 0))::bigint,
           round(coalesce(sum(CASE WHEN s.expected_purchases_365 > 0 THEN s.predicted_clv_minor * (s.expected_purchases_365 - s.expected_purchases_90) / s.expected_purchases_365
                                   ELSE s.predicted_clv_minor * 9 / 12.0 END), 0))::bigint
      FROM c
      LEFT JOIN retained r ON r.customer_id = c.id
      LEFT JOIN customer_scores s ON s.workspace_id = ${workspaceId}::uuid AND s.customer_id = c.id
     GROUP BY c.ck, c.ch, c.cm`;
  await tx.$executeRaw`
    WITH w AS (SELECT timezone FROM workspaces WHERE id = ${workspaceId}::uuid),
    c AS (
      SELECT c.id,
             coalesce(c.acquisition_campaign_id::text, '') AS ck,
             CASE WHEN c.acquisition_campaign_id IS NULL THEN coalesce(c.acquisition_channel, '') ELSE '' END AS ch,
             date_trunc('month', c.first_order_at AT TIME ZONE w.timezone)::date AS cm
        FROM customers c CROSS JOIN w
       WHERE c.workspace_id = ${workspaceId}::uuid AND c.first_order_at IS NOT NULL
    )
    INSERT INTO campaign_cohort_months (workspace_id, campaign_key, channel, cohort_month, month_offset, active, revenue_minor, margin_minor)
    SELECT ${workspaceId}::uuid, c.ck, c.ch, c.cm,
           ((extract(year from m.month)::int * 12 + extract(month from m.month)::int) - (extract(year from c.cm)::int * 12 + extract(month from c.cm)::int))::smallint AS k,
           count(*)::int, sum(m.revenue_minor)::bigint, sum(m.margin_minor)::bigint
      FROM customer_months m JOIN c ON c.id = m.customer_id
     WHERE m.workspace_id = ${workspaceId}::uuid AND m.month >= c.cm
     GROUP BY c.ck, c.ch, c.cm, k`;
  await tx.$executeRaw`
    INSERT INTO campaign_stats_refreshes (workspace_id, refreshed_at, model_run_id, data_cutoff, last_data_month, customers)
    SELECT ${workspaceId}::uuid, now(), ${modelRunId}::uuid, x.cutoff,
           date_trunc('month', x.cutoff AT TIME ZONE w.timezone)::date, x.n
      FROM (SELECT max(last_order_at) AS cutoff, count(first_order_at)::int AS n FROM customers WHERE workspace_id = ${workspaceId}::uuid) x,
           (SELECT timezone FROM workspaces WHERE id = ${workspaceId}::uuid) w
    ON CONFLICT (workspace_id) DO UPDATE
       SET refreshed_at = EXCLUDED.refreshed_at, model_run_id = EXCLUDED.model_run_id, data_cutoff = EXCLUDED.data_cutoff,
           last_data_month = EXCLUDED.last_data_month, customers = EXCLUDED.customers`;
}
