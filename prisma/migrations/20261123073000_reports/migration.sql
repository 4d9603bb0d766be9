-- Weekly email reports (issue 8): schedules and the delivery ledger / outbox.
CREATE TABLE "report_schedules" (
    "workspace_id" UUID NOT NULL,
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "name" TEXT NOT NULL,
    "recipients" TEXT[],
    "day_of_week" SMALLINT NOT NULL,
    "local_time" TEXT NOT NULL,
    "timezone" TEXT NOT NULL,
    "sections" TEXT[],
    "paused" BOOLEAN NOT NULL DEFAULT false,
    "created_by_id" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "report_schedules_pkey" PRIMARY KEY ("workspace_id","id"),
    CONSTRAINT "report_schedules_day_of_week_check" CHECK ("day_of_week" BETWEEN 1 AND 7),
    CONSTRAINT "report_schedules_local_time_check" CHECK ("local_time" ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$')
);

CREATE TABLE "report_deliveries" (
    "workspace_id" UUID NOT NULL,
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "schedule_id" UUID NOT NULL,
    "dedupe_key" TEXT NOT NULL,
    "recipient" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "last_error" TEXT,
    "next_attempt_at" TIMESTAMPTZ(3),
    "message_id" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "html" TEXT NOT NULL,
    "text" TEXT NOT NULL,
    "period_from" TIMESTAMPTZ(3) NOT NULL,
    "period_to" TIMESTAMPTZ(3) NOT NULL,
    "sent_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "report_deliveries_pkey" PRIMARY KEY ("workspace_id","id"),
    CONSTRAINT "report_deliveries_status_check" CHECK ("status" IN ('pending','sending','sent','outbox','failed'))
);

CREATE UNIQUE INDEX "report_deliveries_workspace_id_schedule_id_dedupe_key_recipient_key" ON "report_deliveries"("workspace_id", "schedule_id", "dedupe_key", "recipient");
CREATE INDEX "report_deliveries_workspace_id_created_at_idx" ON "report_deliveries"("workspace_id", "created_at");
CREATE INDEX "report_deliveries_workspace_id_status_next_attempt_at_idx" ON "report_deliveries"("workspace_id", "status", "next_attempt_at");

ALTER TABLE "report_schedules" ADD CONSTRAINT "report_schedules_workspace_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "report_deliveries" ADD CONSTRAINT "report_deliveries_workspace_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "report_deliveries" ADD CONSTRAINT "report_deliveries_workspace_id_schedule_id_fkey" FOREIGN KEY ("workspace_id", "schedule_id") REFERENCES "report_schedules"("workspace_id", "id") ON DELETE CASCADE ON UPDATE CASCADE;

ALTER TABLE "report_schedules" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "report_schedules" FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON "report_schedules" USING (workspace_id = vl_current_workspace()) WITH CHECK (workspace_id = vl_current_workspace());
ALTER TABLE "report_deliveries" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "report_deliveries" FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON "report_deliveries" USING (workspace_id = vl_current_workspace()) WITH CHECK (workspace_id = vl_current_workspace());

-- The worker finds due reports across workspaces with the read-only owner scan used for recomputes
-- (see vl_is_owner() in the predictions migration); sending then runs per workspace as the app role.
CREATE POLICY worker_scan ON "report_schedules" FOR SELECT USING (vl_is_owner());
CREATE POLICY worker_scan ON "report_deliveries" FOR SELECT USING (vl_is_owner());
