-- Derived summaries rebuilt only when what they depend on changed (issue 9, the derived phase of a
-- full recompute; packages/api/src/services/recompute/derived-keys.ts).
--
-- workspaces.data_version: a counter moved by every write that marks the workspace's metrics stale
-- (customers, orders, campaigns, spend, settings that change the summaries: every such write sets
-- metrics_stale_at in its own transaction, data-changed.ts / workspaces.ts). Unlike metrics_stale_at,
-- which a recompute clears, it never goes back, so "the data is as it was when these rows were built"
-- is: the same data_version and the same workspace_stats.updated_at (moved by the summary triggers
-- and by the repair rebuild).
ALTER TABLE "workspaces" ADD COLUMN "data_version" BIGINT NOT NULL DEFAULT 0;

CREATE OR REPLACE FUNCTION vl_bump_data_version() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
  NEW.data_version := OLD.data_version + 1;
  RETURN NEW;
END
$fn$;

-- Only a mark being set moves it (a recompute clearing the mark does not).
CREATE TRIGGER workspaces_data_version BEFORE UPDATE OF metrics_stale_at ON "workspaces"
  FOR EACH ROW WHEN (NEW.metrics_stale_at IS NOT NULL) EXECUTE FUNCTION vl_bump_data_version();

-- What each derived part (retention rollups, campaign rollups, segment facts) was last built from:
-- the data key above and fingerprints of the score columns it reads (sum of 64-bit hashes of each
-- customer's values, with the row count). A full recompute's derived phase rebuilds a part only when
-- its key differs; otherwise it moves the part's refresh row to the new run. Written in the same
-- savepoint as the part's rows, so a key always describes the rows present.
CREATE TABLE "derived_refresh_keys" (
    "workspace_id" UUID NOT NULL,
    "part" TEXT NOT NULL,
    "data_version" BIGINT NOT NULL,
    "stats_updated_at" TIMESTAMPTZ(3),
    "prints" JSONB NOT NULL DEFAULT '{}',
    "model_run_id" UUID,
    "built_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "derived_refresh_keys_pkey" PRIMARY KEY ("workspace_id","part")
);

ALTER TABLE "derived_refresh_keys" ADD CONSTRAINT "derived_refresh_keys_workspace_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Tenant policy only (like campaign_key_totals): nothing scans it across workspaces. GRANTs come from grantAppRole.
ALTER TABLE "derived_refresh_keys" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "derived_refresh_keys" FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON "derived_refresh_keys" USING (workspace_id = vl_current_workspace()) WITH CHECK (workspace_id = vl_current_workspace());
