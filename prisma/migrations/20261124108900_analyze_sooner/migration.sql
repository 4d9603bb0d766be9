-- Planner statistics catch up with a large import sooner (issue 4 / issue 9).
--
-- These tables hold every workspace's rows. By default autovacuum re-analyzes a table once 10 % of its
-- rows changed: with 12.3M orders a 1M-order import (8 %) left the statistics without the new workspace,
-- the planner took it for a few rows, and a join through orders went nested-loop over the whole
-- workspace (5-30 s at 1M orders, BENCHMARKS.md "Session 9: the orders' time index dropped…").
-- At 2 % (+ 1,000 rows) the analyze follows any import of a sizeable share of the table within
-- autovacuum's next round (about a minute); an ANALYZE samples a fixed number of rows, so it stays a
-- few seconds whatever the table's size.
ALTER TABLE "orders" SET (autovacuum_analyze_scale_factor = 0.02, autovacuum_analyze_threshold = 1000);
ALTER TABLE "customers" SET (autovacuum_analyze_scale_factor = 0.02, autovacuum_analyze_threshold = 1000);
ALTER TABLE "customer_months" SET (autovacuum_analyze_scale_factor = 0.02, autovacuum_analyze_threshold = 1000);
ALTER TABLE "customer_weeks" SET (autovacuum_analyze_scale_factor = 0.02, autovacuum_analyze_threshold = 1000);
