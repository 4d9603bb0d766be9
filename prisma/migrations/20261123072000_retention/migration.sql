-- Retention (issue 7): one row per customer and calendar month (workspace time zone) with a
-- non-refunded order, kept current on write by statement-level triggers on orders, so cohort
-- matrices, retention curves and cohort LTV read this table and customers, never orders.
-- orders counts every non-refunded order; revenue and margin only those in the workspace currency
-- (margin = amount − cost, or amount × margin_rate without a cost, as in the customer summaries).

CREATE TABLE "customer_months" (
    "workspace_id" UUID NOT NULL,
    "customer_id" UUID NOT NULL,
    "month" DATE NOT NULL,
    "orders" INTEGER NOT NULL DEFAULT 0,
    "revenue_minor" BIGINT NOT NULL DEFAULT 0,
    "margin_minor" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "customer_months_pkey" PRIMARY KEY ("workspace_id","customer_id","month")
);

CREATE INDEX "customer_months_workspace_id_month_idx" ON "customer_months"("workspace_id", "month");

ALTER TABLE "customer_months" ADD CONSTRAINT "customer_months_workspace_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "customer_months" ADD CONSTRAINT "customer_months_workspace_id_customer_id_fkey" FOREIGN KEY ("workspace_id", "customer_id") REFERENCES "customers"("workspace_id", "id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Changed order rows, passed as an array (no temporary tables: cascaded deletes run triggers as the
-- table owner, and a temp table created by the app role in the same session is not theirs).
CREATE TYPE vl_order_month_change AS (workspace_id uuid, customer_id uuid, ordered_at timestamptz,
  amount_minor bigint, cost_minor bigint, currency char(3), refunded boolean, sign int);

-- Linear: each changed row adds (sign = 1) or removes (sign = −1) its order, revenue and margin in
-- its month; rows that reach 0 orders are deleted. Customers deleted in the same statement (their
-- customer_months rows went with them by cascade) and deleted workspaces are skipped.
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
    SELECT ws, x.customer_id, x.m, sum(x.sign)::int,
           coalesce(sum(x.sign * x.amount_minor) FILTER (WHERE x.currency = w.currency), 0)::bigint,
           coalesce(sum(x.sign * (x.amount_minor - coalesce(x.cost_minor, round(x.amount_minor * (1 - w.margin_rate))::bigint)))
                      FILTER (WHERE x.currency = w.currency), 0)::bigint
      FROM (SELECT ch.*, date_trunc('month', ch.ordered_at AT TIME ZONE w.timezone)::date AS m
              FROM unnest(p_changes) ch
             WHERE ch.workspace_id = ws AND NOT ch.refunded AND ch.customer_id = ANY(ids)) x
     GROUP BY x.customer_id, x.m
     ORDER BY x.customer_id, x.m  -- one lock order for concurrent writers
    ON CONFLICT (workspace_id, customer_id, month) DO UPDATE
       SET orders = cm.orders + EXCLUDED.orders,
           revenue_minor = cm.revenue_minor + EXCLUDED.revenue_minor,
           margin_minor = cm.margin_minor + EXCLUDED.margin_minor;

    DELETE FROM customer_months cm WHERE cm.workspace_id = ws AND cm.customer_id = ANY(ids) AND cm.orders <= 0;
  END LOOP;
END $fn$;

CREATE OR REPLACE FUNCTION vl_orders_customer_months() RETURNS trigger
LANGUAGE plpgsql AS $fn$
DECLARE
  changes vl_order_month_change[];
BEGIN
  IF TG_OP = 'INSERT' THEN
    changes := ARRAY(SELECT ROW(workspace_id, customer_id, ordered_at, amount_minor, cost_minor, currency, refunded, 1)::vl_order_month_change FROM vl_new);
  ELSIF TG_OP = 'UPDATE' THEN
    changes := ARRAY(SELECT ROW(workspace_id, customer_id, ordered_at, amount_minor, cost_minor, currency, refunded, 1)::vl_order_month_change FROM vl_new
                     UNION ALL
                     SELECT ROW(workspace_id, customer_id, ordered_at, amount_minor, cost_minor, currency, refunded, -1)::vl_order_month_change FROM vl_old);
  ELSE
    changes := ARRAY(SELECT ROW(workspace_id, customer_id, ordered_at, amount_minor, cost_minor, currency, refunded, -1)::vl_order_month_change FROM vl_old);
  END IF;
  IF cardinality(changes) > 0 THEN
    PERFORM vl_apply_customer_month_changes(changes);
  END IF;
  RETURN NULL;
END $fn$;

-- Triggers fire in name order: "orders_zz_…" runs after orders_summaries_*, whose per-customer
-- FOR UPDATE lock (in id order) already serialises concurrent writers of the same customers.
CREATE TRIGGER orders_zz_customer_months_ins AFTER INSERT ON orders
  REFERENCING NEW TABLE AS vl_new FOR EACH STATEMENT EXECUTE FUNCTION vl_orders_customer_months();
CREATE TRIGGER orders_zz_customer_months_upd AFTER UPDATE ON orders
  REFERENCING OLD TABLE AS vl_old NEW TABLE AS vl_new FOR EACH STATEMENT EXECUTE FUNCTION vl_orders_customer_months();
CREATE TRIGGER orders_zz_customer_months_del AFTER DELETE ON orders
  REFERENCING OLD TABLE AS vl_old FOR EACH STATEMENT EXECUTE FUNCTION vl_orders_customer_months();

-- Repair (and the reference in tests): rebuild one workspace's customer_months from raw orders.
CREATE OR REPLACE FUNCTION vl_rebuild_customer_months(p_ws uuid) RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
  w record;
BEGIN
  SELECT currency, timezone, margin_rate INTO w FROM workspaces WHERE id = p_ws;
  IF NOT FOUND THEN RETURN; END IF;
  DELETE FROM customer_months WHERE workspace_id = p_ws;
  INSERT INTO customer_months (workspace_id, customer_id, month, orders, revenue_minor, margin_minor)
  SELECT p_ws, o.customer_id, date_trunc('month', o.ordered_at AT TIME ZONE w.timezone)::date, count(*)::int,
         coalesce(sum(o.amount_minor) FILTER (WHERE o.currency = w.currency), 0)::bigint,
         coalesce(sum(o.amount_minor - coalesce(o.cost_minor, round(o.amount_minor * (1 - w.margin_rate))::bigint))
                    FILTER (WHERE o.currency = w.currency), 0)::bigint
    FROM orders o
   WHERE o.workspace_id = p_ws AND NOT o.refunded
   GROUP BY o.customer_id, 3;
END $fn$;

-- Backfill existing data. The migration runs as the table owner, which FORCE RLS subjects to the
-- policies (no current workspace here, so it would see no rows): lift FORCE on the two tables read,
-- inside this migration's transaction only, and enable RLS on the new table after the backfill.
ALTER TABLE workspaces NO FORCE ROW LEVEL SECURITY;
ALTER TABLE orders NO FORCE ROW LEVEL SECURITY;
INSERT INTO customer_months (workspace_id, customer_id, month, orders, revenue_minor, margin_minor)
SELECT o.workspace_id, o.customer_id, date_trunc('month', o.ordered_at AT TIME ZONE w.timezone)::date, count(*)::int,
       coalesce(sum(o.amount_minor) FILTER (WHERE o.currency = w.currency), 0)::bigint,
       coalesce(sum(o.amount_minor - coalesce(o.cost_minor, round(o.amount_minor * (1 - w.margin_rate))::bigint))
                  FILTER (WHERE o.currency = w.currency), 0)::bigint
  FROM orders o JOIN workspaces w ON w.id = o.workspace_id
 WHERE NOT o.refunded
 GROUP BY o.workspace_id, o.customer_id, 3;
ALTER TABLE orders FORCE ROW LEVEL SECURITY;
ALTER TABLE workspaces FORCE ROW LEVEL SECURITY;

ALTER TABLE customer_months ENABLE ROW LEVEL SECURITY;
ALTER TABLE customer_months FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON customer_months USING (workspace_id = vl_current_workspace()) WITH CHECK (workspace_id = vl_current_workspace());
