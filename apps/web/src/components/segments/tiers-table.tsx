import Link from "next/link";
import type { TierOverview } from "@valuelens/api";
import { formatCount, formatMoney, formatPercent } from "~/lib/money";
import { formatDelta, tierRuleText } from "~/lib/rfm-tiers";

const TIER_LABEL = { high: "High", medium: "Medium", low: "Low" } as const;

/** Value tiers of the latest recompute: where the money is. */
export function TiersTable({ data, slug }: { data: TierOverview; slug: string }) {
  const predictions = data.basis === "predicted";
  const rule = data.appliedSettings ?? data.settings;
  const valueName = predictions ? "predicted 12-month CLV" : "historical value";
  return (
    <div className="overflow-x-auto rounded-xl border border-slate-200 bg-white shadow-sm">
      <table className="w-full text-left text-sm" data-testid="tiers-table">
        <caption className="sr-only">Value tiers by {valueName}: thresholds, size and share of value</caption>
        <thead className="bg-slate-50">
          <tr className="border-b border-slate-200">
            <th scope="col" className="px-3 py-2">Tier</th>
            <th scope="col" className="px-3 py-2">Threshold ({valueName})</th>
            <th scope="col" className="px-3 py-2 text-right">Range in tier</th>
            <th scope="col" className="px-3 py-2 text-right">Customers</th>
            <th scope="col" className="px-3 py-2 text-right">Avg. predicted 12-mo CLV</th>
            <th scope="col" className="px-3 py-2 text-right">Avg. historical CLV</th>
            <th scope="col" className="px-3 py-2 text-right">Share of total revenue</th>
            <th scope="col" className="px-3 py-2 text-right">Share of predicted value</th>
          </tr>
        </thead>
        <tbody>
          {data.tiers.map((t) => (
            <tr key={t.tier} className="border-b border-slate-100 hover:bg-slate-50">
              <th scope="row" className="px-3 py-2 font-normal">
                {t.customers > 0 ? (
                  <Link href={`/w/${slug}/customers?tier=${t.tier}`} className="font-medium text-brand-700 underline-offset-2 hover:underline">
                    {TIER_LABEL[t.tier]}
                    <span className="sr-only"> tier: show these customers</span>
                  </Link>
                ) : (
                  <span className="font-medium">{TIER_LABEL[t.tier]}</span>
                )}
              </th>
              <td className="px-3 py-2">{tierRuleText(rule, t.tier, data.currency)}</td>
              <td className="px-3 py-2 text-right tabular-nums">
                {t.minValueMinor !== null && t.maxValueMinor !== null ? `${formatMoney(t.minValueMinor, data.currency)} – ${formatMoney(t.maxValueMinor, data.currency)}` : "—"}
              </td>
              <td className="px-3 py-2 text-right tabular-nums">
                {formatCount(t.customers)} <span className="text-xs text-slate-600">({formatPercent(t.customerShare)})</span>
                {t.change && t.change.deltaCustomers !== 0 ? <span className="block text-xs text-slate-600">{formatDelta(t.change.deltaCustomers)} since previous</span> : null}
              </td>
              <td className="px-3 py-2 text-right tabular-nums">{predictions && t.avgPredictedClvMinor !== null ? formatMoney(t.avgPredictedClvMinor, data.currency) : "—"}</td>
              <td className="px-3 py-2 text-right tabular-nums">{t.avgHistoricalClvMinor !== null ? formatMoney(t.avgHistoricalClvMinor, data.currency) : "—"}</td>
              <td className="px-3 py-2 text-right tabular-nums">{formatPercent(t.revenueShare)}</td>
              <td className="px-3 py-2 text-right tabular-nums">{predictions ? formatPercent(t.predictedShare) : "—"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
