/**
 * Regression: with statistics gathered while tables were tiny (what a fresh install or a test
 * database looks like after a few writes), the summary trigger planned its row lock as a nested-loop
 * semi-join over unnest(...) — 12.5 M comparisons for one 5,000-order batch, past the app role's
 * 30 s statement timeout, so the demo seed failed. The lock now goes through the primary key.
 * This test recreates those statistics and writes one 10,000-order statement as the app role:
 * the quadratic plan (~50 M comparisons) runs into the role's own statement_timeout and fails the
 * test; the fixed plan is linear. No wall-clock assertion here (speed lives in benchmarks).
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type DbHandle } from "./client.ts";
import { withWorkspace } from "./tenant.ts";

let h: DbHandle;
beforeAll(() => {
  h = createDb(process.env.DATABASE_URL!);
});
afterAll(async () => {
  await h.close();
});

describe("summary triggers under small-table statistics", () => {
  it("write a 10,000-order batch within the app role's statement timeout", async () => {
    const ws = crypto.randomUUID();
    await withWorkspace(h.prisma, ws, async (tx) => {
      await tx.workspace.create({ data: { id: ws, name: "plan", slug: `plan-${ws}` }, select: { id: true } });
      await tx.$executeRaw`INSERT INTO customers (workspace_id, external_id) SELECT ${ws}::uuid, 'c' || g FROM generate_series(1, 3) g`;
    });
    const owner = new pg.Client({ connectionString: process.env.DATABASE_OWNER_URL! });
    await owner.connect();
    await owner.query("ANALYZE customers; ANALYZE orders");
    await owner.end();
    await withWorkspace(h.prisma, ws, async (tx) => {
      await tx.$executeRaw`INSERT INTO customers (workspace_id, external_id) SELECT ${ws}::uuid, 'd' || g FROM generate_series(1, 10000) g`;
      await tx.$executeRaw`
        INSERT INTO orders (workspace_id, external_id, customer_id, ordered_at, amount_minor, currency)
        SELECT ${ws}::uuid, 'o' || c.external_id, c.id, now() - (row_number() OVER ()) * interval '1 hour', 1000, 'USD'
          FROM customers c WHERE c.workspace_id = ${ws}::uuid AND c.external_id LIKE 'd%'`;
    }, { timeoutMs: 60_000 });
    const stats = await withWorkspace(h.prisma, ws, (tx) => tx.workspaceStats.findUnique({ where: { workspaceId: ws }, select: { orders: true, customersWithOrders: true } }));
    expect(stats).toEqual({ orders: 10000, customersWithOrders: 10000 });
  });
});
