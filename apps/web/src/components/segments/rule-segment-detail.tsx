"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { roleAtLeast } from "@valuelens/validators";
import { useTRPC, errorMessage } from "~/trpc/react";
import { formatCount, formatMoney, formatPercent } from "~/lib/money";
import { formatDateTime } from "~/lib/predictions";
import { ruleSummary } from "~/lib/rule-draft";
import { EmptyState, ErrorBlock, LoadingBlock } from "../states";
import { useWorkspace } from "../workspace-context";
import { RuleHistoryChart } from "./rule-history-chart";
import { MemberSample } from "./rule-preview";

/** A saved segment: its rule in words, members now, history, and actions (edit/delete for admins). */
export function RuleSegmentDetail({ segmentId }: { segmentId: string }) {
  const ws = useWorkspace();
  const trpc = useTRPC();
  const qc = useQueryClient();
  const router = useRouter();
  const input = { workspaceId: ws.id, segmentId };
  const seg = useQuery(trpc.segmentRules.get.queryOptions(input));
  const stats = useQuery({ ...trpc.segmentRules.stats.queryOptions(input), retry: false });
  const history = useQuery(trpc.segmentRules.history.queryOptions({ ...input, limit: 120 }));
  const options = useQuery(trpc.segmentRules.fieldOptions.queryOptions({ workspaceId: ws.id }));
  const [confirming, setConfirming] = useState(false);
  const del = useMutation(
    trpc.segmentRules.delete.mutationOptions({
      onSuccess: async () => {
        await qc.invalidateQueries({ queryKey: trpc.segmentRules.pathKey() });
        router.push(`/w/${ws.slug}/segments?view=rules`);
      },
    }),
  );
  const isAdmin = roleAtLeast(ws.role, "ADMIN");
  const canExport = roleAtLeast(ws.role, "MEMBER");

  if (seg.isPending) return <LoadingBlock label="segment" className="h-96" />;
  if (seg.isError) return <ErrorBlock error={seg.error} what="the segment" onRetry={() => void seg.refetch()} />;
  const s = seg.data;
  const campaigns = new Map((options.data?.campaigns ?? []).map((c) => [c.id, c.name]));

  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div>
          <Link href={`/w/${ws.slug}/segments?view=rules`} className="text-sm text-brand-800 hover:underline">← Rule segments</Link>
          <h1 className="mt-1 text-2xl font-semibold tracking-tight">{s.name}</h1>
          {s.description ? <p className="text-slate-700">{s.description}</p> : null}
          <p className="mt-1 text-sm text-slate-600">
            Owner: {s.ownerName ?? "former member"} · updated {formatDateTime(s.updatedAt)}
          </p>
        </div>
        <div className="flex flex-wrap gap-2">
          <Link href={`/w/${ws.slug}/customers?ruleSegmentId=${s.id}`} className="rounded-md border border-brand-700 px-3 py-1.5 text-sm font-medium text-brand-800 hover:bg-brand-50">
            Open in Customers
          </Link>
          {canExport ? (
            <a href={`/api/segments/${s.id}/export?workspaceId=${ws.id}`} download className="rounded-md border border-brand-700 px-3 py-1.5 text-sm font-medium text-brand-800 hover:bg-brand-50">
              Export CSV<span className="sr-only"> of the members of {s.name}</span>
            </a>
          ) : null}
          {isAdmin ? (
            <>
              <Link href={`/w/${ws.slug}/segments/${s.id}/edit`} className="rounded-md bg-brand-700 px-3 py-1.5 text-sm font-medium text-white hover:bg-brand-800">
                Edit
              </Link>
              <button type="button" onClick={() => setConfirming(true)} className="rounded-md border border-red-700 px-3 py-1.5 text-sm font-medium text-red-800 hover:bg-red-50">
                Delete
              </button>
            </>
          ) : null}
        </div>
      </div>

      {confirming ? (
        <div role="alertdialog" aria-labelledby="del-title" className="rounded-lg border border-red-300 bg-red-50 p-4">
          <p id="del-title" className="font-medium text-red-900">Delete “{s.name}” and its history? Exports and syncs using it stop working.</p>
          {del.error ? <p className="mt-1 text-sm text-red-900">{errorMessage(del.error)}</p> : null}
          <div className="mt-3 flex gap-2">
            <button type="button" disabled={del.isPending} onClick={() => del.mutate(input)} className="rounded-md bg-red-700 px-3 py-1.5 text-sm font-medium text-white hover:bg-red-800">
              {del.isPending ? "Deleting…" : "Delete segment"}
            </button>
            <button type="button" onClick={() => setConfirming(false)} className="rounded-md border border-slate-400 bg-white px-3 py-1.5 text-sm font-medium">Keep it</button>
          </div>
        </div>
      ) : null}

      <section aria-labelledby="rule-words" className="rounded-xl border border-slate-200 bg-white p-4 shadow-sm">
        <h2 id="rule-words" className="text-lg font-semibold">Rule</h2>
        <p className="mt-1 text-slate-800" data-testid="rule-summary">{ruleSummary(s.rule, ws.currency, campaigns)}</p>
      </section>

      <section aria-labelledby="now-title" className="rounded-xl border border-slate-200 bg-white p-4 shadow-sm">
        <h2 id="now-title" className="text-lg font-semibold">Members now</h2>
        {stats.isPending ? (
          <LoadingBlock label="members" className="mt-2 h-24" />
        ) : stats.isError ? (
          <ErrorBlock error={stats.error} what="the members" onRetry={() => void stats.refetch()} />
        ) : (
          <>
            <dl className="mt-3 grid grid-cols-2 gap-3 md:grid-cols-4">
              <div><dt className="text-xs text-slate-600">Customers</dt><dd className="text-2xl font-semibold tabular-nums" data-testid="segment-count">{formatCount(stats.data.customers)}</dd></div>
              <div><dt className="text-xs text-slate-600">Predicted 12-month value</dt><dd className="text-2xl font-semibold tabular-nums">{formatMoney(stats.data.predictedClvSumMinor, ws.currency, { compact: true })}</dd></div>
              <div><dt className="text-xs text-slate-600">Historical value</dt><dd className="text-2xl font-semibold tabular-nums">{formatMoney(stats.data.historicalClvSumMinor, ws.currency, { compact: true })}</dd></div>
              <div><dt className="text-xs text-slate-600">Average P(alive)</dt><dd className="text-2xl font-semibold tabular-nums">{formatPercent(stats.data.pAliveAvg, 0)}</dd></div>
            </dl>
            <div className="mt-4">
              <MemberSample rows={stats.data.sample} by={stats.data.sampleBy} caption={`Top ${stats.data.sample.length} members by ${stats.data.sampleBy === "predictedClv" ? "predicted CLV" : "historical CLV"}`} />
            </div>
          </>
        )}
      </section>

      <section aria-labelledby="history-title" className="rounded-xl border border-slate-200 bg-white p-4 shadow-sm">
        <h2 id="history-title" className="text-lg font-semibold">Size and value over time</h2>
        <p className="text-sm text-slate-700">Measured when the segment is saved and after every recompute of the predictions.</p>
        {history.isPending ? (
          <LoadingBlock label="history" className="mt-2 h-72" />
        ) : history.isError ? (
          <ErrorBlock error={history.error} what="the history" onRetry={() => void history.refetch()} />
        ) : history.data.length === 0 ? (
          <EmptyState title="No measurements yet">The first one is taken at the next recompute.</EmptyState>
        ) : (
          <div className="mt-3">
            <RuleHistoryChart points={history.data} currency={ws.currency} />
          </div>
        )}
      </section>
    </div>
  );
}
