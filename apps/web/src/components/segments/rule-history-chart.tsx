"use client";

import { Line } from "react-chartjs-2";
import { formatCount, formatMoney, minorToMajor } from "~/lib/money";
import "../charts/register";

export interface HistoryPoint {
  takenAt: Date;
  reason: string;
  customers: number;
  predictedClvSumMinor: string;
  historicalClvSumMinor: string;
}

const REASON: Record<string, string> = { recompute: "after a recompute", created: "segment created", updated: "rule changed" };
const label = (d: Date) => d.toLocaleString("en-US", { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });

/** Size (left axis, customers) and value (right axis, currency) of a segment at each snapshot. */
export function RuleHistoryChart({ points, currency }: { points: HistoryPoint[]; currency: string }) {
  const money = (v: number) => new Intl.NumberFormat("en-US", { style: "currency", currency, notation: "compact", maximumFractionDigits: 1 }).format(v);
  const labels = points.map((p) => label(p.takenAt));
  return (
    <figure>
      <div className="relative h-72">
        <Line
          role="img"
          aria-label={`Segment size and value at ${points.length} measurements from ${labels[0] ?? ""} to ${labels[labels.length - 1] ?? ""}`}
          data={{
            labels,
            datasets: [
              { label: "Customers", data: points.map((p) => p.customers), yAxisID: "y", borderColor: "#1d4ed8", backgroundColor: "#1d4ed8", tension: 0.2, pointRadius: 3 },
              { label: `Predicted 12-month value (${currency})`, data: points.map((p) => minorToMajor(p.predictedClvSumMinor, currency)), yAxisID: "y1", borderColor: "#b45309", backgroundColor: "#b45309", borderDash: [6, 3], tension: 0.2, pointRadius: 3 },
              { label: `Historical value (${currency})`, data: points.map((p) => minorToMajor(p.historicalClvSumMinor, currency)), yAxisID: "y1", borderColor: "#047857", backgroundColor: "#047857", borderDash: [2, 3], tension: 0.2, pointRadius: 3 },
            ],
          }}
          options={{
            responsive: true,
            maintainAspectRatio: false,
            interaction: { mode: "index", intersect: false },
            scales: {
              x: { title: { display: true, text: "Measured at (your local time)" }, grid: { display: false } },
              y: { beginAtZero: true, position: "left", title: { display: true, text: "Customers" }, ticks: { precision: 0 } },
              y1: { beginAtZero: true, position: "right", title: { display: true, text: `Value (${currency})` }, grid: { drawOnChartArea: false }, ticks: { callback: (v) => money(Number(v)) } },
            },
            plugins: {
              legend: { position: "bottom" },
              tooltip: {
                callbacks: {
                  title: (items) => {
                    const p = points[items[0]?.dataIndex ?? 0];
                    return p ? `${label(p.takenAt)} — ${REASON[p.reason] ?? p.reason}` : "";
                  },
                  label: (ctx) => {
                    const p = points[ctx.dataIndex];
                    if (!p) return "";
                    if (ctx.datasetIndex === 0) return `Customers: ${formatCount(p.customers)}`;
                    return `${ctx.dataset.label ?? ""}: ${formatMoney(ctx.datasetIndex === 1 ? p.predictedClvSumMinor : p.historicalClvSumMinor, currency)}`;
                  },
                },
              },
            },
          }}
        />
      </div>
      <details className="mt-2 text-sm">
        <summary className="cursor-pointer font-medium text-brand-800">Show the numbers as a table</summary>
        <div className="mt-2 max-h-64 overflow-auto" tabIndex={0} role="region" aria-label="Segment history table">
          <table className="w-full text-left">
            <caption className="sr-only">Segment size and value at each measurement</caption>
            <thead>
              <tr className="border-b border-slate-200">
                <th scope="col" className="py-1 pr-3">Measured</th>
                <th scope="col" className="py-1 pr-3">Why</th>
                <th scope="col" className="py-1 pr-3 text-right">Customers</th>
                <th scope="col" className="py-1 pr-3 text-right">Predicted value</th>
                <th scope="col" className="py-1 text-right">Historical value</th>
              </tr>
            </thead>
            <tbody>
              {points.map((p, i) => (
                <tr key={i} className="border-b border-slate-100">
                  <th scope="row" className="py-1 pr-3 font-normal">{label(p.takenAt)}</th>
                  <td className="py-1 pr-3">{REASON[p.reason] ?? p.reason}</td>
                  <td className="py-1 pr-3 text-right tabular-nums">{formatCount(p.customers)}</td>
                  <td className="py-1 pr-3 text-right tabular-nums">{formatMoney(p.predictedClvSumMinor, currency)}</td>
                  <td className="py-1 text-right tabular-nums">{formatMoney(p.historicalClvSumMinor, currency)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}
