-- The repair rebuild's range no longer reads and sorts the stored month and week rows a second time
-- when none of them needs an update (issue 9, session 12).
--
-- Why: in vl_rebuild_range (20261124108500_parallel_rebuild) the UPDATE of customer_months /
-- customer_weeks joins the differences (dm / dw) to the stored rows of the range. The planner makes
-- that a merge join over the stored rows read by a bitmap heap scan and sorted; a Sort reads its whole
-- input before it returns the first row, so even with no difference at all (a consistent workspace,
-- the common case) every range read and sorted its ≈ 260,000 month and ≈ 425,000 week rows (1M
-- customers cut into 16 ranges) a second time, after the comparison had already read them once:
-- ≈ 180 ms of a ≈ 2 s range under EXPLAIN ANALYZE (BENCHMARKS.md, "Session 12: the repair rebuild
-- at 1M"). The UPDATE now also requires that some difference is an update: an uncorrelated EXISTS,
-- which PostgreSQL evaluates once as a one-time filter (a gating Result) before the join, so with
-- nothing to update the join's inputs are never read. With updates to make, the plan and the
-- result are the ones before. Everything else is 20261124108500's definition, unchanged.
-- Checked by packages/db/src/rebuild.integration-test.ts (the plan of a consistent range never runs
-- the UPDATE's join; the reference property tests with damaged data).

CREATE OR REPLACE FUNCTION vl_rebuild_range(p_ws uuid, p_lo uuid, p_hi uuid, p_summaries boolean) RETURNS jsonb
LANGUAGE plpgsql
-- Sorted plans throughout (see 20261124108100_fast_rebuild).
SET work_mem = '1GB'
SET enable_hashagg = off
SET enable_hashjoin = off
AS $fn$
DECLARE
  w record;
  k bigint;
  result jsonb;
  -- The range as a predicate on a customer-id column (%1$s), values inlined: a bounded index scan.
  rng constant text := concat(
    CASE WHEN p_lo IS NOT NULL THEN format(' AND %%1$s >= %L::uuid', p_lo) END,
    CASE WHEN p_hi IS NOT NULL THEN format(' AND %%1$s < %L::uuid', p_hi) END);
  summary_part text := '';
  diff_tpl constant text := $q$
  ), d%1$s AS MATERIALIZED (
    -- Computed rows (n%1$s) against the stored ones, in key order on both sides: the differences.
    SELECT coalesce(n%1$s.customer_id, x.customer_id) AS customer_id, coalesce(n%1$s.k, x.%3$I) AS k,
           n%1$s.n AS new_n, n%1$s.r AS new_r, n%1$s.g AS new_g, x.orders AS old_n
      FROM n%1$s FULL JOIN (SELECT * FROM %2$I y WHERE y.workspace_id = $1%4$s) x
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
     WHERE x.workspace_id = $1 AND x.customer_id = d.customer_id AND x.%3$I = d.k%5$s
       AND d.new_n IS NOT NULL AND d.old_n IS NOT NULL
       -- Uncorrelated, so a one-time filter: with no row to update the join below never runs.
       AND EXISTS (SELECT FROM d%1$s e WHERE e.new_n IS NOT NULL AND e.old_n IS NOT NULL)
  ), del_%1$s AS (
    DELETE FROM %2$I x USING d%1$s d
     WHERE x.workspace_id = $1 AND x.customer_id = d.customer_id AND x.%3$I = d.k%5$s AND d.new_n IS NULL$q$;
  final_part text := 'SELECT NULL::jsonb';
BEGIN
  IF p_ws IS NULL THEN RETURN NULL; END IF;
  SELECT currency, timezone, margin_rate INTO w FROM workspaces WHERE id = p_ws;
  IF NOT FOUND THEN RETURN NULL; END IF;
  k := round((1 - w.margin_rate) * 10000)::bigint;

  IF p_summaries THEN
    summary_part := format($q$
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
     WHERE c.workspace_id = $1%s
  ), upd AS (
    UPDATE customers c
       SET order_count = cj.new_orders, purchase_days = cj.new_days, first_order_at = cj.new_first,
           last_order_at = cj.new_last, revenue_minor = cj.new_rev, margin_minor = cj.new_margin,
           first_day_revenue_minor = cj.new_fdr, first_month_revenue_minor = cj.new_fmr, summary_updated_at = now()
      FROM cj
     WHERE c.workspace_id = $1 AND c.id = cj.id AND cj.changed
  ), mr AS (
    -- The range's share of each month: orders and revenue, and the customers whose first month it is.
    SELECT nm.k AS month, sum(nm.n)::int AS orders, sum(nm.r)::bigint AS rev,
           count(*) FILTER (WHERE nm.first_month)::int AS new_customers,
           coalesce(sum(nm.r) FILTER (WHERE nm.first_month), 0)::bigint AS new_rev
      FROM nm GROUP BY nm.k
  )$q$, format(rng, 'c.id'));
    final_part := $q$
  SELECT jsonb_build_object(
           'customers', (SELECT count(*) FROM cj),
           'customers_with_orders', (SELECT count(*) FROM cj WHERE cj.new_orders > 0),
           'repeat_customers', (SELECT count(*) FROM cj WHERE cj.new_days >= 2),
           'months', coalesce((SELECT jsonb_agg(jsonb_build_object('month', mr.month, 'orders', mr.orders, 'revenue', mr.rev,
                                                                   'new_customers', mr.new_customers, 'new_revenue', mr.new_rev))
                                 FROM mr), '[]'::jsonb))$q$;
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
                     WHERE o.workspace_id = $1 AND NOT o.refunded%1$s
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
%2$s
  ), nw AS (
    SELECT o.customer_id, o.wk AS k, count(*)::int AS n, sum(o.amt)::bigint AS r, sum(o.mar)::bigint AS g
      FROM o GROUP BY o.customer_id, o.wk
     ORDER BY o.customer_id, o.wk
%3$s
  )%4$s
  %5$s
  $q$, format(rng, 'o.customer_id'),
       format(diff_tpl, 'm', 'customer_months', 'month', format(rng, 'y.customer_id'), format(rng, 'x.customer_id')),
       format(diff_tpl, 'w', 'customer_weeks', 'week', format(rng, 'y.customer_id'), format(rng, 'x.customer_id')),
       summary_part, final_part)
  INTO result
  USING p_ws, w.currency, w.timezone, k, w.margin_rate;
  RETURN result;
END $fn$;
