-- Customers page, "without orders" view (issue 9): imported customers who have not bought yet,
-- newest first, keyset on (created_at, id). Partial: it holds only customers with order_count = 0,
-- so it stays small in a workspace of buyers and costs nothing on the order-write path except when a
-- customer's first order moves it out (one index delete).
CREATE INDEX "customers_without_orders_idx" ON "customers" ("workspace_id", "created_at" DESC, "id" DESC) WHERE "order_count" = 0;
