-- CSV import (issue 4, session 6): an orders chunk records its changed customers straight on the
-- durable deferred list, and order ids are time-ordered.
--
-- Why (measured on one 20,000-order chunk into a 40,000-customer / 200,000-order workspace,
-- PostgreSQL 18, BENCHMARKS.md "Session 6"): the chunk spent 0.31 s in the orders trigger writing
-- summary_pending and 1.1 s in vl_bulk_defer moving those rows to summary_deferred, next to 2.4 s
-- for the order upsert itself. Of the move, 0.7 s was the per-row foreign-key check
-- summary_deferred → workspaces (one RI query and one FOR KEY SHARE lock of the same workspace row
-- per customer).
--
-- 1. summary_deferred loses its per-row foreign key to workspaces. A row is only ever written for a
--    customer that the same statement just wrote an order for, and the orders check trigger holds
--    that customer FOR KEY SHARE (customers reference workspaces), so the workspace exists; a
--    workspace delete removes its rows through a statement trigger below. RLS unchanged.
-- 2. Direct-defer bulk mode (vl_bulk_begin_deferred): like vl_bulk_begin, plus the order triggers
--    of that transaction add the changed customers to summary_deferred themselves (sorted, one
--    statement) instead of summary_pending. The list is committed with the chunk, exactly what
--    vl_bulk_defer did afterwards; the commit-time guard then finds nothing pending. Every other
--    transaction, and plain bulk mode, behave as before.
-- 3. orders.id defaults to uuidv7(): new ids grow with time, so the primary-key index is appended
--    to instead of written at random pages (fewer page splits and full-page WAL images).

ALTER TABLE "summary_deferred" DROP CONSTRAINT IF EXISTS "summary_deferred_workspace_id_fkey";

-- What the foreign key's ON DELETE CASCADE did. A cascade bypassed RLS; this runs under it, so it
-- scopes itself to each deleted workspace in turn and restores the caller's workspace afterwards.
CREATE OR REPLACE FUNCTION vl_workspaces_drop_deferred() RETURNS trigger
LANGUAGE plpgsql AS $fn$
DECLARE
  prev text := current_setting('app.current_workspace', true);
  ws uuid;
BEGIN
  FOR ws IN SELECT w.id FROM vl_old w LOOP
    PERFORM set_config('app.current_workspace', ws::text, true);
    DELETE FROM summary_deferred d WHERE d.workspace_id = ws;
  END LOOP;
  PERFORM set_config('app.current_workspace', coalesce(prev, ''), true);
  RETURN NULL;
END $fn$;

CREATE TRIGGER workspaces_drop_deferred AFTER DELETE ON workspaces
  REFERENCING OLD TABLE AS vl_old FOR EACH STATEMENT EXECUTE FUNCTION vl_workspaces_drop_deferred();

-- Bulk mode whose changed customers go straight to the durable deferred list (see 2.).
CREATE OR REPLACE FUNCTION vl_bulk_begin_deferred(p_ws uuid) RETURNS void
LANGUAGE plpgsql AS $fn$
BEGIN
  PERFORM vl_bulk_begin(p_ws);
  PERFORM set_config('app.bulk_defer', txid_current()::text, true);
END $fn$;

-- Order summaries trigger (from import_fast_path) with the direct-defer branch.
CREATE OR REPLACE FUNCTION vl_orders_changed() RETURNS trigger
LANGUAGE plpgsql AS $fn$
DECLARE
  changes vl_order_change[];
  bulk uuid[] := vl_bulk_workspaces();
BEGIN
  IF cardinality(bulk) > 0 THEN
    IF current_setting('app.bulk_defer', true) IS NOT DISTINCT FROM txid_current()::text THEN
      IF TG_OP = 'INSERT' THEN
        INSERT INTO summary_deferred (workspace_id, customer_id)
        SELECT DISTINCT n.workspace_id, n.customer_id FROM vl_new n WHERE n.workspace_id = ANY(bulk) ORDER BY 1, 2
        ON CONFLICT DO NOTHING;
      ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO summary_deferred (workspace_id, customer_id)
        SELECT DISTINCT x.workspace_id, x.customer_id
          FROM (SELECT workspace_id, customer_id FROM vl_new UNION ALL SELECT workspace_id, customer_id FROM vl_old) x
         WHERE x.workspace_id = ANY(bulk) ORDER BY 1, 2
        ON CONFLICT DO NOTHING;
      ELSE
        INSERT INTO summary_deferred (workspace_id, customer_id)
        SELECT DISTINCT o.workspace_id, o.customer_id FROM vl_old o WHERE o.workspace_id = ANY(bulk) ORDER BY 1, 2
        ON CONFLICT DO NOTHING;
      END IF;
    ELSIF TG_OP = 'INSERT' THEN
      INSERT INTO summary_pending (workspace_id, txid, customer_id)
      SELECT DISTINCT n.workspace_id, txid_current(), n.customer_id FROM vl_new n WHERE n.workspace_id = ANY(bulk)
      ON CONFLICT DO NOTHING;
    ELSIF TG_OP = 'UPDATE' THEN
      INSERT INTO summary_pending (workspace_id, txid, customer_id)
      SELECT DISTINCT x.workspace_id, txid_current(), x.customer_id
        FROM (SELECT workspace_id, customer_id FROM vl_new UNION ALL SELECT workspace_id, customer_id FROM vl_old) x
       WHERE x.workspace_id = ANY(bulk)
      ON CONFLICT DO NOTHING;
    ELSE
      INSERT INTO summary_pending (workspace_id, txid, customer_id)
      SELECT DISTINCT o.workspace_id, txid_current(), o.customer_id FROM vl_old o WHERE o.workspace_id = ANY(bulk)
      ON CONFLICT DO NOTHING;
    END IF;
  END IF;
  IF TG_OP = 'INSERT' THEN
    changes := ARRAY(SELECT ROW(workspace_id, customer_id, ordered_at, amount_minor, currency, refunded, 1)::vl_order_change FROM vl_new
                      WHERE NOT (workspace_id = ANY(bulk)));
  ELSIF TG_OP = 'UPDATE' THEN
    changes := ARRAY(SELECT ROW(workspace_id, customer_id, ordered_at, amount_minor, currency, refunded, 1)::vl_order_change FROM vl_new
                      WHERE NOT (workspace_id = ANY(bulk))
                     UNION ALL
                     SELECT ROW(workspace_id, customer_id, ordered_at, amount_minor, currency, refunded, -1)::vl_order_change FROM vl_old
                      WHERE NOT (workspace_id = ANY(bulk)));
  ELSE
    changes := ARRAY(SELECT ROW(workspace_id, customer_id, ordered_at, amount_minor, currency, refunded, -1)::vl_order_change FROM vl_old
                      WHERE NOT (workspace_id = ANY(bulk)));
  END IF;
  IF cardinality(changes) > 0 THEN
    PERFORM vl_apply_order_changes(changes);
  END IF;
  RETURN NULL;
END $fn$;

-- uuidv7() exists from PostgreSQL 18 (the embedded server); on 14-17 (README: "any PostgreSQL 14+")
-- ids stay gen_random_uuid().
DO $do$
BEGIN
  IF current_setting('server_version_num')::int >= 180000 THEN
    EXECUTE 'ALTER TABLE "orders" ALTER COLUMN "id" SET DEFAULT uuidv7()';
  END IF;
END $do$;
