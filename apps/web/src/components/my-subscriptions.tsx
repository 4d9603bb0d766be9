"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { REPORT_SECTION_LABELS, REPORT_SECTIONS } from "@valuelens/validators";
import { WEEKDAYS } from "~/lib/recipients";
import { errorMessage, useTRPC } from "~/trpc/react";
import { EmptyState, ErrorBlock, LoadingBlock } from "./states";
import { useWorkspace } from "./workspace-context";

/** The signed-in member's own subscriptions: one switch per schedule, for their own address only. */
export function MySubscriptions() {
  const ws = useWorkspace();
  const trpc = useTRPC();
  const qc = useQueryClient();
  const list = useQuery(trpc.reports.mySubscriptions.queryOptions({ workspaceId: ws.id }));
  const set = useMutation(trpc.reports.setMySubscription.mutationOptions({ onSuccess: () => void qc.invalidateQueries({ queryKey: trpc.reports.pathKey() }) }));
  return (
    <section aria-labelledby="mine-title" className="rounded-xl border border-slate-200 bg-white p-6 shadow-sm">
      <h2 id="mine-title" className="mb-1 text-lg font-semibold">
        My subscriptions
      </h2>
      <p className="mb-4 text-sm text-slate-700">Reports come to the address you sign in with. Unsubscribing here or with the link in an email removes only you.</p>
      {set.error ? (
        <p role="alert" className="mb-3 text-sm text-red-700">
          {errorMessage(set.error)}
        </p>
      ) : null}
      {list.isPending ? (
        <LoadingBlock label="your subscriptions" />
      ) : list.isError ? (
        <ErrorBlock error={list.error} what="your subscriptions" onRetry={() => void list.refetch()} />
      ) : list.data.length === 0 ? (
        <EmptyState title="No weekly report in this workspace yet">An admin can set one up on this page.</EmptyState>
      ) : (
        <ul className="divide-y divide-slate-100">
          {list.data.map((s) => {
            const id = `sub-${s.id}`;
            return (
              <li key={s.id} className="flex flex-wrap items-center justify-between gap-3 py-3">
                <div>
                  <p className="font-medium" id={`${id}-name`}>
                    {s.name} {s.paused ? <span className="ml-2 rounded bg-slate-200 px-2 py-0.5 text-xs text-slate-800">paused</span> : null}
                  </p>
                  <p className="text-sm text-slate-700" id={`${id}-desc`}>
                    {WEEKDAYS[s.dayOfWeek - 1]} at {s.localTime} ({s.timezone}) ·{" "}
                    {REPORT_SECTIONS.filter((x) => s.sections.includes(x))
                      .map((x) => REPORT_SECTION_LABELS[x])
                      .join(", ")}
                  </p>
                </div>
                <label className="flex items-center gap-2 text-sm font-medium text-slate-800">
                  <input
                    type="checkbox"
                    role="switch"
                    checked={s.subscribed}
                    disabled={set.isPending}
                    aria-describedby={`${id}-desc`}
                    onChange={(e) => set.mutate({ workspaceId: ws.id, scheduleId: s.id, subscribed: e.target.checked })}
                    className="h-4 w-4"
                  />
                  {s.subscribed ? "Subscribed" : "Not subscribed"}
                  <span className="sr-only"> to {s.name}</span>
                </label>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
