-- CSV import speed (issue 4, session 8): the summary flush after an orders import runs on two
-- connections at once.
--
-- Why (BENCHMARKS.md "CSV import", session 8): the flush of a 1,000,000-order / 200,000-customer
-- import is one backend working through 8 slices of 25,000 customers, one after the other, for
-- 52–61 s, while the machine's other core waits. Two slices of disjoint customers can run at the
-- same time: they write different customers, customer_months and customer_weeks rows, and take
-- different rows off the deferred list. They meet only on monthly_rollups (the months both touch)
-- and on the one workspace_stats row, both written at the end of the slice's statement.
--
-- 1. vl_flush_customers is unchanged except that its monthly_rollups upsert takes the months in
--    month order. Two slices then lock the months they share in the same order: the second waits
--    for the first to commit, and they never deadlock (before, the hash aggregate's order could
--    differ between two statements).
-- 2. vl_deferred_bounds(ws, n) returns every n-th customer id of the workspace's deferred list, in
--    id order: the upper bounds of slices of n customers (the last slice is open-ended).
-- 3. vl_flush_deferred_range(ws, after, upto) takes the deferred customers with after < id <= upto
--    (NULL: no bound) off the list and refreshes them in the caller's transaction, like
--    vl_flush_deferred. The DELETE and the refresh commit together, so a customer leaves the list
--    only with its refresh; a customer deferred again meanwhile (another import) is left on the list
--    for the next pass. vl_flush_deferred (one slice at a time) stays for its other callers.
-- Tenant isolation is unchanged: every statement runs as the caller under RLS.

-- Refreshes everything derived from the orders of the given customers of p_ws in the caller's
-- transaction (from 20261124107500_import_flush_one_pass; only the rollups' ORDER BY is new, see 1.).
CREATE OR REPLACE FUNCTION vl_flush_customers(p_ws uuid, p_ids uuid[]) RETURNS integer
LANGUAGE plpgsql
SET enable_nestloop = off
SET work_mem = '64MB'
AS $fn$
DECLARE
  w record;
  ids uuid[];
BEGIN
  IF p_ws IS NULL OR coalesce(cardinality(p_ids), 0) = 0 THEN RETURN 0; END IF;
  SELECT currency, timezone, margin_rate INTO w FROM workspaces WHERE id = p_ws;
  IF NOT FOUND THEN RETURN 0; END IF;
  ids := ARRAY(SELECT c.id FROM customers c WHERE c.workspace_id = p_ws AND c.id = ANY(p_ids) ORDER BY c.id FOR UPDATE);
  IF cardinality(ids) = 0 THEN RETURN 0; END IF;

  EXECUTE $q$
  WITH o AS MATERIALIZED (
    SELECT o.customer_id, o.ordered_at, (o.ordered_at AT TIME ZONE 'UTC')::date AS d,
           date_trunc('month', o.ordered_at AT TIME ZONE $4)::date AS m,
           date_trunc('week', o.ordered_at AT TIME ZONE $4)::date AS wk,
           CASE WHEN o.currency = $3 THEN o.amount_minor ELSE 0 END AS amt,
           CASE WHEN o.currency = $3
                THEN o.amount_minor - coalesce(o.cost_minor, round(o.amount_minor * (1 - $5))::bigint)
                ELSE 0 END AS mar
      FROM orders o
     WHERE o.workspace_id = $1 AND NOT o.refunded AND o.customer_id = ANY($2)
  ), nm AS (
    SELECT o.customer_id, o.m AS k, count(*)::int AS n, sum(o.amt)::bigint AS r, sum(o.mar)::bigint AS g FROM o GROUP BY 1, 2
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
    SELECT o.customer_id, o.wk AS k, count(*)::int AS n, sum(o.amt)::bigint AS r, sum(o.mar)::bigint AS g FROM o GROUP BY 1, 2
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
  ), f AS (
    -- One sort of the customers' orders by (customer, day): the window gives each row its
    -- customer's first day and month, the grouping everything else.
    SELECT x.customer_id, min(x.ordered_at) AS first_at, max(x.ordered_at) AS last_at, count(*)::int AS n,
           count(DISTINCT x.d)::int AS days, sum(x.amt)::bigint AS rev, sum(x.mar)::bigint AS margin,
           sum(x.amt) FILTER (WHERE x.d = x.first_d)::bigint AS fdr,
           sum(x.amt) FILTER (WHERE x.m = x.first_m)::bigint AS fmr
      FROM (SELECT o.customer_id, o.ordered_at, o.d, o.m, o.amt, o.mar,
                   min(o.d) OVER (PARTITION BY o.customer_id) AS first_d,
                   min(o.m) OVER (PARTITION BY o.customer_id) AS first_m
              FROM o) x
     GROUP BY x.customer_id
  ), s AS MATERIALIZED (
    SELECT c.id,
           c.first_order_at AS old_first, c.purchase_days AS old_days, c.order_count AS old_orders,
           c.first_month_revenue_minor AS old_fmr,
           f.first_at AS new_first, f.last_at AS new_last, coalesce(f.n, 0) AS new_orders, coalesce(f.days, 0) AS new_days,
           coalesce(f.rev, 0) AS new_rev, coalesce(f.margin, 0) AS new_margin,
           coalesce(f.fdr, 0) AS new_fdr, coalesce(f.fmr, 0) AS new_fmr
      FROM customers c
      LEFT JOIN f ON f.customer_id = c.id
     WHERE c.workspace_id = $1 AND c.id = ANY($2)
       AND (c.order_count, c.purchase_days, c.first_order_at, c.last_order_at, c.revenue_minor, c.margin_minor,
            c.first_day_revenue_minor, c.first_month_revenue_minor)
             IS DISTINCT FROM
           (coalesce(f.n, 0), coalesce(f.days, 0), f.first_at, f.last_at, coalesce(f.rev, 0), coalesce(f.margin, 0),
            coalesce(f.fdr, 0), coalesce(f.fmr, 0))
  ), upd AS (
    UPDATE customers c
       SET order_count = s.new_orders, purchase_days = s.new_days, first_order_at = s.new_first,
           last_order_at = s.new_last, revenue_minor = s.new_rev, margin_minor = s.new_margin,
           first_day_revenue_minor = s.new_fdr, first_month_revenue_minor = s.new_fmr, summary_updated_at = now()
      FROM s
     WHERE c.workspace_id = $1 AND c.id = ANY($2) AND c.id = s.id
  ), m AS (
    SELECT x.k AS month, sum(x.dn)::int AS dn, sum(x.dr)::bigint AS dr, sum(x.dc)::int AS dc, sum(x.dcr)::bigint AS dcr
      FROM (
        SELECT dm.k, coalesce(dm.new_n, 0) - coalesce(dm.old_n, 0) AS dn, coalesce(dm.new_r, 0) - coalesce(dm.old_r, 0) AS dr, 0 AS dc, 0::bigint AS dcr
          FROM dm
        UNION ALL
        SELECT date_trunc('month', s.old_first AT TIME ZONE $4)::date, 0, 0, -1, -s.old_fmr FROM s WHERE s.old_first IS NOT NULL
        UNION ALL
        SELECT date_trunc('month', s.new_first AT TIME ZONE $4)::date, 0, 0, 1, s.new_fmr FROM s WHERE s.new_first IS NOT NULL
      ) x
     GROUP BY x.k
  ), roll AS (
    INSERT INTO monthly_rollups AS x (workspace_id, month, orders, revenue_minor, new_customers, new_customer_revenue_minor)
    SELECT $1, m.month, m.dn, m.dr, m.dc, m.dcr FROM m WHERE m.dn <> 0 OR m.dr <> 0 OR m.dc <> 0 OR m.dcr <> 0
     ORDER BY m.month  -- one lock order for flushes running at the same time (see 1.)
    ON CONFLICT (workspace_id, month) DO UPDATE
       SET orders = x.orders + EXCLUDED.orders, revenue_minor = x.revenue_minor + EXCLUDED.revenue_minor,
           new_customers = x.new_customers + EXCLUDED.new_customers,
           new_customer_revenue_minor = x.new_customer_revenue_minor + EXCLUDED.new_customer_revenue_minor
  )
  INSERT INTO workspace_stats AS st (workspace_id, orders, revenue_minor, customers_with_orders, repeat_customers)
  SELECT $1, coalesce((SELECT sum(m.dn) FROM m), 0)::int, coalesce((SELECT sum(m.dr) FROM m), 0)::bigint,
         coalesce(sum((s.new_orders > 0)::int - (s.old_orders > 0)::int), 0)::int,
         coalesce(sum((s.new_days >= 2)::int - (s.old_days >= 2)::int), 0)::int
    FROM s
  ON CONFLICT (workspace_id) DO UPDATE
     SET orders = st.orders + EXCLUDED.orders, revenue_minor = st.revenue_minor + EXCLUDED.revenue_minor,
         customers_with_orders = st.customers_with_orders + EXCLUDED.customers_with_orders,
         repeat_customers = st.repeat_customers + EXCLUDED.repeat_customers, updated_at = now()
  $q$ USING p_ws, ids, w.currency, w.timezone, w.margin_rate;
  RETURN cardinality(ids);
END $fn$;

-- Every p_slice-th customer id of p_ws's deferred list, in id order (see 2.).
CREATE OR REPLACE FUNCTION vl_deferred_bounds(p_ws uuid, p_slice integer) RETURNS uuid[]
LANGUAGE sql STABLE AS $fn$
  SELECT coalesce(array_agg(x.customer_id ORDER BY x.customer_id), '{}'::uuid[])
    FROM (SELECT d.customer_id, row_number() OVER (ORDER BY d.customer_id) AS rn
            FROM summary_deferred d WHERE d.workspace_id = p_ws) x
   WHERE x.rn % greatest(p_slice, 1) = 0
$fn$;

-- Takes p_ws's deferred customers with p_after < id <= p_upto (NULL: unbounded) off the list and
-- refreshes them in the caller's transaction (see 3.); returns how many were taken.
CREATE OR REPLACE FUNCTION vl_flush_deferred_range(p_ws uuid, p_after uuid, p_upto uuid) RETURNS integer
LANGUAGE plpgsql AS $fn$
DECLARE
  ids uuid[];
BEGIN
  IF p_ws IS NULL THEN RETURN 0; END IF;
  WITH del AS (
    DELETE FROM summary_deferred d
     WHERE d.workspace_id = p_ws
       AND (p_after IS NULL OR d.customer_id > p_after)
       AND (p_upto IS NULL OR d.customer_id <= p_upto)
    RETURNING d.customer_id)
  SELECT coalesce(array_agg(del.customer_id ORDER BY del.customer_id), '{}'::uuid[]) INTO ids FROM del;
  IF cardinality(ids) = 0 THEN RETURN 0; END IF;
  PERFORM vl_flush_customers(p_ws, ids);
  RETURN cardinality(ids);
END $fn$;
