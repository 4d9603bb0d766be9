import type { PrismaClient } from "./generated/prisma/client.ts";
import { detachedFromTenant, withWorkspace, type Tx } from "./tenant.ts";

/**
 * The repair rebuild from raw orders on several connections at once (issue 9; migration
 * 20261124108500_parallel_rebuild). Everything the rebuild derives per customer (summary, month and
 * week rows) depends only on that customer's orders, so the workspace's customers are cut into id
 * ranges (vl_rebuild_bounds) and `connections` transactions run the ranges (vl_rebuild_range) at the
 * same time, each on its own core; the caller's transaction then writes the workspace's totals
 * (monthly_rollups, workspace_stats) from the ranges' shares (vl_rebuild_totals).
 *
 * Consistency: the caller's transaction `tx` (READ COMMITTED, the workspace's tenant transaction) first
 * locks the workspace row (FOR NO KEY UPDATE; every app write of orders marks the workspace stale in
 * its own transaction, so none can commit until `tx` ends), then exports its snapshot; every range
 * transaction imports that one snapshot (REPEATABLE READ), so all ranges read the same orders and
 * settings. A range transaction that would overwrite a row changed after the snapshot fails with a
 * serialization error instead of losing the change; one that waits for a row a writer holds gives up
 * after `lockTimeoutMs` (the writer may be waiting for `tx`'s workspace row: a deadlock across the two
 * connections that PostgreSQL cannot detect), failing the rebuild. The range transactions commit only when every
 * range has succeeded (each waits for the others after its work); the totals are written in `tx`
 * after they committed. Not atomic across connections: if one range transaction fails to COMMIT after
 * another committed (a crash or dropped connection between the commits), this throws, `tx` rolls back
 * (so a pending settings rebuild stays pending and the worker runs it again), and the committed ranges
 * are already repaired — each one correct on its own, since ranges share no rows.
 *
 * The range transactions see only committed data: settings or orders the caller changed earlier in
 * `tx` are invisible to them. The workspace's settings are checked (a mismatch throws before anything is
 * written); call this before writing anything else in `tx`. Small workspaces (fewer than `minOrders`
 * orders) and `ranges: 1` run the one-statement rebuild in `tx` instead.
 */
export interface RebuildOptions {
  /** Also rebuild customer summaries, monthly_rollups and workspace_stats (vl_rebuild_summaries); false: months and weeks only. */
  summaries?: boolean;
  /** Transactions running ranges at the same time (default 2, one per core of the machine it was measured on). */
  connections?: number;
  /** Ranges the customers are cut into (default 8 per connection: a connection that falls behind takes fewer). */
  ranges?: number;
  /** Below this many orders (workspace_stats) the rebuild is one statement in `tx` (default 200,000). */
  minOrders?: number;
  /** Time limit of each range transaction (default 60 min); their statement limit is `tx`'s. */
  timeoutMs?: number;
  /**
   * How long a range transaction waits for a row another transaction holds (default 10 s), then fails
   * the rebuild. Such a wait can be a deadlock PostgreSQL cannot see: a writer holds a customer's row
   * and waits for the workspace row `tx` holds, while `tx` waits (in Node) for this range.
   */
  lockTimeoutMs?: number;
}

export interface RebuildResult {
  /** Run by range transactions (false: the one-statement rebuild in the caller's transaction). */
  split: boolean;
  /** Ranges run (1 when not split). */
  ranges: number;
  connections: number;
  ms: number;
}

const DEFAULT_MIN_ORDERS = 200_000;

export async function rebuildFromOrders(prisma: PrismaClient, tx: Tx, workspaceId: string, opts: RebuildOptions = {}): Promise<RebuildResult> {
  const started = Date.now();
  const summaries = opts.summaries ?? true;
  const connections = Math.max(1, Math.floor(opts.connections ?? 2));
  const lockTimeoutMs = Math.max(1, Math.floor(opts.lockTimeoutMs ?? 10_000));
  const [ws] = await tx.$queryRaw<{ settings: string; orders: number | null; timeout: string; isolation: string }[]>`
    SELECT row(w.timezone, w.currency, w.margin_rate)::text AS settings, s.orders, current_setting('statement_timeout') AS timeout,
           current_setting('transaction_isolation') AS isolation
      FROM workspaces w LEFT JOIN workspace_stats s ON s.workspace_id = w.id
     WHERE w.id = ${workspaceId}::uuid
       FOR NO KEY UPDATE OF w`;
  if (!ws) throw new Error(`Rebuild from orders: workspace ${workspaceId} not found (or not visible in this tenant transaction).`);
  // The snapshot must be taken after the lock (a writer that held it has committed): READ COMMITTED.
  if (ws.isolation !== "read committed") throw new Error(`Rebuild from orders: the caller's transaction must be READ COMMITTED, not ${ws.isolation}.`);
  // A missing stats row (damaged) counts as large: the split is right for any size.
  const wanted = Math.max(1, Math.floor(opts.ranges ?? connections * 8));
  if (wanted === 1 || (ws.orders !== null && ws.orders < (opts.minOrders ?? DEFAULT_MIN_ORDERS))) {
    await tx.$executeRaw`SELECT vl_rebuild_from_orders(${workspaceId}::uuid, ${summaries})`;
    return { split: false, ranges: 1, connections: 1, ms: Date.now() - started };
  }

  const [b] = await tx.$queryRaw<{ b: string[] }[]>`SELECT vl_rebuild_bounds(${workspaceId}::uuid, ${wanted}::int)::text[] AS b`;
  const bounds = b?.b ?? [];
  const ranges = [null, ...bounds].map((lo, i) => ({ lo, hi: bounds[i] ?? null }));
  const [snap] = await tx.$queryRaw<{ id: string }[]>`SELECT pg_export_snapshot() AS id`;
  if (!/^[0-9A-F-]+$/i.test(snap?.id ?? "") || !/^\d+(\.\d+)?\s*[a-z]*$/i.test(ws.timeout.trim()))
    throw new Error(`Rebuild from orders: unexpected snapshot id or statement_timeout (${JSON.stringify([snap?.id, ws.timeout])}).`);

  // Each range's share of the totals, as the jsonb text vl_rebuild_range returned (never parsed in
  // Node: amounts may pass 2^53).
  const parts: (string | null)[] = ranges.map(() => null);
  let next = 0;
  let failed = false;
  const workers = Math.min(connections, ranges.length);
  const worked = Array.from({ length: workers }, () => deferred());
  const allWorked = Promise.all(worked.map((d) => d.promise));
  allWorked.catch(() => undefined); // observed by every worker below
  const runs = worked.map((done) =>
    detachedFromTenant(() =>
      withWorkspace(
        prisma,
        workspaceId,
        async (h) => {
          try {
            await h.$executeRawUnsafe(`SET LOCAL statement_timeout = '${ws.timeout.trim()}'`);
            await h.$executeRawUnsafe(`SET LOCAL lock_timeout = '${lockTimeoutMs}ms'`);
            const [mine] = await h.$queryRaw<{ settings: string }[]>`
              SELECT row(timezone, currency, margin_rate)::text AS settings FROM workspaces WHERE id = ${workspaceId}::uuid`;
            if (mine?.settings !== ws.settings)
              throw new Error(
                `Rebuild from orders: the workspace's settings in the caller's transaction (${ws.settings}) are not the committed ones (${mine?.settings ?? "none"}); commit the settings change before the rebuild.`,
              );
            while (!failed && next < ranges.length) {
              const i = next++;
              const r = ranges[i]!;
              const [row] = await h.$queryRaw<{ part: string | null }[]>`
                SELECT vl_rebuild_range(${workspaceId}::uuid, ${r.lo}::uuid, ${r.hi}::uuid, ${summaries})::text AS part`;
              parts[i] = row?.part ?? null;
            }
            done.resolve();
          } catch (e) {
            failed = true;
            done.reject(e);
            throw e;
          }
          // Commit only once every range has succeeded; if another failed, roll this one back too.
          await allWorked;
        },
        { isolationLevel: "RepeatableRead", snapshot: snap!.id, timeoutMs: opts.timeoutMs ?? 60 * 60_000 },
      ).catch((e: unknown) => {
        // Also when the transaction never started (no connection): the others must not wait for it.
        failed = true;
        done.reject(e);
        throw e;
      }),
    ),
  );
  const settled = await Promise.allSettled(runs);
  const errors = settled.flatMap((s) => (s.status === "rejected" ? [s.reason as unknown] : []));
  if (errors.length > 0) {
    const committed = settled.filter((s) => s.status === "fulfilled").length;
    const first = errors[0] instanceof Error ? errors[0].message : String(errors[0]);
    throw new Error(
      committed > 0
        ? `Rebuild from orders: ${committed} of ${workers} range transactions committed but ${errors.length} failed (${first}); the committed ranges are repaired, run the rebuild again for the rest.`
        : `Rebuild from orders failed, nothing written: ${first}`,
      { cause: errors[0] },
    );
  }
  if (summaries) {
    const all = `[${parts.map((p) => p ?? "null").join(",")}]`;
    if (parts.some((p) => p === null)) throw new Error("Rebuild from orders: a range returned no totals.");
    await tx.$executeRaw`SELECT vl_rebuild_totals(${workspaceId}::uuid, ${all}::jsonb)`;
  }
  return { split: true, ranges: ranges.length, connections: workers, ms: Date.now() - started };
}

function deferred(): { promise: Promise<void>; resolve: () => void; reject: (e: unknown) => void } {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
