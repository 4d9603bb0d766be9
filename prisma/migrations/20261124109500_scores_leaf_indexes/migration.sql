-- Predictions (issue 9): customer_scores' seven sort and filter indexes no longer start with
-- workspace_id. The primary key (workspace_id, customer_id) is unchanged.
--
-- Why: a full run builds every index of the staged leaf inside the scoring transaction (migration
-- 20261124107000_scores_partition_swap builds each of the parent's indexes on it), ≈ 16 s of its 23 s
-- write at 1,000,000 customers. customer_scores is partitioned by workspace, so inside the leaf that
-- holds a workspace's rows workspace_id is one constant (its CHECK constraint). As the first key
-- column it adds 16 bytes to every index entry and defeats the sort's abbreviated keys: every
-- comparison first compares two equal uuids. Figures: BENCHMARKS.md, "Session 12: writing 1M scores".
--
-- Why readers keep their plans: every query on customer_scores filters workspace_id = <value> and is
-- pruned to that workspace's leaf, where (predicted_clv_minor DESC, customer_id DESC) gives the same
-- order and the same keyset ranges as (workspace_id, predicted_clv_minor DESC, customer_id DESC); the
-- workspace and tenant-policy conditions become a filter on a constant column. The Customers page's
-- plans are checked by packages/api/test/customer-list-plans.integration-test.ts.
--
-- They stay indexes of the partitioned parent (a non-unique partitioned index need not contain the
-- partition key, PostgreSQL 11+), so schema.prisma describes them as they are, the staged leaf still
-- gets exactly the parent's indexes (vl_scores.build_index) and ATTACH PARTITION adopts them. The
-- architecture rule "every tenant index starts with workspaceId" holds in substance: each of these
-- indexes is split by workspace, one per leaf.
--
-- CREATE INDEX on the parent builds the index on every existing leaf (≈ 10 s at 1M scores).

DROP INDEX "customer_scores_workspace_id_predicted_clv_minor_customer_id_id";
DROP INDEX "customer_scores_workspace_id_historical_clv_minor_customer_i_id";
DROP INDEX "customer_scores_workspace_id_p_alive_customer_id_idx";
DROP INDEX "customer_scores_workspace_id_last_order_at_customer_id_idx";
DROP INDEX "customer_scores_ws_segment_predicted_idx";
DROP INDEX "customer_scores_ws_tier_predicted_idx";
DROP INDEX "customer_scores_ws_churn_predicted_idx";

CREATE INDEX "customer_scores_predicted_clv_minor_customer_id_idx" ON "customer_scores"("predicted_clv_minor" DESC, "customer_id" DESC);
CREATE INDEX "customer_scores_historical_clv_minor_customer_id_idx" ON "customer_scores"("historical_clv_minor" DESC, "customer_id" DESC);
CREATE INDEX "customer_scores_p_alive_customer_id_idx" ON "customer_scores"("p_alive", "customer_id");
CREATE INDEX "customer_scores_last_order_at_customer_id_idx" ON "customer_scores"("last_order_at" DESC, "customer_id" DESC);
CREATE INDEX "customer_scores_segment_predicted_idx" ON "customer_scores"("rfm_segment", "predicted_clv_minor" DESC, "customer_id" DESC);
CREATE INDEX "customer_scores_tier_predicted_idx" ON "customer_scores"("value_tier", "predicted_clv_minor" DESC, "customer_id" DESC);
CREATE INDEX "customer_scores_churn_predicted_idx" ON "customer_scores"("churn_risk", "predicted_clv_minor" DESC, "customer_id" DESC);
