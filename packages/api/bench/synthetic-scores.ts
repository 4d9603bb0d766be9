/**
 * Benchmark data: deterministic synthetic scores for every customer of a workspace (set-based, one
 * INSERT … SELECT; values derived from a hash of the external id: RFM scores, segment, tier, P(alive),
 * predicted CLV with a range). Shared by the segment benchmarks so both measure the same population.
 */
import type { Tx } from "@valuelens/db";
import { ensureScorePartition } from "../src/services/recompute/write-scores.ts";

/** `unscoredEveryNth`: leave every n-th customer (by hash) without scores, like customers scored later. */
export async function insertSyntheticScores(tx: Tx, workspaceId: string, runId: string, opts: { unscoredEveryNth?: number } = {}): Promise<number> {
  const skip = opts.unscoredEveryNth ?? 0;
  await ensureScorePartition(tx, workspaceId); // customer_scores is partitioned per workspace (no default partition)
  return tx.$executeRaw`
    INSERT INTO customer_scores (workspace_id, customer_id, model_run_id, p_alive, expected_purchases_30, expected_purchases_90, expected_purchases_365,
           predicted_clv_minor, predicted_clv_low_minor, predicted_clv_high_minor, historical_clv_minor, churn_risk, rfm_r, rfm_f, rfm_m,
           rfm_segment, value_tier, scored_at, last_order_at)
    SELECT c.workspace_id, c.id, ${runId}::uuid, x.pa, x.pa * 0.2, x.pa * 0.6, x.pa * 2.4, x.clv, x.clv * 6 / 10, x.clv * 15 / 10, c.revenue_minor,
           CASE WHEN x.pa < 0.3 THEN 'high' WHEN x.pa < 0.6 THEN 'medium' ELSE 'low' END, x.r, x.f, x.m,
           (ARRAY['Lost','Hibernating','At Risk','Can''t Lose Them','About to Sleep','Need Attention','Promising','Potential Loyalist','Loyal','New','Champions'])[1 + (x.h % 11)],
           CASE WHEN x.u >= 0.8 THEN 'high' WHEN x.u >= 0.5 THEN 'medium' ELSE 'low' END, now(), c.last_order_at
      FROM customers c
      CROSS JOIN LATERAL (SELECT abs(hashtext(c.external_id)) AS h) hh
      CROSS JOIN LATERAL (SELECT hh.h, (hh.h % 1000) / 1000.0 AS u, 1 + (hh.h % 5) AS r, 1 + ((hh.h / 5) % 5) AS f, 1 + ((hh.h / 25) % 5) AS m,
                                 ((hh.h / 7) % 1000) / 1000.0 AS pa, round(exp(5 + 3 * ((hh.h % 1000) / 1000.0)))::bigint AS clv) x
     WHERE c.workspace_id = ${workspaceId}::uuid AND (hashtext(c.external_id) % NULLIF(${skip}::int, 0)) IS DISTINCT FROM 0`; // 0 = score everyone (no division by zero)
}
