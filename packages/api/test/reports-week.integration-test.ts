/**
 * The weekly report's week figures after orders lost their (workspace_id, ordered_at) index (issue 4,
 * migration 20261124108800): week() sums customer_weeks for whole workspace weeks and reads the orders
 * otherwise. Property: for random orders (refunds, a second currency, immediate and deferred writes,
 * dates across daylight-saving changes), random workspace and schedule time zones and random windows
 * (one or more whole weeks of the workspace, a week of another zone, or arbitrary), the figures equal
 * the query over all the workspace's orders — also while an import's customers wait for their flush
 * and while a time-zone change waits for its rebuild (weeks still cut in the old zone).
 */
import { beginBulkSummariesDeferred, bulkInsertCustomers, bulkInsertOrders, flushDeferredSummaries, getDb, withWorkspace, type Tx } from "@valuelens/db";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ordersFigures, week, type WeekNumbers } from "../src/services/reports/content.ts";
import { zonedInstant } from "../src/services/zoned-time.ts";
import { signUp } from "./harness.ts";

const ZONES = ["UTC", "Europe/Paris", "America/New_York", "Pacific/Kiritimati", "Pacific/Pago_Pago", "Asia/Kolkata"] as const;
const DAY = 86_400_000;
/** 2025-03-03, a Monday; orders fall in the five weeks after it (US DST starts 9 Mar, EU 30 Mar). */
const BASE = Date.UTC(2025, 2, 3);

/** The figures straight from orders (the query before the index was dropped, now week()'s path for other windows). */
async function reference(tx: Tx, ws: { id: string; currency: string }, from: Date, to: Date): Promise<WeekNumbers> {
  const [o] = await ordersFigures(tx, ws, from, to);
  const newCustomers = await tx.customer.count({ where: { workspaceId: ws.id, firstOrderAt: { gte: from, lt: to } } });
  return {
    revenueMinor: o?.revenue ?? 0n,
    orders: Number(o?.orders ?? 0n),
    newCustomers,
    activeCustomers: Number(o?.active ?? 0n),
    returningCustomers: Number(o?.returning ?? 0n),
  };
}

const orderArb = fc.record({
  customer: fc.nat({ max: 9 }),
  /** Minutes after BASE, over five weeks; half of them within 26 hours of a UTC week start, where zones disagree on the week. */
  minute: fc.oneof(
    fc.nat({ max: 35 * 24 * 60 - 1 }),
    fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: -26 * 60, max: 26 * 60 })).map(([w, m]) => w * 7 * 24 * 60 + m),
  ),
  amount: fc.integer({ min: 1, max: 100_000 }),
  euro: fc.boolean(),
  refunded: fc.boolean(),
  deferred: fc.boolean(),
});

const windowArb = fc.oneof(
  // Whole weeks of the workspace (Monday 00:00 in its zone): the customer_weeks path.
  fc.record({ kind: fc.constant("week" as const), zone: fc.constant(null), week: fc.integer({ min: -1, max: 5 }), weeks: fc.integer({ min: 1, max: 3 }) }),
  // A Monday-to-Monday week in some zone (a schedule's, maybe not the workspace's).
  fc.record({ kind: fc.constant("week" as const), zone: fc.constantFrom(...ZONES), week: fc.integer({ min: -1, max: 5 }), weeks: fc.constant(1) }),
  // Any window.
  fc.record({ kind: fc.constant("any" as const), start: fc.integer({ min: -2 * 24 * 60, max: 36 * 24 * 60 }), minutes: fc.integer({ min: 1, max: 10 * 24 * 60 }) }),
);

type Win = { kind: "week"; zone: string | null; week: number; weeks: number } | { kind: "any"; start: number; minutes: number };

/** The window in instants; a week window without a zone is in the workspace's zone. */
function windowOf(w: Win, workspaceZone: string): { from: Date; to: Date } {
  if (w.kind === "any") {
    const from = BASE + w.start * 60_000;
    return { from: new Date(from), to: new Date(from + w.minutes * 60_000) };
  }
  const monday = new Date(BASE + w.week * 7 * DAY);
  const next = new Date(monday.getTime() + w.weeks * 7 * DAY);
  const zone = w.zone ?? workspaceZone;
  const at = (d: Date) => zonedInstant({ year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: 0, minute: 0 }, zone);
  return { from: new Date(at(monday)), to: new Date(at(next)) };
}

describe("weekly report: week figures without a time index on orders", () => {
  it("equal the figures read from all orders, for any zones, windows, deferred imports and pending rebuilds", async () => {
    const owner = await signUp("report-week");
    const wsId = owner.workspaceId;
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ZONES),
        fc.constantFrom(...ZONES),
        fc.array(orderArb, { minLength: 0, maxLength: 40 }),
        fc.array(windowArb, { minLength: 1, maxLength: 6 }),
        async (zone, laterZone, orders, windows) => {
          run++;
          const prisma = getDb().prisma;
          // A clean workspace in `zone` (weeks are cut in the workspace's zone).
          // (the last run's deferred customers are flushed first: deleting a listed customer flushes
          // the list inside the delete, which then finds its rows already changed)
          await withWorkspace(prisma, wsId, (tx) => flushDeferredSummaries(tx, wsId, null));
          await withWorkspace(prisma, wsId, async (tx) => {
            await tx.$executeRaw`DELETE FROM customers WHERE workspace_id = ${wsId}::uuid`;
            await tx.$executeRaw`UPDATE workspaces SET timezone = ${zone}, summaries_rebuild_at = NULL WHERE id = ${wsId}::uuid`;
          });
          const ids = await withWorkspace(prisma, wsId, (tx) =>
            bulkInsertCustomers(tx, wsId, Array.from({ length: 10 }, (_, i) => ({ externalId: `r${run}-c${i}` }))),
          );
          const rows = orders.map((o, i) => ({
            deferred: o.deferred,
            row: {
              externalId: `r${run}-o${i}`,
              customerId: ids.get(`r${run}-c${o.customer}`) ?? "",
              orderedAt: new Date(BASE + o.minute * 60_000),
              amountMinor: BigInt(o.amount),
              currency: o.euro ? "EUR" : "USD",
              refunded: o.refunded,
            },
          }));
          // Immediate writes keep customer_weeks current; deferred ones (an import's chunks) leave the
          // customers on the deferred list until a flush that never comes here.
          await withWorkspace(prisma, wsId, (tx) => bulkInsertOrders(tx, wsId, rows.filter((r) => !r.deferred).map((r) => r.row)));
          await withWorkspace(prisma, wsId, async (tx) => {
            await beginBulkSummariesDeferred(tx, wsId);
            await bulkInsertOrders(tx, wsId, rows.filter((r) => r.deferred).map((r) => r.row));
          });

          const check = async (rebuildPending: boolean) => {
            await withWorkspace(prisma, wsId, async (tx) => {
              const ws = await tx.workspace.findUniqueOrThrow({
                where: { id: wsId },
                select: { id: true, currency: true, timezone: true, summariesRebuildAt: true },
              });
              expect(ws.summariesRebuildAt !== null).toBe(rebuildPending);
              for (const w of windows) {
                const { from, to } = windowOf(w, ws.timezone);
                expect(await week(tx, ws, from, to), JSON.stringify({ zone: ws.timezone, w, from, to })).toEqual(await reference(tx, ws, from, to));
              }
            });
          };
          await check(false);
          // The import's flush: every customer in customer_weeks again, whole weeks read from there.
          await withWorkspace(prisma, wsId, (tx) => flushDeferredSummaries(tx, wsId, null));
          await check(false);
          // A large workspace's time-zone change: saved at once, weeks rebuilt later by the worker.
          if (laterZone !== zone) {
            await withWorkspace(prisma, wsId, async (tx) => {
              await tx.$executeRaw`UPDATE workspaces SET timezone = ${laterZone}, summaries_rebuild_at = now() WHERE id = ${wsId}::uuid`;
            });
            await check(true);
          }
        },
      ),
      { numRuns: 25 },
    );
  }, 240_000);
});
