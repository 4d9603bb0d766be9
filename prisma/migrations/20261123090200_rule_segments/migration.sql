-- Rule segments (issue 5): admin-defined segments (a validated, versioned JSON rule) and their size and
-- value over time (one snapshot per segment at the end of every successful recompute, and when saved).
CREATE TABLE "rule_segments" (
    "workspace_id" UUID NOT NULL,
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "owner_id" UUID,
    "rule" JSONB NOT NULL,
    "rule_version" SMALLINT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "rule_segments_pkey" PRIMARY KEY ("workspace_id","id"),
    CONSTRAINT "rule_segments_name_check" CHECK (length(btrim("name")) BETWEEN 1 AND 80),
    CONSTRAINT "rule_segments_rule_check" CHECK (jsonb_typeof("rule") = 'object')
);
CREATE UNIQUE INDEX "rule_segments_workspace_id_name_key" ON "rule_segments"("workspace_id", "name");

CREATE TABLE "rule_segment_snapshots" (
    "workspace_id" UUID NOT NULL,
    "id" BIGSERIAL NOT NULL,
    "segment_id" UUID NOT NULL,
    "model_run_id" UUID,
    "reason" TEXT NOT NULL,
    "taken_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "customers" INTEGER NOT NULL,
    "predicted_clv_sum_minor" BIGINT NOT NULL,
    "historical_clv_sum_minor" BIGINT NOT NULL,
    "p_alive_avg" DOUBLE PRECISION,
    CONSTRAINT "rule_segment_snapshots_pkey" PRIMARY KEY ("workspace_id","id"),
    CONSTRAINT "rule_segment_snapshots_reason_check" CHECK ("reason" IN ('recompute','created','updated')),
    CONSTRAINT "rule_segment_snapshots_customers_check" CHECK ("customers" >= 0)
);
CREATE INDEX "rule_segment_snapshots_workspace_id_segment_id_taken_at_idx" ON "rule_segment_snapshots"("workspace_id", "segment_id", "taken_at");

ALTER TABLE "rule_segments" ADD CONSTRAINT "rule_segments_workspace_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "rule_segment_snapshots" ADD CONSTRAINT "rule_segment_snapshots_workspace_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "rule_segment_snapshots" ADD CONSTRAINT "rule_segment_snapshots_workspace_id_segment_id_fkey" FOREIGN KEY ("workspace_id", "segment_id") REFERENCES "rule_segments"("workspace_id", "id") ON DELETE CASCADE ON UPDATE CASCADE;

ALTER TABLE "rule_segments" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "rule_segments" FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON "rule_segments" USING (workspace_id = vl_current_workspace()) WITH CHECK (workspace_id = vl_current_workspace());
ALTER TABLE "rule_segment_snapshots" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "rule_segment_snapshots" FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON "rule_segment_snapshots" USING (workspace_id = vl_current_workspace()) WITH CHECK (workspace_id = vl_current_workspace());

-- Read-only owner scan (see vl_is_owner() in the predictions migration), like the other tenant tables
-- a cross-workspace job may need to list.
CREATE POLICY worker_scan ON "rule_segments" FOR SELECT USING (vl_is_owner());
CREATE POLICY worker_scan ON "rule_segment_snapshots" FOR SELECT USING (vl_is_owner());
-- DML grants to the app role: packages/db grantAppRole() after migrations, as for every table.
