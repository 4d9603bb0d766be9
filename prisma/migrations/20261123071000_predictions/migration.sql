-- Predictions (issue 9): model runs and the latest per-customer scores. Written by hand (the schema is
-- edited in parallel; see prisma/schema.prisma block "predictions (issue 9)"). Names follow Prisma's
-- conventions so a later `migrate diff` sees no drift.

CREATE TABLE "model_runs" (
    "workspace_id" UUID NOT NULL,
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "model_kind" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'queued',
    "step" TEXT,
    "progress" INTEGER NOT NULL DEFAULT 0,
    "error" TEXT,
    "reason" TEXT,
    "params" JSONB,
    "standard_errors" JSONB,
    "spend_params" JSONB,
    "log_likelihood" DOUBLE PRECISION,
    "converged" BOOLEAN,
    "data_cutoff" TIMESTAMPTZ(3),
    "customers" INTEGER NOT NULL DEFAULT 0,
    "repeat_buyers" INTEGER NOT NULL DEFAULT 0,
    "orders" INTEGER NOT NULL DEFAULT 0,
    "duration_ms" INTEGER,
    "holdout" JSONB,
    "comparison" JSONB,
    "totals" JSONB,
    "triggered_by" TEXT NOT NULL DEFAULT 'manual',
    "started_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finished_at" TIMESTAMPTZ(3),

    CONSTRAINT "model_runs_pkey" PRIMARY KEY ("workspace_id","id")
);

CREATE TABLE "customer_scores" (
    "workspace_id" UUID NOT NULL,
    "customer_id" UUID NOT NULL,
    "model_run_id" UUID NOT NULL,
    "p_alive" DOUBLE PRECISION,
    "expected_purchases_30" DOUBLE PRECISION,
    "expected_purchases_90" DOUBLE PRECISION,
    "expected_purchases_365" DOUBLE PRECISION,
    "predicted_clv_minor" BIGINT,
    "predicted_clv_low_minor" BIGINT,
    "predicted_clv_high_minor" BIGINT,
    "historical_clv_minor" BIGINT NOT NULL,
    "churn_risk" TEXT,
    "rfm_r" SMALLINT NOT NULL,
    "rfm_f" SMALLINT NOT NULL,
    "rfm_m" SMALLINT NOT NULL,
    "rfm_segment" TEXT NOT NULL,
    "value_tier" TEXT NOT NULL,
    "scored_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "customer_scores_pkey" PRIMARY KEY ("workspace_id","customer_id")
);

CREATE INDEX "model_runs_workspace_id_started_at_idx" ON "model_runs"("workspace_id", "started_at");
-- Keyset pagination of the Customers page: (sort value, customer id) per workspace, both directions.
CREATE INDEX "customer_scores_workspace_id_predicted_clv_minor_customer_id_idx" ON "customer_scores"("workspace_id", "predicted_clv_minor" DESC, "customer_id" DESC);
CREATE INDEX "customer_scores_workspace_id_historical_clv_minor_customer_i_idx" ON "customer_scores"("workspace_id", "historical_clv_minor" DESC, "customer_id" DESC);
CREATE INDEX "customer_scores_workspace_id_p_alive_customer_id_idx" ON "customer_scores"("workspace_id", "p_alive", "customer_id");
CREATE INDEX "customer_scores_workspace_id_value_tier_idx" ON "customer_scores"("workspace_id", "value_tier");
CREATE INDEX "customer_scores_workspace_id_rfm_segment_idx" ON "customer_scores"("workspace_id", "rfm_segment");
CREATE INDEX "customer_scores_workspace_id_churn_risk_idx" ON "customer_scores"("workspace_id", "churn_risk");

ALTER TABLE "model_runs" ADD CONSTRAINT "model_runs_workspace_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "customer_scores" ADD CONSTRAINT "customer_scores_workspace_id_customer_id_fkey" FOREIGN KEY ("workspace_id", "customer_id") REFERENCES "customers"("workspace_id", "id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "customer_scores" ADD CONSTRAINT "customer_scores_workspace_id_model_run_id_fkey" FOREIGN KEY ("workspace_id", "model_run_id") REFERENCES "model_runs"("workspace_id", "id") ON DELETE NO ACTION ON UPDATE NO ACTION;

ALTER TABLE model_runs ENABLE ROW LEVEL SECURITY;
ALTER TABLE model_runs FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON model_runs USING (workspace_id = vl_current_workspace()) WITH CHECK (workspace_id = vl_current_workspace());
ALTER TABLE customer_scores ENABLE ROW LEVEL SECURITY;
ALTER TABLE customer_scores FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON customer_scores USING (workspace_id = vl_current_workspace()) WITH CHECK (workspace_id = vl_current_workspace());

-- The recompute worker finds work across workspaces (stale workspaces, queued runs, never-scored
-- workspaces) with a read-only scan as the table owner role (DATABASE_OWNER_URL; the owner is
-- subject to FORCE RLS too). vl_is_owner() is true only for a role that is, or may act as, the owner
-- of the tables; the app role (NOINHERIT, not a member) never passes, whatever GUCs it sets.
-- The scan reads ids and timestamps only; per-workspace work then runs through withWorkspace.
CREATE OR REPLACE FUNCTION vl_is_owner() RETURNS boolean
  LANGUAGE sql STABLE AS $fn$
  SELECT pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = 'public.workspaces'::regclass), 'USAGE')
$fn$;
CREATE POLICY worker_scan ON workspaces FOR SELECT USING (vl_is_owner());
CREATE POLICY worker_scan ON model_runs FOR SELECT USING (vl_is_owner());
