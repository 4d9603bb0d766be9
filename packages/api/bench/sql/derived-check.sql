-- Independent check of one workspace's derived rows against plain GROUP BY queries over its raw orders
-- (issue 4, session 9): customer_months, customer_weeks and the customers' order summaries. Prints the
-- number of differing rows per table (0 = equal). Needs no rebuild function, so it also checks them.
--   psql "$OWNER_URL" -v ws=<workspace id> -f packages/api/bench/sql/derived-check.sql
\set ON_ERROR_STOP on
BEGIN;
SELECT set_config('app.current_workspace', :'ws', true) \gset
SET LOCAL statement_timeout = 0;
SET LOCAL work_mem = '512MB';
CREATE TEMP TABLE im_ref_o ON COMMIT DROP AS
  SELECT o.customer_id, o.ordered_at AT TIME ZONE w.timezone AS local, o.ordered_at, o.amount_minor, o.currency = w.currency AS home,
         o.amount_minor - coalesce(o.cost_minor, round(o.amount_minor * (1 - w.margin_rate))::bigint) AS margin
    FROM orders o JOIN workspaces w ON w.id = o.workspace_id
   WHERE o.workspace_id = :'ws'::uuid AND NOT o.refunded;
WITH g(grain) AS (VALUES ('month'), ('week')),
 ref AS (
  SELECT g.grain, customer_id, date_trunc(g.grain, local)::date AS k, count(*)::int AS n,
         coalesce(sum(amount_minor) FILTER (WHERE home), 0)::bigint AS r, coalesce(sum(margin) FILTER (WHERE home), 0)::bigint AS g
    FROM im_ref_o CROSS JOIN g GROUP BY 1, 2, 3),
 st AS (SELECT 'month' AS grain, customer_id, month AS k, orders AS n, revenue_minor AS r, margin_minor AS g FROM customer_months WHERE workspace_id = :'ws'::uuid
        UNION ALL
        SELECT 'week', customer_id, week, orders, revenue_minor, margin_minor FROM customer_weeks WHERE workspace_id = :'ws'::uuid),
 d AS (SELECT 1 AS side, * FROM (SELECT * FROM ref EXCEPT SELECT * FROM st) a UNION ALL SELECT 2, * FROM (SELECT * FROM st EXCEPT SELECT * FROM ref) b)
SELECT 'customer_' || g.grain || 's' AS what, (SELECT count(*) FROM st WHERE st.grain = g.grain) AS stored,
       (SELECT count(*) FROM d WHERE d.grain = g.grain) AS differing
  FROM g;
WITH ref AS (
  SELECT c.id, count(o.customer_id)::int AS n, min(o.ordered_at) AS f, max(o.ordered_at) AS l,
         coalesce(sum(o.amount_minor) FILTER (WHERE o.home), 0)::bigint AS r
    FROM customers c LEFT JOIN im_ref_o o ON o.customer_id = c.id
   WHERE c.workspace_id = :'ws'::uuid GROUP BY c.id),
 st AS (SELECT id, order_count AS n, first_order_at AS f, last_order_at AS l, revenue_minor AS r FROM customers WHERE workspace_id = :'ws'::uuid)
SELECT 'customers (orders, first/last order, revenue)' AS what, (SELECT count(*) FROM st) AS stored,
       (SELECT count(*) FROM (SELECT * FROM ref EXCEPT SELECT * FROM st) a) + (SELECT count(*) FROM (SELECT * FROM st EXCEPT SELECT * FROM ref) b) AS differing;
SELECT 'deferred list (customers not yet flushed)' AS what, count(*) AS stored FROM summary_deferred WHERE workspace_id = :'ws'::uuid;
ROLLBACK;
