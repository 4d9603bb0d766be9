"use client";

import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "~/trpc/react";
import { formatMoney, formatPercent } from "~/lib/money";
import { formatDate } from "~/lib/predictions";
import { ClvHistogramChart } from "./charts/clv-histogram-chart";
import { KpiCard } from "./kpi-card";
import { EmptyState, ErrorBlock, LoadingBlock } from "./states";
import { useWorkspace } from "./workspace-context";

/** Overview additions (issue 9): read from the latest recompute's stored totals. */
export function OverviewPredictions() {
  const ws = useWorkspace();
  const trpc = useTRPC();
  const q = useQuery(trpc.overview.predictions.queryOptions({ workspaceId: ws.id }));
  return (
    <section aria-labelledby="pred-title" className="rounded-xl border border-slate-200 bg-white p-6 shadow-sm">
      <h2 id="pred-title" className="text-lg font-semibold">
        Predictions
      </h2>
      {q.isPending ? (
        <LoadingBlock label="predictions" className="h-40" />
      ) : q.isError ? (
        <ErrorBlock error={q.error} what="predictions" onRetry={() => void q.refetch()} />
      ) : !q.data.available ? (
        <EmptyState title="Predictions are not available yet">{q.data.reason}</EmptyState>
      ) : (
        <>
          <p className="mb-4 text-sm text-slate-700">
            From the model fitted on data up to {formatDate(q.data.dataCutoff)}. 12-month values are discounted at 1 % a month; ranges are 80 % intervals from parameter uncertainty.
          </p>
          <dl className="grid grid-cols-1 gap-4 md:grid-cols-3">
            <KpiCard
              label="Predicted revenue, next 12 months (existing customers)"
              value={formatMoney(q.data.predicted12m!.minor, q.data.currency, { compact: true })}
              hint={`80 % range ${formatMoney(q.data.predicted12m!.lowMinor, q.data.currency, { compact: true })} – ${formatMoney(q.data.predicted12m!.highMinor, q.data.currency, { compact: true })}`}
            />
            <KpiCard label="Customer equity" value={formatMoney(q.data.equityMinor!, q.data.currency, { compact: true })} hint="Revenue to date + predicted next 12 months" />
            <KpiCard label="Customers at risk" value={formatPercent(q.data.atRiskShare)} hint="Share with P(alive) below 30 %" />
          </dl>
          <h3 className="mt-6 font-semibold">Distribution of predicted 12-month CLV</h3>
          <ClvHistogramChart bins={q.data.histogram} currency={q.data.currency} />
        </>
      )}
    </section>
  );
}
