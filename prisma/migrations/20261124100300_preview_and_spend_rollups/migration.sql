-- Speed of the Campaigns page (issue 6) and of the rule-segment live preview (issue 5) at 1,000,000
-- customers (BENCHMARKS.md, sections "Campaign ROI" and "Segments — rule preview").
--
-- 1. campaign_spend_months: spend per campaign, month and currency, kept current by statement-level
--    triggers on campaign_spend (whatever writes it: the UI, imports, the API, plain SQL), so edits show
--    at once. The Campaigns page sums at most campaigns × months rows for any month range instead of
--    aggregating every daily spend row (146,000 rows for 200 campaigns over two years: ~230 ms a call).
--    `days` counts the daily rows behind a row; a row whose count reaches 0 is deleted.
-- 2. segment_facts: one narrow row per customer with every scalar a segment rule can test (the latest
--    scores, the customer's order count, first/last order, acquisition channel and campaign, and the
--    JSON attributes when there are any), written at the end of each recompute right after the scores
--    (services/segment-rules/facts.ts), so the preview scans one table instead of joining the wide
--    customers rows with customer_scores. `sample` is a fixed pseudo-random bucket 0–99 of the
--    customer id (a hash); on large workspaces rows are written in bucket order, so buckets 0…k-1 — a
--    uniform random sample of k % of the customers — sit on few pages, read through the
--    (workspace_id, sample) index for the preview's labelled estimate. segment_facts_refreshes says
--    when and from which run the copy was written.
--    Cheap to rewrite, because the recompute waits for it (1M rows per run): UNLOGGED (a derived copy
--    needs no WAL; a crash empties it together with segment_facts_refreshes, and previews then read the
--    live tables until the next recompute), and no value indexes — the members sample walks
--    customer_scores' value indexes and looks the walked customers up here by primary key.

CREATE TABLE "campaign_spend_months" (
    "workspace_id" UUID NOT NULL,
    "campaign_id" UUID NOT NULL,
    "month" DATE NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "amount_minor" BIGINT NOT NULL,
    "days" INTEGER NOT NULL,

    CONSTRAINT "campaign_spend_months_pkey" PRIMARY KEY ("workspace_id","campaign_id","month","currency")
);
CREATE INDEX "campaign_spend_months_workspace_id_month_idx" ON "campaign_spend_months"("workspace_id", "month");
ALTER TABLE "campaign_spend_months" ADD CONSTRAINT "campaign_spend_months_workspace_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Deltas of a statement's rows, summed per month. The join with workspaces drops the deltas of a
-- workspace being deleted (its rollup rows go by cascade). No foreign key to campaigns: a deleted
-- campaign's spend rows are deleted by cascade and their deltas bring its rows to 0 days, deleted here.
CREATE OR REPLACE FUNCTION vl_campaign_spend_changed() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO campaign_spend_months AS m (workspace_id, campaign_id, month, currency, amount_minor, days)
    SELECT d.workspace_id, d.campaign_id, date_trunc('month', d.day::timestamp)::date, d.currency, sum(d.amount_minor), count(*)::int
      FROM vl_new d JOIN workspaces w ON w.id = d.workspace_id
     GROUP BY 1, 2, 3, 4
    ON CONFLICT (workspace_id, campaign_id, month, currency) DO UPDATE
       SET amount_minor = m.amount_minor + EXCLUDED.amount_minor, days = m.days + EXCLUDED.days;
    RETURN NULL;
  END IF;
  IF TG_OP = 'UPDATE' THEN
    INSERT INTO campaign_spend_months AS m (workspace_id, campaign_id, month, currency, amount_minor, days)
    SELECT d.workspace_id, d.campaign_id, d.month, d.currency, sum(d.amount), sum(d.n)::int
      FROM (SELECT workspace_id, campaign_id, date_trunc('month', day::timestamp)::date AS month, currency, amount_minor AS amount, 1 AS n FROM vl_new
            UNION ALL
            SELECT workspace_id, campaign_id, date_trunc('month', day::timestamp)::date, currency, -amount_minor, -1 FROM vl_old) d
      JOIN workspaces w ON w.id = d.workspace_id
     GROUP BY 1, 2, 3, 4
    ON CONFLICT (workspace_id, campaign_id, month, currency) DO UPDATE
       SET amount_minor = m.amount_minor + EXCLUDED.amount_minor, days = m.days + EXCLUDED.days;
  ELSE
    INSERT INTO campaign_spend_months AS m (workspace_id, campaign_id, month, currency, amount_minor, days)
    SELECT d.workspace_id, d.campaign_id, date_trunc('month', d.day::timestamp)::date, d.currency, -sum(d.amount_minor), -count(*)::int
      FROM vl_old d JOIN workspaces w ON w.id = d.workspace_id
     GROUP BY 1, 2, 3, 4
    ON CONFLICT (workspace_id, campaign_id, month, currency) DO UPDATE
       SET amount_minor = m.amount_minor + EXCLUDED.amount_minor, days = m.days + EXCLUDED.days;
  END IF;
  DELETE FROM campaign_spend_months m
   WHERE m.days <= 0 AND m.workspace_id IN (SELECT DISTINCT workspace_id FROM vl_old);
  RETURN NULL;
END $fn$;

CREATE TRIGGER campaign_spend_months_ins AFTER INSERT ON campaign_spend
  REFERENCING NEW TABLE AS vl_new FOR EACH STATEMENT EXECUTE FUNCTION vl_campaign_spend_changed();
CREATE TRIGGER campaign_spend_months_upd AFTER UPDATE ON campaign_spend
  REFERENCING OLD TABLE AS vl_old NEW TABLE AS vl_new FOR EACH STATEMENT EXECUTE FUNCTION vl_campaign_spend_changed();
CREATE TRIGGER campaign_spend_months_del AFTER DELETE ON campaign_spend
  REFERENCING OLD TABLE AS vl_old FOR EACH STATEMENT EXECUTE FUNCTION vl_campaign_spend_changed();

CREATE UNLOGGED TABLE "segment_facts" (
    "workspace_id" UUID NOT NULL,
    "customer_id" UUID NOT NULL,
    "sample" SMALLINT NOT NULL,
    "order_count" INTEGER NOT NULL,
    "rfm_r" SMALLINT,
    "rfm_f" SMALLINT,
    "rfm_m" SMALLINT,
    "predicted_clv_minor" BIGINT,
    "historical_clv_minor" BIGINT,
    "p_alive" DOUBLE PRECISION,
    "expected_purchases_30" DOUBLE PRECISION,
    "expected_purchases_90" DOUBLE PRECISION,
    "expected_purchases_365" DOUBLE PRECISION,
    "first_order_at" TIMESTAMPTZ(3),
    "last_order_at" TIMESTAMPTZ(3),
    "campaign_id" UUID,
    "rfm_segment" TEXT,
    "value_tier" TEXT,
    "churn_risk" TEXT,
    "channel" TEXT,
    "attributes" JSONB,

    CONSTRAINT "segment_facts_pkey" PRIMARY KEY ("workspace_id","customer_id")
);
CREATE INDEX "segment_facts_workspace_id_sample_idx" ON "segment_facts"("workspace_id", "sample");
ALTER TABLE "segment_facts" ADD CONSTRAINT "segment_facts_workspace_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE UNLOGGED TABLE "segment_facts_refreshes" (
    "workspace_id" UUID NOT NULL,
    "model_run_id" UUID,
    "refreshed_at" TIMESTAMPTZ(3) NOT NULL,
    "customers" INTEGER NOT NULL DEFAULT 0,
    "duration_ms" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "segment_facts_refreshes_pkey" PRIMARY KEY ("workspace_id")
);
ALTER TABLE "segment_facts_refreshes" ADD CONSTRAINT "segment_facts_refreshes_workspace_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Backfill the spend rollup. The migration runs as the table owner, which FORCE RLS subjects to the
-- policies (no current workspace here): lift FORCE on the tables read, inside this migration's
-- transaction only, and enable RLS on the new tables after the backfill. segment_facts is not
-- backfilled: until a workspace's next recompute writes it, the preview reads the live tables.
ALTER TABLE campaign_spend NO FORCE ROW LEVEL SECURITY;
INSERT INTO campaign_spend_months (workspace_id, campaign_id, month, currency, amount_minor, days)
SELECT workspace_id, campaign_id, date_trunc('month', day::timestamp)::date, currency, sum(amount_minor), count(*)::int
  FROM campaign_spend
 GROUP BY 1, 2, 3, 4;
ALTER TABLE campaign_spend FORCE ROW LEVEL SECURITY;

-- Tenant policy only, no owner worker_scan policy (like customers, orders and customer_scores, which the
-- worker never scans across workspaces either; rls.integration-test.ts requires RLS enabled, forced and
-- a policy, and the app role's GRANTs come from grantAppRole after every migration): nothing scans these
-- across workspaces, and a second
-- permissive SELECT policy is OR-ed into every read's row filter — vl_is_owner() then runs per row
-- (measured: 77 ms instead of 6.7 ms to sum 4,800 campaign_spend_months rows; it would be seconds
-- over a million segment_facts rows).
ALTER TABLE "campaign_spend_months" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "campaign_spend_months" FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON "campaign_spend_months" USING (workspace_id = vl_current_workspace()) WITH CHECK (workspace_id = vl_current_workspace());
ALTER TABLE "segment_facts" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "segment_facts" FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON "segment_facts" USING (workspace_id = vl_current_workspace()) WITH CHECK (workspace_id = vl_current_workspace());
ALTER TABLE "segment_facts_refreshes" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "segment_facts_refreshes" FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON "segment_facts_refreshes" USING (workspace_id = vl_current_workspace()) WITH CHECK (workspace_id = vl_current_workspace());
