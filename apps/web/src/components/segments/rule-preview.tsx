"use client";

import { keepPreviousData, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useEffect, useState } from "react";
import type { TSegmentRule } from "@valuelens/validators";
import { useTRPC, errorMessage } from "~/trpc/react";
import { formatCount, formatMoney, formatPercent } from "~/lib/money";
import { formatDate, formatDateTime } from "~/lib/predictions";
import { useWorkspace } from "../workspace-context";

/** The value after it has stopped changing for `ms` (the builder previews ~300 ms after typing stops). */
export function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}

export interface MemberSampleRow {
  id: string;
  externalId: string;
  name: string | null;
  email: string | null;
  predictedClvMinor: string | null;
  historicalClvMinor: string | null;
  pAlive: number | null;
  rfmSegment: string | null;
  valueTier: string | null;
  lastOrderAt: Date | null;
}

export function MemberSample({ rows, by, caption }: { rows: MemberSampleRow[]; by: "predictedClv" | "historicalClv"; caption: string }) {
  const ws = useWorkspace();
  if (rows.length === 0) return null;
  return (
    <div className="overflow-x-auto">
      <table className="w-full text-left text-sm">
        <caption className="mb-1 text-left text-sm font-medium text-slate-900">{caption}</caption>
        <thead>
          <tr className="border-b border-slate-200 text-slate-700">
            <th scope="col" className="py-1 pr-3">Customer</th>
            <th scope="col" className="py-1 pr-3 text-right">{by === "predictedClv" ? "Predicted 12-mo CLV" : "Historical CLV"}</th>
            <th scope="col" className="py-1 pr-3 text-right">P(alive)</th>
            <th scope="col" className="py-1 pr-3">Segment</th>
            <th scope="col" className="py-1">Last order</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.id} className="border-b border-slate-100">
              <th scope="row" className="py-1 pr-3 font-normal">
                <Link href={`/w/${ws.slug}/customers/${r.id}`} className="text-brand-800 underline-offset-2 hover:underline">
                  {r.name ?? r.email ?? r.externalId}
                </Link>
              </th>
              <td className="py-1 pr-3 text-right tabular-nums">
                {by === "predictedClv" ? (r.predictedClvMinor ? formatMoney(r.predictedClvMinor, ws.currency) : "—") : r.historicalClvMinor ? formatMoney(r.historicalClvMinor, ws.currency) : "—"}
              </td>
              <td className="py-1 pr-3 text-right tabular-nums">{formatPercent(r.pAlive, 0)}</td>
              <td className="py-1 pr-3">{r.rfmSegment ?? "—"}</td>
              <td className="py-1">{formatDate(r.lastOrderAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** "4.1 %" of a count: the estimate's margin relative to the estimate. */
function relativeMargin(margin: number, of: number): string {
  if (of <= 0) return `± ${formatCount(margin)}`;
  const pct = (100 * margin) / of;
  return `± ${pct < 10 ? pct.toFixed(1) : Math.round(pct)} %`;
}

/**
 * Live count, value and sample of an unsaved rule. Queries ~300 ms after the last edit; while a new
 * answer is on its way the previous one stays, marked as updating; an invalid draft shows no count.
 * On a large workspace the first answer is an estimate from a fixed random sample, labelled as such
 * with its margin; the exact count is asked for at once and replaces it when it arrives.
 */
export function RulePreview({ rule, invalid }: { rule: TSegmentRule | null; invalid: boolean }) {
  const ws = useWorkspace();
  const trpc = useTRPC();
  const debounced = useDebounced(rule, 300);
  const pendingInput = JSON.stringify(debounced) !== JSON.stringify(rule);
  const input = { workspaceId: ws.id, rule: debounced ?? { version: 1 as const, root: { op: "and" as const, conditions: [] } } };
  const q = useQuery({
    ...trpc.segmentRules.preview.queryOptions({ ...input, exact: false }),
    enabled: debounced !== null,
    placeholderData: keepPreviousData,
    staleTime: 60_000,
    retry: false,
  });
  // The exact count, when the first answer was an estimate (never on small workspaces).
  const wantsExact = debounced !== null && !pendingInput && !q.isPlaceholderData && !!q.data?.estimate;
  const qExact = useQuery({
    ...trpc.segmentRules.preview.queryOptions({ ...input, exact: true }),
    enabled: wantsExact,
    staleTime: 60_000,
    retry: false,
  });
  const exactReady = wantsExact && !!qExact.data;
  const data = exactReady ? qExact.data : q.data;
  const stale = pendingInput || q.isFetching || q.isPlaceholderData;
  const estimate = data?.estimate ?? null;
  const countingExactly = wantsExact && qExact.isFetching;
  const status = invalid
    ? "Fix the highlighted conditions to count."
    : stale && q.data
      ? "Updating…"
      : countingExactly
        ? "Estimated — counting exactly…"
        : data
          ? `${estimate ? "Estimated" : "Counted"} in ${data.ms} ms`
          : q.isFetching || pendingInput
            ? "Counting…"
            : "";
  return (
    <section
      aria-labelledby="preview-title"
      className="rounded-xl border border-slate-200 bg-white p-4 shadow-sm"
      data-testid="rule-preview"
      data-state={invalid ? "invalid" : stale || !data ? "pending" : "fresh"}
      data-estimate={estimate ? "true" : "false"}
    >
      <div className="flex items-center justify-between gap-2">
        <h2 id="preview-title" className="text-lg font-semibold">Live preview</h2>
        <p className="text-xs text-slate-600" aria-live="polite">{status}</p>
      </div>
      {invalid && !q.data ? <p className="mt-2 text-sm text-slate-700">The preview appears once every condition has a valid value.</p> : null}
      {q.isError ? (
        <div role="alert" className="mt-2 rounded-md border border-red-300 bg-red-50 p-3 text-sm text-red-900">{errorMessage(q.error)}</div>
      ) : null}
      {!data && !q.isError && !invalid ? <div role="status" className="mt-3 h-24 animate-pulse rounded-md bg-slate-100"><span className="sr-only">Counting matching customers…</span></div> : null}
      {data ? (
        <div className={stale || invalid ? "opacity-60 transition-opacity" : "transition-opacity"} aria-busy={stale || countingExactly}>
          <dl className="mt-3 grid grid-cols-2 gap-3 md:grid-cols-4 xl:grid-cols-2">
            <div>
              <dt className="text-xs text-slate-600">{estimate ? "Matching customers (estimate)" : "Matching customers"}</dt>
              <dd className="text-2xl font-semibold tabular-nums" data-testid="preview-count">
                {estimate ? "≈\u00a0" : ""}
                {formatCount(data.customers)}
              </dd>
              {estimate ? (
                <dd className="text-xs text-slate-700" data-testid="preview-margin">
                  {relativeMargin(estimate.marginCustomers, data.customers)} (95 %)
                </dd>
              ) : null}
            </div>
            <div>
              <dt className="text-xs text-slate-600">Predicted 12-month value{estimate ? " (estimate)" : ""}</dt>
              <dd className="text-2xl font-semibold tabular-nums">{estimate ? "≈\u00a0" : ""}{formatMoney(data.predictedClvSumMinor, ws.currency, { compact: true })}</dd>
            </div>
            <div>
              <dt className="text-xs text-slate-600">Historical value{estimate ? " (estimate)" : ""}</dt>
              <dd className="text-2xl font-semibold tabular-nums">{estimate ? "≈\u00a0" : ""}{formatMoney(data.historicalClvSumMinor, ws.currency, { compact: true })}</dd>
            </div>
            <div>
              <dt className="text-xs text-slate-600">Average P(alive)</dt>
              <dd className="text-2xl font-semibold tabular-nums">{formatPercent(data.pAliveAvg, 0)}</dd>
            </div>
          </dl>
          {estimate ? (
            <p className="mt-2 rounded-md bg-amber-50 p-2 text-xs text-amber-900" data-testid="preview-estimate-note">
              Estimate from a fixed random sample of {formatCount(estimate.sampledCustomers)} customers ({formatPercent(estimate.sampleShare, 0)}):{" "}
              {formatCount(estimate.matchedInSample)} of them match. {qExact.isError ? `The exact count could not be made: ${errorMessage(qExact.error)}` : "The exact count updates in a moment."}
            </p>
          ) : null}
          {data.customers > 0 && data.withPredictions < data.customers ? (
            <p className="mt-2 text-xs text-slate-600">{formatCount(data.customers - data.withPredictions)} of them have no prediction yet (no orders, or newer than the last recompute); value sums cover the others.</p>
          ) : null}
          {data.source === "facts" && data.asOf ? (
            <p className="mt-1 text-xs text-slate-600">Counted on the customers and scores as of the last recompute ({formatDateTime(data.asOf)}); later changes count from the next one.</p>
          ) : null}
          <div className="mt-4">
            <MemberSample
              rows={data.sample}
              by={data.sampleBy}
              caption={`Top ${data.sample.length} by ${data.sampleBy === "predictedClv" ? "predicted CLV" : "historical CLV"}${data.sampleFromEstimate ? " in the estimate's sample" : ""}`}
            />
          </div>
        </div>
      ) : null}
    </section>
  );
}
