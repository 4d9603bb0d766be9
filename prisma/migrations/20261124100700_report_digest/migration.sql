-- Weekly report digest (issue 8): inline chart images and unsubscribe links kept with each ledger row
-- (the outbox shows exactly what was sent, and a retry sends the same bytes), and the per-schedule
-- list of high-value customers already reported as at risk (so each report names the ones that
-- turned at risk since the previous report, not the same names every week).

-- [{ "cid", "filename", "alt", "base64" }]: PNG charts referenced from the HTML part as cid:<cid>.
ALTER TABLE "report_deliveries" ADD COLUMN "images" JSONB NOT NULL DEFAULT '[]';
-- The one-click (RFC 8058) POST endpoint for List-Unsubscribe / List-Unsubscribe-Post; null without a signing secret.
ALTER TABLE "report_deliveries" ADD COLUMN "one_click_url" TEXT;

CREATE TABLE "report_risk_watch" (
    "workspace_id" UUID NOT NULL,
    "schedule_id" UUID NOT NULL,
    "customer_id" UUID NOT NULL,
    -- The reported week (its Monday, YYYY-MM-DD) in which the customer was first listed.
    "flagged_period" TEXT NOT NULL,
    CONSTRAINT "report_risk_watch_pkey" PRIMARY KEY ("workspace_id","schedule_id","customer_id")
);
ALTER TABLE "report_risk_watch" ADD CONSTRAINT "report_risk_watch_workspace_id_schedule_id_fkey" FOREIGN KEY ("workspace_id", "schedule_id") REFERENCES "report_schedules"("workspace_id", "id") ON DELETE CASCADE ON UPDATE CASCADE;

ALTER TABLE "report_risk_watch" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "report_risk_watch" FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON "report_risk_watch" USING (workspace_id = vl_current_workspace()) WITH CHECK (workspace_id = vl_current_workspace());
CREATE POLICY worker_scan ON "report_risk_watch" FOR SELECT USING (vl_is_owner());

-- Until now a schedule could only hold the KPI section; existing schedules get the whole digest.
UPDATE "report_schedules" SET "sections" = ARRAY['kpis','charts','segments','at_risk','campaigns','retention']
 WHERE "sections" = ARRAY['kpis'];
