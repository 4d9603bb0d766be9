-- Row-level security and on-write summaries (hand-written: Prisma does not model either).
--
-- 1. RLS (SECURITY-NOTES 0.1/0.2): every tenant table is ENABLE + FORCE ROW LEVEL SECURITY with a
--    policy on workspace_id = NULLIF(current_setting('app.current_workspace', true), '')::uuid.
--    The NULLIF guards the '' that a finished SET LOCAL leaves on a pooled connection.
-- 2. Summaries kept current on write: statement-level triggers with transition tables maintain the
--    customers' purchase summaries, monthly_rollups and workspace_stats in the same transaction as
--    any write to orders or customers, whatever path wrote them (import, API, seed, plain SQL).
--    Dashboards read these; nothing on a page scans orders.

CREATE OR REPLACE FUNCTION vl_current_workspace() RETURNS uuid
  LANGUAGE sql STABLE AS $fn$ SELECT NULLIF(current_setting('app.current_workspace', true), '')::uuid $fn$;
CREATE OR REPLACE FUNCTION vl_current_user() RETURNS uuid
  LANGUAGE sql STABLE AS $fn$ SELECT NULLIF(current_setting('app.current_user', true), '')::uuid $fn$;

DO $do$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['memberships','invitations','customers','orders','campaigns','campaign_spend',
                           'monthly_rollups','workspace_stats','api_keys','import_jobs','audit_logs']
  LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (workspace_id = vl_current_workspace()) WITH CHECK (workspace_id = vl_current_workspace())', t);
  END LOOP;
END $do$;

-- A user sees their own memberships in every workspace (to list and switch workspaces).
CREATE POLICY own_memberships ON memberships FOR SELECT USING (user_id = vl_current_user());

-- Workspaces: the current one (read/write), or any the current user belongs to (read).
ALTER TABLE workspaces ENABLE ROW LEVEL SECURITY;
ALTER TABLE workspaces FORCE ROW LEVEL SECURITY;
CREATE POLICY current_workspace ON workspaces USING (id = vl_current_workspace()) WITH CHECK (id = vl_current_workspace());
CREATE POLICY member_workspaces ON workspaces FOR SELECT
  USING (EXISTS (SELECT 1 FROM memberships m WHERE m.workspace_id = workspaces.id AND m.user_id = vl_current_user()));

-- An invitation is visible to, and can be accepted by, whoever presents its token (hash).
CREATE POLICY invite_by_token ON invitations FOR SELECT
  USING (token_hash = NULLIF(current_setting('app.invite_token_hash', true), ''));
CREATE POLICY invite_accept_by_token ON invitations FOR UPDATE
  USING (token_hash = NULLIF(current_setting('app.invite_token_hash', true), ''))
  WITH CHECK (token_hash = NULLIF(current_setting('app.invite_token_hash', true), ''));

-- An API key is looked up by its public prefix before its workspace is known.
CREATE POLICY key_by_prefix ON api_keys FOR SELECT
  USING (prefix = NULLIF(current_setting('app.api_key_prefix', true), ''));

------------------------------------------------------------------------------------------------
-- Summaries
------------------------------------------------------------------------------------------------

-- Recompute the purchase summary of customers of one workspace from their orders (all of them when
-- p_ids is NULL), then move the non-linear rollup parts (new customers and their first-month
-- revenue per month; customers with orders; repeat customers) from each customer's stored summary
-- to the new one. One statement (data-modifying CTEs all read the same snapshot, so `s` holds the
-- stored summary before the UPDATE). Idempotent: a second call with no order change moves nothing.
-- No temporary tables: cascaded deletes run triggers as the table owner, and a temp table created
-- by the app role in the same session would not be theirs to drop.
CREATE OR REPLACE FUNCTION vl_refresh_customers(p_ws uuid, p_ids uuid[]) RETURNS void
LANGUAGE plpgsql
-- With statistics gathered while tables were tiny, the planner nested-loops the CTE joins below
-- (thousands × thousands of CTE rescans: > 30 s for one 5,000-order batch). Hash joins are right
-- for every batch size here; index access to orders and customers stays (= ANY on the index).
SET enable_nestloop = off
AS $fn$
DECLARE
  w record;
  only_o text := '';
  only_c text := '';
BEGIN
  IF p_ws IS NULL OR (p_ids IS NOT NULL AND cardinality(p_ids) = 0) THEN RETURN; END IF;
  SELECT currency, timezone, margin_rate INTO w FROM workspaces WHERE id = p_ws;
  IF NOT FOUND THEN RETURN; END IF;
  -- Dynamic SQL so every call is planned for its own arguments: with a static
  -- "(p_ids IS NULL OR customer_id = ANY(p_ids))" plpgsql settles on a generic plan that reads every
  -- order of the workspace and tests each against the array (quadratic per import batch).
  IF p_ids IS NOT NULL THEN
    only_o := 'AND o.customer_id = ANY($2)';
    only_c := 'AND c.id = ANY($2)';
  END IF;

  EXECUTE format($q$
  WITH o AS (
    SELECT o.customer_id, o.ordered_at,
           (o.ordered_at AT TIME ZONE 'UTC')::date AS d,
           date_trunc('month', o.ordered_at AT TIME ZONE $4)::date AS m,
           CASE WHEN o.currency = $3 THEN o.amount_minor ELSE 0 END AS amt,
           CASE WHEN o.currency = $3
                THEN o.amount_minor - coalesce(o.cost_minor, round(o.amount_minor * (1 - $5))::bigint)
                ELSE 0 END AS mar
      FROM orders o
     WHERE o.workspace_id = $1 AND NOT o.refunded %s
  ), f AS (
    SELECT customer_id, min(ordered_at) AS first_at, max(ordered_at) AS last_at, count(*)::int AS n,
           count(DISTINCT d)::int AS days, sum(amt)::bigint AS rev, sum(mar)::bigint AS margin,
           min(d) AS first_d, min(m) AS first_m
      FROM o GROUP BY customer_id
  ), g AS (
    SELECT f.customer_id,
           sum(o.amt) FILTER (WHERE o.d = f.first_d)::bigint AS fdr,
           sum(o.amt) FILTER (WHERE o.m = f.first_m)::bigint AS fmr
      FROM o JOIN f USING (customer_id) GROUP BY f.customer_id
  ), s AS (
    SELECT c.id,
           c.first_order_at AS old_first, c.purchase_days AS old_days, c.order_count AS old_orders,
           c.first_month_revenue_minor AS old_fmr,
           f.first_at AS new_first, f.last_at AS new_last, coalesce(f.n, 0) AS new_orders, coalesce(f.days, 0) AS new_days,
           coalesce(f.rev, 0) AS new_rev, coalesce(f.margin, 0) AS new_margin,
           coalesce(g.fdr, 0) AS new_fdr, coalesce(g.fmr, 0) AS new_fmr,
           (c.order_count, c.purchase_days, c.first_order_at, c.last_order_at, c.revenue_minor, c.margin_minor,
            c.first_day_revenue_minor, c.first_month_revenue_minor)
             IS DISTINCT FROM
           (coalesce(f.n, 0), coalesce(f.days, 0), f.first_at, f.last_at, coalesce(f.rev, 0), coalesce(f.margin, 0),
            coalesce(g.fdr, 0), coalesce(g.fmr, 0)) AS changed
      FROM customers c
      LEFT JOIN f ON f.customer_id = c.id
      LEFT JOIN g ON g.customer_id = c.id
     WHERE c.workspace_id = $1 %s
  ), upd AS (
    UPDATE customers c
       SET order_count = s.new_orders, purchase_days = s.new_days, first_order_at = s.new_first,
           last_order_at = s.new_last, revenue_minor = s.new_rev, margin_minor = s.new_margin,
           first_day_revenue_minor = s.new_fdr, first_month_revenue_minor = s.new_fmr, summary_updated_at = now()
      FROM s
     WHERE c.workspace_id = $1 AND c.id = s.id AND s.changed
    RETURNING c.id
  ), roll AS (
    INSERT INTO monthly_rollups AS r (workspace_id, month, new_customers, new_customer_revenue_minor)
    SELECT $1, x.m, sum(x.dn)::int, sum(x.dr)::bigint
      FROM (
        SELECT date_trunc('month', s.old_first AT TIME ZONE $4)::date AS m, -1 AS dn, -s.old_fmr AS dr
          FROM s WHERE s.changed AND s.old_first IS NOT NULL
        UNION ALL
        SELECT date_trunc('month', s.new_first AT TIME ZONE $4)::date, 1, s.new_fmr
          FROM s WHERE s.changed AND s.new_first IS NOT NULL
      ) x
     GROUP BY x.m
    HAVING sum(x.dn) <> 0 OR sum(x.dr) <> 0
    ON CONFLICT (workspace_id, month) DO UPDATE
       SET new_customers = r.new_customers + EXCLUDED.new_customers,
           new_customer_revenue_minor = r.new_customer_revenue_minor + EXCLUDED.new_customer_revenue_minor
    RETURNING 1
  )
  INSERT INTO workspace_stats AS st (workspace_id, customers_with_orders, repeat_customers)
  SELECT $1, coalesce(sum((s.new_orders > 0)::int - (s.old_orders > 0)::int), 0),
             coalesce(sum((s.new_days >= 2)::int - (s.old_days >= 2)::int), 0)
    FROM s WHERE s.changed
  ON CONFLICT (workspace_id) DO UPDATE
     SET customers_with_orders = st.customers_with_orders + EXCLUDED.customers_with_orders,
         repeat_customers = st.repeat_customers + EXCLUDED.repeat_customers, updated_at = now()
  $q$, only_o, only_c)
  USING p_ws, p_ids, w.currency, w.timezone, w.margin_rate;
END $fn$;

CREATE TYPE vl_order_change AS (workspace_id uuid, customer_id uuid, ordered_at timestamptz,
  amount_minor bigint, currency char(3), refunded boolean, sign int);

-- Linear part of an orders change (orders and revenue per month and per workspace, straight from the
-- changed rows), then the affected customers' summaries. Shared by the three order triggers.
CREATE OR REPLACE FUNCTION vl_apply_order_changes(p_changes vl_order_change[]) RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
  ws uuid;
  ids uuid[];
BEGIN
  FOR ws IN SELECT DISTINCT ch.workspace_id FROM unnest(p_changes) ch LOOP
    ids := ARRAY(SELECT DISTINCT ch.customer_id FROM unnest(p_changes) ch WHERE ch.workspace_id = ws ORDER BY 1);
    -- Serialise concurrent writers per customer (in id order: no deadlocks). Later statements of this
    -- function take a new snapshot (READ COMMITTED) and so see the other writer's committed orders.
    -- "= ANY(array)" keeps this on the primary key; an IN (SELECT … unnest(…)) semi-join was planned
    -- as a nested loop under small-table statistics (12.5 M comparisons for a 5,000-order batch).
    PERFORM 1 FROM customers c WHERE c.workspace_id = ws AND c.id = ANY(ids) ORDER BY c.id FOR UPDATE;

    INSERT INTO monthly_rollups AS r (workspace_id, month, orders, revenue_minor)
    SELECT ws, date_trunc('month', ch.ordered_at AT TIME ZONE w.timezone)::date,
           sum(ch.sign)::int, coalesce(sum(ch.sign * ch.amount_minor) FILTER (WHERE ch.currency = w.currency), 0)::bigint
      FROM unnest(p_changes) ch JOIN workspaces w ON w.id = ch.workspace_id
     WHERE ch.workspace_id = ws AND NOT ch.refunded
     GROUP BY 2
    ON CONFLICT (workspace_id, month) DO UPDATE
       SET orders = r.orders + EXCLUDED.orders, revenue_minor = r.revenue_minor + EXCLUDED.revenue_minor;

    INSERT INTO workspace_stats AS st (workspace_id, orders, revenue_minor)
    SELECT ws, coalesce(sum(ch.sign), 0)::int,
           coalesce(sum(ch.sign * ch.amount_minor) FILTER (WHERE ch.currency = w.currency), 0)::bigint
      FROM unnest(p_changes) ch JOIN workspaces w ON w.id = ch.workspace_id
     WHERE ch.workspace_id = ws AND NOT ch.refunded
     GROUP BY w.id
    ON CONFLICT (workspace_id) DO UPDATE
       SET orders = st.orders + EXCLUDED.orders, revenue_minor = st.revenue_minor + EXCLUDED.revenue_minor, updated_at = now();

    PERFORM vl_refresh_customers(ws, ids);
  END LOOP;
END $fn$;

CREATE OR REPLACE FUNCTION vl_orders_changed() RETURNS trigger
LANGUAGE plpgsql AS $fn$
DECLARE
  changes vl_order_change[];
BEGIN
  IF TG_OP = 'INSERT' THEN
    changes := ARRAY(SELECT ROW(workspace_id, customer_id, ordered_at, amount_minor, currency, refunded, 1)::vl_order_change FROM vl_new);
  ELSIF TG_OP = 'UPDATE' THEN
    changes := ARRAY(SELECT ROW(workspace_id, customer_id, ordered_at, amount_minor, currency, refunded, 1)::vl_order_change FROM vl_new
                     UNION ALL
                     SELECT ROW(workspace_id, customer_id, ordered_at, amount_minor, currency, refunded, -1)::vl_order_change FROM vl_old);
  ELSE
    changes := ARRAY(SELECT ROW(workspace_id, customer_id, ordered_at, amount_minor, currency, refunded, -1)::vl_order_change FROM vl_old);
  END IF;
  IF cardinality(changes) > 0 THEN
    PERFORM vl_apply_order_changes(changes);
  END IF;
  RETURN NULL;
END $fn$;

CREATE TRIGGER orders_summaries_ins AFTER INSERT ON orders
  REFERENCING NEW TABLE AS vl_new FOR EACH STATEMENT EXECUTE FUNCTION vl_orders_changed();
CREATE TRIGGER orders_summaries_upd AFTER UPDATE ON orders
  REFERENCING OLD TABLE AS vl_old NEW TABLE AS vl_new FOR EACH STATEMENT EXECUTE FUNCTION vl_orders_changed();
CREATE TRIGGER orders_summaries_del AFTER DELETE ON orders
  REFERENCING OLD TABLE AS vl_old FOR EACH STATEMENT EXECUTE FUNCTION vl_orders_changed();

-- Customer counts; a deleted customer takes its summary's share of the rollups with it (its orders
-- are then deleted by cascade and only remove their linear part).
CREATE OR REPLACE FUNCTION vl_customers_changed() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO workspace_stats AS st (workspace_id, customers)
    SELECT workspace_id, count(*)::int FROM vl_new GROUP BY workspace_id
    ON CONFLICT (workspace_id) DO UPDATE SET customers = st.customers + EXCLUDED.customers, updated_at = now();
  ELSE
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

CREATE TRIGGER customers_counts_ins AFTER INSERT ON customers
  REFERENCING NEW TABLE AS vl_new FOR EACH STATEMENT EXECUTE FUNCTION vl_customers_changed();
CREATE TRIGGER customers_counts_del AFTER DELETE ON customers
  REFERENCING OLD TABLE AS vl_old FOR EACH STATEMENT EXECUTE FUNCTION vl_customers_changed();

-- Repair: rebuild one workspace's summaries and rollups from its raw orders, in SQL (never in Node).
CREATE OR REPLACE FUNCTION vl_rebuild_summaries(p_ws uuid) RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
  w record;
BEGIN
  SELECT currency, timezone INTO w FROM workspaces WHERE id = p_ws;
  IF NOT FOUND THEN RETURN; END IF;
  DELETE FROM monthly_rollups WHERE workspace_id = p_ws;
  DELETE FROM workspace_stats WHERE workspace_id = p_ws;
  UPDATE customers SET order_count = 0, purchase_days = 0, first_order_at = NULL, last_order_at = NULL,
         revenue_minor = 0, margin_minor = 0, first_day_revenue_minor = 0, first_month_revenue_minor = 0
   WHERE workspace_id = p_ws AND (order_count <> 0 OR purchase_days <> 0 OR first_order_at IS NOT NULL OR revenue_minor <> 0);
  INSERT INTO workspace_stats (workspace_id, customers, orders, revenue_minor)
  SELECT p_ws, (SELECT count(*) FROM customers WHERE workspace_id = p_ws),
         count(*) FILTER (WHERE NOT refunded),
         coalesce(sum(amount_minor) FILTER (WHERE NOT refunded AND currency = w.currency), 0)
    FROM orders WHERE workspace_id = p_ws;
  INSERT INTO monthly_rollups (workspace_id, month, orders, revenue_minor)
  SELECT p_ws, date_trunc('month', ordered_at AT TIME ZONE w.timezone)::date, count(*),
         coalesce(sum(amount_minor) FILTER (WHERE currency = w.currency), 0)
    FROM orders WHERE workspace_id = p_ws AND NOT refunded GROUP BY 2;
  PERFORM vl_refresh_customers(p_ws, NULL);
END $fn$;
