"use client";

import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "~/trpc/react";
import { formatCount, formatMoney, formatPercent } from "~/lib/money";
import { MonthlyRevenueChart } from "./charts/monthly-revenue-chart";
import { KpiCard } from "./kpi-card";
import { OverviewPredictions } from "./overview-predictions";
import { EmptyState, ErrorBlock, LoadingBlock } from "./states";
import { useWorkspace } from "./workspace-context";

export function OverviewView() {
  const ws = useWorkspace();
  const trpc = useTRPC();
  const kpis = useQuery(trpc.overview.kpis.queryOptions({ workspaceId: ws.id }));
  const monthly = useQuery(trpc.overview.monthlyRevenue.queryOptions({ workspaceId: ws.id, months: 24 }));

  return (
    <div className="space-y-8">
      <div className="flex flex-wrap items-end justify-between gap-2">
        <div>
          <h1 className="text-2xl font-semibold tracking-tight">Overview</h1>
          <p className="text-sm text-slate-700">{ws.name}</p>
        </div>
        {kpis.data?.dataUpdatedAt ? (
          <p className="text-sm text-slate-700">
            Data as of <time dateTime={kpis.data.dataUpdatedAt.toISOString()}>{kpis.data.dataUpdatedAt.toLocaleString("en-US", { dateStyle: "medium", timeStyle: "short" })}</time>
          </p>
        ) : null}
      </div>

      <section aria-labelledby="kpi-title">
        <h2 id="kpi-title" className="sr-only">
          Key figures
        </h2>
        {kpis.isPending ? (
          <div className="grid grid-cols-2 gap-4 lg:grid-cols-3 xl:grid-cols-6">
            {Array.from({ length: 6 }, (_, i) => (
              <LoadingBlock key={i} label="key figures" className="h-24" />
            ))}
          </div>
        ) : kpis.isError ? (
          <ErrorBlock error={kpis.error} what="the key figures" onRetry={() => void kpis.refetch()} />
        ) : (
          <dl className="grid grid-cols-2 gap-4 lg:grid-cols-3 xl:grid-cols-6">
            <KpiCard label="Customers" value={formatCount(kpis.data.customers)} hint={`${formatCount(kpis.data.customersWithOrders)} with orders`} />
            <KpiCard label="Orders" value={formatCount(kpis.data.orders)} hint="Refunded orders excluded" />
            <KpiCard label="Revenue" value={formatMoney(kpis.data.revenue.minor, kpis.data.currency, { compact: true })} hint={formatMoney(kpis.data.revenue.minor, kpis.data.currency)} />
            <KpiCard label="Average order value" value={kpis.data.averageOrderValue ? formatMoney(kpis.data.averageOrderValue.minor, kpis.data.currency) : "—"} />
            <KpiCard label="Repeat-purchase rate" value={formatPercent(kpis.data.repeatPurchaseRate)} hint="Bought on 2+ different days" />
            <KpiCard label="Average historical CLV" value={kpis.data.averageHistoricalClv ? formatMoney(kpis.data.averageHistoricalClv.minor, kpis.data.currency) : "—"} hint="Revenue to date per customer" />
          </dl>
        )}
      </section>

      <section aria-labelledby="monthly-title" className="rounded-xl border border-slate-200 bg-white p-6 shadow-sm">
        <h2 id="monthly-title" className="text-lg font-semibold">
          Monthly revenue: new vs returning customers
        </h2>
        <p className="mb-4 text-sm text-slate-700">
          &quot;New&quot; is revenue from customers in the calendar month of their first order; everything else is returning. Amounts in {ws.currency}, refunds excluded.
        </p>
        {monthly.isPending ? (
          <LoadingBlock label="monthly revenue" className="h-80" />
        ) : monthly.isError ? (
          <ErrorBlock error={monthly.error} what="monthly revenue" onRetry={() => void monthly.refetch()} />
        ) : monthly.data.length === 0 ? (
          <EmptyState title="No orders yet">Import customers and orders to see revenue by month.</EmptyState>
        ) : (
          <MonthlyRevenueChart points={monthly.data} currency={ws.currency} />
        )}
      </section>

      <OverviewPredictions />
    </div>
  );
}
