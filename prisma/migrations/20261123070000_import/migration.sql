-- CSV import (issue 4): progress and cancel columns on import_jobs, rejected rows, saved mappings.
-- Hand-written (RLS is not modelled by Prisma). Both new tables are tenant tables: primary key and
-- indexes start with workspace_id, RLS enabled and forced with the standard tenant policy.

ALTER TABLE "import_jobs"
  ADD COLUMN "bytes_total" BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN "bytes_processed" BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN "cancel_requested_at" TIMESTAMPTZ(3);

-- Finding RUNNING jobs at start-up (interrupted imports) without scanning history.
CREATE INDEX "import_jobs_workspace_id_status_idx" ON "import_jobs"("workspace_id", "status");

CREATE TABLE "import_rejections" (
    "workspace_id" UUID NOT NULL,
    "import_job_id" UUID NOT NULL,
    "line" INTEGER NOT NULL,
    "column" TEXT,
    "reason" TEXT NOT NULL,
    "raw" TEXT NOT NULL,
    CONSTRAINT "import_rejections_pkey" PRIMARY KEY ("workspace_id","import_job_id","line")
);
ALTER TABLE "import_rejections" ADD CONSTRAINT "import_rejections_workspace_id_fkey"
  FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "import_rejections" ADD CONSTRAINT "import_rejections_workspace_id_import_job_id_fkey"
  FOREIGN KEY ("workspace_id", "import_job_id") REFERENCES "import_jobs"("workspace_id", "id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE TABLE "import_mappings" (
    "workspace_id" UUID NOT NULL,
    "kind" "ImportKind" NOT NULL,
    "columns" JSONB NOT NULL,
    "options" JSONB NOT NULL DEFAULT '{}',
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "import_mappings_pkey" PRIMARY KEY ("workspace_id","kind")
);
ALTER TABLE "import_mappings" ADD CONSTRAINT "import_mappings_workspace_id_fkey"
  FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE CASCADE;

ALTER TABLE "import_rejections" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "import_rejections" FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON "import_rejections"
  USING (workspace_id = vl_current_workspace()) WITH CHECK (workspace_id = vl_current_workspace());

ALTER TABLE "import_mappings" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "import_mappings" FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON "import_mappings"
  USING (workspace_id = vl_current_workspace()) WITH CHECK (workspace_id = vl_current_workspace());
