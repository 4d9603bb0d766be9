"use client";

import Link from "next/link";
import { useState } from "react";
import { RFM_MAP_MEASURES, type TRfmMapMeasure } from "@valuelens/validators";
import type { RfmCell } from "@valuelens/api";
import { formatCount, formatMoney, formatPercent } from "~/lib/money";
import { heatColor } from "~/lib/retention";
import { formatDelta, formatMeasure, formatMoneyShort, formatPp, MEASURE_LABELS, measureValue } from "~/lib/rfm-tiers";

const R_LABEL: Record<number, string> = { 5: "most recent", 1: "least recent" };
const F_LABEL: Record<number, string> = { 1: "fewest orders", 5: "most orders" };

/** Multi-line details of a cell (the native tooltip, and the same facts for screen readers). */
function cellDetails(c: RfmCell, currency: string, predictions: boolean): string[] {
  const lines = [
    `Recency ${c.r} × Frequency ${c.f}`,
    `${formatCount(c.customers)} customers (${formatPercent(c.customerShare)} of all)`,
    `Revenue ${formatMoney(c.revenueMinor, currency)} (${formatPercent(c.revenueShare)} of all)`,
    c.avgHistoricalClvMinor !== null ? `Average historical CLV ${formatMoney(c.avgHistoricalClvMinor, currency)}` : null,
    predictions && c.avgPredictedClvMinor !== null ? `Average predicted 12-month CLV ${formatMoney(c.avgPredictedClvMinor, currency)}` : null,
    predictions && c.avgPAlive !== null ? `Average P(alive) ${formatPercent(c.avgPAlive, 0)}` : null,
    c.change ? `Since the previous recompute: ${formatDelta(c.change.deltaCustomers)} customers (${formatPp(c.change.deltaShare)})` : null,
  ];
  return lines.filter((l): l is string => l !== null);
}

/**
 * The RFM map: a 5×5 table of recency score (rows, 5 = bought most recently) × frequency score
 * (columns, 5 = most orders). Each cell shows its customers and their average predicted CLV, is
 * coloured by the chosen measure, and links to the Customers page filtered to the cell (Tab to a
 * cell, Enter to open it; the title attribute and the link's accessible name carry the details).
 */
export function RfmMap({ cells, currency, predictions, slug }: { cells: RfmCell[]; currency: string; predictions: boolean; slug: string }) {
  const [measure, setMeasure] = useState<TRfmMapMeasure>(predictions ? "avgPredictedClv" : "customers");
  const values = cells.map((c) => (c.customers > 0 ? measureValue(c, measure) : null));
  const present = values.filter((v): v is number => v !== null);
  const max = present.length ? Math.max(...present) : 0;
  const at = (r: number, f: number) => cells.find((c) => c.r === r && c.f === f);
  const measures = RFM_MAP_MEASURES.filter((m) => predictions || (m !== "avgPredictedClv" && m !== "avgPAlive"));

  return (
    <div className="space-y-3">
      <div className="flex flex-wrap items-end justify-between gap-3">
        <label className="text-sm">
          <span className="block font-medium text-slate-800">Colour by</span>
          <select
            value={measure}
            onChange={(e) => setMeasure(e.target.value as TRfmMapMeasure)}
            className="mt-1 rounded-md border border-slate-400 bg-white px-2 py-1.5 text-sm"
            data-testid="rfm-measure"
          >
            {measures.map((m) => (
              <option key={m} value={m}>
                {MEASURE_LABELS[m]}
              </option>
            ))}
          </select>
        </label>
        <div className="flex items-center gap-2 text-xs text-slate-700" id="rfm-legend">
          <span>
            {MEASURE_LABELS[measure]}: {formatMeasure(present.length ? 0 : null, measure, currency)}
          </span>
          <span aria-hidden="true" className="inline-block h-3 w-40 rounded border border-slate-300" style={{ background: `linear-gradient(to right, ${heatColor(0, 1).background}, ${heatColor(1, 1).background})` }} />
          <span>{formatMeasure(present.length ? max : null, measure, currency)}</span>
          <span className="ml-2">· empty cells: white</span>
        </div>
      </div>
      <div className="overflow-x-auto">
        <table className="w-full border-separate border-spacing-1 text-sm" data-testid="rfm-map" aria-describedby="rfm-legend">
          <caption className="mb-2 text-left text-sm text-slate-700">
            Customers by recency score (rows, 5 = bought most recently) and frequency score (columns, 5 = most orders); each cell shows its customers and
            {predictions ? " their average predicted 12-month CLV" : " their average historical CLV"}, coloured by {MEASURE_LABELS[measure].charAt(0).toLowerCase() + MEASURE_LABELS[measure].slice(1)}. Select a
            cell to see its customers.
          </caption>
          <thead>
            <tr>
              <td className="w-28" />
              {[1, 2, 3, 4, 5].map((f) => (
                <th key={f} scope="col" className="px-2 py-1 text-center text-xs font-medium text-slate-700">
                  Frequency {f}
                  {F_LABEL[f] ? <span className="block font-normal">{F_LABEL[f]}</span> : null}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {[5, 4, 3, 2, 1].map((r) => (
              <tr key={r}>
                <th scope="row" className="px-2 py-1 text-left text-xs font-medium text-slate-700">
                  Recency {r}
                  {R_LABEL[r] ? <span className="block font-normal">{R_LABEL[r]}</span> : null}
                </th>
                {[1, 2, 3, 4, 5].map((f) => {
                  const c = at(r, f);
                  if (!c || c.customers === 0) {
                    return (
                      <td key={f} className="h-16 rounded-md border border-slate-200 bg-white text-center text-xs text-slate-600" title={`Recency ${r} × Frequency ${f}: no customers`}>
                        0<span className="sr-only"> customers</span>
                      </td>
                    );
                  }
                  const v = measureValue(c, measure);
                  const h = v === null ? { background: "#ffffff", color: "#0f172a" } : heatColor(Math.max(0, v), max);
                  const details = cellDetails(c, currency, predictions);
                  const avg = predictions ? c.avgPredictedClvMinor : c.avgHistoricalClvMinor;
                  return (
                    <td key={f} className="h-16 p-0">
                      <Link
                        href={`/w/${slug}/customers?rfmR=${r}&rfmF=${f}`}
                        title={details.join("\n")}
                        data-testid={`rfm-cell-${r}-${f}`}
                        className="flex h-16 flex-col items-center justify-center rounded-md px-1 text-center outline-offset-2 hover:ring-2 hover:ring-brand-600 focus-visible:outline-2 focus-visible:outline-brand-700"
                        style={{ background: h.background, color: h.color }}
                      >
                        {/* The accessible name reads the visible text in order, wrapped in the cell's details. */}
                        <span className="sr-only">Recency {r}, frequency {f}: </span>
                        <span className="font-semibold tabular-nums">{formatCount(c.customers)}</span>
                        <span className="sr-only"> customers, average {predictions ? "predicted" : "historical"} CLV </span>
                        <span className="text-xs tabular-nums">{avg !== null ? formatMoneyShort(avg, currency) : "—"}</span>
                        <span className="sr-only">. {details.slice(1).join(". ")}. Show these customers.</span>
                      </Link>
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p className="text-xs text-slate-700">
        Cell text: customers, then average {predictions ? "predicted 12-month CLV" : "historical CLV"}. Hover or focus a cell for share of customers, revenue,
        P(alive) and the change since the previous recompute. Equal values share a score, so a row or column can be empty (for example when many
        customers have the same number of orders).
      </p>
    </div>
  );
}
