import Link from "next/link";
import type { RfmSegmentRow } from "@valuelens/api";
import { formatCount, formatMoney, formatPercent } from "~/lib/money";
import { formatDelta, formatPp } from "~/lib/rfm-tiers";

/** What each named segment means, in a marketer's words (grid in clv-core segments/rfm.ts). */
const MEANING: Record<string, string> = {
  Champions: "Bought recently, buy often and spend the most",
  Loyal: "Buy regularly and spend well",
  "Potential Loyalist": "Recent customers with average frequency",
  New: "Bought recently for the first time",
  Promising: "Recent, but have not bought much yet",
  "Need Attention": "Average recency, frequency and spend",
  "About to Sleep": "Below average recency and frequency",
  "At Risk": "Spent well, but have not bought for a while",
  "Can't Lose Them": "Used to buy the most, have not returned for a long time",
  Hibernating: "Last bought long ago, few orders",
  Lost: "Lowest recency, frequency and spend",
};

/** Named RFM segments of the latest recompute, with the change since the previous one. */
export function RfmSegmentsTable({ rows, currency, predictions, slug, compared }: { rows: RfmSegmentRow[]; currency: string; predictions: boolean; slug: string; compared: boolean }) {
  return (
    <div className="overflow-x-auto rounded-xl border border-slate-200 bg-white shadow-sm">
      <table className="w-full text-left text-sm" data-testid="rfm-segments">
        <caption className="sr-only">Named RFM segments with their size, value and change since the previous recompute</caption>
        <thead className="bg-slate-50">
          <tr className="border-b border-slate-200">
            <th scope="col" className="px-3 py-2">Segment</th>
            <th scope="col" className="px-3 py-2 text-right">Customers</th>
            <th scope="col" className="px-3 py-2 text-right">Share of customers</th>
            <th scope="col" className="px-3 py-2 text-right">Change since previous recompute</th>
            <th scope="col" className="px-3 py-2 text-right">Share of revenue</th>
            <th scope="col" className="px-3 py-2 text-right">Avg. historical CLV</th>
            <th scope="col" className="px-3 py-2 text-right">Avg. predicted 12-mo CLV</th>
            <th scope="col" className="px-3 py-2 text-right">Avg. P(alive)</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((s) => (
            <tr key={s.segment} className="border-b border-slate-100 hover:bg-slate-50">
              <th scope="row" className="px-3 py-2 font-normal">
                {s.customers > 0 ? (
                  <Link href={`/w/${slug}/customers?segment=${encodeURIComponent(s.segment)}`} className="font-medium text-brand-700 underline-offset-2 hover:underline">
                    {s.segment}
                    <span className="sr-only">: show these customers</span>
                  </Link>
                ) : (
                  <span className="font-medium">{s.segment}</span>
                )}
                {MEANING[s.segment] ? <div className="text-xs text-slate-600">{MEANING[s.segment]}</div> : null}
              </th>
              <td className="px-3 py-2 text-right tabular-nums">{formatCount(s.customers)}</td>
              <td className="px-3 py-2 text-right tabular-nums">{formatPercent(s.customerShare)}</td>
              <td className="px-3 py-2 text-right tabular-nums">
                {s.change ? (
                  <>
                    {formatDelta(s.change.deltaCustomers)}
                    <span className="block text-xs text-slate-600">{formatPp(s.change.deltaShare)}</span>
                  </>
                ) : compared ? (
                  "—"
                ) : (
                  <span className="text-xs text-slate-600">no earlier recompute</span>
                )}
              </td>
              <td className="px-3 py-2 text-right tabular-nums">{formatPercent(s.revenueShare)}</td>
              <td className="px-3 py-2 text-right tabular-nums">{s.avgHistoricalClvMinor !== null ? formatMoney(s.avgHistoricalClvMinor, currency) : "—"}</td>
              <td className="px-3 py-2 text-right tabular-nums">{predictions && s.avgPredictedClvMinor !== null ? formatMoney(s.avgPredictedClvMinor, currency) : "—"}</td>
              <td className="px-3 py-2 text-right tabular-nums">{predictions ? formatPercent(s.avgPAlive, 0) : "—"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
