-- Predictions (issue 9): customer_scores becomes a table partitioned per workspace, so a full run of a
-- large workspace can load its scores into a fresh, unindexed table, build the indexes by sorting,
-- and swap that table in, instead of replacing 1,000,000 rows in place.
--
-- Why (BENCHMARKS.md "Session 6: writing 1M scores"): DELETE + INSERT of a workspace's 1,000,000
-- rows costs ≈ 80 s, ≈ 55 s of it inserting 7 million entries into the seven B-trees at random
-- pages; loading an unindexed table takes 3.5 s and building the seven indexes by sort 24 s.
--
-- Layout (two levels):
--   public.customer_scores                 PARTITION BY LIST (workspace_id), no default partition
--     vl_scores.ws_<workspace hex>         one per workspace, itself PARTITION BY LIST (workspace_id)
--       vl_scores.s_<workspace hex>_<txid> the workspace's one leaf holding its rows
-- A swap replaces the leaf under the workspace's own partition: it locks that partition (ACCESS
-- EXCLUSIVE, until the scoring transaction commits) but takes only ACCESS SHARE on
-- public.customer_scores, so readers and writers of other workspaces (whose plans prune to their own
-- partition, every query filters workspace_id) neither block it nor queue behind it. With one level,
-- DETACH would need ACCESS EXCLUSIVE on customer_scores itself, and any long reader of any workspace
-- (e.g. another workspace's derived-summaries transaction) would hold every swap off.
--
-- Partitions live in schema vl_scores, outside `public`: the app role has no USAGE on it, so it cannot
-- name another workspace's partition or a staging table (rows reach them only through
-- public.customer_scores and its row-level security, or through the checked functions below), and
-- Prisma's schema engine, which describes `public` only, sees no tables appear and disappear at run
-- time (its drift check compares `public` with the migrations). Every partition and leaf has RLS
-- enabled and forced with the same tenant policy as the parent (defence in depth; reads through the
-- parent apply the parent's policy).
--
-- The app role reaches vl_scores only through SECURITY DEFINER functions in public (owned by the
-- migration role, search_path fixed to pg_catalog, every name schema-qualified), each of which
-- refuses unless its workspace argument equals vl_current_workspace():
--   vl_scores_ensure(ws)             create the workspace's partition (and an empty leaf) if missing
--   vl_scores_stage_begin(ws)        a fresh unindexed staging table for this transaction
--   vl_scores_stage_load(ws, …)      insert one batch of column arrays into it
--   vl_scores_stage_index(ws, n)     build the n-th of the parent's indexes on it
--   vl_scores_stage_swap(ws, ms, k)  DETACH + DROP the old leaf, ATTACH the staging table; each try
--                                    in a savepoint under lock_timeout = ms, k tries, else 'busy'
--   vl_scores_stage_copy(ws)         the fallback when busy: replace the rows in place from the stage
-- Helpers the app role must not call live in vl_scores (no USAGE → not callable, whatever
-- grantAppRole's GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public grants).
-- A workspace's partition is dropped when the workspace is deleted (statement trigger).
--
-- PostgreSQL 14+: LIST partitions of partitioned tables, ATTACH/DETACH PARTITION, ALTER TABLE … ADD
-- PRIMARY KEY USING INDEX and hashtextextended all exist from 11.

CREATE SCHEMA vl_scores;
REVOKE ALL ON SCHEMA vl_scores FROM PUBLIC;

-- ---- 1. The partitioned parent (same name, columns, keys, indexes, policy) --------------------------

ALTER TABLE "customer_scores" RENAME TO "customer_scores_unpartitioned";
ALTER TABLE "customer_scores_unpartitioned" DROP CONSTRAINT "customer_scores_pkey";
DROP INDEX "customer_scores_workspace_id_predicted_clv_minor_customer_id_id";
DROP INDEX "customer_scores_workspace_id_historical_clv_minor_customer_i_id";
DROP INDEX "customer_scores_workspace_id_p_alive_customer_id_idx";
DROP INDEX "customer_scores_workspace_id_last_order_at_customer_id_idx";
DROP INDEX "customer_scores_ws_segment_predicted_idx";
DROP INDEX "customer_scores_ws_tier_predicted_idx";

CREATE TABLE "customer_scores" (
    "workspace_id" UUID NOT NULL,
    "customer_id" UUID NOT NULL,
    "model_run_id" UUID NOT NULL,
    "p_alive" DOUBLE PRECISION,
    "expected_purchases_30" DOUBLE PRECISION,
    "expected_purchases_90" DOUBLE PRECISION,
    "expected_purchases_365" DOUBLE PRECISION,
    "predicted_clv_minor" BIGINT,
    "predicted_clv_low_minor" BIGINT,
    "predicted_clv_high_minor" BIGINT,
    "historical_clv_minor" BIGINT NOT NULL,
    "churn_risk" TEXT,
    "rfm_r" SMALLINT NOT NULL,
    "rfm_f" SMALLINT NOT NULL,
    "rfm_m" SMALLINT NOT NULL,
    "rfm_segment" TEXT NOT NULL,
    "value_tier" TEXT NOT NULL,
    "scored_at" TIMESTAMPTZ(3) NOT NULL,
    "last_order_at" TIMESTAMPTZ(3),

    CONSTRAINT "customer_scores_pkey" PRIMARY KEY ("workspace_id","customer_id")
) PARTITION BY LIST ("workspace_id");

-- The names PostgreSQL gave the original indexes (63-character truncation included).
CREATE INDEX "customer_scores_workspace_id_predicted_clv_minor_customer_id_id" ON "customer_scores"("workspace_id", "predicted_clv_minor" DESC, "customer_id" DESC);
CREATE INDEX "customer_scores_workspace_id_historical_clv_minor_customer_i_id" ON "customer_scores"("workspace_id", "historical_clv_minor" DESC, "customer_id" DESC);
CREATE INDEX "customer_scores_workspace_id_p_alive_customer_id_idx" ON "customer_scores"("workspace_id", "p_alive", "customer_id");
CREATE INDEX "customer_scores_workspace_id_last_order_at_customer_id_idx" ON "customer_scores"("workspace_id", "last_order_at" DESC, "customer_id" DESC);
CREATE INDEX "customer_scores_ws_segment_predicted_idx" ON "customer_scores" ("workspace_id", "rfm_segment", "predicted_clv_minor" DESC, "customer_id" DESC);
CREATE INDEX "customer_scores_ws_tier_predicted_idx" ON "customer_scores" ("workspace_id", "value_tier", "predicted_clv_minor" DESC, "customer_id" DESC);

ALTER TABLE customer_scores ENABLE ROW LEVEL SECURITY;
ALTER TABLE customer_scores FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON customer_scores USING (workspace_id = vl_current_workspace()) WITH CHECK (workspace_id = vl_current_workspace());

-- ---- 2. Internal helpers (schema vl_scores: not callable by the app role) ----------------------------

-- The workspace's partition: vl_scores.ws_<32 hex digits>.
CREATE FUNCTION vl_scores.partition_name(p_ws uuid) RETURNS text
LANGUAGE sql IMMUTABLE AS $fn$ SELECT 'ws_' || replace(p_ws::text, '-', '') $fn$;

-- A leaf's name: 's' for this transaction's staging table (after a swap, the leaf), 'l' for an empty
-- leaf made with a new partition. The transaction id keeps the table's and its indexes' names unique
-- while the previous leaf still exists.
CREATE FUNCTION vl_scores.leaf_name(p_ws uuid, p_kind text) RETURNS text
LANGUAGE sql VOLATILE AS $fn$ SELECT p_kind || '_' || replace(p_ws::text, '-', '') || '_' || txid_current()::text $fn$;

CREATE FUNCTION vl_scores.stage_name(p_ws uuid) RETURNS text
LANGUAGE sql VOLATILE AS $fn$ SELECT vl_scores.leaf_name(p_ws, 's') $fn$;

-- Row-level security on a partition or leaf, as on the parent.
CREATE FUNCTION vl_scores.secure(p_rel text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
  EXECUTE format('ALTER TABLE vl_scores.%I ENABLE ROW LEVEL SECURITY', p_rel);
  EXECUTE format('ALTER TABLE vl_scores.%I FORCE ROW LEVEL SECURITY', p_rel);
  EXECUTE format('CREATE POLICY tenant_isolation ON vl_scores.%I USING (workspace_id = public.vl_current_workspace()) '
                 'WITH CHECK (workspace_id = public.vl_current_workspace())', p_rel);
END $fn$;

-- A standalone, unindexed table shaped like customer_scores, accepting only the workspace's rows. The
-- CHECK constraint implies the partition constraint, so ATTACH PARTITION skips its validation scan.
CREATE FUNCTION vl_scores.new_leaf(p_ws uuid, p_kind text) RETURNS text
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  leaf text := vl_scores.leaf_name(p_ws, p_kind);
BEGIN
  EXECUTE format('DROP TABLE IF EXISTS vl_scores.%I', leaf);
  EXECUTE format('CREATE TABLE vl_scores.%I (LIKE public.customer_scores INCLUDING DEFAULTS, '
                 'CONSTRAINT %I CHECK (workspace_id = %L::uuid))', leaf, leaf || '_ws', p_ws);
  PERFORM vl_scores.secure(leaf);
  RETURN leaf;
END $fn$;

-- customer_scores' indexes in a fixed order (primary key first), as (name, definition).
CREATE FUNCTION vl_scores.parent_indexes() RETURNS TABLE (n int, is_primary boolean, def text)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $fn$
  SELECT (row_number() OVER (ORDER BY i.indisprimary DESC, c.relname))::int - 1, i.indisprimary, pg_get_indexdef(i.indexrelid)
    FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
   WHERE i.indrelid = 'public.customer_scores'::regclass
$fn$;

-- Builds the n-th (0-based) of customer_scores' indexes on a leaf, from the parent's own definition,
-- so ATTACH PARTITION adopts it instead of building another; the primary key becomes the leaf's
-- primary key constraint (ATTACH matches a constraint index only with a constraint). Returns how
-- many indexes the parent has.
CREATE FUNCTION vl_scores.build_index(p_leaf text, p_n int) RETURNS int
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  ix record;
  name text := p_leaf || '_' || p_n;
  total int := (SELECT count(*) FROM vl_scores.parent_indexes());
BEGIN
  SELECT * INTO ix FROM vl_scores.parent_indexes() WHERE n = p_n;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'customer_scores has % indexes; there is no index number %', total, p_n;
  END IF;
  EXECUTE regexp_replace(ix.def, '^CREATE (UNIQUE )?INDEX \S+ ON (ONLY )?public\.customer_scores ',
                         format('CREATE \1INDEX %I ON vl_scores.%I ', name, p_leaf));
  IF ix.is_primary THEN
    EXECUTE format('ALTER TABLE vl_scores.%I ADD CONSTRAINT %I PRIMARY KEY USING INDEX %I', p_leaf, name, name);
  END IF;
  RETURN total;
END $fn$;

-- The workspace's partition (a partitioned table), created and attached if missing; with p_with_leaf
-- also an empty, indexed leaf if it has none (rows can be inserted through customer_scores then).
-- ATTACH to customer_scores takes SHARE UPDATE EXCLUSIVE on it until commit (readers and writers go
-- on; other workspaces' first partitions wait for this transaction). Serialised per workspace by an
-- advisory lock. Returns whether it created anything.
CREATE FUNCTION vl_scores.ensure_partition(p_ws uuid, p_with_leaf boolean) RETURNS boolean
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  part text := vl_scores.partition_name(p_ws);
  leaf text;
  n int := 0;
  total int;
BEGIN
  IF to_regclass(format('vl_scores.%I', part)) IS NOT NULL
     AND (NOT p_with_leaf OR EXISTS (SELECT 1 FROM pg_inherits WHERE inhparent = to_regclass(format('vl_scores.%I', part)))) THEN
    RETURN false;
  END IF;
  PERFORM pg_advisory_xact_lock(hashtextextended('vl_scores:' || p_ws::text, 0));
  IF to_regclass(format('vl_scores.%I', part)) IS NULL THEN
    EXECUTE format('CREATE TABLE vl_scores.%I (LIKE public.customer_scores INCLUDING DEFAULTS) PARTITION BY LIST (workspace_id)', part);
    PERFORM vl_scores.secure(part);
    EXECUTE format('ALTER TABLE public.customer_scores ATTACH PARTITION vl_scores.%I FOR VALUES IN (%L)', part, p_ws);
  END IF;
  IF p_with_leaf AND NOT EXISTS (SELECT 1 FROM pg_inherits WHERE inhparent = to_regclass(format('vl_scores.%I', part))) THEN
    leaf := vl_scores.new_leaf(p_ws, 'l');
    LOOP
      total := vl_scores.build_index(leaf, n);
      n := n + 1;
      EXIT WHEN n >= total;
    END LOOP;
    EXECUTE format('ALTER TABLE vl_scores.%I ATTACH PARTITION vl_scores.%I FOR VALUES IN (%L)', part, leaf, p_ws);
  END IF;
  RETURN true;
END $fn$;

CREATE FUNCTION vl_scores.check_workspace(p_ws uuid) RETURNS void
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
  IF p_ws IS NULL OR p_ws IS DISTINCT FROM public.vl_current_workspace() THEN
    RAISE EXCEPTION 'customer_scores partition functions work on the current workspace only (got %, current %)',
      p_ws, public.vl_current_workspace() USING ERRCODE = '42501';
  END IF;
END $fn$;

-- This transaction's staging table of the current workspace, which must exist.
CREATE FUNCTION vl_scores.checked_stage(p_ws uuid) RETURNS text
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  leaf text := vl_scores.stage_name(p_ws);
BEGIN
  PERFORM vl_scores.check_workspace(p_ws);
  IF to_regclass(format('vl_scores.%I', leaf)) IS NULL THEN
    RAISE EXCEPTION 'no staging table for workspace % in this transaction: call vl_scores_stage_begin first', p_ws;
  END IF;
  RETURN leaf;
END $fn$;

-- ---- 3. The app role's entry points (SECURITY DEFINER, current workspace only) -----------------------

-- Makes sure customer_scores can take the current workspace's rows (no default partition: an INSERT
-- of a workspace without one fails). Every writer calls it first (write-scores.ts); a no-op lookup
-- once the partition exists.
CREATE FUNCTION vl_scores_ensure(p_ws uuid) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
  PERFORM vl_scores.check_workspace(p_ws);
  RETURN vl_scores.ensure_partition(p_ws, true);
END $fn$;

-- A fresh unindexed staging table for the workspace's next full score set (this transaction only:
-- a failure rolls it back with the transaction, so none is ever left behind).
CREATE FUNCTION vl_scores_stage_begin(p_ws uuid) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
  PERFORM vl_scores.check_workspace(p_ws);
  PERFORM vl_scores.new_leaf(p_ws, 's');
END $fn$;

-- One batch of score rows, as column arrays (the shape write-scores.ts sends to customer_scores).
CREATE FUNCTION vl_scores_stage_load(
  p_ws uuid, p_run uuid, p_scored_at timestamptz,
  c uuid[], pa float8[], e30 float8[], e90 float8[], e365 float8[], clv bigint[], lo bigint[], hi bigint[], h bigint[],
  cr text[], r smallint[], f smallint[], m smallint[], s text[], t text[], at bigint[]
) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  leaf text := vl_scores.checked_stage(p_ws);
  n bigint;
BEGIN
  EXECUTE format(
    'INSERT INTO vl_scores.%I (workspace_id, customer_id, model_run_id, p_alive, expected_purchases_30, expected_purchases_90,
            expected_purchases_365, predicted_clv_minor, predicted_clv_low_minor, predicted_clv_high_minor, historical_clv_minor,
            churn_risk, rfm_r, rfm_f, rfm_m, rfm_segment, value_tier, scored_at, last_order_at)
     SELECT $1, x.c, $2, x.pa, x.e30, x.e90, x.e365, x.clv, x.lo, x.hi, x.h, x.cr, x.r, x.f, x.m, x.s, x.t, $3,
            timestamptz ''epoch'' + x.at * interval ''1 millisecond''
       FROM unnest($4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
            AS x(c, pa, e30, e90, e365, clv, lo, hi, h, cr, r, f, m, s, t, at)', leaf)
    USING p_ws, p_run, p_scored_at, c, pa, e30, e90, e365, clv, lo, hi, h, cr, r, f, m, s, t, at;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END $fn$;

-- Builds the n-th index on the staging table (one call per index keeps each statement short).
-- Returns how many there are; after the last one the table is ANALYZEd, so the swapped-in leaf has
-- statistics from the start.
CREATE FUNCTION vl_scores_stage_index(p_ws uuid, p_n int) RETURNS int
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET maintenance_work_mem = '512MB' AS $fn$
DECLARE
  leaf text := vl_scores.checked_stage(p_ws);
  total int;
BEGIN
  total := vl_scores.build_index(leaf, p_n);
  IF p_n = total - 1 THEN
    EXECUTE format('ANALYZE vl_scores.%I', leaf);
  END IF;
  RETURN total;
END $fn$;

-- Swaps the staging table in as the workspace's leaf: DETACH and DROP the old leaf, ATTACH the new
-- one (no validation scan: its CHECK constraint implies the partition bound; its indexes are
-- adopted). Locks: ACCESS EXCLUSIVE on the workspace's partition until commit (its readers wait for
-- the commit, then see the new set; the set is never half or empty), ACCESS SHARE on customer_scores.
-- Each try runs in a savepoint with lock_timeout = p_lock_timeout_ms, so a long reader of the
-- workspace makes its other readers queue behind the swap for at most that long per try; after
-- p_tries tries it returns 'busy' (the staging table stays; see vl_scores_stage_copy).
CREATE FUNCTION vl_scores_stage_swap(p_ws uuid, p_lock_timeout_ms int, p_tries int) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  part text := vl_scores.partition_name(p_ws);
  leaf text := vl_scores.checked_stage(p_ws);
  old record;
  try int := 0;
  prev text := current_setting('lock_timeout');
BEGIN
  PERFORM vl_scores.ensure_partition(p_ws, false);
  LOOP
    try := try + 1;
    BEGIN
      PERFORM set_config('lock_timeout', p_lock_timeout_ms || 'ms', true);
      EXECUTE format('LOCK TABLE vl_scores.%I IN ACCESS EXCLUSIVE MODE', part);
      FOR old IN SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                  WHERE i.inhparent = to_regclass(format('vl_scores.%I', part)) LOOP
        EXECUTE format('ALTER TABLE vl_scores.%I DETACH PARTITION vl_scores.%I', part, old.relname);
        EXECUTE format('DROP TABLE vl_scores.%I', old.relname);
      END LOOP;
      EXECUTE format('ALTER TABLE vl_scores.%I ATTACH PARTITION vl_scores.%I FOR VALUES IN (%L)', part, leaf, p_ws);
      PERFORM set_config('lock_timeout', prev, true);
      RETURN 'swapped';
    EXCEPTION WHEN lock_not_available THEN
      IF try >= p_tries THEN
        PERFORM set_config('lock_timeout', prev, true);
        RETURN 'busy';
      END IF;
    END;
    PERFORM pg_sleep(0.05 * try);
  END LOOP;
END $fn$;

-- The fallback when the swap found the workspace's partition busy: replace the rows in place from
-- the staging table (the slow path's cost, without sending the rows again), then drop it.
CREATE FUNCTION vl_scores_stage_copy(p_ws uuid) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  leaf text := vl_scores.checked_stage(p_ws);
  n bigint;
BEGIN
  PERFORM vl_scores.ensure_partition(p_ws, true);
  DELETE FROM public.customer_scores WHERE workspace_id = p_ws;
  EXECUTE format('INSERT INTO public.customer_scores SELECT * FROM vl_scores.%I', leaf);
  GET DIAGNOSTICS n = ROW_COUNT;
  EXECUTE format('DROP TABLE vl_scores.%I', leaf);
  RETURN n;
END $fn$;

REVOKE ALL ON ALL FUNCTIONS IN SCHEMA vl_scores FROM PUBLIC;
-- grantAppRole grants EXECUTE on public's functions to the app role after every migration.
REVOKE ALL ON FUNCTION vl_scores_ensure(uuid), vl_scores_stage_begin(uuid), vl_scores_stage_index(uuid, int),
  vl_scores_stage_swap(uuid, int, int), vl_scores_stage_copy(uuid),
  vl_scores_stage_load(uuid, uuid, timestamptz, uuid[], float8[], float8[], float8[], float8[], bigint[], bigint[], bigint[], bigint[],
                       text[], smallint[], smallint[], smallint[], text[], text[], bigint[]) FROM PUBLIC;

-- ---- 4. A deleted workspace's partition goes with it ------------------------------------------------

-- SECURITY DEFINER (the app role cannot drop tables); it only acts on the rows the DELETE removed,
-- which row-level security let the caller delete. Dropping a partition takes ACCESS EXCLUSIVE on
-- customer_scores until the deleting transaction commits.
CREATE FUNCTION vl_workspaces_drop_scores() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  ws uuid;
BEGIN
  FOR ws IN SELECT w.id FROM vl_old w LOOP
    EXECUTE format('DROP TABLE IF EXISTS vl_scores.%I', vl_scores.partition_name(ws));
  END LOOP;
  RETURN NULL;
END $fn$;

CREATE TRIGGER workspaces_drop_scores AFTER DELETE ON workspaces
  REFERENCING OLD TABLE AS vl_old FOR EACH STATEMENT EXECUTE FUNCTION vl_workspaces_drop_scores();

-- ---- 5. Existing rows: one partition per workspace that has scores ----------------------------------

-- Loaded unindexed, then indexed by sort (the same path as a full run's swap). The migration role is
-- subject to FORCE ROW LEVEL SECURITY, so each workspace is loaded under its own context.
ALTER TABLE "customer_scores_unpartitioned" NO FORCE ROW LEVEL SECURITY;
DO $do$
DECLARE
  ws uuid;
  leaf text;
  n int;
  total int;
BEGIN
  FOR ws IN SELECT DISTINCT workspace_id FROM customer_scores_unpartitioned LOOP
    PERFORM set_config('app.current_workspace', ws::text, true);
    PERFORM vl_scores.ensure_partition(ws, false);
    leaf := vl_scores.new_leaf(ws, 'l');
    EXECUTE format('INSERT INTO vl_scores.%I SELECT workspace_id, customer_id, model_run_id, p_alive, expected_purchases_30, '
                   'expected_purchases_90, expected_purchases_365, predicted_clv_minor, predicted_clv_low_minor, '
                   'predicted_clv_high_minor, historical_clv_minor, churn_risk, rfm_r, rfm_f, rfm_m, rfm_segment, value_tier, '
                   'scored_at, last_order_at FROM public.customer_scores_unpartitioned WHERE workspace_id = %L', leaf, ws);
    n := 0;
    LOOP
      total := vl_scores.build_index(leaf, n);
      n := n + 1;
      EXIT WHEN n >= total;
    END LOOP;
    EXECUTE format('ALTER TABLE vl_scores.%I ATTACH PARTITION vl_scores.%I FOR VALUES IN (%L)', vl_scores.partition_name(ws), leaf, ws);
  END LOOP;
  PERFORM set_config('app.current_workspace', '', true);
END $do$;

DROP TABLE "customer_scores_unpartitioned";
