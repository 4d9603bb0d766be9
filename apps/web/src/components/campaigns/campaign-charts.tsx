"use client";

import type { Chart as ChartJs, Plugin } from "chart.js";
import { useRef } from "react";
import { Bar, Line } from "react-chartjs-2";
import { toCacLtvBars, toPaybackCurves, type ComparedCampaign } from "~/lib/campaigns";
import { minorToMajor } from "~/lib/money";
import "../charts/register";

/** Paints the canvas white before drawing, so a downloaded PNG is not transparent. */
const whiteBackground: Plugin = {
  id: "vlWhiteBackground",
  beforeDraw(chart) {
    const { ctx, width, height } = chart;
    ctx.save();
    ctx.globalCompositeOperation = "destination-over";
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, width, height);
    ctx.restore();
  },
};

function downloadPng(chart: ChartJs | null | undefined, name: string) {
  if (!chart) return;
  const a = document.createElement("a");
  a.href = chart.toBase64Image("image/png", 1);
  a.download = name;
  a.click();
}

function PngButton({ onClick, what }: { onClick: () => void; what: string }) {
  return (
    <button type="button" onClick={onClick} className="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium text-slate-800 hover:bg-slate-50">
      Download PNG<span className="sr-only"> of {what}</span>
    </button>
  );
}

const moneyFmt = (currency: string, compact = false) =>
  new Intl.NumberFormat("en-US", { style: "currency", currency, notation: compact ? "compact" : "standard", maximumFractionDigits: compact ? 1 : 2 });

export function CacLtvChart({ campaigns, currency, valueLabel }: { campaigns: ComparedCampaign[]; currency: string; valueLabel: string }) {
  const ref = useRef<ChartJs<"bar">>(null);
  const fmt = moneyFmt(currency);
  const compact = moneyFmt(currency, true);
  return (
    <figure>
      <div className="mb-2 flex items-center justify-between gap-2">
        <h3 className="font-semibold text-slate-900">CAC vs value per acquired customer</h3>
        <PngButton what="the CAC vs value chart" onClick={() => downloadPng(ref.current, "campaigns-cac-vs-ltv.png")} />
      </div>
      <div className="relative h-72">
        <Bar
          ref={ref}
          role="img"
          aria-label={`Bar chart of acquisition cost and ${valueLabel.toLowerCase()} per acquired customer in ${currency}: ${campaigns
            .map((c) => `${c.label}: CAC ${c.cacMinor === null ? "none" : fmt.format(minorToMajor(c.cacMinor, currency))}`)
            .join("; ")}`}
          data={toCacLtvBars(campaigns, currency, valueLabel)}
          plugins={[whiteBackground]}
          options={{
            responsive: true,
            maintainAspectRatio: false,
            scales: {
              x: { grid: { display: false }, ticks: { callback(v) { const l = this.getLabelForValue(Number(v)); return l.length > 28 ? `${l.slice(0, 27)}…` : l; } } },
              y: { beginAtZero: true, title: { display: true, text: `Per acquired customer (${currency})` }, ticks: { callback: (v) => compact.format(Number(v)) } },
            },
            plugins: {
              legend: { position: "bottom" },
              tooltip: { callbacks: { label: (ctx) => `${ctx.dataset.label ?? ""}: ${ctx.parsed.y === null ? "—" : fmt.format(ctx.parsed.y)}` } },
            },
          }}
        />
      </div>
      <figcaption className="mt-2 text-sm text-slate-700">Grey: cost to acquire one customer (spend ÷ new customers). Blue: {valueLabel.toLowerCase()} per acquired customer. Blue above grey means the campaign earns back its cost on this basis.</figcaption>
    </figure>
  );
}

export function PaybackCurveChart({ campaigns, currency, measure }: { campaigns: ComparedCampaign[]; currency: string; measure: "revenue" | "margin" }) {
  const ref = useRef<ChartJs<"line">>(null);
  const fmt = moneyFmt(currency);
  const compact = moneyFmt(currency, true);
  return (
    <figure>
      <div className="mb-2 flex items-center justify-between gap-2">
        <h3 className="font-semibold text-slate-900">Cumulative {measure} per acquired customer vs CAC</h3>
        <PngButton what="the payback curves" onClick={() => downloadPng(ref.current, "campaigns-payback-curves.png")} />
      </div>
      <div className="relative h-80">
        <Line
          ref={ref}
          role="img"
          aria-label={`Line chart of cumulative ${measure} per acquired customer in ${currency} by month since acquisition, observed then predicted, against each campaign's CAC: ${campaigns
            .map((c) => `${c.label}: ${c.curve.paybackMonths === null ? "no payback within the data and forecast" : `pays back in month ${c.curve.paybackMonths}${c.curve.paybackSource === "predicted" ? " (predicted)" : ""}`}`)
            .join("; ")}`}
          data={toPaybackCurves(campaigns, currency)}
          plugins={[whiteBackground]}
          options={{
            responsive: true,
            maintainAspectRatio: false,
            interaction: { mode: "index", intersect: false },
            scales: {
              x: { title: { display: true, text: "Month since acquisition (1 = the acquisition month)" }, grid: { display: false } },
              y: { beginAtZero: true, title: { display: true, text: `Cumulative ${measure} per customer (${currency})` }, ticks: { callback: (v) => compact.format(Number(v)) } },
            },
            plugins: {
              // one legend entry per campaign (its colour); line styles are explained below the chart
              legend: { position: "bottom", labels: { boxWidth: 18, filter: (item) => !item.text.includes(" — ") } },
              tooltip: { callbacks: { label: (ctx) => `${ctx.dataset.label ?? ""}: ${ctx.parsed.y === null ? "—" : fmt.format(ctx.parsed.y)}` } },
            },
          }}
        />
      </div>
      <figcaption className="mt-2 text-sm text-slate-700">
        Solid: observed, while at least half of the campaign&apos;s customers have reached that month. Dashed: the model&apos;s expected {measure} for the next 12 months, shaped by expected purchases. Dotted: CAC. Where a curve crosses its CAC line is the payback month.
      </figcaption>
    </figure>
  );
}
