/**
 * The campaign rollups' full refresh writes cohorts and cohort months in one statement (one pass over the
 * acquired customers, retention as a semi-join, months summed per calendar month then per offset). Its rows
 * must equal what the two statements before it wrote (copied here as the reference, unchanged from
 * refresh-campaign-stats.ts before session 10) — on the demo data, in a workspace time zone far from UTC
 * (acquisition months and weeks move across day boundaries), with customers acquired right at the 91-day
 * retention edge.
 */
import { getDb, withWorkspace, type Tx } from "@valuelens/db";
import { generateDemoData, writeDemoData } from "@valuelens/db/seed";
import { beforeAll, describe, expect, it } from "vitest";
import { refreshCampaignStats } from "../src/services/campaigns/refresh-campaign-stats.ts";
import { recomputeWorkspace } from "../src/services/recompute/index.ts";
import { signUp } from "./harness.ts";

let ws: string;
let runId: string;
const prisma = () => getDb().prisma;
const inWs = <T>(fn: (tx: Tx) => Promise<T>) => withWorkspace(prisma(), ws, fn, { timeoutMs: 120_000 });

beforeAll(async () => {
  const owner = await signUp("rolluponepass", "Rollups one pass");
  ws = owner.workspaceId;
  const data = generateDemoData({ seed: 7, customers: 1500, start: new Date(Date.UTC(2024, 0, 1)), end: new Date(Date.UTC(2025, 8, 30)) });
  await writeDemoData(prisma(), ws, data, () => undefined);
  await inWs((tx) => tx.$executeRawUnsafe("UPDATE workspaces SET timezone = 'Pacific/Kiritimati' WHERE id = $1::uuid", ws));
  const run = await recomputeWorkspace(prisma(), ws, { compare: false, triggeredBy: "test" });
  if (run.status !== "succeeded") throw new Error("recompute failed");
  runId = run.runId;
});

const PREDICTED_SUMS = `count(s.predicted_clv_minor)::int AS scored,
           coalesce(sum(s.predicted_clv_minor), 0)::bigint AS clv,
           coalesce(sum(coalesce(s.predicted_clv_low_minor, s.predicted_clv_minor)), 0)::bigint AS lo,
           coalesce(sum(coalesce(s.predicted_clv_high_minor, s.predicted_clv_minor)), 0)::bigint AS hi,
           round(coalesce(sum(CASE WHEN s.expected_purchases_365 > 0 THEN s.predicted_clv_minor * s.expected_purchases_30 / s.expected_purchases_365
                                   ELSE s.predicted_clv_minor / 12.0 END), 0))::bigint AS m1,
           round(coalesce(sum(CASE WHEN s.expected_purchases_365 > 0 THEN s.predicted_clv_minor * (s.expected_purchases_90 - s.expected_purchases_30) / s.expected_purchases_365
                                   ELSE s.predicted_clv_minor * 2 / 12.0 END), 0))::bigint AS m2_3,
           round(coalesce(sum(CASE WHEN s.expected_purchases_365 > 0 THEN s.predicted_clv_minor * (s.expected_purchases_365 - s.expected_purchases_90) / s.expected_purchases_365
                                   ELSE s.predicted_clv_minor * 9 / 12.0 END), 0))::bigint AS m4_12`;

/** The cohorts and cohort months as the refresh wrote them before session 10 (two statements). */
async function referenceRewrite(tx: Tx): Promise<void> {
  await tx.$executeRawUnsafe("DELETE FROM campaign_cohort_months WHERE workspace_id = $1::uuid", ws);
  await tx.$executeRawUnsafe("DELETE FROM campaign_cohorts WHERE workspace_id = $1::uuid", ws);
  await tx.$executeRawUnsafe(
    `WITH w AS (SELECT timezone FROM workspaces WHERE id = $1::uuid),
    cut AS (SELECT max(last_order_at) AS at FROM customers WHERE workspace_id = $1::uuid),
    c AS (
      SELECT c.id,
             coalesce(c.acquisition_campaign_id::text, '') AS ck,
             CASE WHEN c.acquisition_campaign_id IS NULL THEN coalesce(c.acquisition_channel, '') ELSE '' END AS ch,
             date_trunc('month', c.first_order_at AT TIME ZONE w.timezone)::date AS cm,
             date_trunc('week', c.first_order_at AT TIME ZONE w.timezone)::date AS cw,
             c.first_order_at <= cut.at - interval '91 days' AS eligible,
             c.purchase_days, c.first_day_revenue_minor, c.revenue_minor, c.margin_minor
        FROM customers c CROSS JOIN w CROSS JOIN cut
       WHERE c.workspace_id = $1::uuid AND c.first_order_at IS NOT NULL
    ),
    retained AS (
      SELECT DISTINCT cw.customer_id
        FROM customer_weeks cw JOIN c ON c.id = cw.customer_id
       WHERE cw.workspace_id = $1::uuid AND c.eligible AND cw.week > c.cw AND cw.week <= c.cw + 91
    )
    INSERT INTO campaign_cohorts (workspace_id, campaign_key, channel, cohort_month, customers, repeat_customers, eligible_90, retained_90,
                                  first_order_revenue_minor, revenue_minor, margin_minor, scored, predicted_clv_minor, predicted_clv_low_minor,
                                  predicted_clv_high_minor, predicted_m1_minor, predicted_m2_3_minor, predicted_m4_12_minor)
    SELECT $1::uuid, c.ck, c.ch, c.cm,
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
      LEFT JOIN customer_scores s ON s.workspace_id = $1::uuid AND s.customer_id = c.id
     GROUP BY c.ck, c.ch, c.cm`,
    ws,
  );
  await tx.$executeRawUnsafe(
    `WITH w AS (SELECT timezone FROM workspaces WHERE id = $1::uuid),
    c AS (
      SELECT c.id,
             coalesce(c.acquisition_campaign_id::text, '') AS ck,
             CASE WHEN c.acquisition_campaign_id IS NULL THEN coalesce(c.acquisition_channel, '') ELSE '' END AS ch,
             date_trunc('month', c.first_order_at AT TIME ZONE w.timezone)::date AS cm
        FROM customers c CROSS JOIN w
       WHERE c.workspace_id = $1::uuid AND c.first_order_at IS NOT NULL
    )
    INSERT INTO campaign_cohort_months (workspace_id, campaign_key, channel, cohort_month, month_offset, active, revenue_minor, margin_minor)
    SELECT $1::uuid, c.ck, c.ch, c.cm,
           ((extract(year from m.month)::int * 12 + extract(month from m.month)::int) - (extract(year from c.cm)::int * 12 + extract(month from c.cm)::int))::smallint AS k,
           count(*)::int, sum(m.revenue_minor)::bigint, sum(m.margin_minor)::bigint
      FROM customer_months m JOIN c ON c.id = m.customer_id
     WHERE m.workspace_id = $1::uuid AND m.month >= c.cm
     GROUP BY c.ck, c.ch, c.cm, k`,
    ws,
  );
}

async function rows(tx: Tx): Promise<{ cohorts: string[]; months: string[] }> {
  const text = async (table: string, cols: string) =>
    (await tx.$queryRawUnsafe<{ t: string }[]>(`SELECT ROW(${cols})::text AS t FROM ${table} WHERE workspace_id = $1::uuid ORDER BY 1`, ws)).map((r) => r.t);
  return {
    cohorts: await text(
      "campaign_cohorts",
      `campaign_key, channel, cohort_month, customers, repeat_customers, eligible_90, retained_90, first_order_revenue_minor, revenue_minor, margin_minor,
       scored, predicted_clv_minor, predicted_clv_low_minor, predicted_clv_high_minor, predicted_m1_minor, predicted_m2_3_minor, predicted_m4_12_minor`,
    ),
    months: await text("campaign_cohort_months", "campaign_key, channel, cohort_month, month_offset, active, revenue_minor, margin_minor"),
  };
}

describe("campaign rollups in one pass", () => {
  it("write exactly the cohorts and cohort months of the two statements before", async () => {
    await inWs(async (tx) => {
      // Customers acquired exactly 91 days and 91 days + 1 ms before the cut-off (the retention edge), both repeat buyers.
      const [edge] = await tx.$queryRawUnsafe<{ n: number }[]>(
        `WITH cut AS (SELECT max(last_order_at) AS at FROM customers WHERE workspace_id = $1::uuid),
              picked AS (SELECT id, row_number() OVER (ORDER BY id) AS i FROM customers WHERE workspace_id = $1::uuid AND purchase_days >= 2 ORDER BY id LIMIT 2)
         UPDATE customers c SET first_order_at = cut.at - interval '91 days' + (p.i - 1) * interval '1 millisecond'
           FROM picked p, cut WHERE c.workspace_id = $1::uuid AND c.id = p.id RETURNING 1 AS n`,
        ws,
      );
      expect(edge).toBeDefined();
      expect(await refreshCampaignStats(tx, ws, runId, { force: true })).toBe(true);
      const got = await rows(tx);
      await referenceRewrite(tx);
      const want = await rows(tx);
      expect(got.cohorts.length).toBeGreaterThan(20);
      expect(got.months.length).toBeGreaterThan(200);
      expect(got).toEqual(want);
      // The demo data has retained and not-retained customers, and eligible and not-yet-eligible ones.
      const [mix] = await tx.$queryRawUnsafe<{ retained: number; eligible: number; customers: number }[]>(
        "SELECT sum(retained_90)::int AS retained, sum(eligible_90)::int AS eligible, sum(customers)::int AS customers FROM campaign_cohorts WHERE workspace_id = $1::uuid",
        ws,
      );
      expect(mix!.retained).toBeGreaterThan(0);
      expect(mix!.retained).toBeLessThan(mix!.eligible);
      expect(mix!.eligible).toBeLessThan(mix!.customers);
    });
  });
});
