"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useTRPC } from "~/trpc/react";
import { formatMoney, formatPercent } from "~/lib/money";
import { formatDate, formatNumber, SEGMENT_HELP } from "~/lib/predictions";
import { AlivePathChart, PurchaseTimelineChart } from "./charts/customer-charts";
import { DataFreshness } from "./data-freshness";
import { KpiCard } from "./kpi-card";
import { EmptyState, ErrorBlock, LoadingBlock } from "./states";
import { useWorkspace } from "./workspace-context";

/** A YYYY-MM-DD day from the API as a Date at UTC midnight (formatDate shows it in UTC). */
const utcDay = (d: string) => new Date(`${d}T00:00:00Z`);

export function CustomerProfileView({ customerId }: { customerId: string }) {
  const ws = useWorkspace();
  const trpc = useTRPC();
  const q = useQuery(trpc.customers.get.queryOptions({ workspaceId: ws.id, customerId }));
  const back = (
    <Link href={`/w/${ws.slug}/customers`} className="text-sm font-medium text-brand-700 hover:underline">
      ← All customers
    </Link>
  );
  if (q.isPending) return <LoadingBlock label="the customer" className="h-96" />;
  if (q.isError)
    return (
      <div className="space-y-4">
        {back}
        <ErrorBlock error={q.error} what="the customer" onRetry={() => void q.refetch()} />
      </div>
    );
  const c = q.data;
  const s = c.score;
  const cur = c.currency;
  return (
    <div className="space-y-8">
      <div className="space-y-2">
        {back}
        <h1 className="text-2xl font-semibold tracking-tight">{c.name ?? c.email ?? c.externalId}</h1>
        <p className="text-sm text-slate-700">
          {c.email ?? "no e-mail"} · external id {c.externalId} · acquired via {c.channel ?? "unknown channel"}
          {c.campaign ? ` (campaign “${c.campaign.name}”)` : ""} · first order {formatDate(c.firstOrderAt)}
        </p>
        <DataFreshness />
      </div>

      {!s ? (
        <EmptyState title="Predictions are not available yet for this customer">
          {c.orderCount === 0 ? "This customer has no orders yet." : "This customer has not been scored yet; the next recompute will include them."}
        </EmptyState>
      ) : (
        <dl className="grid grid-cols-2 gap-4 lg:grid-cols-3 xl:grid-cols-4">
          <KpiCard label="Historical CLV" value={formatMoney(s.historicalClvMinor, cur)} hint={`${c.orderCount} orders on ${c.purchaseDays} days`} />
          <KpiCard
            label="Predicted 12-month CLV"
            value={s.predictedClvMinor !== null ? formatMoney(s.predictedClvMinor, cur) : "—"}
            hint={s.predictedClvLowMinor !== null && s.predictedClvHighMinor !== null ? `80 % range ${formatMoney(s.predictedClvLowMinor, cur)} – ${formatMoney(s.predictedClvHighMinor, cur)}` : "Needs more repeat buyers in the workspace"}
          />
          <KpiCard label="P(alive) now" value={formatPercent(s.pAlive, 0)} hint={s.churnRisk ? `Churn risk: ${s.churnRisk}` : undefined} />
          <KpiCard
            label="Expected purchases"
            value={s.expectedPurchases90 !== null ? `${formatNumber(s.expectedPurchases90, 2)} in 90 days` : "—"}
            hint={s.expectedPurchases30 !== null ? `${formatNumber(s.expectedPurchases30, 2)} in 30 days · ${formatNumber(s.expectedPurchases365, 2)} in a year` : undefined}
          />
          <KpiCard
            label="Next purchase, if still active"
            value={c.nextPurchase ? `around ${formatDate(utcDay(c.nextPurchase.median))}` : "—"}
            hint={
              c.nextPurchase
                ? `80 % window ${formatDate(utcDay(c.nextPurchase.low))} – ${formatDate(utcDay(c.nextPurchase.high))} · ${formatPercent(c.nextPurchase.within30, 0)} chance of a purchase within 30 days of ${formatDate(utcDay(c.nextPurchase.from))}`
                : "Needs predictions"
            }
          />
          <KpiCard label="RFM segment" value={s.rfmSegment} hint={`R${s.rfm.r} F${s.rfm.f} M${s.rfm.m} · ${SEGMENT_HELP[s.rfmSegment] ?? ""}`} />
          <KpiCard label="Value tier" value={s.valueTier.charAt(0).toUpperCase() + s.valueTier.slice(1)} hint="By predicted CLV percentile (historical without predictions)" />
        </dl>
      )}

      <section aria-labelledby="timeline-title" className="rounded-xl border border-slate-200 bg-white p-6 shadow-sm">
        <h2 id="timeline-title" className="text-lg font-semibold">
          Purchase timeline
        </h2>
        {c.ordersTruncated ? <p className="text-sm text-slate-700">Showing the first 500 orders.</p> : null}
        {c.orders.length === 0 ? <p className="text-sm text-slate-700">No orders yet.</p> : <PurchaseTimelineChart orders={c.orders} currency={cur} />}
      </section>

      <section aria-labelledby="alive-title" className="rounded-xl border border-slate-200 bg-white p-6 shadow-sm">
        <h2 id="alive-title" className="text-lg font-semibold">
          P(alive) over time
        </h2>
        <p className="mb-2 text-sm text-slate-700">The chance this customer is still an active buyer, as the current model sees it after each purchase and during the silences in between.</p>
        {c.alivepath.length > 1 ? <AlivePathChart points={c.alivepath} /> : <p className="text-sm text-slate-700">Not available without predictions.</p>}
      </section>
    </div>
  );
}
