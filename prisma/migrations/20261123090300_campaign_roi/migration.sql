-- Campaign ROI (issue 6): per-campaign acquisition-cohort rollups written set-based at the end of
-- every recompute (services/campaigns/refresh-campaign-stats.ts), so the Campaigns page reads a few
-- thousand rollup rows instead of aggregating a million customers per request. Spend is not rolled
-- up: campaign_spend is small (campaigns × days) and is read live, so edits show at once.
--
-- campaign_key is the acquisition campaign's id as text, or '' for customers without a campaign;
-- channel is the customer's own acquisition_channel for those ('' when unknown) and '' for campaign
-- rows (their channel is read live from campaigns, so renaming a campaign's channel needs no refresh).

CREATE TABLE "campaign_cohorts" (
    "workspace_id" UUID NOT NULL,
    "campaign_key" TEXT NOT NULL,
    "channel" TEXT NOT NULL,
    "cohort_month" DATE NOT NULL,
    "customers" INTEGER NOT NULL,
    "repeat_customers" INTEGER NOT NULL,
    "eligible_90" INTEGER NOT NULL,
    "retained_90" INTEGER NOT NULL,
    "first_order_revenue_minor" BIGINT NOT NULL,
    "revenue_minor" BIGINT NOT NULL,
    "margin_minor" BIGINT NOT NULL,
    "scored" INTEGER NOT NULL,
    "predicted_clv_minor" BIGINT NOT NULL,
    "predicted_clv_low_minor" BIGINT NOT NULL,
    "predicted_clv_high_minor" BIGINT NOT NULL,
    "predicted_m1_minor" BIGINT NOT NULL,
    "predicted_m2_3_minor" BIGINT NOT NULL,
    "predicted_m4_12_minor" BIGINT NOT NULL,

    CONSTRAINT "campaign_cohorts_pkey" PRIMARY KEY ("workspace_id","campaign_key","channel","cohort_month")
);

CREATE TABLE "campaign_cohort_months" (
    "workspace_id" UUID NOT NULL,
    "campaign_key" TEXT NOT NULL,
    "channel" TEXT NOT NULL,
    "cohort_month" DATE NOT NULL,
    "month_offset" SMALLINT NOT NULL,
    "active" INTEGER NOT NULL,
    "revenue_minor" BIGINT NOT NULL,
    "margin_minor" BIGINT NOT NULL,

    CONSTRAINT "campaign_cohort_months_pkey" PRIMARY KEY ("workspace_id","campaign_key","channel","cohort_month","month_offset")
);

CREATE TABLE "campaign_stats_refreshes" (
    "workspace_id" UUID NOT NULL,
    "refreshed_at" TIMESTAMPTZ(3) NOT NULL,
    "model_run_id" UUID,
    "data_cutoff" TIMESTAMPTZ(3),
    "last_data_month" DATE,
    "customers" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "campaign_stats_refreshes_pkey" PRIMARY KEY ("workspace_id")
);

ALTER TABLE "campaign_cohorts" ADD CONSTRAINT "campaign_cohorts_workspace_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "campaign_cohort_months" ADD CONSTRAINT "campaign_cohort_months_workspace_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "campaign_stats_refreshes" ADD CONSTRAINT "campaign_stats_refreshes_workspace_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE CASCADE;

ALTER TABLE "campaign_cohorts" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "campaign_cohorts" FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON "campaign_cohorts" USING (workspace_id = vl_current_workspace()) WITH CHECK (workspace_id = vl_current_workspace());
ALTER TABLE "campaign_cohort_months" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "campaign_cohort_months" FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON "campaign_cohort_months" USING (workspace_id = vl_current_workspace()) WITH CHECK (workspace_id = vl_current_workspace());
ALTER TABLE "campaign_stats_refreshes" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "campaign_stats_refreshes" FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON "campaign_stats_refreshes" USING (workspace_id = vl_current_workspace()) WITH CHECK (workspace_id = vl_current_workspace());
