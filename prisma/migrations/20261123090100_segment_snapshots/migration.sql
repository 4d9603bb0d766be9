-- Segments (issue 5): per-recompute snapshots of the RFM segments, RFM grid cells and value tiers,
-- and the workspace's value-tier thresholds.

-- Value-tier thresholds (zod-validated, versioned JSON: ZTierSettings in packages/validators);
-- NULL = the default (top 20 % high, next 30 % medium, by percentile of predicted CLV).
ALTER TABLE "workspaces" ADD COLUMN "tier_settings" JSONB;

-- One row per (recompute, kind, key), written by the recompute in its scoring transaction with one
-- set-based INSERT … SELECT … GROUP BY GROUPING SETS over customer_scores. The Segments page reads
-- the latest two runs' rows (a few dozen) instead of scanning customer_scores.
--   kind 'rfm'      key = RFM segment name
--   kind 'tier'     key = high | medium | low
--   kind 'rfm_cell' key = 'r,f' (recency score, frequency score)
--   kind 'total'    key = 'all' (workspace totals of the run; meta holds the tier rule and value basis)
CREATE TABLE "segment_snapshots" (
    "workspace_id" UUID NOT NULL,
    "model_run_id" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "customers" INTEGER NOT NULL,
    "revenue_minor" BIGINT NOT NULL,
    "historical_clv_sum_minor" BIGINT NOT NULL,
    "predicted_clv_sum_minor" BIGINT,
    "p_alive_sum" DOUBLE PRECISION,
    "min_value_minor" BIGINT,
    "max_value_minor" BIGINT,
    "meta" JSONB NOT NULL DEFAULT '{}',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "segment_snapshots_pkey" PRIMARY KEY ("workspace_id","model_run_id","kind","key"),
    CONSTRAINT "segment_snapshots_kind_check" CHECK ("kind" IN ('rfm','tier','rfm_cell','total')),
    CONSTRAINT "segment_snapshots_customers_check" CHECK ("customers" >= 0)
);

CREATE INDEX "segment_snapshots_workspace_id_kind_created_at_idx" ON "segment_snapshots"("workspace_id", "kind", "created_at" DESC);

ALTER TABLE "segment_snapshots" ADD CONSTRAINT "segment_snapshots_workspace_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "segment_snapshots" ADD CONSTRAINT "segment_snapshots_workspace_id_model_run_id_fkey" FOREIGN KEY ("workspace_id", "model_run_id") REFERENCES "model_runs"("workspace_id", "id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Backfill: a snapshot of every workspace's current scores (so the page has figures before the next
-- recompute). The migration runs as the table owner, which FORCE RLS subjects to the policies (no
-- current workspace here): lift FORCE on the tables read, inside this migration's transaction only,
-- and enable RLS on the new table after the backfill. Same aggregation as
-- packages/api/src/services/segments/snapshots.ts.
ALTER TABLE customer_scores NO FORCE ROW LEVEL SECURITY;
ALTER TABLE customers NO FORCE ROW LEVEL SECURITY;
ALTER TABLE model_runs NO FORCE ROW LEVEL SECURITY;
INSERT INTO segment_snapshots (workspace_id, model_run_id, kind, key, customers, revenue_minor, historical_clv_sum_minor,
                               predicted_clv_sum_minor, p_alive_sum, min_value_minor, max_value_minor, meta, created_at)
SELECT g.workspace_id, g.model_run_id, g.kind, g.key, g.customers, g.revenue_minor, g.historical_clv_sum_minor,
       g.predicted_clv_sum_minor, g.p_alive_sum, g.min_value_minor, g.max_value_minor,
       CASE WHEN g.kind = 'total'
            THEN jsonb_build_object('tierRule', jsonb_build_object('v', 1, 'by', 'percentile', 'high', 0.8, 'medium', 0.5),
                                    'basis', CASE WHEN g.predicted_clv_sum_minor IS NULL THEN 'historical' ELSE 'predicted' END)
            ELSE '{}'::jsonb END,
       coalesce(r.finished_at, now())
  FROM (SELECT s.workspace_id, s.model_run_id,
               CASE WHEN GROUPING(s.rfm_segment) = 0 THEN 'rfm' WHEN GROUPING(s.value_tier) = 0 THEN 'tier'
                    WHEN GROUPING(s.rfm_r) = 0 THEN 'rfm_cell' ELSE 'total' END AS kind,
               CASE WHEN GROUPING(s.rfm_segment) = 0 THEN s.rfm_segment WHEN GROUPING(s.value_tier) = 0 THEN s.value_tier
                    WHEN GROUPING(s.rfm_r) = 0 THEN s.rfm_r || ',' || s.rfm_f ELSE 'all' END AS key,
               count(*)::int AS customers,
               coalesce(sum(c.revenue_minor), 0)::bigint AS revenue_minor,
               coalesce(sum(s.historical_clv_minor), 0)::bigint AS historical_clv_sum_minor,
               sum(s.predicted_clv_minor)::bigint AS predicted_clv_sum_minor,
               sum(s.p_alive) AS p_alive_sum,
               min(coalesce(s.predicted_clv_minor, s.historical_clv_minor)) AS min_value_minor,
               max(coalesce(s.predicted_clv_minor, s.historical_clv_minor)) AS max_value_minor
          FROM customer_scores s
          JOIN customers c ON c.workspace_id = s.workspace_id AND c.id = s.customer_id
         GROUP BY s.workspace_id, s.model_run_id, GROUPING SETS ((s.rfm_segment), (s.value_tier), (s.rfm_r, s.rfm_f), ())) g
  JOIN model_runs r ON r.workspace_id = g.workspace_id AND r.id = g.model_run_id;
ALTER TABLE model_runs FORCE ROW LEVEL SECURITY;
ALTER TABLE customers FORCE ROW LEVEL SECURITY;
ALTER TABLE customer_scores FORCE ROW LEVEL SECURITY;

ALTER TABLE "segment_snapshots" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "segment_snapshots" FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON "segment_snapshots" USING (workspace_id = vl_current_workspace()) WITH CHECK (workspace_id = vl_current_workspace());
-- Read-only owner scan, like the other tenant tables the worker may read across workspaces.
CREATE POLICY worker_scan ON "segment_snapshots" FOR SELECT USING (vl_is_owner());
