import type { Tx } from "@valuelens/db";

/** Money crosses the API as integer minor units in a string (exact, JSON-safe) plus the currency. */
export interface Money {
  minor: string;
  currency: string;
}

export interface OverviewKpis {
  currency: string;
  customers: number;
  customersWithOrders: number;
  orders: number;
  revenue: Money;
  averageOrderValue: Money | null;
  /** Share of customers with orders who bought on two or more distinct days. */
  repeatPurchaseRate: number | null;
  /** Revenue to date per customer with orders. */
  averageHistoricalClv: Money | null;
  dataUpdatedAt: Date | null;
}

/** Integer division rounded half away from zero, on bigints (no floats for money). */
export function divRound(n: bigint, d: bigint): bigint {
  if (d === 0n) throw new RangeError("division by zero");
  const q = n / d;
  const r = n % d;
  return 2n * (r < 0n ? -r : r) >= (d < 0n ? -d : d) ? q + (n < 0n === d < 0n ? 1n : -1n) : q;
}

/** Reads the workspace_stats row kept current on write: O(1), whatever the number of orders. */
export async function getOverviewKpis(tx: Tx, workspace: { id: string; currency: string }): Promise<OverviewKpis> {
  const s = await tx.workspaceStats.findUnique({
    where: { workspaceId: workspace.id },
    select: { customers: true, customersWithOrders: true, repeatCustomers: true, orders: true, revenueMinor: true, updatedAt: true },
  });
  const c = workspace.currency;
  const revenue = s?.revenueMinor ?? 0n;
  const orders = s?.orders ?? 0;
  const withOrders = s?.customersWithOrders ?? 0;
  return {
    currency: c,
    customers: s?.customers ?? 0,
    customersWithOrders: withOrders,
    orders,
    revenue: { minor: revenue.toString(), currency: c },
    averageOrderValue: orders > 0 ? { minor: divRound(revenue, BigInt(orders)).toString(), currency: c } : null,
    repeatPurchaseRate: withOrders > 0 ? (s?.repeatCustomers ?? 0) / withOrders : null,
    averageHistoricalClv: withOrders > 0 ? { minor: divRound(revenue, BigInt(withOrders)).toString(), currency: c } : null,
    dataUpdatedAt: s?.updatedAt ?? null,
  };
}

export interface MonthlyRevenuePoint {
  /** First day of the month, YYYY-MM-01, in the workspace time zone. */
  month: string;
  orders: number;
  newCustomers: number;
  newCustomerRevenueMinor: string;
  returningCustomerRevenueMinor: string;
}

function monthKey(d: Date): string {
  return d.toISOString().slice(0, 7) + "-01";
}

function addMonth(key: string): string {
  const y = Number(key.slice(0, 4));
  const m = Number(key.slice(5, 7));
  return m === 12 ? `${y + 1}-01-01` : `${y}-${String(m + 1).padStart(2, "0")}-01`;
}

/**
 * Monthly revenue split into customers in their first month ("new") and everyone else
 * ("returning"), from monthly_rollups; months without orders inside the range are filled with 0.
 */
export async function getMonthlyRevenue(tx: Tx, workspaceId: string, months: number): Promise<MonthlyRevenuePoint[]> {
  const rows = await tx.monthlyRollup.findMany({
    where: { workspaceId },
    select: { month: true, orders: true, newCustomers: true, revenueMinor: true, newCustomerRevenueMinor: true },
    orderBy: { month: "desc" },
    take: months,
  });
  if (rows.length === 0) return [];
  rows.reverse();
  const byKey = new Map(rows.map((r) => [monthKey(r.month), r]));
  const out: MonthlyRevenuePoint[] = [];
  const last = monthKey(rows[rows.length - 1]!.month);
  for (let k = monthKey(rows[0]!.month); k <= last; k = addMonth(k)) {
    const r = byKey.get(k);
    out.push({
      month: k,
      orders: r?.orders ?? 0,
      newCustomers: r?.newCustomers ?? 0,
      newCustomerRevenueMinor: (r?.newCustomerRevenueMinor ?? 0n).toString(),
      returningCustomerRevenueMinor: ((r?.revenueMinor ?? 0n) - (r?.newCustomerRevenueMinor ?? 0n)).toString(),
    });
  }
  return out;
}
