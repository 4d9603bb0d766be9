-- The repair rebuild from raw orders in one pass (issue 9, session 8).
--
-- Why: vl_rebuild_summaries took 215 s and vl_rebuild_customer_months 709 s at 1,000,000 customers /
-- 9.5M orders (BENCHMARKS.md, session 3). The first zeroed every customer's summary, then recomputed
-- them all (orders read twice: once for the aggregates, once joined back for the first day's and
-- month's revenue) and rewrote every customer with orders; the second deleted and re-inserted every
-- customer_months and customer_weeks row of the workspace (≈ 11M rows with their indexes), scanning
-- the orders once per table. Settings changes (time zone, margin rate) ran only the first, so a
-- workspace's customer_months / customer_weeks kept the old time zone's buckets and the old margin.
--
-- Now both run through vl_rebuild_from_orders(ws, with_summaries): ONE statement that
--   1. reads the workspace's non-refunded orders once, in (customer, time) order (at 1M through the
--      (workspace_id, customer_id, ordered_at) index: no sort), computing each order's local month and ISO week,
--      revenue and margin once, and with one window pass per customer whether the order starts a new
--      UTC day and whether it is on the customer's first UTC day / in the first local month;
--   2. groups them by (customer, month) — the months that customer_months must hold — and by
--      (customer, week); each customer's summary is summed from its month rows (first day's revenue,
--      purchase days, first/last order carried up from the orders), the workspace's monthly rollups
--      and stats from the customers' month rows;
--   3. compares every computed row with the stored one (merge joins in key order) and writes only the
--      differences: new keys inserted, changed ones updated, vanished ones deleted; customers updated
--      (and summary_updated_at moved) only where a summary value differs. A consistent workspace is
--      read, not rewritten; a drifted one is repaired exactly (same rows as the old delete-and-insert).
-- vl_rebuild_summaries(ws) now rebuilds everything derived from orders (customer summaries,
-- monthly_rollups, workspace_stats, customer_months, customer_weeks), which fixes the settings change;
-- vl_rebuild_customer_months(ws) rebuilds customer_months and customer_weeks only, as before.
-- Margins without a cost use exact integer arithmetic (margin_rate has 4 decimals, so
-- amount × (1 − rate) = amount × k / 10,000 with integer k; rounded half away from zero like
-- numeric round()); amounts of 10^13 minor units or more take the numeric expression.
-- The customers' summary_updated_at is no longer moved for customers whose summary did not change
-- (the old rebuild moved it for every customer with orders, which sent the next incremental score
-- refresh into a full one).
-- The deferred-summary list (summary_deferred) is left alone, as before: its flush recomputes what
-- it lists against the stored values, which after a rebuild are already right.
-- Since these functions are the oracle of the on-write summary tests, they are themselves checked
-- against independent reference queries over raw orders (packages/db/src/rebuild.integration-test.ts).

CREATE OR REPLACE FUNCTION vl_rebuild_from_orders(p_ws uuid, p_summaries boolean) RETURNS void
LANGUAGE plpgsql
-- Sorted plans throughout: the per-order rows (≈ 70 bytes each) are materialised once and read twice
-- (months, weeks), in memory up to this limit; group aggregates over presorted input and merge joins
-- against the primary keys, never hash tables of millions of groups.
SET work_mem = '1GB'
SET enable_hashagg = off
SET enable_hashjoin = off
AS $fn$
DECLARE
  w record;
  k bigint;
  summary_part text := '';
  diff_tpl constant text := $q$
  ), d%1$s AS MATERIALIZED (
    -- Computed rows (n%1$s) against the stored ones, in key order on both sides: the differences.
    SELECT coalesce(n%1$s.customer_id, x.customer_id) AS customer_id, coalesce(n%1$s.k, x.%3$I) AS k,
           n%1$s.n AS new_n, n%1$s.r AS new_r, n%1$s.g AS new_g, x.orders AS old_n
      FROM n%1$s FULL JOIN (SELECT * FROM %2$I WHERE workspace_id = $1) x
        ON x.customer_id = n%1$s.customer_id AND x.%3$I = n%1$s.k
     WHERE (n%1$s.n, n%1$s.r, n%1$s.g) IS DISTINCT FROM (x.orders, x.revenue_minor, x.margin_minor)
  ), ins_%1$s AS (
    INSERT INTO %2$I (workspace_id, customer_id, %3$I, orders, revenue_minor, margin_minor)
    SELECT $1, d.customer_id, d.k, d.new_n, d.new_r, d.new_g FROM d%1$s d
     WHERE d.new_n IS NOT NULL AND d.old_n IS NULL
     ORDER BY d.customer_id, d.k
  ), upd_%1$s AS (
    UPDATE %2$I x SET orders = d.new_n, revenue_minor = d.new_r, margin_minor = d.new_g
      FROM d%1$s d
     WHERE x.workspace_id = $1 AND x.customer_id = d.customer_id AND x.%3$I = d.k
       AND d.new_n IS NOT NULL AND d.old_n IS NOT NULL
  ), del_%1$s AS (
    DELETE FROM %2$I x USING d%1$s d
     WHERE x.workspace_id = $1 AND x.customer_id = d.customer_id AND x.%3$I = d.k AND d.new_n IS NULL$q$;
  final_part text := 'SELECT 1';
BEGIN
  IF p_ws IS NULL THEN RETURN; END IF;
  SELECT currency, timezone, margin_rate INTO w FROM workspaces WHERE id = p_ws;
  IF NOT FOUND THEN RETURN; END IF;
  k := round((1 - w.margin_rate) * 10000)::bigint;

  IF p_summaries THEN
    summary_part := $q$
  , f AS (
    -- Each customer's summary from its month rows (sorted by customer: no sort).
    SELECT nm.customer_id, sum(nm.n)::int AS n, min(nm.first_at) AS first_at, max(nm.last_at) AS last_at,
           sum(nm.days)::int AS days, sum(nm.r)::bigint AS rev, sum(nm.g)::bigint AS margin,
           coalesce(sum(nm.fdr), 0)::bigint AS fdr, coalesce(sum(nm.r) FILTER (WHERE nm.first_month), 0)::bigint AS fmr
      FROM nm GROUP BY nm.customer_id
  ), cj AS MATERIALIZED (
    SELECT c.id,
           coalesce(f.n, 0) AS new_orders, coalesce(f.days, 0) AS new_days, f.first_at AS new_first, f.last_at AS new_last,
           coalesce(f.rev, 0) AS new_rev, coalesce(f.margin, 0) AS new_margin, coalesce(f.fdr, 0) AS new_fdr, coalesce(f.fmr, 0) AS new_fmr,
           (c.order_count, c.purchase_days, c.first_order_at, c.last_order_at, c.revenue_minor, c.margin_minor,
            c.first_day_revenue_minor, c.first_month_revenue_minor)
             IS DISTINCT FROM
           (coalesce(f.n, 0), coalesce(f.days, 0), f.first_at, f.last_at, coalesce(f.rev, 0), coalesce(f.margin, 0),
            coalesce(f.fdr, 0), coalesce(f.fmr, 0)) AS changed
      FROM customers c
      LEFT JOIN f ON f.customer_id = c.id
     WHERE c.workspace_id = $1
  ), upd AS (
    UPDATE customers c
       SET order_count = cj.new_orders, purchase_days = cj.new_days, first_order_at = cj.new_first,
           last_order_at = cj.new_last, revenue_minor = cj.new_rev, margin_minor = cj.new_margin,
           first_day_revenue_minor = cj.new_fdr, first_month_revenue_minor = cj.new_fmr, summary_updated_at = now()
      FROM cj
     WHERE c.workspace_id = $1 AND c.id = cj.id AND cj.changed
  ), mr AS (
    -- The workspace's months: orders and revenue, and the customers whose first month it is.
    SELECT nm.k AS month, sum(nm.n)::int AS orders, sum(nm.r)::bigint AS rev,
           count(*) FILTER (WHERE nm.first_month)::int AS new_customers,
           coalesce(sum(nm.r) FILTER (WHERE nm.first_month), 0)::bigint AS new_rev
      FROM nm GROUP BY nm.k
  ), roll_del AS (
    DELETE FROM monthly_rollups x
     WHERE x.workspace_id = $1 AND NOT EXISTS (SELECT 1 FROM mr WHERE mr.month = x.month)
  ), roll AS (
    INSERT INTO monthly_rollups AS x (workspace_id, month, orders, revenue_minor, new_customers, new_customer_revenue_minor)
    SELECT $1, mr.month, mr.orders, mr.rev, mr.new_customers, mr.new_rev FROM mr
    ON CONFLICT (workspace_id, month) DO UPDATE
       SET orders = EXCLUDED.orders, revenue_minor = EXCLUDED.revenue_minor,
           new_customers = EXCLUDED.new_customers, new_customer_revenue_minor = EXCLUDED.new_customer_revenue_minor
     WHERE (x.orders, x.revenue_minor, x.new_customers, x.new_customer_revenue_minor)
             IS DISTINCT FROM (EXCLUDED.orders, EXCLUDED.revenue_minor, EXCLUDED.new_customers, EXCLUDED.new_customer_revenue_minor)
  )$q$;
    final_part := $q$
  INSERT INTO workspace_stats AS st (workspace_id, customers, customers_with_orders, repeat_customers, orders, revenue_minor)
  SELECT $1, (SELECT count(*) FROM cj)::int,
         (SELECT count(*) FROM cj WHERE cj.new_orders > 0)::int, (SELECT count(*) FROM cj WHERE cj.new_days >= 2)::int,
         coalesce((SELECT sum(mr.orders) FROM mr), 0)::int, coalesce((SELECT sum(mr.rev) FROM mr), 0)::bigint
  ON CONFLICT (workspace_id) DO UPDATE
     SET customers = EXCLUDED.customers, customers_with_orders = EXCLUDED.customers_with_orders,
         repeat_customers = EXCLUDED.repeat_customers, orders = EXCLUDED.orders, revenue_minor = EXCLUDED.revenue_minor,
         updated_at = now()$q$;
  END IF;

  EXECUTE format($q$
  WITH o AS MATERIALIZED (
    -- One row per non-refunded order, in index order (customer, time); the window needs no sort.
    SELECT x.customer_id, x.ordered_at, x.m, x.wk, x.amt, x.mar,
           x.d IS DISTINCT FROM lag(x.d) OVER c AS new_day,
           x.d = first_value(x.d) OVER c AS first_day,
           x.m = first_value(x.m) OVER c AS first_month
      FROM (SELECT y.customer_id, y.ordered_at, y.d, date_trunc('month', y.lt)::date AS m, date_trunc('week', y.lt)::date AS wk,
                   y.amt, y.mar
              FROM (SELECT o.customer_id, o.ordered_at, (o.ordered_at AT TIME ZONE 'UTC')::date AS d,
                           o.ordered_at AT TIME ZONE $3 AS lt,
                           CASE WHEN o.currency = $2 THEN o.amount_minor ELSE 0 END AS amt,
                           CASE WHEN o.currency <> $2 THEN 0
                                WHEN o.cost_minor IS NOT NULL THEN o.amount_minor - o.cost_minor
                                WHEN abs(o.amount_minor) < 10000000000000
                                  THEN o.amount_minor - (o.amount_minor * $4 + CASE WHEN o.amount_minor < 0 THEN -5000 ELSE 5000 END) / 10000
                                ELSE o.amount_minor - round(o.amount_minor * (1 - $5))::bigint END AS mar
                      FROM orders o
                     WHERE o.workspace_id = $1 AND NOT o.refunded
                     ORDER BY o.customer_id, o.ordered_at
                    OFFSET 0) y  -- fences: the local time is computed once per order, not once per use
             ORDER BY y.customer_id, y.ordered_at
            OFFSET 0) x
    WINDOW c AS (PARTITION BY x.customer_id ORDER BY x.ordered_at)
     ORDER BY x.customer_id, x.ordered_at
  ), nm AS MATERIALIZED (
    SELECT o.customer_id, o.m AS k, count(*)::int AS n, sum(o.amt)::bigint AS r, sum(o.mar)::bigint AS g,
           min(o.ordered_at) AS first_at, max(o.ordered_at) AS last_at, count(*) FILTER (WHERE o.new_day)::int AS days,
           sum(o.amt) FILTER (WHERE o.first_day)::bigint AS fdr, bool_or(o.first_month) AS first_month
      FROM o GROUP BY o.customer_id, o.m
     ORDER BY o.customer_id, o.m
%s
  ), nw AS (
    SELECT o.customer_id, o.wk AS k, count(*)::int AS n, sum(o.amt)::bigint AS r, sum(o.mar)::bigint AS g
      FROM o GROUP BY o.customer_id, o.wk
     ORDER BY o.customer_id, o.wk
%s
  )%s
  %s
  $q$, format(diff_tpl, 'm', 'customer_months', 'month'), format(diff_tpl, 'w', 'customer_weeks', 'week'), summary_part, final_part)
  USING p_ws, w.currency, w.timezone, k, w.margin_rate;
END $fn$;

-- Repair: rebuild everything one workspace derives from its raw orders (see the header).
CREATE OR REPLACE FUNCTION vl_rebuild_summaries(p_ws uuid) RETURNS void
LANGUAGE sql AS $fn$ SELECT vl_rebuild_from_orders(p_ws, true) $fn$;

-- Repair: rebuild one workspace's customer_months and customer_weeks from its raw orders.
CREATE OR REPLACE FUNCTION vl_rebuild_customer_months(p_ws uuid) RETURNS void
LANGUAGE sql AS $fn$ SELECT vl_rebuild_from_orders(p_ws, false) $fn$;
