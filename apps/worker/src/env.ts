import { z } from "zod";

const ZWorkerEnv = z.object({
  DATABASE_URL: z.string().url(),
  /**
   * pg-boss keeps its own tables in schema "pgboss" (queue state, not tenant data) and the worker's
   * cross-workspace scan reads ids/timestamps only: both use the owner role, which may create schemas
   * in the database and passes the vl_is_owner() scan policy. Tenant work itself always runs as the
   * app role through withWorkspace. Falls back to DATABASE_URL for single-role setups.
   */
  DATABASE_OWNER_URL: z.string().url().optional(),
  /** How often each worker looks for stale workspaces and queued runs. */
  WORKER_SCAN_MS: z.coerce.number().int().min(200).max(600_000).default(1_000),
  /** Quiet period after the last data write before a recompute starts (debounce). */
  RECOMPUTE_DEBOUNCE_MS: z.coerce.number().int().min(0).max(3_600_000).default(1_000),
  /** Nightly full refresh (cron, UTC). */
  RECOMPUTE_CRON: z.string().default("0 3 * * *"),
  /** How often each worker looks for due weekly reports and deliveries to retry. */
  REPORT_SCAN_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(30_000),
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(16).default(1),
});
export type TWorkerEnv = z.infer<typeof ZWorkerEnv>;

export function workerEnv(): TWorkerEnv {
  const parsed = ZWorkerEnv.safeParse(process.env);
  if (!parsed.success) {
    throw new Error("Invalid worker configuration:\n" + parsed.error.issues.map((i) => `  - ${i.path.join(".")}: ${i.message}`).join("\n"));
  }
  return parsed.data;
}
