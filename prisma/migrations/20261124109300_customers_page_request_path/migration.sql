-- Customers page under load (issue 9; BENCHMARKS.md "Session 10: the Customers page's database work").
-- pg_stat_statements over 30 s of the 50-user benchmark at 1,000,000 customers showed two things:
--
-- 1. The churn-risk filter with the default sort (predicted CLV, highest first) walked the sort index
--    and filtered: high-risk customers have low predicted value, so a page read thousands of entries
--    (15.3 ms per call against 0.8 ms for the other list pages; a quarter of the database's time in the
--    benchmark, though it is one request kind in fifteen). With the filter column leading, each page is
--    an index range scan, as for the segment and tier filters (migration customer_list_filter_indexes).
--    One more index on the score partition: the recompute's staged write builds it with the others
--    (vl_scores_stage_index builds every index of the parent); BENCHMARKS.md states the cost.
CREATE INDEX "customer_scores_ws_churn_predicted_idx" ON "customer_scores" ("workspace_id", "churn_risk", "predicted_clv_minor" DESC, "customer_id" DESC);

-- 2. Every workspace request's first read (the caller's session version, membership and workspace,
--    packages/api/src/trpc.ts) is sent with the transaction's BEGIN as a simple-protocol query, so it was
--    planned on every request: 0.58 ms of planning for 0.18 ms of execution, 4,110 times in 30 s. Inside
--    a PL/pgSQL function the same query is planned once per connection and the plan is reused
--    (PL/pgSQL caches its statements' plans). SECURITY INVOKER (the default): it runs as the caller, so
--    the row-level-security policies of memberships and workspaces apply exactly as to the query itself;
--    the cached plan reads the RLS settings when it runs, not when it is planned. Same columns and types
--    as the query it replaces; no row when the user does not exist.
CREATE FUNCTION vl_request_caller(p_workspace uuid, p_user uuid)
RETURNS TABLE (user_id text, email text, name text, session_version int, role text, id text,
               workspace_name text, slug text, currency character(3), timezone text)
LANGUAGE plpgsql STABLE AS $fn$
#variable_conflict use_column
BEGIN
  RETURN QUERY
  SELECT u.id::text, u.email, u.name, u.session_version::int, m.role::text, w.id::text, w.name, w.slug, w.currency, w.timezone
    FROM public.users u
    LEFT JOIN public.memberships m ON m.user_id = u.id AND m.workspace_id = p_workspace
    LEFT JOIN public.workspaces w ON w.id = m.workspace_id
   WHERE u.id = p_user;
END $fn$;
