import { nextPurchaseWindow, probabilityAlive, type PurchaseModel } from "@valuelens/clv-core";
import type { Tx } from "@valuelens/db";
import { DomainError } from "../domain-error.ts";
import { isPurchaseModel } from "../recompute/run-recompute.ts";

export interface CustomerProfile {
  id: string;
  externalId: string;
  email: string | null;
  name: string | null;
  channel: string | null;
  campaign: { id: string; name: string; channel: string } | null;
  signedUpAt: Date | null;
  orderCount: number;
  purchaseDays: number;
  firstOrderAt: Date | null;
  lastOrderAt: Date | null;
  revenueMinor: string;
  currency: string;
  score: {
    historicalClvMinor: string;
    predictedClvMinor: string | null;
    predictedClvLowMinor: string | null;
    predictedClvHighMinor: string | null;
    pAlive: number | null;
    expectedPurchases30: number | null;
    expectedPurchases90: number | null;
    expectedPurchases365: number | null;
    churnRisk: string | null;
    rfm: { r: number; f: number; m: number };
    rfmSegment: string;
    valueTier: string;
    scoredAt: Date;
  } | null;
  orders: { id: string; externalId: string; orderedAt: Date; amountMinor: string; currency: string; refunded: boolean }[];
  ordersTruncated: boolean;
  /** P(alive) after each purchase day and at the cut-off, from the fitted model (empty without predictions). */
  alivepath: { day: string; pAlive: number }[];
  /**
   * When the next purchase is expected if the customer is still active (null without predictions):
   * 10 %, 50 % and 90 % points of the waiting time after the data cut-off, as dates (YYYY-MM-DD, UTC),
   * and the chance of a purchase within 30 days (given active, and overall = × P(alive)).
   */
  nextPurchase: { from: string; low: string; median: string; high: string; within30IfActive: number; within30: number } | null;
}

const MAX_ORDERS = 500;
const DAY = 86_400_000;

/** One customer with its orders (index (workspace_id, customer_id, ordered_at)) and latest scores. */
export async function getCustomerProfile(tx: Tx, workspace: { id: string; currency: string }, customerId: string): Promise<CustomerProfile> {
  const c = await tx.customer.findUnique({
    where: { workspaceId_id: { workspaceId: workspace.id, id: customerId } },
    select: {
      id: true,
      externalId: true,
      email: true,
      name: true,
      acquisitionChannel: true,
      signedUpAt: true,
      orderCount: true,
      purchaseDays: true,
      firstOrderAt: true,
      lastOrderAt: true,
      revenueMinor: true,
      acquisitionCampaign: { select: { id: true, name: true, channel: true } },
      score: true,
    },
  });
  if (!c) throw new DomainError("NOT_FOUND", "Customer not found.");
  const orders = await tx.order.findMany({
    where: { workspaceId: workspace.id, customerId },
    select: { id: true, externalId: true, orderedAt: true, amountMinor: true, currency: true, refunded: true },
    orderBy: { orderedAt: "asc" },
    take: MAX_ORDERS + 1,
  });
  const s = c.score;
  let aliveSeries: { day: string; pAlive: number }[] = [];
  let nextPurchase: CustomerProfile["nextPurchase"] = null;
  if (s?.pAlive !== null && s?.pAlive !== undefined) {
    const run = await tx.modelRun.findUnique({
      where: { workspaceId_id: { workspaceId: workspace.id, id: s.modelRunId } },
      select: { modelKind: true, params: true, dataCutoff: true },
    });
    if (run?.params && run.dataCutoff && isPurchaseModel(run.modelKind)) {
      aliveSeries = alivePath(run.modelKind, run.params as Record<string, number>, orders, run.dataCutoff);
      nextPurchase = nextPurchaseDates(run.params as Record<string, number>, c.purchaseDays, c.firstOrderAt, run.dataCutoff, s.pAlive);
    }
  }
  return {
    id: c.id,
    externalId: c.externalId,
    email: c.email,
    name: c.name,
    channel: c.acquisitionChannel,
    campaign: c.acquisitionCampaign,
    signedUpAt: c.signedUpAt,
    orderCount: c.orderCount,
    purchaseDays: c.purchaseDays,
    firstOrderAt: c.firstOrderAt,
    lastOrderAt: c.lastOrderAt,
    revenueMinor: c.revenueMinor.toString(),
    currency: workspace.currency,
    score: s
      ? {
          historicalClvMinor: s.historicalClvMinor.toString(),
          predictedClvMinor: s.predictedClvMinor?.toString() ?? null,
          predictedClvLowMinor: s.predictedClvLowMinor?.toString() ?? null,
          predictedClvHighMinor: s.predictedClvHighMinor?.toString() ?? null,
          pAlive: s.pAlive,
          expectedPurchases30: s.expectedPurchases30,
          expectedPurchases90: s.expectedPurchases90,
          expectedPurchases365: s.expectedPurchases365,
          churnRisk: s.churnRisk,
          rfm: { r: s.rfmR, f: s.rfmF, m: s.rfmM },
          rfmSegment: s.rfmSegment,
          valueTier: s.valueTier,
          scoredAt: s.scoredAt,
        }
      : null,
    orders: orders.slice(0, MAX_ORDERS).map((o) => ({ ...o, amountMinor: o.amountMinor.toString() })),
    ordersTruncated: orders.length > MAX_ORDERS,
    alivepath: aliveSeries,
    nextPurchase,
  };
}

/** The model's time unit is the day (recompute); x and T as the recompute computed them (UTC days). */
function nextPurchaseDates(params: Record<string, number>, purchaseDays: number, firstOrderAt: Date | null, cutoff: Date, pAlive: number): CustomerProfile["nextPurchase"] {
  const r = params.r;
  const alpha = params.alpha;
  if (r === undefined || alpha === undefined || !firstOrderAt || purchaseDays < 1) return null;
  const cutDay = Math.floor(cutoff.getTime() / DAY);
  const T = Math.max(0, cutDay - Math.floor(firstOrderAt.getTime() / DAY));
  const w = nextPurchaseWindow({ r, alpha }, purchaseDays - 1, T, { within: 30 });
  const at = (days: number) => new Date((cutDay + Math.max(1, Math.round(days))) * DAY).toISOString().slice(0, 10);
  return {
    from: new Date(cutDay * DAY).toISOString().slice(0, 10),
    low: at(w.low),
    median: at(w.median),
    high: at(w.high),
    within30IfActive: w.probabilityWithin!,
    within30: w.probabilityWithin! * pAlive,
  };
}

/**
 * P(alive) as the model saw this customer over time: evaluated at the day before each purchase day,
 * on each purchase day, and at the cut-off, using the purchases up to that day (days, UTC).
 */
function alivePath(kind: "bgnbd" | "pnbd" | "mbgnbd", params: Record<string, number>, orders: { orderedAt: Date; refunded: boolean }[], cutoff: Date) {
  const days = [...new Set(orders.filter((o) => !o.refunded).map((o) => Math.floor(o.orderedAt.getTime() / DAY)))].sort((a, b) => a - b);
  if (days.length === 0) return [];
  // clv-core's kind-dispatching functions read `paramOrder` too (README says any { params } works; adapted here).
  const paramOrder = kind === "pnbd" ? ["r", "alpha", "s", "beta"] : ["r", "alpha", "a", "b"];
  const clvKind = kind === "pnbd" ? "pareto-nbd" : kind === "mbgnbd" ? "mbg-nbd" : "bg-nbd";
  const model = { kind: clvKind, params, paramOrder } as unknown as PurchaseModel;
  const first = days[0]!;
  const end = Math.floor(cutoff.getTime() / DAY);
  const points: { day: number; x: number; rec: number }[] = [];
  days.forEach((d, i) => {
    if (i > 0) points.push({ day: d - 1, x: i - 1, rec: days[i - 1]! - first });
    points.push({ day: d, x: i, rec: d - first });
  });
  const lastDay = days[days.length - 1]!;
  if (end > lastDay) {
    const step = Math.max(1, Math.round((end - lastDay) / 12));
    for (let d = lastDay + step; d < end; d += step) points.push({ day: d, x: days.length - 1, rec: lastDay - first });
    points.push({ day: end, x: days.length - 1, rec: lastDay - first });
  }
  return points.map((p) => ({
    day: new Date(p.day * DAY).toISOString().slice(0, 10),
    pAlive: p.day === first ? 1 : probabilityAlive(model, p.x, p.rec, p.day - first),
  }));
}
