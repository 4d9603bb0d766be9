-- The score swap waits out an autovacuum of the workspace's leaf instead of falling back to the copy
-- (issue 9; BENCHMARKS.md "Session 12: the whole run at 1M").
--
-- A leaf the swap attached was loaded with every score of the workspace (1M inserts at 1M customers),
-- so autovacuum's insert-driven VACUUM picks it up within a minute of the run (seen at 1M:
-- n_ins_since_vacuum 1,000,000 → 0). A full run started while that VACUUM runs found the leaf busy in
-- all its swap tries (200 ms each: autovacuum's SHARE UPDATE EXCLUSIVE lock conflicts with the swap's
-- ACCESS EXCLUSIVE) and copied the 1M rows in place instead: 36 s instead of 5 ms.
-- PostgreSQL cancels an autovacuum (not one preventing wraparound) that blocks a lock request once the
-- waiter's deadlock check runs, after deadlock_timeout. So a try waits past deadlock_timeout, but only
-- when every lock other backends hold on the workspace's partition or its leaf is SHARE UPDATE
-- EXCLUSIVE, the lock of a VACUUM or ANALYZE. (Who holds it cannot be told: pg_stat_activity hides the
-- backend type of other roles' sessions from this function's owner.) With an ordinary reader holding
-- it (ACCESS SHARE), the try keeps its short limit (below deadlock_timeout), so a deadlock through the
-- swap still ends as a timeout and the copy, never as a cancelled transaction (write-scores.integration-
-- test, "a reader … waits for the scoring transaction"). A manual VACUUM or ANALYZE, or an autovacuum
-- preventing wraparound, is not cancelled: each try then waits deadlock_timeout longer before the copy,
-- as before. Nothing of ValueLens runs CREATE INDEX CONCURRENTLY on a leaf (the one SHARE UPDATE
-- EXCLUSIVE holder that waits for other transactions, and could so close a cycle through the swap).
-- Readers of the workspace queue behind such a try for up to deadlock_timeout + p_lock_timeout_ms.
CREATE OR REPLACE FUNCTION vl_scores_stage_swap(p_ws uuid, p_lock_timeout_ms int, p_tries int) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  part text := vl_scores.partition_name(p_ws);
  leaf text := vl_scores.checked_stage(p_ws);
  old record;
  try int := 0;
  wait_ms int;
  prev text := current_setting('lock_timeout');
BEGIN
  PERFORM vl_scores.ensure_partition(p_ws, false);
  LOOP
    try := try + 1;
    wait_ms := p_lock_timeout_ms;
    IF vl_scores.held_only_by_vacuum(to_regclass(format('vl_scores.%I', part))) THEN
      wait_ms := p_lock_timeout_ms + (SELECT setting::int FROM pg_settings WHERE name = 'deadlock_timeout');
    END IF;
    BEGIN
      PERFORM set_config('lock_timeout', wait_ms || 'ms', true);
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

-- True when other backends hold locks on the partition or one of its leaves, and every one of them is
-- SHARE UPDATE EXCLUSIVE (VACUUM, ANALYZE).
CREATE FUNCTION vl_scores.held_only_by_vacuum(p_part regclass) RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $fn$
  SELECT coalesce(bool_and(l.mode = 'ShareUpdateExclusiveLock'), false)
    FROM pg_locks l
   WHERE l.granted AND l.locktype = 'relation' AND l.pid <> pg_backend_pid()
     AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
     AND (l.relation = p_part OR l.relation IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = p_part))
$fn$;
REVOKE ALL ON FUNCTION vl_scores.held_only_by_vacuum(regclass) FROM PUBLIC;
