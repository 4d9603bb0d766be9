-- CSV import speed (issue 4), session 5: fewer per-row checks and cheaper index writes for the rows
-- a large import produces (orders, customer_months, customer_weeks). Measured on a private
-- PostgreSQL 18 (200,000 new orders for 40,000 customers, one transaction, load average ≈ 8 on
-- 2 cores; BENCHMARKS.md "CSV import", session 5).
--
-- 1. The foreign keys orders → workspaces, customer_months → workspaces and customer_weeks →
--    workspaces are redundant and go. Each of these tables already has a composite foreign key
--    (workspace_id, customer_id) → customers (workspace_id, id) with ON DELETE CASCADE, and
--    customers (workspace_id) → workspaces (id) cascades too, so a row's workspace always exists and
--    deleting a workspace still deletes its orders and customer months/weeks (through its customers).
--    Each redundant key cost a per-row RI check (an SPI query that also locks the workspace row FOR
--    KEY SHARE, i.e. one hot row locked by every row written): dropping the three took the 200,000-
--    order INSERT from 41.3 s to 30.8 s and the summary flush from 89.1 s to 57.7 s. Tenancy is
--    unchanged: every key still starts with workspace_id and RLS (ENABLE + FORCE, tenant_isolation,
--    worker_scan) stays as it is on all three tables. The Prisma relations stay in schema.prisma for
--    typed reads (as for customer_scores in 20261124100900): the client needs no constraint.
--
-- 2. The foreign keys from orders, customer_months and customer_weeks to customers become
--    statement-level triggers (as customer_scores did in 20261124100900). A foreign key checks each
--    written row with its own SPI query (and FOR KEY SHARE lock); for 200,000 orders that was 8–17 s
--    of a 30 s INSERT, and 6.5 s / 8.5 s of the customer_months / customer_weeks writes. Now:
--    * orders: one set-based check per INSERT/UPDATE statement locks the statement's distinct
--      customers FOR KEY SHARE (what the per-row check did, so a concurrent delete of such a customer
--      waits for the writer's commit exactly as before) and raises foreign_key_violation (23503)
--      naming the first order whose customer does not exist;
--    * customer_months / customer_weeks are derived rows written only by the summary functions from
--      orders whose customer exists (the orders check above), so they need no insert check;
--    * ON DELETE CASCADE: one statement-level trigger on customers deletes the deleted customers'
--      orders, customer_months and customer_weeks with one set-based DELETE each (the foreign keys
--      ran one cascade DELETE per customer). The orders' own delete triggers still fire and move
--      the rollups exactly as the cascade did (they ignore customers that no longer exist).
--
-- 3. vl_bulk_flush writes customer_months / customer_weeks rows for keys that do not exist yet
--    with a plain INSERT in key order, and rows whose values changed with an UPDATE, instead of one
--    INSERT … ON CONFLICT DO UPDATE in hash order. A fresh import (most keys new) then appends to the
--    primary-key index in order instead of probing it at random with a speculative insertion per
--    row. No conflict is possible: the flush holds FOR UPDATE locks on the customers it refreshes,
--    and every other writer of these customers' rows (vl_apply_order_changes through the order
--    triggers) locks them first, in the same order. Results are identical (the summaries-equal-a-
--    rebuild tests check it).

ALTER TABLE "orders" DROP CONSTRAINT IF EXISTS "orders_workspace_id_fkey";
ALTER TABLE "customer_months" DROP CONSTRAINT IF EXISTS "customer_months_workspace_id_fkey";
ALTER TABLE "customer_weeks" DROP CONSTRAINT IF EXISTS "customer_weeks_workspace_id_fkey";

ALTER TABLE "orders" DROP CONSTRAINT IF EXISTS "orders_workspace_id_customer_id_fkey";
ALTER TABLE "customer_months" DROP CONSTRAINT IF EXISTS "customer_months_workspace_id_customer_id_fkey";
ALTER TABLE "customer_weeks" DROP CONSTRAINT IF EXISTS "customer_weeks_workspace_id_customer_id_fkey";

-- Every order written by the statement references an existing customer of its workspace.
CREATE OR REPLACE FUNCTION vl_orders_check_customer() RETURNS trigger
LANGUAGE plpgsql AS $fn$
DECLARE
  ws uuid;
  ids uuid[];
  locked integer;
  bad record;
BEGIN
  FOR ws IN SELECT DISTINCT n.workspace_id FROM vl_new n LOOP
    ids := ARRAY(SELECT DISTINCT n.customer_id FROM vl_new n WHERE n.workspace_id = ws);
    -- "= ANY(array)" keeps this on the primary key, in id order (no deadlocks between writers).
    PERFORM 1 FROM customers c WHERE c.workspace_id = ws AND c.id = ANY(ids) ORDER BY c.id FOR KEY SHARE;
    GET DIAGNOSTICS locked = ROW_COUNT;
    IF locked < cardinality(ids) THEN
      SELECT n.external_id, n.customer_id INTO bad FROM vl_new n
       WHERE n.workspace_id = ws
         AND NOT EXISTS (SELECT 1 FROM customers c WHERE c.workspace_id = ws AND c.id = n.customer_id)
       LIMIT 1;
      RAISE EXCEPTION 'insert or update on table "orders" violates foreign key constraint "orders_workspace_id_customer_id_fkey"'
        USING ERRCODE = 'foreign_key_violation',
              DETAIL = format('Order %s references customer %s, which does not exist in its workspace.', bad.external_id, bad.customer_id);
    END IF;
  END LOOP;
  RETURN NULL;
END $fn$;

CREATE TRIGGER orders_check_customer_ins AFTER INSERT ON orders
  REFERENCING NEW TABLE AS vl_new FOR EACH STATEMENT EXECUTE FUNCTION vl_orders_check_customer();
CREATE TRIGGER orders_check_customer_upd AFTER UPDATE ON orders
  REFERENCING NEW TABLE AS vl_new FOR EACH STATEMENT EXECUTE FUNCTION vl_orders_check_customer();

-- ON DELETE CASCADE from customers, set-based.
CREATE OR REPLACE FUNCTION vl_customers_drop_orders() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
  DELETE FROM orders o USING vl_old c WHERE o.workspace_id = c.workspace_id AND o.customer_id = c.id;
  DELETE FROM customer_months x USING vl_old c WHERE x.workspace_id = c.workspace_id AND x.customer_id = c.id;
  DELETE FROM customer_weeks x USING vl_old c WHERE x.workspace_id = c.workspace_id AND x.customer_id = c.id;
  RETURN NULL;
END $fn$;

CREATE TRIGGER customers_drop_orders AFTER DELETE ON customers
  REFERENCING OLD TABLE AS vl_old FOR EACH STATEMENT EXECUTE FUNCTION vl_customers_drop_orders();

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

  -- customer_months and customer_weeks of these customers recomputed from their orders (one read)
  -- and written as a diff against what is stored: new keys inserted in key order, changed keys
  -- updated, vanished keys deleted; the linear parts of monthly_rollups / workspace_stats moved by
  -- the same month diff. Data-modifying CTEs share one snapshot and touch disjoint keys.
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
  ), dm AS MATERIALIZED (
    SELECT coalesce(nm.customer_id, cm.customer_id) AS customer_id, coalesce(nm.k, cm.k) AS k,
           nm.n AS new_n, nm.r AS new_r, nm.g AS new_g, cm.n AS old_n, cm.r AS old_r
      FROM nm FULL JOIN cm ON cm.customer_id = nm.customer_id AND cm.k = nm.k
     WHERE (nm.n, nm.r, nm.g) IS DISTINCT FROM (cm.n, cm.r, cm.g)
  ), ins_m AS (
    INSERT INTO customer_months (workspace_id, customer_id, month, orders, revenue_minor, margin_minor)
    SELECT $1, dm.customer_id, dm.k, dm.new_n, dm.new_r, dm.new_g FROM dm
     WHERE dm.new_n IS NOT NULL AND dm.old_n IS NULL
     ORDER BY dm.customer_id, dm.k
  ), upd_m AS (
    UPDATE customer_months x SET orders = dm.new_n, revenue_minor = dm.new_r, margin_minor = dm.new_g
      FROM dm
     WHERE x.workspace_id = $1 AND x.customer_id = dm.customer_id AND x.month = dm.k
       AND dm.new_n IS NOT NULL AND dm.old_n IS NOT NULL
  ), del_m AS (
    DELETE FROM customer_months x USING dm
     WHERE x.workspace_id = $1 AND x.customer_id = dm.customer_id AND x.month = dm.k AND dm.new_n IS NULL
  ), nw AS (
    SELECT o.customer_id, date_trunc('week', o.local)::date AS k, count(*)::int AS n, sum(o.amt)::bigint AS r, sum(o.mar)::bigint AS g
      FROM o GROUP BY 1, 2
  ), cw AS (
    SELECT x.customer_id, x.week AS k, x.orders AS n, x.revenue_minor AS r, x.margin_minor AS g
      FROM customer_weeks x WHERE x.workspace_id = $1 AND x.customer_id = ANY($2)
  ), dw AS MATERIALIZED (
    SELECT coalesce(nw.customer_id, cw.customer_id) AS customer_id, coalesce(nw.k, cw.k) AS k,
           nw.n AS new_n, nw.r AS new_r, nw.g AS new_g, cw.n AS old_n
      FROM nw FULL JOIN cw ON cw.customer_id = nw.customer_id AND cw.k = nw.k
     WHERE (nw.n, nw.r, nw.g) IS DISTINCT FROM (cw.n, cw.r, cw.g)
  ), ins_w AS (
    INSERT INTO customer_weeks (workspace_id, customer_id, week, orders, revenue_minor, margin_minor)
    SELECT $1, dw.customer_id, dw.k, dw.new_n, dw.new_r, dw.new_g FROM dw
     WHERE dw.new_n IS NOT NULL AND dw.old_n IS NULL
     ORDER BY dw.customer_id, dw.k
  ), upd_w AS (
    UPDATE customer_weeks x SET orders = dw.new_n, revenue_minor = dw.new_r, margin_minor = dw.new_g
      FROM dw
     WHERE x.workspace_id = $1 AND x.customer_id = dw.customer_id AND x.week = dw.k
       AND dw.new_n IS NOT NULL AND dw.old_n IS NOT NULL
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
