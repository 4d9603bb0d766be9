-- Import floor per stage at 1M orders (issue 4, session 9): the set-based path an import could take at
-- best — rows already in the database (a staging table, as a COPY would leave them), customer ids
-- resolved in one join, one statement per stage — through the real tables, triggers and RLS, as the
-- owner role (subject to FORCE RLS). Run as the owner role on a bench database, e.g.
--   psql "$OWNER_URL" -v ws=$(uuidgen) -v n=1000000 -f packages/api/bench/sql/import-floor.sql
-- Add -v check=1 to compare the stored derived rows with a rebuild from raw orders afterwards.
-- It creates its own workspace (slug import-floor-<ws>) and leaves it (delete it afterwards if wanted).
-- The data is the bench's CSV (import-bench.ts) generated in SQL: N orders for N/5 customers, a
-- customer's orders every N/5-th row on different days over ~2.7 years.
\set ON_ERROR_STOP on
\timing on
\set c '(:n / 5)'

BEGIN;
SELECT set_config('app.current_workspace', :'ws', true);
INSERT INTO workspaces (id, name, slug, updated_at) VALUES (:'ws', 'Import floor ' || now(), 'import-floor-' || left(:'ws', 8), now());
COMMIT;

-- Staging (not part of the floor: COPY of the same rows is measured by import-bench.ts).
DROP TABLE IF EXISTS im_floor_c, im_floor_o;
CREATE UNLOGGED TABLE im_floor_c AS
  SELECT 'c' || i AS external_id, 'c' || i || '@example.com' AS email, 'Customer ' || i AS name,
         (timestamptz '2023-01-01 00:00:00+00' + (i % 700) * interval '1 day') AS signed_up_at
    FROM generate_series(0, :c - 1) i;
CREATE UNLOGGED TABLE im_floor_o AS
  SELECT 'o' || i AS external_id, 'c' || ((i::bigint * 7919) % :c) AS customer,
         timestamptz '2023-01-01 00:00:00+00' + ((i::bigint * 13 + (i / :c) * 53) % 1000) * interval '1 day' + (i % 86400) * interval '1 second' AS ordered_at,
         ((i % 500) * 100 + 100 + (i % 100))::bigint AS amount_minor
    FROM generate_series(0, :n - 1) i;
ANALYZE im_floor_c;
ANALYZE im_floor_o;
SELECT now() AS started, pg_size_pretty(pg_relation_size('orders')) AS orders_heap,
       (SELECT string_agg(indexrelid::regclass::text, ', ') FROM pg_index WHERE indrelid = 'orders'::regclass) AS orders_indexes;

\echo == stage 1: customers, one INSERT of N/5 rows
BEGIN;
SELECT set_config('app.current_workspace', :'ws', true);
INSERT INTO customers (workspace_id, external_id, email, name, signed_up_at)
SELECT :'ws'::uuid, external_id, email, name, signed_up_at FROM im_floor_c ORDER BY external_id;
COMMIT;

\echo == stage 2: orders, one INSERT of N rows, customer ids resolved in the statement, bulk-deferred mode (triggers only list the customers)
BEGIN;
SELECT set_config('app.current_workspace', :'ws', true);
SELECT vl_bulk_begin_deferred(:'ws'::uuid);
INSERT INTO orders (workspace_id, external_id, customer_id, ordered_at, amount_minor, currency)
SELECT :'ws'::uuid, o.external_id, c.id, o.ordered_at, o.amount_minor, 'USD'
  FROM im_floor_o o JOIN customers c ON c.workspace_id = :'ws'::uuid AND c.external_id = o.customer
 ORDER BY c.id;
COMMIT;

\echo == stage 3: derived tables (customer summaries, customer_months, customer_weeks, rollups, stats) for the listed customers, one slice
BEGIN;
SELECT set_config('app.current_workspace', :'ws', true);
SELECT vl_flush_deferred(:'ws'::uuid, NULL) AS flushed;
COMMIT;

\if :{?check}
\echo == check: stored summaries, rollups, stats, customer_months/weeks equal a rebuild from raw orders (same = t)
\timing off
BEGIN;
SELECT set_config('app.current_workspace', :'ws', true) \gset
SET LOCAL statement_timeout = 0;
CREATE TEMP VIEW im_floor_snap AS
  SELECT md5(string_agg(x, '|' ORDER BY x)) AS h FROM (
    SELECT concat_ws(',', 'c', external_id, order_count, purchase_days, first_order_at, last_order_at, revenue_minor, margin_minor, first_day_revenue_minor, first_month_revenue_minor) AS x FROM customers WHERE workspace_id = vl_current_workspace()
    UNION ALL SELECT concat_ws(',', 'm', month, orders, revenue_minor, new_customers, new_customer_revenue_minor) FROM monthly_rollups WHERE workspace_id = vl_current_workspace() AND (orders <> 0 OR revenue_minor <> 0 OR new_customers <> 0 OR new_customer_revenue_minor <> 0)
    UNION ALL SELECT concat_ws(',', 's', customers, customers_with_orders, repeat_customers, orders, revenue_minor) FROM workspace_stats WHERE workspace_id = vl_current_workspace()
    UNION ALL SELECT concat_ws(',', 'cm', customer_id, month, orders, revenue_minor, margin_minor) FROM customer_months WHERE workspace_id = vl_current_workspace()
    UNION ALL SELECT concat_ws(',', 'cw', customer_id, week, orders, revenue_minor, margin_minor) FROM customer_weeks WHERE workspace_id = vl_current_workspace()) s;
SELECT h AS before FROM im_floor_snap \gset
SELECT vl_rebuild_summaries(:'ws'::uuid), vl_rebuild_customer_months(:'ws'::uuid);
SELECT h = :'before' AS same, (SELECT count(*) FROM orders WHERE workspace_id = :'ws'::uuid) AS orders FROM im_floor_snap;
ROLLBACK;
\endif

DROP TABLE im_floor_c, im_floor_o;
