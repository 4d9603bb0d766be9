-- Predictions (issue 9): each index build of the staged score write runs with one parallel worker
-- (leader + 1 process) instead of the server default (max_parallel_maintenance_workers = 2: leader + 2).
--
-- Why (BENCHMARKS.md, "Session 12: writing 1M scores"): on the 2-core machine the issue's target is
-- set on, three processes per build compete for two cores. Building the seven sort/filter indexes of
-- a 1,000,000-row leaf, interleaved, in one transaction like the real write: 6.9–7.5 s serial (0
-- workers), 5.2–6.1 s with 2 workers, 4.4–4.7 s with 1. A bigger server loses a little parallelism
-- here; the scoring transaction rarely has the machine to itself anyway (web requests, other
-- workspaces' derived phases).
--
-- Same signature, owner, SECURITY DEFINER and search_path as before (migration
-- 20261124107000_scores_partition_swap), so the grants stay; only the SET list changes.
CREATE OR REPLACE FUNCTION vl_scores_stage_index(p_ws uuid, p_n int) RETURNS int
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET maintenance_work_mem = '512MB'
  SET max_parallel_maintenance_workers = 1 AS $fn$
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

REVOKE ALL ON FUNCTION vl_scores_stage_index(uuid, int) FROM PUBLIC;
