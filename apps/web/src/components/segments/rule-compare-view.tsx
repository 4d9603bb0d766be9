"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { Line } from "react-chartjs-2";
import type { SegmentComparison } from "@valuelens/api";
import { useTRPC } from "~/trpc/react";
import { formatCount, formatMoney, formatPercent } from "~/lib/money";
import { formatNumber } from "~/lib/predictions";
import { EmptyState, ErrorBlock, LoadingBlock } from "../states";
import { useWorkspace } from "../workspace-context";
import "../charts/register";

const COLORS = ["#1d4ed8", "#b45309", "#047857", "#9d174d"];
const DASHES = [[], [6, 3], [2, 3], [10, 3, 2, 3]];

function RetentionChart({ rows }: { rows: SegmentComparison[] }) {
  const months = Math.max(0, ...rows.map((r) => r.retention.length));
  if (months === 0) return <EmptyState title="No retention curve yet">The members need at least a few complete months after their first order.</EmptyState>;
  const labels = Array.from({ length: months }, (_, i) => `Month ${i + 1}`);
  return (
    <figure>
      <div className="relative h-72">
        <Line
          role="img"
          aria-label={`Monthly retention of ${rows.map((r) => r.name).join(", ")}, months 1 to ${months} after the first order`}
          data={{
            labels,
            datasets: rows.map((r, i) => ({
              label: r.name,
              data: labels.map((_, k) => (r.retention[k] ? r.retention[k].rate * 100 : null)),
              borderColor: COLORS[i],
              backgroundColor: COLORS[i],
              borderDash: DASHES[i],
              tension: 0.2,
              spanGaps: false,
            })),
          }}
          options={{
            responsive: true,
            maintainAspectRatio: false,
            interaction: { mode: "index", intersect: false },
            scales: {
              x: { title: { display: true, text: "Months after the first order" }, grid: { display: false } },
              y: { beginAtZero: true, title: { display: true, text: "Members who ordered that month (%)" }, ticks: { callback: (v) => `${Number(v)}%` } },
            },
            plugins: {
              legend: { position: "bottom" },
              tooltip: {
                callbacks: {
                  label: (ctx) => {
                    const p = rows[ctx.datasetIndex]?.retention[ctx.dataIndex];
                    return p ? `${ctx.dataset.label ?? ""}: ${formatPercent(p.rate)} (${formatCount(p.active)} of ${formatCount(p.eligible)})` : `${ctx.dataset.label ?? ""}: not enough members`;
                  },
                },
              },
            },
          }}
        />
      </div>
      <figcaption className="mt-1 text-xs text-slate-600">Share of members who placed an order in the k-th calendar month after their first-order month, among members whose k-th month is complete.</figcaption>
    </figure>
  );
}

/** Up to four saved segments side by side. */
export function RuleCompareView({ ids }: { ids: string[] }) {
  const ws = useWorkspace();
  const trpc = useTRPC();
  const q = useQuery({ ...trpc.segmentRules.compare.queryOptions({ workspaceId: ws.id, segmentIds: ids }), enabled: ids.length > 0 && ids.length <= 4, retry: false });
  const back = <Link href={`/w/${ws.slug}/segments?view=rules`} className="text-sm text-brand-800 hover:underline">← Rule segments</Link>;
  if (ids.length === 0 || ids.length > 4) {
    return (
      <div className="space-y-4">
        {back}
        <h1 className="text-2xl font-semibold tracking-tight">Compare segments</h1>
        <EmptyState title={ids.length === 0 ? "No segments chosen" : "Too many segments"}>Tick one to four segments in the list of rule segments, then choose Compare.</EmptyState>
      </div>
    );
  }
  const metrics: { label: string; value: (r: SegmentComparison) => string }[] = [
    { label: "Customers", value: (r) => formatCount(r.customers) },
    { label: "Average predicted 12-month CLV", value: (r) => (r.avgPredictedClvMinor ? formatMoney(r.avgPredictedClvMinor, ws.currency) : "—") },
    { label: "Average historical CLV", value: (r) => (r.avgHistoricalClvMinor ? formatMoney(r.avgHistoricalClvMinor, ws.currency) : "—") },
    { label: "Average P(alive)", value: (r) => formatPercent(r.avgPAlive) },
    { label: "Average order value", value: (r) => (r.aovMinor ? formatMoney(r.aovMinor, ws.currency) : "—") },
    { label: "Orders per customer", value: (r) => formatNumber(r.ordersPerCustomer, 2) },
    { label: "Repeat customers", value: (r) => formatPercent(r.repeatRate) },
    { label: "Retention, month 3", value: (r) => (r.retention[2] ? formatPercent(r.retention[2].rate) : "—") },
  ];
  return (
    <div className="space-y-6">
      <div>
        {back}
        <h1 className="mt-1 text-2xl font-semibold tracking-tight">Compare segments</h1>
      </div>
      {q.isPending ? (
        <LoadingBlock label="comparison" className="h-96" />
      ) : q.isError ? (
        <ErrorBlock error={q.error} what="the comparison" onRetry={() => void q.refetch()} />
      ) : (
        <>
          <div className="overflow-x-auto rounded-xl border border-slate-200 bg-white shadow-sm">
            <table className="w-full text-left text-sm" data-testid="compare-table">
              <caption className="sr-only">Segments side by side</caption>
              <thead>
                <tr className="border-b border-slate-200">
                  <th scope="col" className="px-3 py-2">Measure</th>
                  {q.data.map((r) => (
                    <th scope="col" key={r.id} className="px-3 py-2 text-right">
                      <Link href={`/w/${ws.slug}/segments/${r.id}`} className="text-brand-800 hover:underline">{r.name}</Link>
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {metrics.map((m) => (
                  <tr key={m.label} className="border-b border-slate-100">
                    <th scope="row" className="px-3 py-2 font-normal text-slate-800">{m.label}</th>
                    {q.data.map((r) => <td key={r.id} className="px-3 py-2 text-right tabular-nums">{m.value(r)}</td>)}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <section aria-labelledby="ret-title" className="rounded-xl border border-slate-200 bg-white p-4 shadow-sm">
            <h2 id="ret-title" className="text-lg font-semibold">Retention curve</h2>
            <RetentionChart rows={q.data} />
          </section>
        </>
      )}
    </div>
  );
}
