-- Retention (issue 7), week grain: customer_weeks is customer_months per ISO week (Monday start,
-- workspace time zone), maintained by the same trigger function (replaced here) and rebuilt by the
-- same repair function, so a weekly cohort matrix never reads orders either.

CREATE TABLE "customer_weeks" (
    "workspace_id" UUID NOT NULL,
    "customer_id" UUID NOT NULL,
    "week" DATE NOT NULL,
    "orders" INTEGER NOT NULL DEFAULT 0,
    "revenue_minor" BIGINT NOT NULL DEFAULT 0,
    "margin_minor" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "customer_weeks_pkey" PRIMARY KEY ("workspace_id","customer_id","week")
);

CREATE INDEX "customer_weeks_workspace_id_week_idx" ON "customer_weeks"("workspace_id", "week");

ALTER TABLE "customer_weeks" ADD CONSTRAINT "customer_weeks_workspace_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "customer_weeks" ADD CONSTRAINT "customer_weeks_workspace_id_customer_id_fkey" FOREIGN KEY ("workspace_id", "customer_id") REFERENCES "customers"("workspace_id", "id") ON DELETE CASCADE ON UPDATE CASCADE;

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
    DELETE FROM customer_months cm WHERE cm.workspace_id = ws AND cm.customer_id = ANY(ids) AND cm.orders <= 0;

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
    DELETE FROM customer_weeks cw WHERE cw.workspace_id = ws AND cw.customer_id = ANY(ids) AND cw.orders <= 0;
  END LOOP;
END $fn$;

CREATE OR REPLACE FUNCTION vl_rebuild_customer_months(p_ws uuid) RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
  w record;
BEGIN
  SELECT currency, timezone, margin_rate INTO w FROM workspaces WHERE id = p_ws;
  IF NOT FOUND THEN RETURN; END IF;
  DELETE FROM customer_months WHERE workspace_id = p_ws;
  DELETE FROM customer_weeks WHERE workspace_id = p_ws;
  INSERT INTO customer_months (workspace_id, customer_id, month, orders, revenue_minor, margin_minor)
  SELECT p_ws, o.customer_id, date_trunc('month', o.ordered_at AT TIME ZONE w.timezone)::date, count(*)::int,
         coalesce(sum(o.amount_minor) FILTER (WHERE o.currency = w.currency), 0)::bigint,
         coalesce(sum(o.amount_minor - coalesce(o.cost_minor, round(o.amount_minor * (1 - w.margin_rate))::bigint))
                    FILTER (WHERE o.currency = w.currency), 0)::bigint
    FROM orders o
   WHERE o.workspace_id = p_ws AND NOT o.refunded
   GROUP BY o.customer_id, 3;
  INSERT INTO customer_weeks (workspace_id, customer_id, week, orders, revenue_minor, margin_minor)
  SELECT p_ws, o.customer_id, date_trunc('week', o.ordered_at AT TIME ZONE w.timezone)::date, count(*)::int,
         coalesce(sum(o.amount_minor) FILTER (WHERE o.currency = w.currency), 0)::bigint,
         coalesce(sum(o.amount_minor - coalesce(o.cost_minor, round(o.amount_minor * (1 - w.margin_rate))::bigint))
                    FILTER (WHERE o.currency = w.currency), 0)::bigint
    FROM orders o
   WHERE o.workspace_id = p_ws AND NOT o.refunded
   GROUP BY o.customer_id, 3;
END $fn$;

-- Backfill as the owner (see the retention migration: FORCE RLS lifted inside this transaction only).
ALTER TABLE workspaces NO FORCE ROW LEVEL SECURITY;
ALTER TABLE orders NO FORCE ROW LEVEL SECURITY;
INSERT INTO customer_weeks (workspace_id, customer_id, week, orders, revenue_minor, margin_minor)
SELECT o.workspace_id, o.customer_id, date_trunc('week', o.ordered_at AT TIME ZONE w.timezone)::date, count(*)::int,
       coalesce(sum(o.amount_minor) FILTER (WHERE o.currency = w.currency), 0)::bigint,
       coalesce(sum(o.amount_minor - coalesce(o.cost_minor, round(o.amount_minor * (1 - w.margin_rate))::bigint))
                  FILTER (WHERE o.currency = w.currency), 0)::bigint
  FROM orders o JOIN workspaces w ON w.id = o.workspace_id
 WHERE NOT o.refunded
 GROUP BY o.workspace_id, o.customer_id, 3;
ALTER TABLE orders FORCE ROW LEVEL SECURITY;
ALTER TABLE workspaces FORCE ROW LEVEL SECURITY;

ALTER TABLE customer_weeks ENABLE ROW LEVEL SECURITY;
ALTER TABLE customer_weeks FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON customer_weeks USING (workspace_id = vl_current_workspace()) WITH CHECK (workspace_id = vl_current_workspace());
