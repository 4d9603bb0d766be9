"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { roleAtLeast } from "@valuelens/validators";
import { useTRPC } from "~/trpc/react";
import { formatCount, formatMoney } from "~/lib/money";
import { formatDateTime } from "~/lib/predictions";
import { EmptyState, ErrorBlock, LoadingBlock } from "../states";
import { useWorkspace } from "../workspace-context";

const MAX_COMPARE = 4;

/** The "Rule segments" view of the Segments page: saved segments, compare, and (admins) new. */
export function RuleSegmentsSection({ workspaceId }: { workspaceId: string }) {
  const ws = useWorkspace();
  const trpc = useTRPC();
  const list = useQuery(trpc.segmentRules.list.queryOptions({ workspaceId }));
  const [picked, setPicked] = useState<string[]>([]);
  const isAdmin = roleAtLeast(ws.role, "ADMIN");

  const toggle = (id: string) => setPicked((p) => (p.includes(id) ? p.filter((x) => x !== id) : p.length >= MAX_COMPARE ? p : [...p, id]));

  return (
    <section aria-labelledby="rule-segments-title" className="space-y-4">
      <div className="flex flex-wrap items-end justify-between gap-3">
        <div>
          <h2 id="rule-segments-title" className="text-xl font-semibold">Rule segments</h2>
          <p className="text-sm text-slate-700">
            Groups defined by a rule on scores, channels, campaigns and attributes. Membership follows the latest recompute; {isAdmin ? "you can create and edit them." : "admins and owners create and edit them."}
          </p>
        </div>
        <div className="flex gap-2">
          {picked.length > 0 ? (
            <Link href={`/w/${ws.slug}/segments/compare?ids=${picked.join(",")}`} className="rounded-md border border-brand-700 px-3 py-1.5 text-sm font-medium text-brand-800 hover:bg-brand-50">
              Compare {picked.length} selected
            </Link>
          ) : null}
          {isAdmin ? (
            <Link href={`/w/${ws.slug}/segments/new`} className="rounded-md bg-brand-700 px-3 py-1.5 text-sm font-medium text-white hover:bg-brand-800">
              New segment
            </Link>
          ) : null}
        </div>
      </div>
      {list.isPending ? (
        <LoadingBlock label="rule segments" className="h-48" />
      ) : list.isError ? (
        <ErrorBlock error={list.error} what="rule segments" onRetry={() => void list.refetch()} />
      ) : list.data.length === 0 ? (
        <EmptyState title="No rule segments yet">
          {isAdmin ? (
            <p>
              Define one with <Link href={`/w/${ws.slug}/segments/new`} className="font-medium text-brand-800 underline">New segment</Link>: for example high-value customers whose P(alive) is dropping.
            </p>
          ) : (
            <p>An admin or owner of this workspace can define segments; you will see them here.</p>
          )}
        </EmptyState>
      ) : (
        <div className="overflow-x-auto rounded-xl border border-slate-200 bg-white shadow-sm">
          <table className="w-full text-left text-sm">
            <caption className="sr-only">Saved rule segments; tick up to four to compare</caption>
            <thead>
              <tr className="border-b border-slate-200 text-slate-700">
                <th scope="col" className="px-3 py-2"><span className="sr-only">Compare</span></th>
                <th scope="col" className="px-3 py-2">Segment</th>
                <th scope="col" className="px-3 py-2 text-right">Customers</th>
                <th scope="col" className="px-3 py-2 text-right">Predicted 12-mo value</th>
                <th scope="col" className="px-3 py-2 text-right">Historical value</th>
                <th scope="col" className="px-3 py-2">Owner</th>
                <th scope="col" className="px-3 py-2">Measured</th>
              </tr>
            </thead>
            <tbody>
              {list.data.map((s) => (
                <tr key={s.id} className="border-b border-slate-100" data-testid="rule-segment-row">
                  <td className="px-3 py-2">
                    <input
                      type="checkbox"
                      aria-label={`Compare ${s.name}`}
                      checked={picked.includes(s.id)}
                      disabled={!picked.includes(s.id) && picked.length >= MAX_COMPARE}
                      onChange={() => toggle(s.id)}
                      className="h-4 w-4"
                    />
                  </td>
                  <th scope="row" className="px-3 py-2 font-normal">
                    <Link href={`/w/${ws.slug}/segments/${s.id}`} className="font-medium text-brand-800 hover:underline">{s.name}</Link>
                    {s.description ? <p className="text-xs text-slate-600">{s.description}</p> : null}
                  </th>
                  <td className="px-3 py-2 text-right tabular-nums">{s.latest ? formatCount(s.latest.customers) : "—"}</td>
                  <td className="px-3 py-2 text-right tabular-nums">{s.latest ? formatMoney(s.latest.predictedClvSumMinor, ws.currency, { compact: true }) : "—"}</td>
                  <td className="px-3 py-2 text-right tabular-nums">{s.latest ? formatMoney(s.latest.historicalClvSumMinor, ws.currency, { compact: true }) : "—"}</td>
                  <td className="px-3 py-2">{s.ownerName ?? "former member"}</td>
                  <td className="px-3 py-2 text-slate-700">{s.latest ? formatDateTime(s.latest.takenAt) : "not yet"}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {picked.length >= MAX_COMPARE ? <p className="px-3 py-2 text-xs text-slate-600">At most {MAX_COMPARE} segments can be compared at once.</p> : null}
        </div>
      )}
    </section>
  );
}
