-- Customers page (issue 9): a segment or tier filter with the default sort (predicted CLV, highest
-- first) — what the Segments page's links open. With only the sort index the planner walked it and
-- filtered: "At Risk" customers have low predicted value, so the first page walked 162,000 of
-- 1,000,000 entries (1.26 s); a "low" tier page walks past every high and medium one. With the filter
-- column leading, each page is an index range scan. Two more entries per score row written (the
-- recompute's write step; BENCHMARKS.md states the cost).
CREATE INDEX "customer_scores_ws_segment_predicted_idx" ON "customer_scores" ("workspace_id", "rfm_segment", "predicted_clv_minor" DESC, "customer_id" DESC);
CREATE INDEX "customer_scores_ws_tier_predicted_idx" ON "customer_scores" ("workspace_id", "value_tier", "predicted_clv_minor" DESC, "customer_id" DESC);
