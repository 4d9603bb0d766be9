import type { Tx } from "@valuelens/db";
import { divRound } from "../overview.ts";

export interface WeekNumbers {
  revenueMinor: bigint;
  orders: number;
  newCustomers: number;
}

export interface ReportContent {
  workspace: { id: string; name: string; slug: string; currency: string; timezone: string };
  /** The reported week in the schedule's time zone (which may differ from the workspace's). */
  period: { from: Date; to: Date; periodStart: string; timezone: string };
  thisWeek: WeekNumbers;
  previousWeek: WeekNumbers;
  sameWeekLastYear: WeekNumbers;
  averageOrderValueMinor: bigint | null;
  repeatPurchaseRate: number | null;
  dataAsOf: Date | null;
  /** True when no data arrived since the reported week ended (last write before its end): numbers may be incomplete. */
  stale: boolean;
}

const WEEK = 7 * 86_400_000;

/**
 * One week's revenue, orders and new customers: range scans on (workspace_id, ordered_at) and
 * (workspace_id, first_order_at) — a background job reading a week, never all orders.
 */
async function week(tx: Tx, ws: { id: string; currency: string }, from: Date, to: Date): Promise<WeekNumbers> {
  const [o] = await tx.$queryRaw<{ revenue: bigint | null; orders: bigint }[]>`
    SELECT (sum(amount_minor) FILTER (WHERE currency = ${ws.currency}))::bigint AS revenue, count(*) AS orders
      FROM orders WHERE workspace_id = ${ws.id}::uuid AND ordered_at >= ${from} AND ordered_at < ${to} AND NOT refunded`;
  const [c] = await tx.$queryRaw<{ n: bigint }[]>`
    SELECT count(*) AS n FROM customers WHERE workspace_id = ${ws.id}::uuid AND first_order_at >= ${from} AND first_order_at < ${to}`;
  return { revenueMinor: o?.revenue ?? 0n, orders: Number(o?.orders ?? 0n), newCustomers: Number(c?.n ?? 0n) };
}

export async function buildReportContent(
  tx: Tx,
  workspaceId: string,
  period: { from: Date; to: Date; periodStart: string; timezone: string },
): Promise<ReportContent> {
  const ws = await tx.workspace.findUniqueOrThrow({ where: { id: workspaceId }, select: { id: true, name: true, slug: true, currency: true, timezone: true } });
  const thisWeek = await week(tx, ws, period.from, period.to);
  const previousWeek = await week(tx, ws, new Date(period.from.getTime() - WEEK), period.from);
  const lastYearFrom = new Date(period.from.getTime() - 52 * WEEK);
  const sameWeekLastYear = await week(tx, ws, lastYearFrom, new Date(lastYearFrom.getTime() + (period.to.getTime() - period.from.getTime())));
  const stats = await tx.workspaceStats.findUnique({ where: { workspaceId }, select: { customersWithOrders: true, repeatCustomers: true, updatedAt: true } });
  return {
    workspace: ws,
    period,
    thisWeek,
    previousWeek,
    sameWeekLastYear,
    averageOrderValueMinor: thisWeek.orders > 0 ? divRound(thisWeek.revenueMinor, BigInt(thisWeek.orders)) : null,
    repeatPurchaseRate: stats && stats.customersWithOrders > 0 ? stats.repeatCustomers / stats.customersWithOrders : null,
    dataAsOf: stats?.updatedAt ?? null,
    // workspace_stats.updated_at moves with every write of orders or customers.
    stale: !stats || stats.updatedAt < period.to,
  };
}
