-- What each index build of the staged score write costs (issue 9, session 12): copies a workspace's
-- scores into a table created in the same transaction (as vl_scores_stage_begin/load do), then times
-- each CREATE INDEX of both index sets — the one before migration 20261124109500 (every index led by
-- workspace_id) and the one after (sort/filter indexes without it) — and ANALYZE, with the given
-- maintenance settings. Rolled back: nothing is kept.
--   psql "$SUPER_URL" -v ws=<workspace id> -v workers=<max_parallel_maintenance_workers> -v mwm=512MB \
--        -v set=both|old|new -f packages/api/bench/sql/score-index-builds.sql
-- Read the \timing lines (one per statement, in the order below).
\set ON_ERROR_STOP on
\timing on
BEGIN;
SET LOCAL statement_timeout = 0;
SELECT set_config('maintenance_work_mem', :'mwm', true), set_config('max_parallel_maintenance_workers', :'workers', true);
SELECT set_config('app.current_workspace', :'ws', true);
CREATE TABLE vl_scores.sw12_bench (LIKE public.customer_scores INCLUDING DEFAULTS, CHECK (workspace_id = :'ws'::uuid));
INSERT INTO vl_scores.sw12_bench SELECT * FROM public.customer_scores WHERE workspace_id = :'ws'::uuid;
\echo ---- primary key
CREATE UNIQUE INDEX sw12_pk ON vl_scores.sw12_bench (workspace_id, customer_id);
\if :{?set}
\else
\set set both
\endif
SELECT :'set' IN ('both', 'old') AS run_old, :'set' IN ('both', 'new') AS run_new \gset
\if :run_old
\echo ---- old: pred, hist, palive, last, segment, tier, churn (each led by workspace_id)
CREATE INDEX sw12_o1 ON vl_scores.sw12_bench (workspace_id, predicted_clv_minor DESC, customer_id DESC);
CREATE INDEX sw12_o2 ON vl_scores.sw12_bench (workspace_id, historical_clv_minor DESC, customer_id DESC);
CREATE INDEX sw12_o3 ON vl_scores.sw12_bench (workspace_id, p_alive, customer_id);
CREATE INDEX sw12_o4 ON vl_scores.sw12_bench (workspace_id, last_order_at DESC, customer_id DESC);
CREATE INDEX sw12_o5 ON vl_scores.sw12_bench (workspace_id, rfm_segment, predicted_clv_minor DESC, customer_id DESC);
CREATE INDEX sw12_o6 ON vl_scores.sw12_bench (workspace_id, value_tier, predicted_clv_minor DESC, customer_id DESC);
CREATE INDEX sw12_o7 ON vl_scores.sw12_bench (workspace_id, churn_risk, predicted_clv_minor DESC, customer_id DESC);
\endif
\if :run_new
\echo ---- new: pred, hist, palive, last, segment, tier, churn
CREATE INDEX sw12_n1 ON vl_scores.sw12_bench (predicted_clv_minor DESC, customer_id DESC);
CREATE INDEX sw12_n2 ON vl_scores.sw12_bench (historical_clv_minor DESC, customer_id DESC);
CREATE INDEX sw12_n3 ON vl_scores.sw12_bench (p_alive, customer_id);
CREATE INDEX sw12_n4 ON vl_scores.sw12_bench (last_order_at DESC, customer_id DESC);
CREATE INDEX sw12_n5 ON vl_scores.sw12_bench (rfm_segment, predicted_clv_minor DESC, customer_id DESC);
CREATE INDEX sw12_n6 ON vl_scores.sw12_bench (value_tier, predicted_clv_minor DESC, customer_id DESC);
CREATE INDEX sw12_n7 ON vl_scores.sw12_bench (churn_risk, predicted_clv_minor DESC, customer_id DESC);
\endif
\echo ---- analyze
ANALYZE vl_scores.sw12_bench;
SELECT c.relname, pg_size_pretty(pg_relation_size(c.oid)) FROM pg_class c WHERE c.relname LIKE 'sw12_%' ORDER BY 1;
ROLLBACK;
