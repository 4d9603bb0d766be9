"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { roleAtLeast, type TValueHorizon, type TValueMeasure } from "@valuelens/validators";
import { basisLabel, monthLabel, monthRange } from "~/lib/campaigns";
import { formatMoney } from "~/lib/money";
import { useTRPC } from "~/trpc/react";
import { EmptyState, ErrorBlock, LoadingBlock } from "../states";
import { useWorkspace } from "../workspace-context";
import { BudgetHintPanel } from "./budget-hint";
import { CampaignForm, SpendForm } from "./campaign-editor";
import { CacLtvChart, PaybackCurveChart } from "./campaign-charts";
import { RoiTable } from "./roi-table";
import { SelectField } from "../select-field";

const MAX_COMPARE = 6;


function Section({ title, id, children, actions }: { title: string; id: string; children: React.ReactNode; actions?: React.ReactNode }) {
  return (
    <section aria-labelledby={id} className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
      <div className="mb-3 flex flex-wrap items-center justify-between gap-2">
        <h2 id={id} className="text-lg font-semibold text-slate-900">{title}</h2>
        {actions}
      </div>
      {children}
    </section>
  );
}

export function CampaignsView() {
  const ws = useWorkspace();
  const trpc = useTRPC();
  const canEdit = roleAtLeast(ws.role, "ADMIN");
  const [measure, setMeasure] = useState<TValueMeasure>("margin");
  const [horizon, setHorizon] = useState<TValueHorizon>("lifetime");
  const [fromMonth, setFromMonth] = useState<string>("");
  const [toMonth, setToMonth] = useState<string>("");
  const [selected, setSelected] = useState<string[]>([]);
  const [editing, setEditing] = useState<string | "new" | null>(null);
  const [spendFor, setSpendFor] = useState<string | null>(null);

  const basis = { measure, horizon, ...(fromMonth ? { fromMonth } : {}), ...(toMonth ? { toMonth } : {}) };
  const roi = useQuery(trpc.campaigns.roi.queryOptions({ workspaceId: ws.id, ...basis }));
  const ids = selected.filter((id) => roi.data?.campaigns.some((c) => c.key === id) ?? true);
  const compare = useQuery({ ...trpc.campaigns.compare.queryOptions({ workspaceId: ws.id, ...basis, campaignIds: ids }), enabled: ids.length >= 2 && ids.length <= MAX_COMPARE });

  const toggle = (key: string) => setSelected((s) => (s.includes(key) ? s.filter((k) => k !== key) : s.length >= MAX_COMPARE ? s : [...s, key]));
  const valueLabel = basisLabel(measure, horizon);
  const shortValue = horizon === "historical" ? `${measure === "revenue" ? "Revenue" : "Margin"} to date` : horizon === "predicted12" ? `Predicted 12-mo ${measure}` : `Lifetime ${measure}`;

  const months = monthRange(roi.data?.firstCohortMonth ?? null, roi.data?.lastCohortMonth ?? null);
  const csvHref = `/api/campaigns/export?${new URLSearchParams({ workspaceId: ws.id, measure, horizon, ...(fromMonth ? { fromMonth } : {}), ...(toMonth ? { toMonth } : {}), ...(ids.length ? { campaignIds: ids.join(",") } : {}) }).toString()}`;

  const editor =
    canEdit && editing !== null ? (
      <Section title={editing === "new" ? "New campaign" : "Edit campaign"} id="campaign-editor">
        <CampaignForm
          campaignId={editing === "new" ? null : editing}
          onDone={(id) => {
            setEditing(null);
            if (id) setSpendFor(id);
          }}
        />
      </Section>
    ) : null;

  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-start justify-between gap-4">
        <div>
          <h1 className="text-2xl font-bold text-slate-900">Campaigns</h1>
          <p className="mt-1 max-w-3xl text-sm text-slate-700">
            Which campaigns bring customers worth more than they cost. <strong>Attribution is first touch:</strong> each customer counts for the acquisition campaign recorded on the customer at import (and that campaign&apos;s channel), in the month of their first order. Customers without a campaign count for their own acquisition channel and appear as &ldquo;No campaign&rdquo;. All amounts are in {ws.currency}, the workspace currency.
          </p>
        </div>
        {canEdit ? (
          <button type="button" onClick={() => setEditing("new")} className="rounded-md bg-brand-700 px-4 py-2 text-sm font-semibold text-white hover:bg-brand-800">
            New campaign
          </button>
        ) : null}
      </div>

      <div className="flex flex-wrap items-end gap-4 rounded-lg border border-slate-200 bg-white p-4" role="group" aria-label="Value basis and acquisition range">
        <SelectField label="Value" value={measure} onChange={setMeasure} options={[{ value: "margin", label: `Margin (order cost, else ${roi.data ? Math.round(roi.data.marginRate * 100) : "…"}% rate)` }, { value: "revenue", label: "Revenue" }]} />
        <SelectField label="Horizon" value={horizon} onChange={setHorizon} options={[{ value: "historical", label: "Historical (to date)" }, { value: "predicted12", label: "Predicted next 12 months" }, { value: "lifetime", label: "Lifetime (to date + 12 months)" }]} />
        <SelectField label="Acquired from" value={fromMonth} onChange={setFromMonth} options={[{ value: "", label: "First month" }, ...months.map((m) => ({ value: m, label: monthLabel(m) }))]} />
        <SelectField label="Acquired to" value={toMonth} onChange={setToMonth} options={[{ value: "", label: "Latest month" }, ...months.map((m) => ({ value: m, label: monthLabel(m) }))]} />
        <p className="text-xs text-slate-700">Customers acquired in the chosen months; spend on days in the same months.</p>
      </div>

      {editor}

      {roi.isPending ? (
        <div className="space-y-4">
          <LoadingBlock label="campaign metrics" className="h-64" />
          <LoadingBlock label="channel metrics" className="h-40" />
        </div>
      ) : roi.isError ? (
        <ErrorBlock what="campaign metrics" error={roi.error} onRetry={() => void roi.refetch()} />
      ) : roi.data.totalCampaigns === 0 && !roi.data.unattributed ? (
        <EmptyState title="No campaigns yet">
          <p>
            Import campaigns and their daily spend as CSV
            {canEdit ? (
              <>
                {" "}on the <Link href={`/w/${ws.slug}/import`} className="font-medium text-brand-700 underline">Import page</Link> (kinds &ldquo;Campaigns&rdquo; and &ldquo;Campaign spend&rdquo;), or create one with &ldquo;New campaign&rdquo; above and enter its spend.
              </>
            ) : (
              <> — an admin or owner of this workspace can import them or create them here.</>
            )}{" "}
            Then import customers with their acquisition campaign id so each customer is attributed to the campaign that brought them.
          </p>
        </EmptyState>
      ) : (
        <>
          <div className="space-y-2 text-sm" aria-live="polite">
            {roi.data.refreshedAt ? (
              <p className="text-slate-700">
                Customer figures as of the last model recompute ({new Date(roi.data.refreshedAt).toLocaleString("en-US", { dateStyle: "medium", timeStyle: "short" })}
                {roi.data.dataCutoff ? `, orders through ${new Date(roi.data.dataCutoff).toLocaleDateString("en-US", { dateStyle: "medium" })}` : ""}); spend is live.
                {roi.data.stale ? " Data changed since — a recompute is queued and the figures will update." : ""}
              </p>
            ) : null}
            {roi.data.predictionsUnavailable ? (
              <p role="note" className="rounded-md border border-amber-300 bg-amber-50 p-3 text-amber-950">
                <strong>Predicted and lifetime columns are empty:</strong> {roi.data.predictionsUnavailable}
                {horizon !== "historical" ? " Switch the horizon to Historical to rank campaigns on value to date." : ""}
              </p>
            ) : null}
            {roi.data.otherCurrencySpend.length > 0 ? (
              <p role="note" className="rounded-md border border-slate-300 bg-slate-50 p-3 text-slate-800">
                Spend in other currencies is not included and not converted: {roi.data.otherCurrencySpend.map((o) => formatMoney(o.amountMinor, o.currency)).join(", ")}.
              </p>
            ) : null}
          </div>

          <Section
            title="By campaign"
            id="by-campaign"
            actions={<p className="text-sm text-slate-700">Tick 2–{MAX_COMPARE} campaigns to compare them below ({ids.length} selected).</p>}
          >
            <RoiTable
              rows={[...roi.data.campaigns, ...(roi.data.unattributed ? [roi.data.unattributed] : [])]}
              currency={roi.data.currency}
              caption={`Campaigns, ${valueLabel.toLowerCase()}, acquired ${monthLabel(roi.data.fromMonth)} – ${monthLabel(roi.data.toMonth)}`}
              minCustomers={roi.data.minCustomers}
              valueLabel={shortValue}
              measure={measure}
              predictedNote={roi.data.predictionsUnavailable}
              select={{ selected: ids, onToggle: toggle, max: MAX_COMPARE }}
              extra={
                canEdit
                  ? (r) =>
                      r.kind === "campaign" ? (
                        <div className="flex gap-2 whitespace-nowrap">
                          <button type="button" className="text-sm font-medium text-brand-700 underline" onClick={() => setEditing(r.key)}>
                            Edit<span className="sr-only"> {r.label}</span>
                          </button>
                          <button type="button" className="text-sm font-medium text-brand-700 underline" onClick={() => setSpendFor(r.key)}>
                            Spend<span className="sr-only"> of {r.label}</span>
                          </button>
                        </div>
                      ) : null
                  : undefined
              }
            />
            <p className="mt-2 text-xs text-slate-700">
              CAC = spend ÷ new customers. LTV:CAC = value per customer ÷ CAC (range from the 80% prediction bounds). ROI = (value − spend) ÷ spend. Payback = months until cumulative {measure} per customer covers CAC, from actuals then the model&apos;s forecast. Repeat rate = bought on 2+ days. 90-day retention = bought again within 13 weeks of the first order (customers acquired at least 91 days before the data cut-off). Rows under {roi.data.minCustomers} customers are flagged low confidence and not ranked.
            </p>
          </Section>

          {canEdit && spendFor ? (
            <Section title={`Spend — ${roi.data.campaigns.find((c) => c.key === spendFor)?.label ?? "campaign"}`} id="spend-entry" actions={<button type="button" className="text-sm underline" onClick={() => setSpendFor(null)}>Close</button>}>
              <SpendForm campaignId={spendFor} />
            </Section>
          ) : null}

          <Section title="By channel" id="by-channel">
            <RoiTable
              rows={roi.data.channels}
              currency={roi.data.currency}
              caption={`Channels, ${valueLabel.toLowerCase()}`}
              minCustomers={roi.data.minCustomers}
              valueLabel={shortValue}
              measure={measure}
              predictedNote={roi.data.predictionsUnavailable}
            />
            <p className="mt-2 text-xs text-slate-700">A channel adds up its campaigns and the customers without a campaign who came through it (their spend, if any, is not known, so organic-style channels show no CAC).</p>
          </Section>

          <Section
            title="Compare campaigns"
            id="compare"
            actions={
              <a href={csvHref} className="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium text-slate-800 hover:bg-slate-50" download>
                Download CSV{ids.length >= 2 ? ` (${ids.length} compared)` : " (all campaigns)"}
              </a>
            }
          >
            {ids.length < 2 ? (
              <p className="text-sm text-slate-700">Tick at least two campaigns in the table above (up to {MAX_COMPARE}) to see CAC against value and the payback curves side by side.</p>
            ) : compare.isPending ? (
              <LoadingBlock label="comparison" className="h-72" />
            ) : compare.isError ? (
              <ErrorBlock what="the comparison" error={compare.error} onRetry={() => void compare.refetch()} />
            ) : (
              <div className="space-y-6">
                {compare.data.campaigns.some((c) => c.lowConfidence) ? (
                  <p role="note" className="text-sm text-amber-900">
                    Low confidence (under {roi.data.minCustomers} customers): {compare.data.campaigns.filter((c) => c.lowConfidence).map((c) => c.label).join(", ")} — shown, but not ranked.
                  </p>
                ) : null}
                <div className="space-y-8">
                  <CacLtvChart campaigns={compare.data.campaigns} currency={compare.data.currency} valueLabel={shortValue} />
                  <PaybackCurveChart campaigns={compare.data.campaigns} currency={compare.data.currency} measure={measure} />
                </div>
                <RoiTable
                  rows={compare.data.campaigns}
                  currency={compare.data.currency}
                  caption="Compared campaigns"
                  minCustomers={roi.data.minCustomers}
                  valueLabel={shortValue}
                  measure={measure}
                  predictedNote={compare.data.predictionsUnavailable}
                />
              </div>
            )}
          </Section>

          <Section title="Budget hint for next month" id="budget">
            <BudgetHintPanel
              basis={basis}
              defaultBudgetMinor={Math.round(roi.data.channels.reduce((t, c) => t + Number(c.spendMinor), 0) / Math.max(1, monthRange(roi.data.fromMonth, roi.data.toMonth).length))}
            />
          </Section>
        </>
      )}
      <datalist id="vl-channels">
        {(roi.data?.channels ?? []).map((c) => (
          <option key={c.key} value={c.key} />
        ))}
      </datalist>
    </div>
  );
}
