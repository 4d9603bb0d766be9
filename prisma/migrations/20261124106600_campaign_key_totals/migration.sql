-- Campaign ROI speed (issue 6, session 5): everything the Campaigns page needs per campaign key
-- (campaign id, or "" + channel for customers without a campaign) over the WHOLE acquisition range,
-- pre-summed at each rollup refresh (services/campaigns/refresh-campaign-stats.ts), so the page's
-- default view reads one row per key (a few hundred) instead of summing campaign_cohorts and
-- grouping campaign_cohort_months by month offset on every call:
-- - the sums of the key's campaign_cohorts rows (customers, repeat buyers, 90-day retention,
--   first-order / to-date revenue and margin, predicted 12-month value with bounds and its split);
-- - the payback-curve inputs as arrays indexed by months since acquisition k (0 = the acquisition
--   month, every k from 0 to the oldest cohort's age): curve_eligible[k] = customers whose cohort had
--   reached month k by the last data month, curve_revenue/margin_minor[k] = what all the key's
--   cohorts brought in their month k.
-- A narrower date range still sums campaign_cohorts / campaign_cohort_months live. Not backfilled:
-- until a workspace's next recompute writes it, the page reads the live path (it uses these rows
-- only when the workspace has some).

CREATE TABLE "campaign_key_totals" (
    "workspace_id" UUID NOT NULL,
    "campaign_key" TEXT NOT NULL,
    "channel" TEXT NOT NULL,
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
    "curve_eligible" INTEGER[] NOT NULL,
    "curve_revenue_minor" BIGINT[] NOT NULL,
    "curve_margin_minor" BIGINT[] NOT NULL,

    CONSTRAINT "campaign_key_totals_pkey" PRIMARY KEY ("workspace_id","campaign_key","channel")
);

ALTER TABLE "campaign_key_totals" ADD CONSTRAINT "campaign_key_totals_workspace_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Tenant policy only (like campaign_cohorts): nothing scans it across workspaces, and an owner
-- worker_scan policy would be OR-ed into every read's row filter. GRANTs come from grantAppRole.
ALTER TABLE "campaign_key_totals" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "campaign_key_totals" FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON "campaign_key_totals" USING (workspace_id = vl_current_workspace()) WITH CHECK (workspace_id = vl_current_workspace());
