"use client";

import type { Chart as ChartJs, TooltipItem } from "chart.js";
import { useRef, type ReactNode } from "react";
import { Line } from "react-chartjs-2";
import type { CohortRow, RetentionCurve } from "@valuelens/api";
import { cohortLabel, toLtvChart, toRetentionCurveChart } from "~/lib/retention";
import "./register";

function downloadPng(chart: ChartJs<"line"> | null | undefined, name: string) {
  if (!chart) return;
  const a = document.createElement("a");
  a.href = chart.toBase64Image("image/png", 1);
  a.download = name;
  a.click();
}

/**
 * Tooltip line; a band's upper edge (filled down to the "… band low" dataset just before it) reads
 * "low–high" so the range is not mistaken for a single value.
 */
function bandLabel(ctx: TooltipItem<"line">, fmt: (v: number) => string): string {
  const label = ctx.dataset.label ?? "";
  const y = Number(ctx.parsed.y);
  if (/(band|range)$/.test(label)) {
    const low = ctx.chart.data.datasets[ctx.datasetIndex - 1]?.data[ctx.dataIndex];
    if (typeof low === "number") return `${label}: ${fmt(low)}–${fmt(y)}`;
  }
  return `${label}: ${fmt(y)}`;
}

/** A small export button (PNG or CSV); `of` names what it exports for screen readers ("Download PNG of …", visible text first). */
export function PngButton({ onClick, label, of }: { onClick: () => void; label: string; of?: string }) {
  return (
    <button type="button" onClick={onClick} aria-label={of ? `${label} of ${of}` : undefined} className="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium text-slate-800 hover:bg-slate-50">
      {label}
    </button>
  );
}

/** Observed retention (solid), sBG projection (dashed) and its 80 % band, percent of the cohort. */
export function RetentionCurveChart({ curves, horizon, windowMonths, extra }: { curves: RetentionCurve[]; horizon: number; windowMonths: number; extra?: ReactNode }) {
  const ref = useRef<ChartJs<"line">>(null);
  const data = toRetentionCurveChart(curves, horizon);
  return (
    <figure>
      <div className="mb-2 flex justify-end gap-2">
        {extra}
        <PngButton label="Download PNG" of="the retention curves" onClick={() => downloadPng(ref.current, "retention-curves.png")} />
      </div>
      <div className="relative h-80">
        <Line
          ref={ref}
          role="img"
          aria-label={`Share of each selected cohort still active by months since acquisition, observed and projected by a shifted-beta-geometric fit: ${curves.map((c) => cohortLabel(c.cohort, "month")).join(", ")}`}
          data={data}
          options={{
            responsive: true,
            maintainAspectRatio: false,
            interaction: { mode: "index", intersect: false },
            scales: {
              x: { title: { display: true, text: "Months since first order" }, grid: { display: false } },
              y: { min: 0, max: 100, title: { display: true, text: "Still active (% of cohort)" }, ticks: { callback: (v) => `${String(v)}%` } },
            },
            plugins: {
              legend: { position: "bottom", labels: { filter: (item) => !/band low$/.test(item.text) } },
              tooltip: {
                filter: (item) => !/band low$/.test(item.dataset.label ?? ""),
                callbacks: { label: (ctx) => bandLabel(ctx, (v) => `${v.toFixed(1)}%`) },
              },
            },
          }}
        />
      </div>
      <details className="mt-3 text-sm">
        <summary className="cursor-pointer font-medium text-brand-700">Show the numbers as a table</summary>
        <div className="relative mt-2 max-h-72 overflow-auto" tabIndex={0} role="region" aria-label="Retention curves table">
          <table className="w-full text-left">
            <caption className="sr-only">Still active (% of cohort) by months since first order; projections with their 80% band</caption>
            <thead>
              <tr className="border-b border-slate-200">
                <th scope="col" className="py-1 pr-4">Cohort</th>
                <th scope="col" className="py-1 pr-4">Month</th>
                <th scope="col" className="py-1 pr-4 text-right">Observed</th>
                <th scope="col" className="py-1 pr-4 text-right">Projected</th>
                <th scope="col" className="py-1 text-right">80% band</th>
              </tr>
            </thead>
            <tbody>
              {curves.flatMap((c) =>
                Array.from({ length: Math.max(c.observed.length, c.projection.length) }, (_, k) => {
                  const p = c.projection[k];
                  const o = c.observed[k];
                  return (
                    <tr key={`${c.group}-${c.cohort}-${k}`} className="border-b border-slate-100">
                      <th scope="row" className="py-1 pr-4 font-normal">{cohortLabel(c.cohort, "month")}</th>
                      <td className="py-1 pr-4">{k}</td>
                      <td className="py-1 pr-4 text-right">{o === undefined ? "—" : `${(o * 100).toFixed(1)}%`}</td>
                      <td className="py-1 pr-4 text-right">{p ? `${(p.survival * 100).toFixed(1)}%` : "—"}</td>
                      <td className="py-1 text-right">{p && p.low !== null && p.high !== null ? `${(p.low * 100).toFixed(1)}–${(p.high * 100).toFixed(1)}%` : "—"}</td>
                    </tr>
                  );
                }),
              )}
            </tbody>
          </table>
        </div>
      </details>
      <figcaption className="mt-2 text-sm text-slate-700">
        Solid: observed. Dashed: projected by a shifted-beta-geometric (sBG) fit to that cohort, shaded: 80% band from the fit&apos;s parameter uncertainty. The last {windowMonths} month{windowMonths === 1 ? "" : "s"} of each cohort are not known yet (a churn is only confirmed after {windowMonths} month{windowMonths === 1 ? "" : "s"} without an order) and are projected.
      </figcaption>
    </figure>
  );
}

/** Cumulative revenue or margin per acquired customer, with the cohort's CAC when spend is known. */
export function CohortLtvChart({ rows, currency, basis, extra }: { rows: CohortRow[]; currency: string; basis: "revenue" | "margin"; extra?: ReactNode }) {
  const ref = useRef<ChartJs<"line">>(null);
  const data = toLtvChart(rows, currency, basis);
  const money = (v: number, compact = false) => new Intl.NumberFormat("en-US", { style: "currency", currency, notation: compact ? "compact" : "standard", maximumFractionDigits: 2 }).format(v);
  return (
    <figure>
      <div className="mb-2 flex justify-end gap-2">
        {extra}
        <PngButton label="Download PNG" of="the cohort LTV chart" onClick={() => downloadPng(ref.current, "cohort-ltv.png")} />
      </div>
      <div className="relative h-80">
        <Line
          ref={ref}
          role="img"
          aria-label={`Cumulative ${basis} per acquired customer in ${currency} by months since first order, per cohort, with the models' 12-month forecast and acquisition cost where known`}
          data={data}
          options={{
            responsive: true,
            maintainAspectRatio: false,
            interaction: { mode: "index", intersect: false },
            scales: {
              x: { title: { display: true, text: "Months since first order" }, grid: { display: false } },
              y: { beginAtZero: true, title: { display: true, text: `${basis === "revenue" ? "Revenue" : "Margin"} per customer (${currency})` }, ticks: { callback: (v) => money(Number(v), true) } },
            },
            plugins: {
              legend: { position: "bottom", labels: { filter: (item) => !/band low$/.test(item.text) } },
              tooltip: {
                filter: (item) => !/band low$/.test(item.dataset.label ?? ""),
                callbacks: { label: (ctx) => bandLabel(ctx, (v) => money(v)) },
              },
            },
          }}
        />
      </div>
    </figure>
  );
}

/** Small trend lines (one value per cohort or calendar month), percent or days. */
export function TrendChart({ labels, series, yTitle, unit, label, file }: { labels: string[]; series: { label: string; data: (number | null)[] }[]; yTitle: string; unit: "%" | "days"; label: string; file: string }) {
  const ref = useRef<ChartJs<"line">>(null);
  const fmt = (v: number) => (unit === "%" ? `${v.toFixed(1)}%` : `${v.toFixed(0)} days`);
  return (
    <div>
    <div className="mb-1 flex justify-end">
      <PngButton label="Download PNG" of={label} onClick={() => downloadPng(ref.current, file)} />
    </div>
    <div className="relative h-56">
      <Line
        ref={ref}
        role="img"
        aria-label={label}
        data={{
          labels,
          datasets: series.map((s, i) => {
            const color = ["#1d4ed8", "#b45309", "#047857"][i % 3]!;
            return { label: s.label, data: s.data, borderColor: color, backgroundColor: color, pointRadius: 2, borderWidth: 2, spanGaps: true };
          }),
        }}
        options={{
          responsive: true,
          maintainAspectRatio: false,
          interaction: { mode: "index", intersect: false },
          scales: {
            x: { grid: { display: false } },
            y: { beginAtZero: true, title: { display: true, text: yTitle }, ticks: { callback: (v) => fmt(Number(v)) } },
          },
          plugins: { legend: { position: "bottom" }, tooltip: { callbacks: { label: (ctx) => `${ctx.dataset.label ?? ""}: ${fmt(Number(ctx.parsed.y))}` } } },
        }}
      />
    </div>
    </div>
  );
}
