import type { Tx } from "@valuelens/db";
import { readTierSettings } from "./tier-settings.ts";

/**
 * Snapshot of one successful recompute's segments, called at the end of the recompute inside its
 * scoring transaction (so the snapshot and the scores commit together). ONE set-based statement:
 * a single scan of customer_scores grouped by GROUPING SETS into RFM segments, value tiers, RFM grid
 * cells (r,f) and the workspace total (one hashed pass, PostgreSQL's MixedAggregate) — never per row.
 * Revenue is the customer's net revenue as the scoring statement copied it from the customer summary
 * into historical_clv_minor in this same transaction (joining customers again cost 5× the time at
 * 1M customers and ran into the app role's 30 s statement timeout under load; see BENCHMARKS.md).
 * The tiering value range is predicted CLV, or historical value when the run had no predictions
 * (small-data mode). The total row's meta records the tier rule applied.
 * The Segments page reads these rows, never customer_scores.
 */
export async function writeSegmentSnapshots(tx: Tx, workspaceId: string, runId: string): Promise<void> {
  const rule = await readTierSettings(tx, workspaceId);
  await tx.$executeRaw`
    INSERT INTO segment_snapshots (workspace_id, model_run_id, kind, key, customers, revenue_minor, historical_clv_sum_minor,
                                   predicted_clv_sum_minor, p_alive_sum, min_value_minor, max_value_minor, meta)
    SELECT ${workspaceId}::uuid, ${runId}::uuid, g.kind, g.key, g.customers, g.revenue_minor, g.historical_clv_sum_minor,
           g.predicted_clv_sum_minor, g.p_alive_sum, g.min_value_minor, g.max_value_minor,
           CASE WHEN g.kind = 'total'
                THEN jsonb_build_object('tierRule', ${JSON.stringify(rule)}::jsonb,
                                        'basis', CASE WHEN g.predicted_clv_sum_minor IS NULL THEN 'historical' ELSE 'predicted' END)
                ELSE '{}'::jsonb END
      FROM (SELECT CASE WHEN GROUPING(s.rfm_segment) = 0 THEN 'rfm' WHEN GROUPING(s.value_tier) = 0 THEN 'tier'
                        WHEN GROUPING(s.rfm_r) = 0 THEN 'rfm_cell' ELSE 'total' END AS kind,
                   CASE WHEN GROUPING(s.rfm_segment) = 0 THEN s.rfm_segment WHEN GROUPING(s.value_tier) = 0 THEN s.value_tier
                        WHEN GROUPING(s.rfm_r) = 0 THEN s.rfm_r || ',' || s.rfm_f ELSE 'all' END AS key,
                   count(*)::int AS customers,
                   coalesce(sum(s.historical_clv_minor), 0)::bigint AS revenue_minor,
                   coalesce(sum(s.historical_clv_minor), 0)::bigint AS historical_clv_sum_minor,
                   sum(s.predicted_clv_minor)::bigint AS predicted_clv_sum_minor,
                   sum(s.p_alive) AS p_alive_sum,
                   min(coalesce(s.predicted_clv_minor, s.historical_clv_minor)) AS min_value_minor,
                   max(coalesce(s.predicted_clv_minor, s.historical_clv_minor)) AS max_value_minor
              FROM customer_scores s
             WHERE s.workspace_id = ${workspaceId}::uuid
             GROUP BY GROUPING SETS ((s.rfm_segment), (s.value_tier), (s.rfm_r, s.rfm_f), ())) g`;
}

export type SnapshotKind = "rfm" | "tier" | "rfm_cell" | "total";
