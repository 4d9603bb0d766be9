-- CSV import speed (issue 4): summaries refreshed once per import instead of once per chunk.
--
-- Why: with bulk-summaries mode (20261123090500_import_fast_path) every 50,000-row chunk of an
-- orders import still refreshed the summaries, customer_months/weeks and rollups of every customer
-- it touched before committing. Customers' orders are spread over a file, so a 1,000,000-order
-- import for 200,000 customers refreshed 1,000,000 customers (each once per chunk it appeared in);
-- measured at ~60 % of the import's time.
--
-- Now an import's chunks only *defer* their changed customers: vl_bulk_defer moves the chunk's
-- pending customers (summary_pending, this transaction) into summary_deferred, a durable (logged)
-- per-workspace list, in the chunk's own transaction — so whatever a chunk committed is on the list
-- (a crash cannot lose it), and the chunk's commit-time guard finds nothing left to flush.
-- vl_flush_deferred then refreshes the listed customers in one set-based pass (in slices, each its
-- own transaction): at the end of the import (completed, failed or cancelled), and from the sweep
-- that marks an interrupted import FAILED. Until then the workspace's summaries lag its orders
-- (as the recompute's figures do): correct again after the flush, never wrong forever.
--
-- Mixing with the immediate path stays exact: vl_bulk_flush recomputes a listed customer's
-- customer_months/weeks and summary from its orders and moves the rollups by the difference to
-- what is stored, which includes whatever immediate writes applied meanwhile. The one unsafe case
-- is deleting a listed customer before the flush (its orders' cascade would subtract orders the
-- rollups never received): a statement trigger flushes the workspace's deferred list before any
-- customer delete.

CREATE TABLE "summary_deferred" (
    "workspace_id" UUID NOT NULL,
    "customer_id" UUID NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "summary_deferred_pkey" PRIMARY KEY ("workspace_id","customer_id")
);
ALTER TABLE "summary_deferred" ADD CONSTRAINT "summary_deferred_workspace_id_fkey"
  FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE CASCADE;

ALTER TABLE "summary_deferred" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "summary_deferred" FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON "summary_deferred" USING (workspace_id = vl_current_workspace()) WITH CHECK (workspace_id = vl_current_workspace());
CREATE POLICY worker_scan ON "summary_deferred" FOR SELECT USING (vl_is_owner());

-- Moves this transaction's pending customers of p_ws (recorded by the order triggers in bulk mode)
-- to the durable deferred list; returns how many customers the chunk touched.
CREATE OR REPLACE FUNCTION vl_bulk_defer(p_ws uuid) RETURNS integer
LANGUAGE plpgsql AS $fn$
DECLARE
  n integer;
BEGIN
  WITH d AS (
    DELETE FROM summary_pending p WHERE p.workspace_id = p_ws AND p.txid = txid_current() RETURNING p.customer_id
  ), i AS (
    INSERT INTO summary_deferred (workspace_id, customer_id)
    SELECT DISTINCT p_ws, d.customer_id FROM d
    ON CONFLICT DO NOTHING
  )
  SELECT count(DISTINCT d.customer_id)::int INTO n FROM d;
  RETURN n;
END $fn$;

-- Refreshes up to p_limit deferred customers of p_ws (all when NULL) through vl_bulk_flush and
-- takes them off the list, in the caller's transaction; returns how many were taken. Concurrent
-- callers take disjoint customers (the DELETE locks the rows it takes; SKIP LOCKED moves on).
CREATE OR REPLACE FUNCTION vl_flush_deferred(p_ws uuid, p_limit integer) RETURNS integer
LANGUAGE plpgsql AS $fn$
DECLARE
  n integer;
BEGIN
  IF p_ws IS NULL THEN RETURN 0; END IF;
  WITH pick AS (
    SELECT d.customer_id FROM summary_deferred d
     WHERE d.workspace_id = p_ws
     ORDER BY d.customer_id
     LIMIT p_limit
       FOR UPDATE SKIP LOCKED
  ), del AS (
    DELETE FROM summary_deferred d USING pick
     WHERE d.workspace_id = p_ws AND d.customer_id = pick.customer_id
    RETURNING d.customer_id
  ), ins AS (
    INSERT INTO summary_pending (workspace_id, txid, customer_id)
    SELECT p_ws, txid_current(), del.customer_id FROM del
    ON CONFLICT DO NOTHING
  )
  SELECT count(*)::int INTO n FROM del;
  IF n = 0 THEN RETURN 0; END IF;
  PERFORM vl_bulk_flush(p_ws);
  RETURN n;
END $fn$;

-- Before customers are deleted: bring the deferred customers of the current workspace up to date
-- (see the header). A no-op when the list is empty, which is the normal case.
CREATE OR REPLACE FUNCTION vl_customers_flush_deferred() RETURNS trigger
LANGUAGE plpgsql AS $fn$
DECLARE
  ws uuid;
BEGIN
  FOR ws IN SELECT DISTINCT d.workspace_id FROM summary_deferred d LOOP
    PERFORM vl_flush_deferred(ws, NULL);
  END LOOP;
  RETURN NULL;
END $fn$;

CREATE TRIGGER customers_flush_deferred BEFORE DELETE ON customers
  FOR EACH STATEMENT EXECUTE FUNCTION vl_customers_flush_deferred();
