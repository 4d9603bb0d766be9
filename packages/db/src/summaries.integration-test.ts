/**
 * The on-write summaries (triggers in migration rls_and_summaries) must always equal a rebuild from
 * raw orders, whatever sequence of inserts, updates (amount, date, refund, currency), deletes,
 * customer deletions and upserts happened. fast-check generates the sequences.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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
    tx.workspace.create({ data: { id, name: "W", slug: `w-${id}`, timezone: tz }, select: { id: true } }),
  );
  return id;
}

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
  return { customers, rollups, stats };
}

type Op =
  | { kind: "insert"; customer: number; order: number; day: number; hour: number; amount: number; currency: "USD" | "EUR" }
  | { kind: "update"; order: number; day: number; amount: number; refunded: boolean }
  | { kind: "delete"; order: number }
  | { kind: "deleteCustomer"; customer: number }
  | { kind: "upsert"; order: number; customer: number; day: number; amount: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant("insert" as const), customer: fc.integer({ min: 0, max: 5 }), order: fc.integer({ min: 0, max: 30 }), day: fc.integer({ min: 0, max: 120 }), hour: fc.integer({ min: 0, max: 23 }), amount: fc.integer({ min: 1, max: 50_000 }), currency: fc.constantFrom("USD" as const, "USD" as const, "EUR" as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("update" as const), order: fc.integer({ min: 0, max: 30 }), day: fc.integer({ min: 0, max: 120 }), amount: fc.integer({ min: 1, max: 50_000 }), refunded: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("delete" as const), order: fc.integer({ min: 0, max: 30 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("deleteCustomer" as const), customer: fc.integer({ min: 0, max: 5 }) }) },
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
      await tx.order.createMany({
        data: [{ workspaceId: ws, externalId: `o${op.order}`, customerId: cid, orderedAt: at(op.day, op.hour), amountMinor: BigInt(op.amount), currency: op.currency, costMinor: BigInt(Math.floor(op.amount / 2)) }],
        skipDuplicates: true,
      });
      return;
    }
    case "update":
      await tx.order.updateMany({
        where: { workspaceId: ws, externalId: `o${op.order}` },
        data: { orderedAt: at(op.day), amountMinor: BigInt(op.amount), refunded: op.refunded },
      });
      return;
    case "delete":
      await tx.order.deleteMany({ where: { workspaceId: ws, externalId: `o${op.order}` } });
      return;
    case "deleteCustomer":
      await tx.customer.deleteMany({ where: { workspaceId: ws, externalId: `c${op.customer}` } });
      return;
    case "upsert": {
      // The import path's shape: INSERT ... ON CONFLICT DO UPDATE fires both statement triggers.
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

describe("on-write summaries", () => {
  it("equal a rebuild from raw orders after any sequence of writes", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(opArb, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 5 }), fc.constantFrom("UTC", "America/New_York", "Asia/Kolkata"), async (batches, tz) => {
        const ws = await newWorkspace(tz);
        // Several transactions, several statements each, like import batches.
        for (const batch of batches) {
          await withWorkspace(h.prisma, ws, async (tx) => {
            for (const op of batch) await apply(tx, ws, op);
          });
        }
        await withWorkspace(h.prisma, ws, async (tx) => {
          const incremental = await snapshot(tx, ws);
          await tx.$executeRaw`SELECT vl_rebuild_summaries(${ws}::uuid)`;
          const rebuilt = await snapshot(tx, ws);
          expect(incremental).toEqual(rebuilt);
        });
      }),
      { numRuns: 40, seed: 20261123 },
    );
  });

  it("merges same-day purchases like lifetimes and splits month revenue into new vs returning", async () => {
    const ws = await newWorkspace();
    await withWorkspace(h.prisma, ws, async (tx) => {
      const c1 = await customerId(tx, ws, 1);
      await tx.order.createMany({
        data: [
          { workspaceId: ws, externalId: "a", customerId: c1, orderedAt: new Date("2025-01-05T01:00:00Z"), amountMinor: 1000n, currency: "USD" },
          { workspaceId: ws, externalId: "b", customerId: c1, orderedAt: new Date("2025-01-05T23:00:00Z"), amountMinor: 500n, currency: "USD" },
          { workspaceId: ws, externalId: "c", customerId: c1, orderedAt: new Date("2025-03-01T10:00:00Z"), amountMinor: 2000n, currency: "USD" },
        ],
      });
      const c = await tx.customer.findFirstOrThrow({ where: { id: c1 }, select: { orderCount: true, purchaseDays: true, revenueMinor: true, firstDayRevenueMinor: true } });
      expect(c).toEqual({ orderCount: 3, purchaseDays: 2, revenueMinor: 3500n, firstDayRevenueMinor: 1500n });
      const r = await tx.monthlyRollup.findMany({ where: { workspaceId: ws }, orderBy: { month: "asc" }, select: { revenueMinor: true, newCustomerRevenueMinor: true, newCustomers: true } });
      expect(r).toEqual([
        { revenueMinor: 1500n, newCustomerRevenueMinor: 1500n, newCustomers: 1 },
        { revenueMinor: 2000n, newCustomerRevenueMinor: 0n, newCustomers: 0 },
      ]);
    });
  });
});
