export { createDb, getDb, closeDb, type DbHandle, type PrismaClient } from "./client.ts";
export { dbEnv, type TDbEnv } from "./env.ts";
export {
  withTenant,
  withWorkspace,
  withUser,
  setWorkspaceInTx,
  NestedTenantTransactionError,
  detachedFromTenant,
  type Tx,
  type TenantScope,
  type TenantTxOptions,
  type FirstRead,
} from "./tenant.ts";
export { Prisma } from "./generated/prisma/client.ts";
export type { Role, ImportKind, ImportStatus } from "./generated/prisma/enums.ts";
export { checkAppRole, type RoleCheck } from "./role-check.ts";
export { slugify } from "./slug.ts";
export {
  bulkInsertCustomers,
  bulkInsertOrders,
  bulkInsertSpend,
  beginBulkSummaries,
  beginBulkSummariesDeferred,
  flushBulkSummaries,
  deferBulkSummaries,
  flushDeferredSummaries,
  deferredBounds,
  flushDeferredRange,
  type BulkCustomer, type BulkOrder, type BulkSpend } from "./bulk.ts";
export { rebuildFromOrders, type RebuildOptions, type RebuildResult } from "./rebuild.ts";
