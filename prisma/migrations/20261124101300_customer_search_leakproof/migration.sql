-- Customers search under row-level security (issue 9). The app role reads customers through the
-- tenant policy, and PostgreSQL only uses a query's condition inside an index scan below that policy
-- when every function in it is LEAKPROOF. LIKE (textlike) and lower() are not, so the prefix indexes
-- of migration customer_name_search were never used by the app: a 4-character e-mail prefix search
-- scanned the workspace's customers (≈ 400 ms at 1M). starts_with() and the pattern comparison
-- operators are leakproof, so the search now uses starts_with(email, …) and starts_with(name_lower, …),
-- with the lower-cased name stored in a generated column (lower() then runs on write, not in the query).
ALTER TABLE "customers" ADD COLUMN "name_lower" TEXT GENERATED ALWAYS AS (lower("name")) STORED;
DROP INDEX IF EXISTS "customers_workspace_id_lower_name_idx";
CREATE INDEX "customers_workspace_id_name_lower_idx" ON "customers" ("workspace_id", "name_lower" text_pattern_ops);
