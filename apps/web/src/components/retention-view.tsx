"use client";

import { useQuery } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import type { CohortMatrix } from "@valuelens/api";
import { formatCount, formatMoney, formatPercent } from "~/lib/money";
import { cohortLabel, curveKey, curvesToCsv, heatCells, heatColor, ltvToCsv, matrixToCsv, paybackMonth, periodTrend, ratesToCsv, scaleMax, type CohortMetric } from "~/lib/retention";
import { useTRPC } from "~/trpc/react";
import { CohortLtvChart, PngButton, RetentionCurveChart, TrendChart } from "./charts/retention-charts";
import { KpiCard } from "./kpi-card";
import { EmptyState, ErrorBlock, LoadingBlock } from "./states";
import { useWorkspace } from "./workspace-context";
import { SelectField } from "./select-field";

type Grain = "week" | "month" | "quarter";
type Split = "none" | "channel" | "campaign" | "segment" | "tier";

const GROUP_LABEL: Record<Split, string> = { none: "Group", channel: "Channel", campaign: "Campaign", segment: "RFM segment", tier: "Value tier" };

/** Weekly cohorts per page of the heat-map (older ones one page at a time). */
const WEEKS = 52;

const HATCH = "repeating-linear-gradient(135deg, #f1f5f9 0 6px, #e2e8f0 6px 12px)";


function downloadText(text: string, name: string) {
  const url = URL.createObjectURL(new Blob([text], { type: "text/csv;charset=utf-8" }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.click();
  URL.revokeObjectURL(url);
}

function HeatMap({ matrix, group, metric }: { matrix: CohortMatrix; group: string; metric: CohortMetric }) {
  const rows = matrix.rows.filter((r) => r.group === group);
  const periods = Math.max(0, ...rows.map((r) => r.cells.length));
  const max = scaleMax(matrix, metric, group);
  const unit = matrix.grain === "quarter" ? "Quarter" : matrix.grain === "week" ? "Week" : "Month";
  const fmtMax = metric === "active" ? formatPercent(max, 0) : new Intl.NumberFormat("en-US", { style: "currency", currency: matrix.currency }).format(max);
  return (
    <div>
      {/* relative: the cells' sr-only spans are absolutely positioned and would otherwise escape the scroll box and widen the page */}
      <div className="relative max-h-[32rem] overflow-auto rounded-md border border-slate-200" tabIndex={0} role="region" aria-label="Cohort heat-map">
        <table className="border-collapse text-xs">
          <caption className="sr-only">
            {metric === "active" ? "Share of each cohort that purchased" : `Revenue per original customer (${matrix.currency})`} by {unit.toLowerCase()}s since the first order. Cells marked incomplete are periods not over yet.
          </caption>
          <thead className="sticky top-0 z-10 bg-white">
            <tr>
              <th scope="col" className="sticky left-0 z-20 bg-white px-2 py-1 text-left">Cohort</th>
              <th scope="col" className="px-2 py-1 text-right">Customers</th>
              {Array.from({ length: periods }, (_, k) => (
                <th key={k} scope="col" className="px-2 py-1 text-right font-medium">
                  <span className="sr-only">{unit} </span>
                  {k}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.cohort}>
                <th scope="row" className="sticky left-0 bg-white px-2 py-1 text-left font-medium whitespace-nowrap">{cohortLabel(r.cohort, matrix.grain)}</th>
                <td className="px-2 py-1 text-right">{formatCount(r.size)}</td>
                {heatCells(r, metric, matrix.currency).map((c) => {
                  const style = c.incomplete ? { backgroundImage: HATCH, color: "#334155" } : (() => { const h = heatColor(c.value, max); return { background: h.background, color: h.color }; })();
                  return (
                    <td key={c.period} style={style} className="min-w-14 px-2 py-1 text-right tabular-nums" title={c.incomplete ? "Period not over yet" : undefined}>
                      {c.text}
                      {c.incomplete ? <span aria-hidden="true">*</span> : null}
                      {c.incomplete ? <span className="sr-only"> (incomplete period)</span> : null}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div className="mt-3 flex flex-wrap items-center gap-6 text-xs text-slate-700">
        <div className="flex items-center gap-2">
          <span>{metric === "active" ? "0%" : formatMoney(0, matrix.currency)}</span>
          <span aria-hidden="true" className="inline-block h-3 w-40 rounded" style={{ background: `linear-gradient(to right, ${heatColor(0, 1).background}, ${heatColor(1, 1).background})` }} />
          <span>{fmtMax}{metric === "active" ? " (colour scale excludes period 0, always 100%)" : ""}</span>
        </div>
        <div className="flex items-center gap-2">
          <span aria-hidden="true" className="inline-block h-3 w-6 rounded border border-slate-300" style={{ backgroundImage: HATCH }} />
          <span>* Incomplete: the period holding the latest data ({matrix.lastDataMonth ? cohortLabel(matrix.lastDataMonth, "month") : "—"}) is not over, so it is not a drop.</span>
        </div>
      </div>
    </div>
  );
}

/** Weekly cohorts come WEEKS at a time: which ones are shown, and buttons to page to older / newer ones. */
function WeekPager({ window: w, busy, onShow }: { window: NonNullable<CohortMatrix["window"]>; busy: boolean; onShow: (until: string | null) => void }) {
  const shift = (weeks: number) => new Date(Date.parse(`${w.until}T00:00:00Z`) + weeks * 7 * 86_400_000).toISOString().slice(0, 10);
  const hasOlder = w.first !== null && w.first < w.from;
  const hasNewer = w.last !== null && w.last > w.until;
  return (
    <div className="mb-3 flex flex-wrap items-center gap-3 text-sm text-slate-700" role="group" aria-label="Weekly cohorts shown">
      <p aria-live="polite">
        Weekly cohorts are shown {w.weeks} at a time: {cohortLabel(w.from, "week")} to {cohortLabel(w.until, "week")}.
        {hasOlder && w.first !== null ? ` Older cohorts go back to ${cohortLabel(w.first, "week")}: use “Older weeks”.` : ""}
      </p>
      <div className="flex gap-2">
        <button type="button" className="rounded-md border border-slate-300 px-3 py-1 font-medium text-slate-800 hover:bg-slate-50 disabled:opacity-50" disabled={!hasOlder || busy} onClick={() => onShow(shift(-w.weeks))}>
          Older weeks
        </button>
        <button type="button" className="rounded-md border border-slate-300 px-3 py-1 font-medium text-slate-800 hover:bg-slate-50 disabled:opacity-50" disabled={!hasNewer || busy} onClick={() => onShow(shift(w.weeks))}>
          Newer weeks
        </button>
        <button type="button" className="rounded-md border border-slate-300 px-3 py-1 font-medium text-slate-800 hover:bg-slate-50 disabled:opacity-50" disabled={!hasNewer || busy} onClick={() => onShow(null)}>
          Latest
        </button>
      </div>
    </div>
  );
}

export function RetentionView() {
  const ws = useWorkspace();
  const trpc = useTRPC();
  const [grain, setGrain] = useState<Grain>("month");
  const [split, setSplit] = useState<Split>("none");
  const [metric, setMetric] = useState<CohortMetric>("active");
  const [windowMonths, setWindowMonths] = useState(3);
  const [basis, setBasis] = useState<"revenue" | "margin">("revenue");
  const [groupChoice, setGroupChoice] = useState<string | null>(null);
  const [picked, setPicked] = useState<string[] | null>(null);
  /** Week grain: the newest weekly cohort shown (null = the latest); the heat-map shows WEEKS of them. */
  const [weekUntil, setWeekUntil] = useState<string | null>(null);
  const horizon = 24;

  // The split's groups first; then every cohort query asks for the group on show only (a split's matrix holds every group's cells).
  const groupsQuery = useQuery({ ...trpc.retention.groups.queryOptions({ workspaceId: ws.id, split }), enabled: split !== "none" });
  const groups = useMemo(() => (groupsQuery.data?.groups ?? []).map((g) => ({ value: g.value, label: g.label })), [groupsQuery.data]);
  const group = split === "none" ? "" : groupChoice !== null && groups.some((g) => g.value === groupChoice) ? groupChoice : (groups[0]?.value ?? "");
  const groupReady = split === "none" || groupsQuery.isSuccess;
  const matrix = useQuery({
    ...trpc.retention.cohorts.queryOptions({ workspaceId: ws.id, grain, split, group, ...(grain === "week" ? { weeks: WEEKS, ...(weekUntil === null ? {} : { until: weekUntil }) } : {}) }),
    enabled: groupReady,
    // While the next page of weekly cohorts loads, keep the current one (only for the same grain, split and group).
    placeholderData: (prev) => (prev && prev.grain === grain && prev.split === split && prev.group === group ? prev : undefined),
  });
  const monthly = useQuery({ ...trpc.retention.cohorts.queryOptions({ workspaceId: ws.id, grain: "month", split, group }), enabled: groupReady });
  const rates = useQuery(trpc.retention.rates.queryOptions({ workspaceId: ws.id }));
  // Curves for the group on show only (each fitted cohort costs an sBG fit).
  const curves = useQuery({
    ...trpc.retention.curves.queryOptions({ workspaceId: ws.id, split, windowMonths, horizonMonths: horizon, group }),
    enabled: groupReady,
  });

  const groupCurves = (curves.data?.curves ?? []).filter((c) => c.group === group);
  const recent = groupCurves.slice(-12);
  const defaultPick = groupCurves.filter((c) => c.fit !== null).slice(-4).map(curveKey);
  const selected = (picked ?? defaultPick).filter((k) => recent.some((c) => curveKey(c) === k));
  const selectedCurves = recent.filter((c) => selected.includes(curveKey(c)));
  const ltvRows = (monthly.data?.rows ?? []).filter((r) => r.group === group && selected.includes(curveKey(r)));

  const toggle = (key: string) => setPicked(selected.includes(key) ? selected.filter((k) => k !== key) : [...selected, key]);

  const churn = curves.data?.churnTrend ?? [];
  const lastChurn = churn[churn.length - 1];
  const yearAgo = churn.length >= 13 ? churn[churn.length - 13] : undefined;
  const trendN = monthly.data ? [1, 3, 6].map((n) => ({ n, points: periodTrend(monthly.data, n, group) })) : [];
  const trendLabels = trendN[0]?.points.map((p) => cohortLabel(p.cohort, "month")) ?? [];

  return (
    <div className="space-y-8">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight">Retention</h1>
        <p className="text-sm text-slate-700">How each cohort of new customers keeps buying, and where young cohorts are heading.</p>
      </div>

      <form className="flex flex-wrap items-end gap-4 rounded-xl border border-slate-200 bg-white p-4 shadow-sm" aria-label="Cohort options" onSubmit={(e) => e.preventDefault()}>
        <SelectField className="w-fit" label="Cohort grain" value={grain} onChange={(v) => { setGrain(v); setWeekUntil(null); }} options={[{ value: "week", label: "Week" }, { value: "month", label: "Month" }, { value: "quarter", label: "Quarter" }]} />
        <SelectField className="w-fit" label="Split by" value={split} onChange={(v) => { setSplit(v); setGroupChoice(null); setPicked(null); setWeekUntil(null); }} options={[{ value: "none", label: "No split" }, { value: "channel", label: "Acquisition channel" }, { value: "campaign", label: "Acquisition campaign" }, { value: "segment", label: "RFM segment (now)" }, { value: "tier", label: "Value tier (now)" }]} />
        {split !== "none" && groups.length > 0 ? (
          <SelectField className="w-fit" label={GROUP_LABEL[split]} value={group} onChange={(v) => { setGroupChoice(v); setPicked(null); }} options={groups} />
        ) : null}
        <SelectField className="w-fit" label="Heat-map shows" value={metric} onChange={setMetric} options={[{ value: "active", label: "Share who purchased" }, { value: "revenue", label: "Revenue per original customer" }]} />
      </form>
      {split === "segment" || split === "tier" ? (
        <p className="text-sm text-slate-700">Segments and value tiers are each customer&apos;s current ones (latest model run), not the ones they had when acquired.</p>
      ) : null}

      <section aria-labelledby="heat-title" className="rounded-xl border border-slate-200 bg-white p-6 shadow-sm">
        <div className="flex flex-wrap items-start justify-between gap-2">
          <div>
            <h2 id="heat-title" className="text-lg font-semibold">Cohort heat-map</h2>
            <p className="mb-4 text-sm text-slate-700">
              Rows: customers by {grain} of first order. Columns: {grain}s since then. {metric === "active" ? "Cells: share of the cohort that bought in that period." : `Cells: revenue in that period per customer the cohort started with (${ws.currency}, refunds excluded).`}
            </p>
          </div>
          {matrix.data && matrix.data.rows.length > 0 ? (
            <PngButton label="Download CSV" of="the cohort heat-map" onClick={() => downloadText(matrixToCsv(matrix.data), `cohorts-${grain}-${split}.csv`)} />
          ) : null}
        </div>
        {matrix.data?.window ? <WeekPager window={matrix.data.window} busy={matrix.isFetching} onShow={setWeekUntil} /> : null}
        {matrix.isPending || (split !== "none" && groupsQuery.isPending) ? (
          <LoadingBlock label="cohort heat-map" className="h-80" />
        ) : groupsQuery.isError ? (
          <ErrorBlock error={groupsQuery.error} what="the cohort groups" onRetry={() => void groupsQuery.refetch()} />
        ) : matrix.isError ? (
          <ErrorBlock error={matrix.error} what="the cohort heat-map" onRetry={() => void matrix.refetch()} />
        ) : matrix.data.rows.length === 0 ? (
          <EmptyState title="No orders yet">Import customers and orders to see how cohorts keep buying.</EmptyState>
        ) : (
          <HeatMap matrix={matrix.data} group={group} metric={metric} />
        )}
      </section>

      <section aria-labelledby="curves-title" className="rounded-xl border border-slate-200 bg-white p-6 shadow-sm">
        <h2 id="curves-title" className="text-lg font-semibold">Retention curves with projections</h2>
        <p className="mb-4 text-sm text-slate-700">
          <strong>Active</strong> here means buying at least once in every {windowMonths}-month window since the first order: a customer churns in the month after their last order once {windowMonths} month{windowMonths === 1 ? "" : "s"} pass without one. The shifted-beta-geometric model assumes this contract-like churn (once gone, gone for good) and customers who differ in how likely they are to leave.
        </p>
        <div className="mb-4 flex flex-wrap items-end gap-4">
          <SelectField className="w-fit" label="Churned after a gap of" value={String(windowMonths)} onChange={(v) => setWindowMonths(Number(v))} options={[1, 2, 3, 6].map((n) => ({ value: String(n), label: `${n} month${n === 1 ? "" : "s"}` }))} />
          {recent.length > 0 ? (
            <fieldset className="text-sm">
              <legend className="font-medium text-slate-800">Cohorts shown</legend>
              <div className="mt-1 flex max-w-3xl flex-wrap gap-x-4 gap-y-1">
                {recent.map((c) => (
                  <label key={curveKey(c)} className="flex items-center gap-1">
                    <input type="checkbox" checked={selected.includes(curveKey(c))} onChange={() => toggle(curveKey(c))} />
                    {cohortLabel(c.cohort, "month")}
                  </label>
                ))}
              </div>
            </fieldset>
          ) : null}
        </div>
        {curves.isPending ? (
          <LoadingBlock label="retention curves" className="h-80" />
        ) : curves.isError ? (
          <ErrorBlock error={curves.error} what="retention curves" onRetry={() => void curves.refetch()} />
        ) : selectedCurves.length === 0 ? (
          <EmptyState title="No cohort selected">Pick one or more cohorts above (cohorts need a few complete months to be fitted).</EmptyState>
        ) : (
          <RetentionCurveChart
            curves={selectedCurves}
            horizon={horizon}
            windowMonths={windowMonths}
            extra={<PngButton label="Download CSV" of="the retention curves" onClick={() => downloadText(curvesToCsv(groupCurves, windowMonths), `retention-curves-${split}-${windowMonths}m.csv`)} />}
          />
        )}
      </section>

      <section aria-labelledby="ltv-title" className="rounded-xl border border-slate-200 bg-white p-6 shadow-sm">
        <h2 id="ltv-title" className="text-lg font-semibold">Cohort LTV</h2>
        <p className="mb-4 text-sm text-slate-700">
          Cumulative {basis} per acquired customer by months since the first order, for the cohorts selected above (complete months only). Dashed: what the purchase and spend models (latest model run) expect the cohort to add over the next 12 months from the latest data, shaded: its 80% range{basis === "margin" ? " (revenue forecast × the cohort's margin share so far)" : ""}. Dotted lines: the cohort&apos;s acquisition cost (campaign spend in its month ÷ customers acquired{split === "none" ? ", blended over all campaigns" : ""}), shown when spend was imported.
        </p>
        <div className="mb-4">
          <SelectField className="w-fit" label="Value" value={basis} onChange={setBasis} options={[{ value: "revenue", label: "Revenue" }, { value: "margin", label: "Gross margin" }]} />
        </div>
        {monthly.isPending ? (
          <LoadingBlock label="cohort LTV" className="h-80" />
        ) : monthly.isError ? (
          <ErrorBlock error={monthly.error} what="cohort LTV" onRetry={() => void monthly.refetch()} />
        ) : ltvRows.length === 0 ? (
          <EmptyState title="No cohort selected">Pick cohorts in the retention curves above.</EmptyState>
        ) : (
          <>
            <CohortLtvChart
              rows={ltvRows}
              currency={ws.currency}
              basis={basis}
              extra={<PngButton label="Download CSV" of="the cohort LTV chart" onClick={() => downloadText(ltvToCsv(ltvRows, ws.currency, basis), `cohort-ltv-${basis}.csv`)} />}
            />
            {ltvRows.some((r) => r.forecast === null) ? (
              <p className="mt-2 text-sm text-slate-700">No forecast for {ltvRows.filter((r) => r.forecast === null).map((r) => cohortLabel(r.cohort, "month")).join(", ")}: its customers have no predictions yet (run the models on the Model page; small workspaces get none).</p>
            ) : null}
            <ul className="mt-2 text-sm text-slate-700">
              {ltvRows.filter((r) => r.cacMinor !== null).map((r) => {
                const p = paybackMonth(r, basis);
                return (
                  <li key={r.cohort}>
                    {cohortLabel(r.cohort, "month")}: CAC {formatMoney(r.cacMinor!, ws.currency)}, {p === null ? "not paid back yet" : `paid back in month ${p}`}.
                  </li>
                );
              })}
            </ul>
          </>
        )}
      </section>

      <section aria-labelledby="rates-title" className="space-y-4">
        <div className="flex flex-wrap items-center justify-between gap-2">
          <h2 id="rates-title" className="text-lg font-semibold">Key rates</h2>
          {rates.data && curves.data ? (
            <PngButton label="Download CSV" of="the key rates and their trends" onClick={() => downloadText(ratesToCsv(rates.data, curves.data.churnTrend, windowMonths), `retention-rates-${windowMonths}m.csv`)} />
          ) : null}
        </div>
        {rates.isPending || curves.isPending ? (
          <LoadingBlock label="key rates" className="h-24" />
        ) : rates.isError ? (
          <ErrorBlock error={rates.error} what="key rates" onRetry={() => void rates.refetch()} />
        ) : (
          <dl className="grid grid-cols-2 gap-4 lg:grid-cols-5">
            <KpiCard
              label="Monthly churn"
              value={formatPercent(lastChurn?.churn ?? null)}
              hint={lastChurn ? `${cohortLabel(lastChurn.month, "month")}${yearAgo ? `; ${formatPercent(yearAgo.churn)} a year earlier` : ""} (${windowMonths}-month gap)` : "Not enough history"}
            />
            {rates.data.repeat.map((r) => (
              <KpiCard
                key={r.months}
                label={`Repeat within ${r.months} month${r.months === 1 ? "" : "s"}`}
                value={formatPercent(r.rate)}
                hint={`≈ ${r.months === 1 ? 30 : r.months === 3 ? 90 : 365} days; another order by the end of month ${r.months} after the first`}
              />
            ))}
            <KpiCard label="Time between orders" value={rates.data.averageDaysBetweenOrders === null ? "—" : `${rates.data.averageDaysBetweenOrders.toFixed(0)} days`} hint="Mean gap between purchase days, repeat customers" />
          </dl>
        )}
        <div className="grid gap-4 lg:grid-cols-3">
          <div className="rounded-xl border border-slate-200 bg-white p-4 shadow-sm">
            <h3 className="font-medium">Retention at month N across cohorts</h3>
            {trendLabels.length > 1 ? (
              <TrendChart
                label="Share of each cohort active in months 1, 3 and 6 after its first order, by cohort"
                labels={trendLabels}
                series={trendN.map((t) => ({ label: `Month ${t.n}`, data: trendN[0]!.points.map((p) => { const q = t.points.find((x) => x.cohort === p.cohort); return q ? q.value * 100 : null; }) }))}
                yTitle="Purchased (% of cohort)"
                unit="%"
                file="retention-at-month-n.png"
              />
            ) : (
              <p className="text-sm text-slate-700">Needs two or more cohorts with a complete month 1.</p>
            )}
          </div>
          <div className="rounded-xl border border-slate-200 bg-white p-4 shadow-sm">
            <h3 className="font-medium">Monthly churn by calendar month</h3>
            {churn.length > 1 ? (
              <TrendChart label="Monthly churn by calendar month" labels={churn.map((c) => cohortLabel(c.month, "month"))} series={[{ label: "Churn", data: churn.map((c) => c.churn * 100) }]} yTitle="Churned (% of active)" unit="%" file="monthly-churn.png" />
            ) : (
              <p className="text-sm text-slate-700">Not enough history yet.</p>
            )}
          </div>
          <div className="rounded-xl border border-slate-200 bg-white p-4 shadow-sm">
            <h3 className="font-medium">Repeat purchase by cohort</h3>
            {rates.data && (rates.data.repeat[0]?.trend.length ?? 0) > 1 ? (
              <TrendChart
                label="Share of each cohort with a repeat order within 1, 3 and 12 months, by cohort"
                labels={rates.data.repeat[0]!.trend.map((t) => cohortLabel(t.cohort, "month"))}
                series={rates.data.repeat.map((r) => ({ label: `Within ${r.months} mo`, data: rates.data.repeat[0]!.trend.map((t) => { const q = r.trend.find((x) => x.cohort === t.cohort); return q ? q.rate * 100 : null; }) }))}
                yTitle="Repeat buyers (% of cohort)"
                unit="%"
                file="repeat-purchase.png"
              />
            ) : (
              <p className="text-sm text-slate-700">Not enough history yet.</p>
            )}
          </div>
        </div>
      </section>
    </div>
  );
}
