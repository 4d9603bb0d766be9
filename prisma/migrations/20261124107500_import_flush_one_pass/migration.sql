-- CSV import speed (issue 4, session 7): the summary flush after an orders import in one pass.
--
-- Why (BENCHMARKS.md "CSV import", session 7): the flush that brings an import's deferred customers
-- up to date (vl_flush_deferred → vl_bulk_flush → vl_refresh_customers) was the largest single part
-- of a 1,000,000-order import (70–124 s of 150–259 s). Profiled with auto_explain (ANALYZE,
-- BUFFERS, WAL) as the app role on one 25,000-customer slice of a 1M-order / 200k-customer
-- workspace; of 31.5 s (load 7, after a checkpoint):
--   * 5.2 s moving the slice deferred list → summary_pending → array. Most of it was row-level
--     security: the worker_scan policy's vl_is_owner() (a catalog lookup and a role check) ran once
--     per row in every app-role read of summary_deferred / summary_pending (200,000 rows: 4.26 s
--     with it, 0.41 s with it evaluated once per statement);
--   * 16.8 s for customer_months / customer_weeks: 125,000 month and 125,000 week rows inserted
--     (≈ 12 s of it, inherent), plus hash aggregates, sorts and CTEs spilled to disk at the default
--     4 MB work_mem;
--   * 8.0 s for the customer summaries: the orders read a second time, a sort spilled to disk, every
--     customer of the workspace read to update the slice's (a hash join under enable_nestloop=off),
--     and 25,000 non-HOT customer updates (≈ 5.9 s, inherent: 8 indexes).
--
-- Now:
-- 1. vl_flush_customers(ws, ids) does everything vl_bulk_flush + vl_refresh_customers did for the
--    given customers in ONE statement: their orders are read once; customer_months / weeks are
--    written as a diff (new keys inserted in key order, changed ones updated, vanished ones
--    deleted); the customer summaries are computed from the same rows (one sort: the window gives
--    each order its customer's first day and month) and written where they differ; the linear and
--    the new-customer parts of monthly_rollups go in one upsert, workspace_stats in one. The
--    customer update is restricted to the slice's ids. work_mem 64 MB for the call, so a 25,000-
--    customer slice aggregates and sorts in memory. Customers are locked FOR UPDATE first, in id
--    order, as before (same lock order as the immediate path).
-- 2. vl_flush_deferred takes its slice straight off the deferred list: the slice's last key
--    (the p_limit-th smallest), then one DELETE … RETURNING of the keys up to it, passed on as an
--    array — no summary_pending round trip, no per-row lock pass. Crash safety is unchanged: the
--    DELETE and the refresh commit together, so a customer leaves the list only with its refresh.
--    A concurrent flusher of the same workspace now waits on the rows the first one took instead of
--    skipping them (READ COMMITTED: it then skips the rows that are gone); both retry on 40P01.
-- 3. vl_bulk_flush (plain bulk mode, the commit-time guard) takes its pending customers and calls
--    vl_flush_customers.
-- 4. The worker_scan policies of summary_deferred, summary_pending and summary_bulk_guard read
--    (SELECT vl_is_owner()): the same condition, evaluated once per statement (an InitPlan) instead of
--    once per row. Tenant isolation is unchanged (tenant_isolation still applies to every command).
-- 5. Fix (found by the new property test, also wrong before): an ordinary write that takes orders
--    away from a customer still on the deferred list (e.g. an API refund during an import, before
--    its flush) moved monthly_rollups by −1 but then deleted the customer's month/week row that went
--    to orders ≤ 0 — the flush, which moves the rollups by (recomputed − stored), then had nothing
--    to add back, and the rollups stayed 1 order low for good. vl_apply_customer_month_changes now
--    keeps such rows while the customer is on the deferred list; the flush recomputes them (and
--    deletes them) with the rest. Until the flush they are as provisional as the customer's summary.
-- vl_refresh_customers stays as it is for the immediate path (vl_apply_order_changes) and the rebuild.
-- Results are identical: the summaries-equal-a-rebuild property tests run every path.

-- Refreshes everything derived from the orders of the given customers of p_ws (see 1.) in the
-- caller's transaction; returns how many of them still exist.
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

-- Takes up to p_limit customers of p_ws off the deferred list (all when NULL), smallest ids first,
-- and refreshes them in the caller's transaction (see 2.); returns how many were taken.
CREATE OR REPLACE FUNCTION vl_flush_deferred(p_ws uuid, p_limit integer) RETURNS integer
LANGUAGE plpgsql AS $fn$
DECLARE
  bound uuid;
  ids uuid[];
BEGIN
  IF p_ws IS NULL THEN RETURN 0; END IF;
  IF p_limit IS NOT NULL THEN
    SELECT d.customer_id INTO bound FROM summary_deferred d
     WHERE d.workspace_id = p_ws ORDER BY d.customer_id OFFSET greatest(p_limit, 1) - 1 LIMIT 1;
  END IF;
  IF bound IS NULL THEN
    WITH del AS (DELETE FROM summary_deferred d WHERE d.workspace_id = p_ws RETURNING d.customer_id)
    SELECT coalesce(array_agg(del.customer_id ORDER BY del.customer_id), '{}'::uuid[]) INTO ids FROM del;
  ELSE
    WITH del AS (DELETE FROM summary_deferred d WHERE d.workspace_id = p_ws AND d.customer_id <= bound RETURNING d.customer_id)
    SELECT coalesce(array_agg(del.customer_id ORDER BY del.customer_id), '{}'::uuid[]) INTO ids FROM del;
  END IF;
  IF cardinality(ids) = 0 THEN RETURN 0; END IF;
  PERFORM vl_flush_customers(p_ws, ids);
  RETURN cardinality(ids);
END $fn$;

-- Refreshes the customers this transaction changed in bulk mode (see 3.); returns how many.
CREATE OR REPLACE FUNCTION vl_bulk_flush(p_ws uuid) RETURNS integer
LANGUAGE plpgsql AS $fn$
DECLARE
  ids uuid[];
BEGIN
  IF p_ws IS NULL THEN RETURN 0; END IF;
  WITH d AS (DELETE FROM summary_pending p WHERE p.workspace_id = p_ws AND p.txid = txid_current() RETURNING p.customer_id)
  SELECT coalesce(array_agg(DISTINCT d.customer_id), '{}'::uuid[]) INTO ids FROM d;
  RETURN vl_flush_customers(p_ws, ids);
END $fn$;

ALTER POLICY worker_scan ON summary_deferred USING ((SELECT vl_is_owner()));
ALTER POLICY worker_scan ON summary_pending USING ((SELECT vl_is_owner()));
ALTER POLICY worker_scan ON summary_bulk_guard USING ((SELECT vl_is_owner()));

-- The immediate path's customer_months / customer_weeks writer (from 20261123073000_retention_weeks),
-- unchanged but for the deferred-list condition on its two DELETEs (see 5.).
CREATE OR REPLACE FUNCTION vl_apply_customer_month_changes(p_changes vl_order_month_change[]) RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
  ws uuid;
  w record;
  ids uuid[];
BEGIN
  FOR ws IN SELECT DISTINCT ch.workspace_id FROM unnest(p_changes) ch LOOP
    SELECT currency, timezone, margin_rate INTO w FROM workspaces WHERE id = ws;
    IF NOT FOUND THEN CONTINUE; END IF;
    ids := ARRAY(SELECT DISTINCT ch.customer_id FROM unnest(p_changes) ch WHERE ch.workspace_id = ws ORDER BY 1);
    -- Only customers that still exist; "= ANY(array)" keeps this on the primary key (an
    -- IN (SELECT … unnest(…)) semi-join goes nested-loop under small-table statistics).
    ids := ARRAY(SELECT c.id FROM customers c WHERE c.workspace_id = ws AND c.id = ANY(ids) ORDER BY c.id);
    IF cardinality(ids) = 0 THEN CONTINUE; END IF;

    INSERT INTO customer_months AS cm (workspace_id, customer_id, month, orders, revenue_minor, margin_minor)
    SELECT ws, x.customer_id, date_trunc('month', x.local)::date, sum(x.sign)::int,
           coalesce(sum(x.sign * x.amount_minor) FILTER (WHERE x.currency = w.currency), 0)::bigint,
           coalesce(sum(x.sign * x.margin) FILTER (WHERE x.currency = w.currency), 0)::bigint
      FROM (SELECT ch.*, ch.ordered_at AT TIME ZONE w.timezone AS local,
                   ch.amount_minor - coalesce(ch.cost_minor, round(ch.amount_minor * (1 - w.margin_rate))::bigint) AS margin
              FROM unnest(p_changes) ch
             WHERE ch.workspace_id = ws AND NOT ch.refunded AND ch.customer_id = ANY(ids)) x
     GROUP BY x.customer_id, 3
     ORDER BY x.customer_id, 3  -- one lock order for concurrent writers
    ON CONFLICT (workspace_id, customer_id, month) DO UPDATE
       SET orders = cm.orders + EXCLUDED.orders,
           revenue_minor = cm.revenue_minor + EXCLUDED.revenue_minor,
           margin_minor = cm.margin_minor + EXCLUDED.margin_minor;
    DELETE FROM customer_months cm WHERE cm.workspace_id = ws AND cm.customer_id = ANY(ids) AND cm.orders <= 0
       AND NOT EXISTS (SELECT 1 FROM summary_deferred d WHERE d.workspace_id = ws AND d.customer_id = cm.customer_id);

    INSERT INTO customer_weeks AS cw (workspace_id, customer_id, week, orders, revenue_minor, margin_minor)
    SELECT ws, x.customer_id, date_trunc('week', x.local)::date, sum(x.sign)::int,
           coalesce(sum(x.sign * x.amount_minor) FILTER (WHERE x.currency = w.currency), 0)::bigint,
           coalesce(sum(x.sign * x.margin) FILTER (WHERE x.currency = w.currency), 0)::bigint
      FROM (SELECT ch.*, ch.ordered_at AT TIME ZONE w.timezone AS local,
                   ch.amount_minor - coalesce(ch.cost_minor, round(ch.amount_minor * (1 - w.margin_rate))::bigint) AS margin
              FROM unnest(p_changes) ch
             WHERE ch.workspace_id = ws AND NOT ch.refunded AND ch.customer_id = ANY(ids)) x
     GROUP BY x.customer_id, 3
     ORDER BY x.customer_id, 3
    ON CONFLICT (workspace_id, customer_id, week) DO UPDATE
       SET orders = cw.orders + EXCLUDED.orders,
           revenue_minor = cw.revenue_minor + EXCLUDED.revenue_minor,
           margin_minor = cw.margin_minor + EXCLUDED.margin_minor;
    DELETE FROM customer_weeks cw WHERE cw.workspace_id = ws AND cw.customer_id = ANY(ids) AND cw.orders <= 0
       AND NOT EXISTS (SELECT 1 FROM summary_deferred d WHERE d.workspace_id = ws AND d.customer_id = cw.customer_id);
  END LOOP;
END $fn$;
