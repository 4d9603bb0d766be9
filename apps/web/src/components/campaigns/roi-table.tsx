"use client";

import { useState } from "react";
import { formatPayback, formatRatio, formatRoi, rankRows, SORT_LABELS, type GroupMetrics, type SortKey } from "~/lib/campaigns";
import { formatCount, formatMoney, formatPercent } from "~/lib/money";

const COLUMNS: SortKey[] = ["label", "spend", "customers", "cac", "ltv", "ltvToCac", "roi", "payback", "repeat", "retention"];

function Range({ low, high, currency }: { low: string | null; high: string | null; currency: string }) {
  if (low === null || high === null || low === high) return null;
  return (
    <span className="block text-xs text-slate-600">
      {formatMoney(low, currency, { compact: true })}–{formatMoney(high, currency, { compact: true })}
    </span>
  );
}

/**
 * A sortable metrics table (campaigns, channels or the comparison). Rows with fewer customers than
 * the threshold are flagged "low confidence" and listed after the ranked rows, never ranked.
 */
export function RoiTable<T extends GroupMetrics>({
  rows,
  currency,
  caption,
  minCustomers,
  valueLabel,
  measure,
  predictedNote,
  select,
  extra,
}: {
  rows: T[];
  currency: string;
  caption: string;
  minCustomers: number;
  valueLabel: string;
  measure: "revenue" | "margin";
  /** Shown in predicted columns when there are no predictions. */
  predictedNote: string | null;
  select?: { selected: string[]; onToggle: (key: string) => void; max: number } | undefined;
  extra?: ((row: T) => React.ReactNode) | undefined;
}) {
  const [sort, setSort] = useState<SortKey>("ltvToCac");
  const [dir, setDir] = useState<"asc" | "desc">("desc");
  const ranked = rankRows(rows, sort, dir);
  const click = (k: SortKey) => {
    if (k === sort) setDir(dir === "asc" ? "desc" : "asc");
    else {
      setSort(k);
      setDir(k === "label" || k === "cac" || k === "payback" ? "asc" : "desc");
    }
  };
  const head = (k: SortKey, label?: string) => (
    <th key={k} scope="col" aria-sort={sort === k ? (dir === "asc" ? "ascending" : "descending") : "none"} className={`px-2 py-2 font-semibold ${k === "label" ? "text-left" : "text-right"}`}>
      <button type="button" onClick={() => click(k)} className="inline-flex items-center gap-1 rounded hover:underline focus-visible:outline-2 focus-visible:outline-brand-600">
        {label ?? SORT_LABELS[k]}
        <span aria-hidden="true" className="text-slate-500">{sort === k ? (dir === "asc" ? "▲" : "▼") : "↕"}</span>
      </button>
    </th>
  );
  return (
    <div className="relative overflow-x-auto rounded-md border border-slate-200 bg-white" tabIndex={0} role="region" aria-label={caption}>
      <table className="w-full text-sm">
        <caption className="sr-only">{caption}. Column headers sort the table. Rows with fewer than {minCustomers} customers are low confidence and not ranked.</caption>
        <thead className="border-b border-slate-200 bg-slate-50 text-slate-800">
          <tr>
            {select ? <th scope="col" className="px-2 py-2 text-left font-semibold">Compare</th> : null}
            <th scope="col" className="px-2 py-2 text-right font-semibold">Rank</th>
            {COLUMNS.map((k) => (k === "ltv" ? head(k, `${valueLabel} / customer`) : k === "payback" ? head(k, `Payback (${measure})`) : head(k)))}
            <th scope="col" className="px-2 py-2 text-right font-semibold">First-order revenue</th>
            <th scope="col" className="px-2 py-2 text-right font-semibold">Revenue to date</th>
            <th scope="col" className="px-2 py-2 text-right font-semibold">Predicted 12 mo ({measure})</th>
            <th scope="col" className="px-2 py-2 text-right font-semibold">Lifetime ({measure})</th>
            {extra ? <th scope="col" className="px-2 py-2 text-left font-semibold">Actions</th> : null}
          </tr>
        </thead>
        <tbody>
          {ranked.map(({ row: r, rank }) => {
            const checked = select?.selected.includes(r.key) ?? false;
            const disabled = !!select && !checked && select.selected.length >= select.max;
            return (
              <tr key={`${r.kind}-${r.key}`} className={`border-b border-slate-100 ${r.lowConfidence ? "bg-amber-50/60" : ""}`}>
                {select ? (
                  <td className="px-2 py-1.5">
                    {r.kind === "campaign" ? (
                      <input type="checkbox" checked={checked} disabled={disabled} onChange={() => select.onToggle(r.key)} aria-label={`Compare ${r.label}`} className="h-4 w-4" />
                    ) : null}
                  </td>
                ) : null}
                <td className="px-2 py-1.5 text-right tabular-nums">{rank ?? <span className="text-xs font-medium text-amber-900">low confidence</span>}</td>
                <th scope="row" className="min-w-56 max-w-80 px-2 py-1.5 text-left font-medium text-slate-900">
                  {r.label}
                  {r.kind === "campaign" && r.channel ? <span className="block text-xs font-normal text-slate-600">{r.channel}</span> : null}
                  {r.lowConfidence ? <span className="block text-xs font-normal text-amber-900">{r.customers} customers (under {minCustomers})</span> : null}
                </th>
                <td className="px-2 py-1.5 text-right tabular-nums">{formatMoney(r.spendMinor, currency)}</td>
                <td className="px-2 py-1.5 text-right tabular-nums">{formatCount(r.customers)}</td>
                <td className="px-2 py-1.5 text-right tabular-nums">{r.cacMinor === null ? "—" : formatMoney(r.cacMinor, currency)}</td>
                <td className="px-2 py-1.5 text-right tabular-nums">{r.ltvMinor === null ? <span title={predictedNote ?? undefined}>—</span> : formatMoney(r.ltvMinor, currency)}</td>
                <td className="px-2 py-1.5 text-right tabular-nums">
                  {formatRatio(r.ltvToCac)}
                  {r.ltvToCacLow !== null && r.ltvToCacHigh !== null && r.ltvToCacLow !== r.ltvToCacHigh ? (
                    <span className="block text-xs text-slate-600">{r.ltvToCacLow.toFixed(1)}–{r.ltvToCacHigh.toFixed(1)}×</span>
                  ) : null}
                </td>
                <td className="px-2 py-1.5 text-right tabular-nums">{formatRoi(r.roi)}</td>
                <td className="px-2 py-1.5 text-right tabular-nums">{formatPayback(r)}</td>
                <td className="px-2 py-1.5 text-right tabular-nums">{formatPercent(r.repeatRate, 0)}</td>
                <td className="px-2 py-1.5 text-right tabular-nums">{formatPercent(r.retention90, 0)}</td>
                <td className="px-2 py-1.5 text-right tabular-nums">{formatMoney(r.firstOrderRevenueMinor, currency)}</td>
                <td className="px-2 py-1.5 text-right tabular-nums">{formatMoney(r.historicalRevenueMinor, currency)}</td>
                <td className="px-2 py-1.5 text-right tabular-nums">
                  {r.predicted12Minor === null ? <span className="text-xs text-slate-600">{r.customers > 0 ? "no predictions" : "—"}</span> : formatMoney(r.predicted12Minor, currency)}
                  <Range low={r.predicted12LowMinor} high={r.predicted12HighMinor} currency={currency} />
                </td>
                <td className="px-2 py-1.5 text-right tabular-nums">
                  {r.lifetimeMinor === null ? <span className="text-xs text-slate-600">{r.customers > 0 ? "no predictions" : "—"}</span> : formatMoney(r.lifetimeMinor, currency)}
                  <Range low={r.lifetimeLowMinor} high={r.lifetimeHighMinor} currency={currency} />
                </td>
                {extra ? <td className="px-2 py-1.5">{extra(r)}</td> : null}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
