-- Ingestion API (issue 4): idempotency ledger and per-key rate-limit counters.
-- Both are tenant tables: the primary key starts with workspace_id, RLS is forced with the usual
-- tenant policy plus the owner's read-only worker_scan (for a cross-workspace cleanup sweep).

-- One row per (workspace, API key, Idempotency-Key): inserted first, in the same transaction as the
-- write it guards, so a concurrent duplicate waits on the primary key and then replays the stored
-- response; a rolled-back attempt leaves no row and can be retried.
CREATE TABLE "api_idempotency" (
    "workspace_id" UUID NOT NULL,
    "api_key_id" UUID NOT NULL,
    "idempotency_key" TEXT NOT NULL,
    "request_hash" TEXT NOT NULL,
    "response_status" INTEGER,
    "response_body" JSONB,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "api_idempotency_pkey" PRIMARY KEY ("workspace_id","api_key_id","idempotency_key")
);
CREATE INDEX "api_idempotency_workspace_id_created_at_idx" ON "api_idempotency"("workspace_id", "created_at");
ALTER TABLE "api_idempotency" ADD CONSTRAINT "api_idempotency_workspace_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "api_idempotency" ADD CONSTRAINT "api_idempotency_workspace_id_api_key_id_fkey" FOREIGN KEY ("workspace_id", "api_key_id") REFERENCES "api_keys"("workspace_id", "id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Fixed-window request counter per API key, shared by every web process (one row per key).
CREATE TABLE "api_rate_limits" (
    "workspace_id" UUID NOT NULL,
    "api_key_id" UUID NOT NULL,
    "window_start" TIMESTAMPTZ(3) NOT NULL,
    "count" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "api_rate_limits_pkey" PRIMARY KEY ("workspace_id","api_key_id")
);
ALTER TABLE "api_rate_limits" ADD CONSTRAINT "api_rate_limits_workspace_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "api_rate_limits" ADD CONSTRAINT "api_rate_limits_workspace_id_api_key_id_fkey" FOREIGN KEY ("workspace_id", "api_key_id") REFERENCES "api_keys"("workspace_id", "id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Listing a workspace's keys newest first.
CREATE INDEX "api_keys_workspace_id_created_at_idx" ON "api_keys"("workspace_id", "created_at");

ALTER TABLE "api_idempotency" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "api_idempotency" FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON "api_idempotency" USING (workspace_id = vl_current_workspace()) WITH CHECK (workspace_id = vl_current_workspace());
ALTER TABLE "api_rate_limits" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "api_rate_limits" FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON "api_rate_limits" USING (workspace_id = vl_current_workspace()) WITH CHECK (workspace_id = vl_current_workspace());

CREATE POLICY worker_scan ON "api_idempotency" FOR SELECT USING (vl_is_owner());
CREATE POLICY worker_scan ON "api_rate_limits" FOR SELECT USING (vl_is_owner());
