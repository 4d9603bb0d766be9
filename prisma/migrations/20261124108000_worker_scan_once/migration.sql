-- The owner's read-only `worker_scan` policies evaluate vl_is_owner() once per statement instead of
-- once per row (same condition: the current role cannot change within a statement).
--
-- Why: permissive policies are OR-ed, and PostgreSQL evaluated vl_is_owner() (a role-membership check
-- against the catalog) for every row an app-role query read, also rows the tenant policy already let
-- through. Measured at 300,000 retention_rollups rows of one workspace, as the app role, PostgreSQL 18:
-- a count took 3.6–3.8 s with the per-row form and 0.34 s with `(SELECT vl_is_owner())`, an InitPlan
-- computed once. The Retention page reads thousands of these rows per call, and every recompute deletes
-- a workspace's 600,000+ rollup rows (a DELETE applies the SELECT policies too). Migration
-- 20261124107500_import_flush_one_pass made the same change for the summary_* lists; this does the rest.
ALTER POLICY worker_scan ON "workspaces" USING ((SELECT vl_is_owner()));
ALTER POLICY worker_scan ON "model_runs" USING ((SELECT vl_is_owner()));
ALTER POLICY worker_scan ON "import_jobs" USING ((SELECT vl_is_owner()));
ALTER POLICY worker_scan ON "segment_snapshots" USING ((SELECT vl_is_owner()));
ALTER POLICY worker_scan ON "rule_segments" USING ((SELECT vl_is_owner()));
ALTER POLICY worker_scan ON "rule_segment_snapshots" USING ((SELECT vl_is_owner()));
ALTER POLICY worker_scan ON "report_schedules" USING ((SELECT vl_is_owner()));
ALTER POLICY worker_scan ON "report_deliveries" USING ((SELECT vl_is_owner()));
ALTER POLICY worker_scan ON "report_risk_watch" USING ((SELECT vl_is_owner()));
ALTER POLICY worker_scan ON "retention_rollups" USING ((SELECT vl_is_owner()));
ALTER POLICY worker_scan ON "retention_rollup_refreshes" USING ((SELECT vl_is_owner()));
ALTER POLICY worker_scan ON "api_idempotency" USING ((SELECT vl_is_owner()));
ALTER POLICY worker_scan ON "api_rate_limits" USING ((SELECT vl_is_owner()));
