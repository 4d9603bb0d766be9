/**
 * customer_months (triggers in migration retention) must always equal a rebuild from raw orders
 and customer_weeks (vl_rebuild_customer_months), whatever sequence of inserts, updates (amount, cost, date, refund,
 * currency, customer), deletes, customer deletions and upserts happened, in any workspace time zone.
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

async function newWorkspace(tz: string): Promise<string> {
  const id = crypto.randomUUID();
  await withWorkspace(h.prisma, id, (tx) =>
    tx.workspace.create({ data: { id, name: "W", slug: `w-${id}`, timezone: tz, marginRate: 0.35 }, select: { id: true } }),
  );
  return id;
}

async function snapshot(tx: Tx, ws: string) {
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
  return { months, weeks };
}

type Op =
  | { kind: "insert"; customer: number; order: number; day: number; hour: number; amount: number; cost: number | null; currency: "USD" | "EUR" }
  | { kind: "update"; order: number; day: number; amount: number; cost: number | null; refunded: boolean }
  | { kind: "move"; order: number; customer: number }
  | { kind: "delete"; order: number }
  | { kind: "deleteCustomer"; customer: number }
  | { kind: "upsert"; order: number; customer: number; day: number; amount: number };

const cost = fc.option(fc.integer({ min: 0, max: 30_000 }), { nil: null });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant("insert" as const), customer: fc.integer({ min: 0, max: 5 }), order: fc.integer({ min: 0, max: 30 }), day: fc.integer({ min: 0, max: 200 }), hour: fc.integer({ min: 0, max: 23 }), amount: fc.integer({ min: 1, max: 50_000 }), cost, currency: fc.constantFrom("USD" as const, "USD" as const, "EUR" as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("update" as const), order: fc.integer({ min: 0, max: 30 }), day: fc.integer({ min: 0, max: 200 }), amount: fc.integer({ min: 1, max: 50_000 }), cost, refunded: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("move" as const), order: fc.integer({ min: 0, max: 30 }), customer: fc.integer({ min: 0, max: 5 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("delete" as const), order: fc.integer({ min: 0, max: 30 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("deleteCustomer" as const), customer: fc.integer({ min: 0, max: 5 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("upsert" as const), order: fc.integer({ min: 0, max: 30 }), customer: fc.integer({ min: 0, max: 5 }), day: fc.integer({ min: 0, max: 200 }), amount: fc.integer({ min: 1, max: 50_000 }) }) },
);

// The 1st of a month ± hours, so time-zone month boundaries are exercised.
const BASE = Date.UTC(2025, 0, 31, 18);
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
        data: [{ workspaceId: ws, externalId: `o${op.order}`, customerId: cid, orderedAt: at(op.day, op.hour), amountMinor: BigInt(op.amount), currency: op.currency, costMinor: op.cost === null ? null : BigInt(op.cost) }],
        skipDuplicates: true,
      });
      return;
    }
    case "update":
      await tx.order.updateMany({
        where: { workspaceId: ws, externalId: `o${op.order}` },
        data: { orderedAt: at(op.day), amountMinor: BigInt(op.amount), costMinor: op.cost === null ? null : BigInt(op.cost), refunded: op.refunded },
      });
      return;
    case "move": {
      const cid = await customerId(tx, ws, op.customer);
      await tx.order.updateMany({ where: { workspaceId: ws, externalId: `o${op.order}` }, data: { customerId: cid } });
      return;
    }
    case "delete":
      await tx.order.deleteMany({ where: { workspaceId: ws, externalId: `o${op.order}` } });
      return;
    case "deleteCustomer":
      await tx.customer.deleteMany({ where: { workspaceId: ws, externalId: `c${op.customer}` } });
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

describe("customer_months", () => {
  it("equals a rebuild from raw orders after any sequence of writes", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(opArb, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 5 }), fc.constantFrom("UTC", "America/New_York", "Asia/Kolkata"), async (batches, tz) => {
        const ws = await newWorkspace(tz);
        for (const batch of batches) {
          await withWorkspace(h.prisma, ws, async (tx) => {
            for (const op of batch) await apply(tx, ws, op);
          });
        }
        await withWorkspace(h.prisma, ws, async (tx) => {
          const incremental = await snapshot(tx, ws);
          expect([...incremental.months, ...incremental.weeks].every((r) => r.orders > 0)).toBe(true);
          await tx.$executeRaw`SELECT vl_rebuild_customer_months(${ws}::uuid)`;
          expect(incremental).toEqual(await snapshot(tx, ws));
        });
      }),
      { numRuns: 40, seed: 20261123 },
    );
  });

  it("puts an order in the month of the workspace time zone, revenue only in its currency, margin from cost or rate", async () => {
    const ws = await newWorkspace("America/New_York");
    await withWorkspace(h.prisma, ws, async (tx) => {
      const c = await customerId(tx, ws, 1);
      await tx.order.createMany({
        data: [
          // 2025-03-01 03:00 UTC is still February in New York
          { workspaceId: ws, externalId: "a", customerId: c, orderedAt: new Date("2025-03-01T03:00:00Z"), amountMinor: 1000n, currency: "USD", costMinor: 400n },
          { workspaceId: ws, externalId: "b", customerId: c, orderedAt: new Date("2025-03-02T12:00:00Z"), amountMinor: 2000n, currency: "USD" },
          { workspaceId: ws, externalId: "c", customerId: c, orderedAt: new Date("2025-03-03T12:00:00Z"), amountMinor: 9999n, currency: "EUR" },
          { workspaceId: ws, externalId: "d", customerId: c, orderedAt: new Date("2025-03-04T12:00:00Z"), amountMinor: 5000n, currency: "USD", refunded: true },
        ],
      });
      const { months: rows, weeks } = await snapshot(tx, ws);
      // ISO weeks (Monday) in New York: Fri 2025-02-28 and Sun 03-02 local → week of Mon 2025-02-24
      expect(weeks.map((r) => [r.week.toISOString().slice(0, 10), r.orders, r.revenueMinor])).toEqual([
        ["2025-02-24", 2, 3000n],
        ["2025-03-03", 1, 0n],
      ]);
      expect(rows.map((r) => [r.month.toISOString().slice(0, 10), r.orders, r.revenueMinor, r.marginMinor])).toEqual([
        ["2025-02-01", 1, 1000n, 600n],
        ["2025-03-01", 2, 2000n, 700n],
      ]);
    });
  });
});
