/**
 * Bulk summaries mode (migration import_fast_path): in a transaction that called vl_bulk_begin, order
 * writes only record their customers and vl_bulk_flush (or, at the latest, the deferred guard at
 * COMMIT) brings summaries, rollups, workspace stats and customer_months/weeks up to date. Whatever
 * mix of bulk and ordinary transactions ran, with or without an explicit flush, the result must equal
 * a rebuild from raw orders; a session that only sets the setting gets the ordinary path; deleting
 * customers in bulk mode is refused; other workspaces are untouched.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { beginBulkSummaries, beginBulkSummariesDeferred, bulkInsertOrders, deferredBounds, flushBulkSummaries, flushDeferredRange, flushDeferredSummaries } from "./bulk.ts";
import { createDb, type DbHandle } from "./client.ts";
import { withWorkspace, type Tx } from "./tenant.ts";

let h: DbHandle;
beforeAll(() => {
  h = createDb(process.env.DATABASE_URL!);
});
afterAll(async () => {
  await h.close();
});

async function newWorkspace(tz = "UTC"): Promise<string> {
  const id = crypto.randomUUID();
  await withWorkspace(h.prisma, id, (tx) =>
    tx.workspace.create({ data: { id, name: "W", slug: `w-${id}`, timezone: tz, marginRate: 0.35 }, select: { id: true } }),
  );
  return id;
}

/** Everything derived from orders, in a comparable form. */
async function snapshot(tx: Tx, ws: string) {
  const customers = await tx.customer.findMany({
    where: { workspaceId: ws },
    orderBy: { externalId: "asc" },
    select: {
      externalId: true, orderCount: true, purchaseDays: true, firstOrderAt: true, lastOrderAt: true,
      revenueMinor: true, marginMinor: true, firstDayRevenueMinor: true, firstMonthRevenueMinor: true,
    },
  });
  const rollups = (
    await tx.monthlyRollup.findMany({
      where: { workspaceId: ws },
      orderBy: { month: "asc" },
      select: { month: true, orders: true, revenueMinor: true, newCustomers: true, newCustomerRevenueMinor: true },
    })
  ).filter((r) => r.orders !== 0 || r.revenueMinor !== 0n || r.newCustomers !== 0 || r.newCustomerRevenueMinor !== 0n);
  const stats = await tx.workspaceStats.findUnique({
    where: { workspaceId: ws },
    select: { customers: true, customersWithOrders: true, repeatCustomers: true, orders: true, revenueMinor: true },
  });
  const months = await tx.customerMonth.findMany({
    where: { workspaceId: ws },
    orderBy: [{ customerId: "asc" }, { month: "asc" }],
    select: { customerId: true, month: true, orders: true, revenueMinor: true, marginMinor: true },
  });
  const weeks = await tx.customerWeek.findMany({
    where: { workspaceId: ws },
    orderBy: [{ customerId: "asc" }, { week: "asc" }],
    select: { customerId: true, week: true, orders: true, revenueMinor: true, marginMinor: true },
  });
  const pending = await tx.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM summary_pending WHERE workspace_id = ${ws}::uuid`;
  const guards = await tx.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM summary_bulk_guard WHERE workspace_id = ${ws}::uuid`;
  // No stats row yet (nothing written) is the same as a row of zeros (what a rebuild writes).
  const statsOrZero = stats ?? { customers: 0, customersWithOrders: 0, repeatCustomers: 0, orders: 0, revenueMinor: 0n };
  return { customers, rollups, stats: statsOrZero, months, weeks, pending: pending[0]?.n, guards: guards[0]?.n };
}

/** Snapshot now, then rebuild everything from raw orders and snapshot again (rolled back). */
async function incrementalVsRebuilt(ws: string) {
  let result: { incremental: unknown; rebuilt: unknown } | null = null;
  await withWorkspace(h.prisma, ws, async (tx) => {
    const incremental = await snapshot(tx, ws);
    await tx.$executeRaw`SELECT vl_rebuild_summaries(${ws}::uuid), vl_rebuild_customer_months(${ws}::uuid)`;
    result = { incremental, rebuilt: await snapshot(tx, ws) };
    throw new RollBack();
  }).catch((e: unknown) => {
    if (!(e instanceof RollBack)) throw e;
  });
  return result!;
}
class RollBack extends Error {}

async function deferredCount(ws: string): Promise<number> {
  const r = await withWorkspace(h.prisma, ws, (tx) => tx.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM summary_deferred WHERE workspace_id = ${ws}::uuid`);
  return r[0]?.n ?? 0;
}

type Op =
  | { kind: "insert"; customer: number; order: number; day: number; hour: number; amount: number; currency: "USD" | "EUR"; cost: boolean }
  | { kind: "update"; order: number; day: number; amount: number; refunded: boolean }
  | { kind: "move"; order: number; customer: number }
  | { kind: "delete"; order: number }
  | { kind: "upsert"; order: number; customer: number; day: number; amount: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant("insert" as const), customer: fc.integer({ min: 0, max: 5 }), order: fc.integer({ min: 0, max: 30 }), day: fc.integer({ min: 0, max: 120 }), hour: fc.integer({ min: 0, max: 23 }), amount: fc.integer({ min: 1, max: 50_000 }), currency: fc.constantFrom("USD" as const, "USD" as const, "EUR" as const), cost: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("update" as const), order: fc.integer({ min: 0, max: 30 }), day: fc.integer({ min: 0, max: 120 }), amount: fc.integer({ min: 1, max: 50_000 }), refunded: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("move" as const), order: fc.integer({ min: 0, max: 30 }), customer: fc.integer({ min: 0, max: 5 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("delete" as const), order: fc.integer({ min: 0, max: 30 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("upsert" as const), order: fc.integer({ min: 0, max: 30 }), customer: fc.integer({ min: 0, max: 5 }), day: fc.integer({ min: 0, max: 120 }), amount: fc.integer({ min: 1, max: 50_000 }) }) },
);

const BASE = Date.UTC(2025, 0, 20);
const at = (day: number, hour = 12) => new Date(BASE + day * 86_400_000 + hour * 3_600_000);

async function customerId(tx: Tx, ws: string, n: number): Promise<string> {
  const c = await tx.customer.upsert({
    where: { workspaceId_externalId: { workspaceId: ws, externalId: `c${n}` } },
    create: { workspaceId: ws, externalId: `c${n}` },
    update: {},
    select: { id: true },
  });
  return c.id;
}

async function apply(tx: Tx, ws: string, op: Op): Promise<void> {
  switch (op.kind) {
    case "insert": {
      const cid = await customerId(tx, ws, op.customer);
      const exists = await tx.order.count({ where: { workspaceId: ws, externalId: `o${op.order}` } });
      if (exists > 0) return;
      await bulkInsertOrders(tx, ws, [
        { externalId: `o${op.order}`, customerId: cid, orderedAt: at(op.day, op.hour), amountMinor: op.amount, currency: op.currency, costMinor: op.cost ? Math.floor(op.amount / 3) : null },
      ]);
      return;
    }
    case "update":
      await tx.order.updateMany({ where: { workspaceId: ws, externalId: `o${op.order}` }, data: { orderedAt: at(op.day), amountMinor: BigInt(op.amount), refunded: op.refunded } });
      return;
    case "move": {
      const cid = await customerId(tx, ws, op.customer);
      await tx.order.updateMany({ where: { workspaceId: ws, externalId: `o${op.order}` }, data: { customerId: cid } });
      return;
    }
    case "delete":
      await tx.order.deleteMany({ where: { workspaceId: ws, externalId: `o${op.order}` } });
      return;
    case "upsert": {
      const cid = await customerId(tx, ws, op.customer);
      await tx.$executeRaw`
        INSERT INTO orders (workspace_id, external_id, customer_id, ordered_at, amount_minor, currency)
        VALUES (${ws}::uuid, ${`o${op.order}`}, ${cid}::uuid, ${at(op.day)}, ${BigInt(op.amount)}, 'USD')
        ON CONFLICT (workspace_id, external_id) DO UPDATE
          SET amount_minor = EXCLUDED.amount_minor, ordered_at = EXCLUDED.ordered_at, customer_id = EXCLUDED.customer_id`;
      return;
    }
  }
}

type Mode = "ordinary" | "bulk+flush" | "bulk, flushed at commit only" | "bulk, flush midway";

describe("bulk summaries mode", () => {
  it("equals a rebuild from raw orders after any mix of bulk and ordinary transactions", async () => {
    const modeArb = fc.constantFrom<Mode>("ordinary", "bulk+flush", "bulk, flushed at commit only", "bulk, flush midway");
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(modeArb, fc.array(opArb, { minLength: 1, maxLength: 8 })), { minLength: 1, maxLength: 5 }),
        fc.constantFrom("UTC", "America/New_York", "Asia/Kolkata"),
        async (txs, tz) => {
          const ws = await newWorkspace(tz);
          for (const [mode, ops] of txs) {
            await withWorkspace(h.prisma, ws, async (tx) => {
              if (mode !== "ordinary") await beginBulkSummaries(tx, ws);
              for (const [i, op] of ops.entries()) {
                await apply(tx, ws, op);
                if (mode === "bulk, flush midway" && i === Math.floor(ops.length / 2)) await flushBulkSummaries(tx, ws);
              }
              if (mode === "bulk+flush") await flushBulkSummaries(tx, ws);
            });
          }
          const { incremental, rebuilt } = await incrementalVsRebuilt(ws);
          expect(incremental).toEqual(rebuilt);
          expect(incremental).toMatchObject({ pending: 0, guards: 0 });
        },
      ),
      { numRuns: 30, seed: 20261123 },
    );
  });

  // Migration 20261124107500: the import's deferred list flushed in slices by vl_flush_deferred
  // (one statement per slice, straight from the list), interleaved with ordinary writes to customers
  // that are still waiting on the list and with plain bulk transactions.
  it("deferred chunks flushed in slices of any size equal a rebuild, whatever ran in between", async () => {
    type DMode = "ordinary" | "deferred chunk" | "bulk+flush" | "flush a slice";
    const modeArb = fc.constantFrom<DMode>("ordinary", "deferred chunk", "deferred chunk", "bulk+flush", "flush a slice");
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(modeArb, fc.array(opArb, { minLength: 1, maxLength: 8 })), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 1, max: 4 }),
        fc.constantFrom("UTC", "America/New_York", "Asia/Kolkata"),
        async (txs, slice, tz) => {
          const ws = await newWorkspace(tz);
          for (const [mode, ops] of txs) {
            await withWorkspace(h.prisma, ws, async (tx) => {
              if (mode === "flush a slice") {
                await flushDeferredSummaries(tx, ws, slice);
                return;
              }
              if (mode === "deferred chunk") await beginBulkSummariesDeferred(tx, ws);
              if (mode === "bulk+flush") await beginBulkSummaries(tx, ws);
              for (const op of ops) await apply(tx, ws, op);
              if (mode === "bulk+flush") await flushBulkSummaries(tx, ws);
            });
          }
          // What the import does after its last chunk: slices, one transaction each, until none is left.
          let taken = 0;
          for (let n = -1; n !== 0; ) {
            n = await withWorkspace(h.prisma, ws, (tx) => flushDeferredSummaries(tx, ws, slice));
            expect(n).toBeLessThanOrEqual(slice);
            taken += n;
          }
          expect(taken).toBeLessThanOrEqual(6);
          const { incremental, rebuilt } = await incrementalVsRebuilt(ws);
          expect(incremental).toEqual(rebuilt);
          expect(incremental).toMatchObject({ pending: 0, guards: 0 });
          expect(await deferredCount(ws)).toBe(0);
        },
      ),
      { numRuns: 30, seed: 20261124 },
    );
  });

  // Migration 20261124108300: the import flushes disjoint slices (vl_deferred_bounds +
  // vl_flush_deferred_range) in transactions running at the same time; they share the months of
  // monthly_rollups and the workspace_stats row.
  it("disjoint slices flushed at the same time equal a rebuild", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.boolean(), fc.array(opArb, { minLength: 1, maxLength: 8 })), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 1, max: 3 }),
        fc.constantFrom("UTC", "America/New_York", "Asia/Kolkata"),
        async (txs, slice, tz) => {
          const ws = await newWorkspace(tz);
          for (const [deferred, ops] of txs) {
            await withWorkspace(h.prisma, ws, async (tx) => {
              if (deferred) await beginBulkSummariesDeferred(tx, ws);
              for (const op of ops) await apply(tx, ws, op);
            });
          }
          const before = await deferredCount(ws);
          const bounds = await withWorkspace(h.prisma, ws, (tx) => deferredBounds(tx, ws, slice));
          expect(bounds).toHaveLength(Math.floor(before / slice));
          const ranges = [...bounds, null].map((upto, i) => [i === 0 ? null : bounds[i - 1]!, upto] as const);
          const taken = await Promise.all(ranges.map(([after, upto]) => withWorkspace(h.prisma, ws, (tx) => flushDeferredRange(tx, ws, after, upto))));
          expect(taken.reduce((x, y) => x + y, 0)).toBe(before);
          for (const n of taken) expect(n).toBeLessThanOrEqual(slice);
          expect(await deferredCount(ws)).toBe(0);
          const { incremental, rebuilt } = await incrementalVsRebuilt(ws);
          expect(incremental).toEqual(rebuilt);
        },
      ),
      { numRuns: 25, seed: 20261125 },
    );
  });

  it("of two slices flushed at the same time, one dying before COMMIT leaves exactly its customers on the list", async () => {
    const ws = await newWorkspace();
    await withWorkspace(h.prisma, ws, async (tx) => {
      const ids = [await customerId(tx, ws, 1), await customerId(tx, ws, 2), await customerId(tx, ws, 3), await customerId(tx, ws, 4)];
      await beginBulkSummariesDeferred(tx, ws);
      await bulkInsertOrders(tx, ws, ids.map((id, i) => ({ externalId: `r${i}`, customerId: id, orderedAt: at(i * 40), amountMinor: 100 * (i + 1), currency: "USD" })));
    });
    const bounds = await withWorkspace(h.prisma, ws, (tx) => deferredBounds(tx, ws, 2));
    expect(bounds).toHaveLength(2);
    const [ok, died] = await Promise.allSettled([
      withWorkspace(h.prisma, ws, (tx) => flushDeferredRange(tx, ws, null, bounds[0]!)),
      withWorkspace(h.prisma, ws, async (tx) => {
        expect(await flushDeferredRange(tx, ws, bounds[0]!, null)).toBe(2);
        throw new RollBack(); // the process dies after the refresh, before COMMIT
      }),
    ]);
    expect(ok).toEqual({ status: "fulfilled", value: 2 });
    expect(died.status).toBe("rejected");
    expect(await deferredCount(ws)).toBe(2);
    const left = await withWorkspace(h.prisma, ws, (tx) => tx.$queryRaw<{ id: string }[]>`SELECT customer_id::text AS id FROM summary_deferred WHERE workspace_id = ${ws}::uuid ORDER BY 1`);
    for (const r of left) expect(r.id > bounds[0]!).toBe(true);
    expect(await withWorkspace(h.prisma, ws, (tx) => flushDeferredRange(tx, ws, null, null))).toBe(2);
    const { incremental, rebuilt } = await incrementalVsRebuilt(ws);
    expect(incremental).toEqual(rebuilt);
  });

  it("a range flush sees only the caller's workspace: another workspace's list and summaries are untouched", async () => {
    const a = await newWorkspace();
    const b = await newWorkspace();
    await withWorkspace(h.prisma, b, async (tx) => {
      const id = await customerId(tx, b, 1);
      await beginBulkSummariesDeferred(tx, b);
      await bulkInsertOrders(tx, b, [{ externalId: "t1", customerId: id, orderedAt: at(1), amountMinor: 500, currency: "USD" }]);
    });
    // From workspace a's tenant transaction, naming b: RLS hides b's list, nothing is taken.
    expect(await withWorkspace(h.prisma, a, (tx) => flushDeferredRange(tx, b, null, null))).toBe(0);
    expect(await withWorkspace(h.prisma, a, (tx) => deferredBounds(tx, b, 1))).toEqual([]);
    expect(await deferredCount(b)).toBe(1);
    expect(await withWorkspace(h.prisma, b, (tx) => tx.customer.findFirst({ where: { workspaceId: b }, select: { orderCount: true } }))).toEqual({ orderCount: 0 });
    expect(await withWorkspace(h.prisma, b, (tx) => flushDeferredRange(tx, b, null, null))).toBe(1);
    expect(await withWorkspace(h.prisma, b, (tx) => tx.customer.findFirst({ where: { workspaceId: b }, select: { orderCount: true } }))).toEqual({ orderCount: 1 });
  });

  it("a slice whose transaction fails leaves its customers on the deferred list; the next flush refreshes them", async () => {
    const ws = await newWorkspace();
    await withWorkspace(h.prisma, ws, async (tx) => {
      const ids = [await customerId(tx, ws, 1), await customerId(tx, ws, 2), await customerId(tx, ws, 3)];
      await beginBulkSummariesDeferred(tx, ws);
      await bulkInsertOrders(tx, ws, ids.map((id, i) => ({ externalId: `f${i}`, customerId: id, orderedAt: at(i), amountMinor: 100 * (i + 1), currency: "USD" })));
    });
    expect(await deferredCount(ws)).toBe(3);
    await expect(
      withWorkspace(h.prisma, ws, async (tx) => {
        expect(await flushDeferredSummaries(tx, ws, 2)).toBe(2);
        throw new RollBack(); // the process dies after the refresh, before COMMIT
      }),
    ).rejects.toBeInstanceOf(RollBack);
    expect(await deferredCount(ws)).toBe(3);
    const counts = () =>
      withWorkspace(h.prisma, ws, (tx) => tx.customer.findMany({ where: { workspaceId: ws }, orderBy: { externalId: "asc" }, select: { orderCount: true } }));
    expect(await counts()).toEqual([{ orderCount: 0 }, { orderCount: 0 }, { orderCount: 0 }]);
    expect(await withWorkspace(h.prisma, ws, (tx) => flushDeferredSummaries(tx, ws, 2))).toBe(2);
    expect(await deferredCount(ws)).toBe(1);
    expect(await withWorkspace(h.prisma, ws, (tx) => flushDeferredSummaries(tx, ws, null))).toBe(1);
    expect(await withWorkspace(h.prisma, ws, (tx) => flushDeferredSummaries(tx, ws, null))).toBe(0);
    expect(await counts()).toEqual([{ orderCount: 1 }, { orderCount: 1 }, { orderCount: 1 }]);
    const { incremental, rebuilt } = await incrementalVsRebuilt(ws);
    expect(incremental).toEqual(rebuilt);
  });

  it("records instead of refreshing until the flush, and reports how many customers it refreshed", async () => {
    const ws = await newWorkspace();
    await withWorkspace(h.prisma, ws, async (tx) => {
      const a = await customerId(tx, ws, 1);
      const b = await customerId(tx, ws, 2);
      await beginBulkSummaries(tx, ws);
      await bulkInsertOrders(tx, ws, [
        { externalId: "x1", customerId: a, orderedAt: at(1), amountMinor: 1000, currency: "USD" },
        { externalId: "x2", customerId: a, orderedAt: at(5), amountMinor: 500, currency: "USD" },
        { externalId: "x3", customerId: b, orderedAt: at(2), amountMinor: 700, currency: "USD" },
      ]);
      // Deferred: nothing refreshed yet inside the transaction.
      const before = await tx.customer.findMany({ where: { workspaceId: ws }, select: { orderCount: true }, orderBy: { externalId: "asc" } });
      expect(before).toEqual([{ orderCount: 0 }, { orderCount: 0 }]);
      expect(await flushBulkSummaries(tx, ws)).toBe(2);
      expect(await flushBulkSummaries(tx, ws)).toBe(0);
      const after = await tx.customer.findMany({ where: { workspaceId: ws }, select: { orderCount: true, revenueMinor: true }, orderBy: { externalId: "asc" } });
      expect(after).toEqual([{ orderCount: 2, revenueMinor: 1500n }, { orderCount: 1, revenueMinor: 700n }]);
      const stats = await tx.workspaceStats.findUnique({ where: { workspaceId: ws }, select: { orders: true, revenueMinor: true, customersWithOrders: true, repeatCustomers: true } });
      expect(stats).toEqual({ orders: 3, revenueMinor: 2200n, customersWithOrders: 2, repeatCustomers: 1 });
    });
  });

  it("cannot be switched on by the setting alone: without vl_bulk_begin's guard row the ordinary path runs", async () => {
    const ws = await newWorkspace();
    await withWorkspace(h.prisma, ws, async (tx) => {
      const a = await customerId(tx, ws, 1);
      await tx.$executeRaw`SELECT set_config('app.bulk_summaries', txid_current()::text, true)`;
      await bulkInsertOrders(tx, ws, [{ externalId: "s1", customerId: a, orderedAt: at(1), amountMinor: 1000, currency: "USD" }]);
      const c = await tx.customer.findFirst({ where: { workspaceId: ws }, select: { orderCount: true } });
      expect(c).toEqual({ orderCount: 1 });
    });
    const { incremental, rebuilt } = await incrementalVsRebuilt(ws);
    expect(incremental).toEqual(rebuilt);
  });

  it("refuses deleting customers while it is on (their derived rows would cascade away unaccounted)", async () => {
    const ws = await newWorkspace();
    await withWorkspace(h.prisma, ws, async (tx) => {
      await customerId(tx, ws, 1);
    });
    await expect(
      withWorkspace(h.prisma, ws, async (tx) => {
        await beginBulkSummaries(tx, ws);
        await tx.customer.deleteMany({ where: { workspaceId: ws } });
      }),
    ).rejects.toThrow(/bulk summary mode/);
    // Outside bulk mode it works as before.
    await withWorkspace(h.prisma, ws, (tx) => tx.customer.deleteMany({ where: { workspaceId: ws } }));
  });

  it("ends with its transaction: later transactions (here in another workspace) take the ordinary path", async () => {
    const ws = await newWorkspace();
    const other = await newWorkspace();
    await withWorkspace(h.prisma, ws, async (tx) => {
      const a = await customerId(tx, ws, 1);
      await beginBulkSummaries(tx, ws);
      await bulkInsertOrders(tx, ws, [{ externalId: "w1", customerId: a, orderedAt: at(1), amountMinor: 1000, currency: "USD" }]);
    });
    await withWorkspace(h.prisma, other, async (tx) => {
      const b = await customerId(tx, other, 1);
      await bulkInsertOrders(tx, other, [{ externalId: "w1", customerId: b, orderedAt: at(1), amountMinor: 2000, currency: "USD" }]);
      expect(await tx.customer.findFirst({ where: { workspaceId: other }, select: { revenueMinor: true } })).toEqual({ revenueMinor: 2000n });
    });
    for (const w of [ws, other]) {
      const { incremental, rebuilt } = await incrementalVsRebuilt(w);
      expect(incremental).toEqual(rebuilt);
    }
  });
});
