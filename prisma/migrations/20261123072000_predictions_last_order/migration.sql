-- Customers page: sort and filter by last order on the scores table alone (keyset over one index).
ALTER TABLE "customer_scores" ADD COLUMN "last_order_at" TIMESTAMPTZ(3);
CREATE INDEX "customer_scores_workspace_id_last_order_at_customer_id_idx" ON "customer_scores"("workspace_id", "last_order_at" DESC, "customer_id" DESC);
