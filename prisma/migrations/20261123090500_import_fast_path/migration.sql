-- CSV import fast path (issue 4): a transactional "bulk summaries" mode for large order writes, and
-- a heartbeat on import jobs so an import whose process died is recognised by any process.
--
-- Why: the statement-level triggers on orders refresh every affected customer's summary, the
-- rollups and customer_months/customer_weeks once per statement. An import writing 1,000,000
-- orders for 200,000 customers in 5,000-row statements refreshed each customer ~5 times and paid
-- the per-statement overhead 200 times (measured: ~60 % of a batch's time in the two triggers).
--
-- Bulk mode (opt-in, per transaction and workspace, vl_bulk_begin):
--  * the order triggers only record which customers changed (summary_pending) for the guarded
--    workspace; every other workspace and every other transaction keeps the immediate path;
--  * vl_bulk_flush(ws) then brings everything derived from those customers' orders up to date in
--    two set-based statements: customer_months and customer_weeks recomputed for those customers
--    and written as a diff, the linear parts of monthly_rollups/workspace_stats moved by the same
--    (new − old) month diff, then the customer summaries + non-linear rollup parts by
--    vl_refresh_customers;
--  * it cannot be left stale: vl_bulk_begin inserts a guard row whose DEFERRABLE INITIALLY DEFERRED
--    constraint trigger runs vl_bulk_flush at COMMIT (a no-op when the writer already flushed), and
--    the triggers honour the mode only while that guard row exists in the same transaction (a
--    session that merely sets the setting gets the normal path). Deleting customers is refused in
--    bulk mode (their customer_months rows would cascade away before the flush could subtract them).

ALTER TABLE "import_jobs" ADD COLUMN "heartbeat_at" TIMESTAMPTZ(3);

-- Affected customers of the current bulk transaction (rows never outlive it: the flush deletes them).
-- UNLOGGED: nothing here needs to survive a crash (an aborted transaction's rows are dead anyway).
CREATE UNLOGGED TABLE "summary_pending" (
    "workspace_id" UUID NOT NULL,
    "txid" BIGINT NOT NULL,
    "customer_id" UUID NOT NULL,
    CONSTRAINT "summary_pending_pkey" PRIMARY KEY ("workspace_id","txid","customer_id")
);

-- One row per bulk transaction and workspace; its deferred trigger flushes at commit.
CREATE TABLE "summary_bulk_guard" (
    "workspace_id" UUID NOT NULL,
    "txid" BIGINT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "summary_bulk_guard_pkey" PRIMARY KEY ("workspace_id","txid")
);

ALTER TABLE "summary_pending" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "summary_pending" FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON "summary_pending" USING (workspace_id = vl_current_workspace()) WITH CHECK (workspace_id = vl_current_workspace());
ALTER TABLE "summary_bulk_guard" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "summary_bulk_guard" FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON "summary_bulk_guard" USING (workspace_id = vl_current_workspace()) WITH CHECK (workspace_id = vl_current_workspace());
CREATE POLICY worker_scan ON "summary_pending" FOR SELECT USING (vl_is_owner());
CREATE POLICY worker_scan ON "summary_bulk_guard" FOR SELECT USING (vl_is_owner());
-- The worker (owner role) finds imports whose heartbeat stopped, across workspaces, at start-up.
CREATE POLICY worker_scan ON "import_jobs" FOR SELECT USING (vl_is_owner());

-- The workspaces in bulk mode in this transaction (empty unless vl_bulk_begin ran in it).
CREATE OR REPLACE FUNCTION vl_bulk_workspaces() RETURNS uuid[]
LANGUAGE plpgsql AS $fn$
BEGIN
  IF current_setting('app.bulk_summaries', true) IS DISTINCT FROM txid_current()::text THEN
    RETURN '{}'::uuid[];
  END IF;
  RETURN ARRAY(SELECT g.workspace_id FROM summary_bulk_guard g WHERE g.txid = txid_current());
END $fn$;

-- Brings everything derived from the pending customers' orders up to date; returns how many
-- customers it refreshed. Called by the writer before commit and, as a safety net, at commit.
CREATE OR REPLACE FUNCTION vl_bulk_flush(p_ws uuid) RETURNS integer
LANGUAGE plpgsql
SET enable_nestloop = off
AS $fn$
DECLARE
  w record;
  ids uuid[];
  tx bigint := txid_current();
BEGIN
  IF p_ws IS NULL THEN RETURN 0; END IF;
  SELECT currency, timezone, margin_rate INTO w FROM workspaces WHERE id = p_ws;
  IF NOT FOUND THEN RETURN 0; END IF;
  WITH d AS (DELETE FROM summary_pending p WHERE p.workspace_id = p_ws AND p.txid = tx RETURNING p.customer_id)
  SELECT coalesce(array_agg(DISTINCT d.customer_id), '{}'::uuid[]) INTO ids FROM d;
  IF cardinality(ids) = 0 THEN RETURN 0; END IF;
  -- Serialise with concurrent immediate-path writers of the same customers (same lock order as
  -- vl_apply_order_changes: by id). Customers deleted meanwhile drop out.
  PERFORM 1 FROM customers c WHERE c.workspace_id = p_ws AND c.id = ANY(ids) ORDER BY c.id FOR UPDATE;
  ids := ARRAY(SELECT c.id FROM customers c WHERE c.workspace_id = p_ws AND c.id = ANY(ids) ORDER BY c.id);
  IF cardinality(ids) = 0 THEN RETURN 0; END IF;

  -- customer_months and customer_weeks of these customers recomputed from their orders (one read),
  -- written as a diff against what is stored (only rows that changed are inserted, updated or
  -- deleted: a chunk that adds one order to a customer with years of history touches one month and
  -- one week, not all of them), and the linear parts of monthly_rollups / workspace_stats moved by
  -- the same month diff. Data-modifying CTEs share one snapshot; upserts and deletes touch disjoint keys.
  EXECUTE $q$
  WITH o AS MATERIALIZED (
    SELECT o.customer_id, o.ordered_at AT TIME ZONE $4 AS local,
           CASE WHEN o.currency = $3 THEN o.amount_minor ELSE 0 END AS amt,
           CASE WHEN o.currency = $3
                THEN o.amount_minor - coalesce(o.cost_minor, round(o.amount_minor * (1 - $5))::bigint)
                ELSE 0 END AS mar
      FROM orders o
     WHERE o.workspace_id = $1 AND NOT o.refunded AND o.customer_id = ANY($2)
  ), nm AS (
    SELECT o.customer_id, date_trunc('month', o.local)::date AS k, count(*)::int AS n, sum(o.amt)::bigint AS r, sum(o.mar)::bigint AS g
      FROM o GROUP BY 1, 2
  ), cm AS (
    SELECT x.customer_id, x.month AS k, x.orders AS n, x.revenue_minor AS r, x.margin_minor AS g
      FROM customer_months x WHERE x.workspace_id = $1 AND x.customer_id = ANY($2)
  ), dm AS (
    SELECT coalesce(nm.customer_id, cm.customer_id) AS customer_id, coalesce(nm.k, cm.k) AS k,
           nm.n AS new_n, nm.r AS new_r, nm.g AS new_g, cm.n AS old_n, cm.r AS old_r
      FROM nm FULL JOIN cm ON cm.customer_id = nm.customer_id AND cm.k = nm.k
     WHERE (nm.n, nm.r, nm.g) IS DISTINCT FROM (cm.n, cm.r, cm.g)
  ), up_m AS (
    INSERT INTO customer_months AS x (workspace_id, customer_id, month, orders, revenue_minor, margin_minor)
    SELECT $1, dm.customer_id, dm.k, dm.new_n, dm.new_r, dm.new_g FROM dm WHERE dm.new_n IS NOT NULL
    ON CONFLICT (workspace_id, customer_id, month) DO UPDATE
       SET orders = EXCLUDED.orders, revenue_minor = EXCLUDED.revenue_minor, margin_minor = EXCLUDED.margin_minor
  ), del_m AS (
    DELETE FROM customer_months x USING dm
     WHERE x.workspace_id = $1 AND x.customer_id = dm.customer_id AND x.month = dm.k AND dm.new_n IS NULL
  ), nw AS (
    SELECT o.customer_id, date_trunc('week', o.local)::date AS k, count(*)::int AS n, sum(o.amt)::bigint AS r, sum(o.mar)::bigint AS g
      FROM o GROUP BY 1, 2
  ), cw AS (
    SELECT x.customer_id, x.week AS k, x.orders AS n, x.revenue_minor AS r, x.margin_minor AS g
      FROM customer_weeks x WHERE x.workspace_id = $1 AND x.customer_id = ANY($2)
  ), dw AS (
    SELECT coalesce(nw.customer_id, cw.customer_id) AS customer_id, coalesce(nw.k, cw.k) AS k,
           nw.n AS new_n, nw.r AS new_r, nw.g AS new_g
      FROM nw FULL JOIN cw ON cw.customer_id = nw.customer_id AND cw.k = nw.k
     WHERE (nw.n, nw.r, nw.g) IS DISTINCT FROM (cw.n, cw.r, cw.g)
  ), up_w AS (
    INSERT INTO customer_weeks AS x (workspace_id, customer_id, week, orders, revenue_minor, margin_minor)
    SELECT $1, dw.customer_id, dw.k, dw.new_n, dw.new_r, dw.new_g FROM dw WHERE dw.new_n IS NOT NULL
    ON CONFLICT (workspace_id, customer_id, week) DO UPDATE
       SET orders = EXCLUDED.orders, revenue_minor = EXCLUDED.revenue_minor, margin_minor = EXCLUDED.margin_minor
  ), del_w AS (
    DELETE FROM customer_weeks x USING dw
     WHERE x.workspace_id = $1 AND x.customer_id = dw.customer_id AND x.week = dw.k AND dw.new_n IS NULL
  ), m AS (
    SELECT dm.k AS month, sum(coalesce(dm.new_n, 0) - coalesce(dm.old_n, 0))::int AS dn,
           sum(coalesce(dm.new_r, 0) - coalesce(dm.old_r, 0))::bigint AS dr
      FROM dm GROUP BY dm.k
  ), roll AS (
    INSERT INTO monthly_rollups AS x (workspace_id, month, orders, revenue_minor)
    SELECT $1, m.month, m.dn, m.dr FROM m WHERE m.dn <> 0 OR m.dr <> 0
    ON CONFLICT (workspace_id, month) DO UPDATE
       SET orders = x.orders + EXCLUDED.orders, revenue_minor = x.revenue_minor + EXCLUDED.revenue_minor
  )
  INSERT INTO workspace_stats AS st (workspace_id, orders, revenue_minor)
  SELECT $1, coalesce(sum(m.dn), 0)::int, coalesce(sum(m.dr), 0)::bigint FROM m
  ON CONFLICT (workspace_id) DO UPDATE
     SET orders = st.orders + EXCLUDED.orders, revenue_minor = st.revenue_minor + EXCLUDED.revenue_minor, updated_at = now()
  $q$ USING p_ws, ids, w.currency, w.timezone, w.margin_rate;

  -- Purchase summaries and the non-linear rollup parts (new customers per month, repeat customers).
  PERFORM vl_refresh_customers(p_ws, ids);
  RETURN cardinality(ids);
END $fn$;

-- Enters bulk mode for one workspace until the end of the current transaction.
CREATE OR REPLACE FUNCTION vl_bulk_begin(p_ws uuid) RETURNS void
LANGUAGE plpgsql AS $fn$
BEGIN
  INSERT INTO summary_bulk_guard (workspace_id, txid) VALUES (p_ws, txid_current()) ON CONFLICT DO NOTHING;
  PERFORM set_config('app.bulk_summaries', txid_current()::text, true);
END $fn$;

-- At COMMIT: flush whatever is still pending, then drop the guard (bulk mode ends with it).
CREATE OR REPLACE FUNCTION vl_bulk_guard_commit() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
  PERFORM vl_bulk_flush(NEW.workspace_id);
  DELETE FROM summary_bulk_guard g WHERE g.workspace_id = NEW.workspace_id AND g.txid = NEW.txid;
  RETURN NULL;
END $fn$;

CREATE CONSTRAINT TRIGGER summary_bulk_guard_commit AFTER INSERT ON summary_bulk_guard
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION vl_bulk_guard_commit();

-- Order summaries trigger (from rls_and_summaries) with the bulk branch: rows of workspaces in bulk
-- mode only record their customers; all other rows take the immediate path as before.
CREATE OR REPLACE FUNCTION vl_orders_changed() RETURNS trigger
LANGUAGE plpgsql AS $fn$
DECLARE
  changes vl_order_change[];
  bulk uuid[] := vl_bulk_workspaces();
BEGIN
  IF cardinality(bulk) > 0 THEN
    IF TG_OP = 'INSERT' THEN
      INSERT INTO summary_pending (workspace_id, txid, customer_id)
      SELECT DISTINCT n.workspace_id, txid_current(), n.customer_id FROM vl_new n WHERE n.workspace_id = ANY(bulk)
      ON CONFLICT DO NOTHING;
    ELSIF TG_OP = 'UPDATE' THEN
      INSERT INTO summary_pending (workspace_id, txid, customer_id)
      SELECT DISTINCT x.workspace_id, txid_current(), x.customer_id
        FROM (SELECT workspace_id, customer_id FROM vl_new UNION ALL SELECT workspace_id, customer_id FROM vl_old) x
       WHERE x.workspace_id = ANY(bulk)
      ON CONFLICT DO NOTHING;
    ELSE
      INSERT INTO summary_pending (workspace_id, txid, customer_id)
      SELECT DISTINCT o.workspace_id, txid_current(), o.customer_id FROM vl_old o WHERE o.workspace_id = ANY(bulk)
      ON CONFLICT DO NOTHING;
    END IF;
  END IF;
  IF TG_OP = 'INSERT' THEN
    changes := ARRAY(SELECT ROW(workspace_id, customer_id, ordered_at, amount_minor, currency, refunded, 1)::vl_order_change FROM vl_new
                      WHERE NOT (workspace_id = ANY(bulk)));
  ELSIF TG_OP = 'UPDATE' THEN
    changes := ARRAY(SELECT ROW(workspace_id, customer_id, ordered_at, amount_minor, currency, refunded, 1)::vl_order_change FROM vl_new
                      WHERE NOT (workspace_id = ANY(bulk))
                     UNION ALL
                     SELECT ROW(workspace_id, customer_id, ordered_at, amount_minor, currency, refunded, -1)::vl_order_change FROM vl_old
                      WHERE NOT (workspace_id = ANY(bulk)));
  ELSE
    changes := ARRAY(SELECT ROW(workspace_id, customer_id, ordered_at, amount_minor, currency, refunded, -1)::vl_order_change FROM vl_old
                      WHERE NOT (workspace_id = ANY(bulk)));
  END IF;
  IF cardinality(changes) > 0 THEN
    PERFORM vl_apply_order_changes(changes);
  END IF;
  RETURN NULL;
END $fn$;

-- customer_months / customer_weeks trigger (from retention) with the same bulk branch (the pending
-- customers were recorded by vl_orders_changed, which fires first).
CREATE OR REPLACE FUNCTION vl_orders_customer_months() RETURNS trigger
LANGUAGE plpgsql AS $fn$
DECLARE
  changes vl_order_month_change[];
  bulk uuid[] := vl_bulk_workspaces();
BEGIN
  IF TG_OP = 'INSERT' THEN
    changes := ARRAY(SELECT ROW(workspace_id, customer_id, ordered_at, amount_minor, cost_minor, currency, refunded, 1)::vl_order_month_change FROM vl_new
                      WHERE NOT (workspace_id = ANY(bulk)));
  ELSIF TG_OP = 'UPDATE' THEN
    changes := ARRAY(SELECT ROW(workspace_id, customer_id, ordered_at, amount_minor, cost_minor, currency, refunded, 1)::vl_order_month_change FROM vl_new
                      WHERE NOT (workspace_id = ANY(bulk))
                     UNION ALL
                     SELECT ROW(workspace_id, customer_id, ordered_at, amount_minor, cost_minor, currency, refunded, -1)::vl_order_month_change FROM vl_old
                      WHERE NOT (workspace_id = ANY(bulk)));
  ELSE
    changes := ARRAY(SELECT ROW(workspace_id, customer_id, ordered_at, amount_minor, cost_minor, currency, refunded, -1)::vl_order_month_change FROM vl_old
                      WHERE NOT (workspace_id = ANY(bulk)));
  END IF;
  IF cardinality(changes) > 0 THEN
    PERFORM vl_apply_customer_month_changes(changes);
  END IF;
  RETURN NULL;
END $fn$;

-- Customer counts trigger (from rls_and_summaries): deleting customers of a workspace in bulk mode
-- is refused (see the header); everything else unchanged.
CREATE OR REPLACE FUNCTION vl_customers_changed() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO workspace_stats AS st (workspace_id, customers)
    SELECT workspace_id, count(*)::int FROM vl_new GROUP BY workspace_id
    ON CONFLICT (workspace_id) DO UPDATE SET customers = st.customers + EXCLUDED.customers, updated_at = now();
  ELSE
    IF EXISTS (SELECT 1 FROM vl_old o WHERE o.workspace_id = ANY(vl_bulk_workspaces())) THEN
      RAISE EXCEPTION 'customers cannot be deleted in bulk summary mode (vl_bulk_begin); delete them in another transaction'
        USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    INSERT INTO workspace_stats AS st (workspace_id, customers, customers_with_orders, repeat_customers)
    SELECT workspace_id, -count(*)::int, -count(*) FILTER (WHERE order_count > 0)::int, -count(*) FILTER (WHERE purchase_days >= 2)::int
      FROM vl_old GROUP BY workspace_id
    ON CONFLICT (workspace_id) DO UPDATE
       SET customers = st.customers + EXCLUDED.customers,
           customers_with_orders = st.customers_with_orders + EXCLUDED.customers_with_orders,
           repeat_customers = st.repeat_customers + EXCLUDED.repeat_customers, updated_at = now();
    INSERT INTO monthly_rollups AS r (workspace_id, month, new_customers, new_customer_revenue_minor)
    SELECT o.workspace_id, date_trunc('month', o.first_order_at AT TIME ZONE w.timezone)::date,
           -count(*)::int, -sum(o.first_month_revenue_minor)::bigint
      FROM vl_old o JOIN workspaces w ON w.id = o.workspace_id
     WHERE o.first_order_at IS NOT NULL
     GROUP BY 1, 2
    ON CONFLICT (workspace_id, month) DO UPDATE
       SET new_customers = r.new_customers + EXCLUDED.new_customers,
           new_customer_revenue_minor = r.new_customer_revenue_minor + EXCLUDED.new_customer_revenue_minor;
  END IF;
  RETURN NULL;
END $fn$;
