/**
 * Benchmark: time from a committed data write (N new orders for existing customers of the demo
 * workspace, written like an import batch: set-based insert + onWorkspaceDataChanged in one
 * transaction) until the refreshed predictions are visible (a succeeded ModelRun that started after
 * the write). Needs a running app (`pnpm start`, which runs the worker) and its DATABASE_URL.
 * Usage: eval "$(pnpm -s db:env)"; pnpm --filter @valuelens/worker exec tsx bench/refresh-latency.ts [orders]
 */
import { bulkInsertOrders, getDb, closeDb, withWorkspace } from "@valuelens/db";
import { onWorkspaceDataChanged } from "@valuelens/api/services";

const n = Number(process.argv[2] ?? 10_000);
const { prisma } = getDb();

// The app role sees a workspace only inside it, so the id is passed in (Model page URL or db).
const wsId = process.env.BENCH_WORKSPACE_ID;
if (!wsId) throw new Error("Set BENCH_WORKSPACE_ID to the workspace id");

const t0 = Date.now();
await withWorkspace(prisma, wsId, async (tx) => {
  const customers = await tx.$queryRaw<{ id: string }[]>`SELECT id::text AS id FROM customers WHERE workspace_id = ${wsId}::uuid ORDER BY id LIMIT 2000`;
  const now = Date.now();
  const rows = Array.from({ length: n }, (_, i) => ({
    externalId: `bench-${now}-${i}`,
    customerId: customers[i % customers.length]!.id,
    orderedAt: new Date(now - (i % 30) * 3_600_000),
    amountMinor: 1000 + (i % 5000),
    currency: "USD",
  }));
  for (let i = 0; i < rows.length; i += 1000) await bulkInsertOrders(tx, wsId, rows.slice(i, i + 1000));
  await onWorkspaceDataChanged(tx, wsId);
}, { timeoutMs: 120_000 });
const written = Date.now();
const since = new Date(written);
for (;;) {
  const runs = await withWorkspace(prisma, wsId, (tx) =>
    tx.modelRun.findFirst({ where: { workspaceId: wsId, status: "succeeded", startedAt: { gte: since } }, select: { id: true, durationMs: true, finishedAt: true } }),
  );
  if (runs?.finishedAt) {
    console.log(JSON.stringify({ orders: n, writeMs: written - t0, visibleAfterWriteMs: runs.finishedAt.getTime() - written, recomputeMs: runs.durationMs }));
    break;
  }
  if (Date.now() - written > 120_000) throw new Error("no refresh within 120 s");
  await new Promise((r) => setTimeout(r, 100));
}
await closeDb();
