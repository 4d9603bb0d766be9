-- Customers page search (issue 9: "search by email, name or external id, fast on 1,000,000
-- customers"). External id and e-mail have (workspace_id, …) indexes already; a case-insensitive
-- name prefix had none, so a name search walked the scores in sort order and tested every joined
-- customer. text_pattern_ops serves LIKE 'prefix%' under any database collation (the embedded
-- server is initialised with the C locale, an external one may not be).
-- Not expressible in schema.prisma (expression index); kept here like the triggers and policies.
CREATE INDEX "customers_workspace_id_lower_name_idx" ON "customers" ("workspace_id", lower("name") text_pattern_ops);
CREATE INDEX "customers_workspace_id_email_pattern_idx" ON "customers" ("workspace_id", "email" text_pattern_ops);
