-- Incremental score refresh (issue 9: "after importing 10,000 new orders, refreshed predictions
-- visible ≤ 5 s later"). After a data write the worker rescores only the customers whose summary
-- changed since the last run, with that run's fitted models (services/recompute/incremental.ts).
-- Every summary write (the order triggers' vl_refresh_customers, the bulk import flush) stamps
-- customers.summary_updated_at; this index finds the changed customers of a workspace without
-- reading the other million rows.
CREATE INDEX "customers_workspace_id_summary_updated_at_idx" ON "customers"("workspace_id", "summary_updated_at");
