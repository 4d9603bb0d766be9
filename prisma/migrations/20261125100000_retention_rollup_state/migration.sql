-- The retention rollups' per-customer state (issue 9, session 13): what each customer contributed to the
-- rollups when they were last built, so a refresh after a small write applies only the changed customers'
-- old → new contributions instead of the full pass over customer_months / customer_weeks
-- (packages/api/src/services/retention-rollups.ts, mode "delta").
--
-- Two rows per customer, written by every full refresh (all customers) and every delta refresh (the changed
-- ones), in the same savepoint as the rollup rows, from the same snapshot:
-- - retention_rollup_customers (narrow, ≈ 90 bytes: what the change detection and the forecasts scan):
--   sig: a 64-bit hash of the customer's summary (summary_updated_at, order count, purchase days, revenue, margin,
--   first and last order); ch / ca / sg / vt: its split keys as the rollups' grp text ('' = none): acquisition
--   channel, campaign, RFM segment, value tier; cm / cw: cohort month and week indexes (NULL without a first order);
-- - retention_rollup_customer_rows (wide, read by primary key for the changed customers only): mp / mr / mg its
--   customer_months rows (month index × 2 + 1 when the month has ≥ 2 orders, revenue, margin), wp / wr / wg its
--   customer_weeks rows (week index, revenue, margin), element i of each array from the same row; ok = false when
--   they do not add up to the customer's summary (then it counts as changed on every refresh until they do: damage
--   a repair rebuild fixes without changing the summary).
-- The state is usable only while retention_rollup_refreshes.state_timezone equals the workspace's time zone
-- (NULL: never built, or the rows were written without it).
--
-- UNLOGGED: a cache of the rollups' inputs (≈ 0.5 GB at 1M customers); after a crash PostgreSQL empties it,
-- every customer then counts as new, and the refresh falls back to the full rebuild.

CREATE UNLOGGED TABLE "retention_rollup_customers" (
    "workspace_id" UUID NOT NULL,
    "customer_id" UUID NOT NULL,
    "sig" BIGINT,
    "ch" TEXT NOT NULL,
    "ca" TEXT NOT NULL,
    "sg" TEXT NOT NULL,
    "vt" TEXT NOT NULL,
    "cm" INTEGER,
    "cw" INTEGER,

    CONSTRAINT "retention_rollup_customers_pkey" PRIMARY KEY ("workspace_id","customer_id")
);

CREATE UNLOGGED TABLE "retention_rollup_customer_rows" (
    "workspace_id" UUID NOT NULL,
    "customer_id" UUID NOT NULL,
    "ok" BOOLEAN NOT NULL,
    "mp" INTEGER[],
    "mr" BIGINT[],
    "mg" BIGINT[],
    "wp" INTEGER[],
    "wr" BIGINT[],
    "wg" BIGINT[],

    CONSTRAINT "retention_rollup_customer_rows_pkey" PRIMARY KEY ("workspace_id","customer_id")
);

-- The customers whose rows did not add up (normally none): read by every change detection.
CREATE INDEX "retention_rollup_customer_rows_not_ok_idx" ON "retention_rollup_customer_rows"("workspace_id", "customer_id") WHERE NOT "ok";

ALTER TABLE "retention_rollup_customers" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "retention_rollup_customers" FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON "retention_rollup_customers" USING (workspace_id = vl_current_workspace()) WITH CHECK (workspace_id = vl_current_workspace());
ALTER TABLE "retention_rollup_customer_rows" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "retention_rollup_customer_rows" FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON "retention_rollup_customer_rows" USING (workspace_id = vl_current_workspace()) WITH CHECK (workspace_id = vl_current_workspace());

-- No foreign keys to workspaces: their check runs once per inserted row (1M lookups of the workspace row on every
-- full refresh at 1M customers). A deleted workspace's rows go with it by this trigger instead (what the cascade
-- did; as vl_workspaces_drop_deferred, it runs under RLS, scoped to each deleted workspace in turn).
CREATE FUNCTION vl_workspaces_drop_retention_state() RETURNS trigger
LANGUAGE plpgsql AS $fn$
DECLARE
  prev text := current_setting('app.current_workspace', true);
  ws uuid;
BEGIN
  FOR ws IN SELECT w.id FROM vl_old w LOOP
    PERFORM set_config('app.current_workspace', ws::text, true);
    DELETE FROM retention_rollup_customers s WHERE s.workspace_id = ws;
    DELETE FROM retention_rollup_customer_rows s WHERE s.workspace_id = ws;
  END LOOP;
  PERFORM set_config('app.current_workspace', coalesce(prev, ''), true);
  RETURN NULL;
END $fn$;

CREATE TRIGGER workspaces_drop_retention_state AFTER DELETE ON workspaces
  REFERENCING OLD TABLE AS vl_old FOR EACH STATEMENT EXECUTE FUNCTION vl_workspaces_drop_retention_state();

ALTER TABLE "retention_rollup_refreshes" ADD COLUMN "state_timezone" TEXT;
