-- Predictions (issue 9): the staged score load expands its column arrays with one unnest per column in
-- the select list instead of one multi-argument unnest in FROM.
--
-- Why (BENCHMARKS.md, "Session 10: the scoring transaction at 1M"): `FROM unnest(a1, …, a16)` is a
-- function scan that first materialises every one of its 16 arrays into its own tuplestore and then
-- reads them back in step; select-list set-returning functions (ProjectSet, PostgreSQL 10+) hand out
-- one element of each array per row with nothing stored in between. Server-side, 1,000,000 rows in 50
-- batches of 20,000 into an unindexed table: 4.9–8.2 s with the FROM form, 3.3 s with this one (a
-- plain INSERT … SELECT from a table: 2.0 s). That was most of the full run's staged load.
--
-- Same rows: since PostgreSQL 10 several set-returning functions in one select list run in lockstep
-- and stop after the longest, padding shorter ones with NULL — exactly what the multi-argument
-- unnest returned (every array of a batch has the same length anyway). Same signature, owner,
-- SECURITY DEFINER and search_path, so the grants stay as they were.
CREATE OR REPLACE FUNCTION vl_scores_stage_load(
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
     SELECT $1, unnest($4), $2, unnest($5), unnest($6), unnest($7), unnest($8), unnest($9), unnest($10), unnest($11), unnest($12),
            unnest($13), unnest($14), unnest($15), unnest($16), unnest($17), unnest($18), $3,
            timestamptz ''epoch'' + unnest($19) * interval ''1 millisecond''', leaf)
    USING p_ws, p_run, p_scored_at, c, pa, e30, e90, e365, clv, lo, hi, h, cr, r, f, m, s, t, at;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END $fn$;

REVOKE ALL ON FUNCTION vl_scores_stage_load(uuid, uuid, timestamptz, uuid[], float8[], float8[], float8[], float8[], bigint[], bigint[], bigint[],
  bigint[], text[], smallint[], smallint[], smallint[], text[], text[], bigint[]) FROM PUBLIC;
