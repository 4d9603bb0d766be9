-- Retention rollups (issue 7): the aggregates the Retention page reads, written set-based at the end
-- of every successful recompute (packages/api/src/services/retention-rollups.ts), so the page's
-- procedures read a few thousand rows instead of joining every customer-month of the workspace.
-- Used only while fresh: retention_rollup_refreshes.model_run_id is the latest succeeded run,
-- workspaces.metrics_stale_at is NULL and workspace_stats has not moved since; otherwise the
-- procedures run their live queries.

-- One table, four kinds of row (kind):
--   cell   grain week|month|quarter: cohort c0 (period index), k = periods since c0; customers active,
--          revenue and margin in that period.
--   life   grain month, w = "active" window in months: cohort c0 (month index), k = lifetime in months
--          (-1 = not churned by the last complete month); customers.
--   repeat grain month, split none: cohort c0, k = months from the first to the second purchase month
--          (0 = two orders in the first month, -1 = none yet); customers.
--   gaps   grain month, split none: cohort c0, k = 0; repeat customers, their gaps (purchase days - 1)
--          and the seconds between their first and last orders.
-- split none|channel|campaign|segment|tier, grp the split key ('' = none/unknown).
CREATE TABLE "retention_rollups" (
    "workspace_id" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "grain" TEXT NOT NULL,
    "split" TEXT NOT NULL,
    "grp" TEXT NOT NULL,
    "w" SMALLINT NOT NULL,
    "c0" INTEGER NOT NULL,
    "k" INTEGER NOT NULL,
    "customers" INTEGER NOT NULL,
    "revenue_minor" BIGINT NOT NULL DEFAULT 0,
    "margin_minor" BIGINT NOT NULL DEFAULT 0,
    "gaps" BIGINT NOT NULL DEFAULT 0,
    "gap_seconds" DOUBLE PRECISION NOT NULL DEFAULT 0,

    CONSTRAINT "retention_rollups_pkey" PRIMARY KEY ("workspace_id","kind","grain","split","w","grp","c0","k")
);

-- When the rollups were written, from which run, and the data cut-off periods they were built for.
CREATE TABLE "retention_rollup_refreshes" (
    "workspace_id" UUID NOT NULL,
    "model_run_id" UUID,
    "refreshed_at" TIMESTAMPTZ(3) NOT NULL,
    "last_month" INTEGER,
    "last_week" INTEGER,
    -- workspace_stats.updated_at when built (moved by the summary triggers on every order write): a
    -- write that did not mark the workspace stale still makes the rollups unusable.
    "stats_updated_at" TIMESTAMPTZ(3),
    "rows" INTEGER NOT NULL DEFAULT 0,
    "duration_ms" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "retention_rollup_refreshes_pkey" PRIMARY KEY ("workspace_id")
);

ALTER TABLE "retention_rollups" ADD CONSTRAINT "retention_rollups_workspace_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "retention_rollup_refreshes" ADD CONSTRAINT "retention_rollup_refreshes_workspace_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE CASCADE;

ALTER TABLE "retention_rollups" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "retention_rollups" FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON "retention_rollups" USING (workspace_id = vl_current_workspace()) WITH CHECK (workspace_id = vl_current_workspace());
ALTER TABLE "retention_rollup_refreshes" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "retention_rollup_refreshes" FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON "retention_rollup_refreshes" USING (workspace_id = vl_current_workspace()) WITH CHECK (workspace_id = vl_current_workspace());
CREATE POLICY worker_scan ON "retention_rollups" FOR SELECT USING (vl_is_owner());
CREATE POLICY worker_scan ON "retention_rollup_refreshes" FOR SELECT USING (vl_is_owner());
