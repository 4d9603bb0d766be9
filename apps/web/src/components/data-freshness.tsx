"use client";

import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "~/trpc/react";
import { formatDate, formatDateTime, modelLabel } from "~/lib/predictions";
import { useWorkspace } from "./workspace-context";

/** Polls while a recompute is queued or running, so progress moves and fresh numbers appear. */
export function useModelStatus() {
  const ws = useWorkspace();
  const trpc = useTRPC();
  return useQuery({
    ...trpc.model.status.queryOptions({ workspaceId: ws.id }),
    // Poll while a run is active, and while the latest run's holdout check (written right after its scores) is pending.
    refetchInterval: (q) => (q.state.data?.active || checkState(q.state.data?.latest) === "pending" ? 2_000 : false),
  });
}

/** After this long a pending check is taken as abandoned (its worker stopped between the run's two transactions). */
const CHECK_STALLED_MS = 60 * 60_000;

/**
 * A run's holdout check: written right after its scores ("pending" until then), or "stalled" when still
 * pending an hour after the run finished (the next full recompute computes one).
 */
export function checkState(run: { holdout?: unknown; finishedAt?: Date | null } | null | undefined): "pending" | "stalled" | null {
  const h = run?.holdout;
  if (typeof h !== "object" || h === null || !("pending" in h)) return null;
  const at = run?.finishedAt?.getTime();
  return at !== undefined && Date.now() - at > CHECK_STALLED_MS ? "stalled" : "pending";
}

/** "Data as of …" plus the progress of a running recompute; shown on every predictions page. */
export function DataFreshness() {
  const st = useModelStatus();
  if (!st.data) return null;
  const { latest, active, lastFailure } = st.data;
  return (
    <div className="space-y-2 text-sm text-slate-700">
      {latest ? (
        <p>
          Predictions as of <time dateTime={latest.finishedAt?.toISOString()}>{formatDateTime(latest.finishedAt)}</time> · data to{" "}
          {formatDate(latest.dataCutoff)}
          {latest.params ? ` · ${modelLabel(latest.modelKind)}` : ""}
          {st.data.stale && !active ? " · new data arrived, a refresh is pending" : ""}
        </p>
      ) : (
        <p>No predictions computed yet.</p>
      )}
      {active ? (
        <div className="flex items-center gap-3" aria-live="polite">
          <span>{active.status === "queued" ? "Recompute queued…" : `Recomputing: ${active.step ?? "working"}`}</span>
          <div
            role="progressbar"
            aria-label="Recompute progress"
            aria-valuemin={0}
            aria-valuemax={100}
            aria-valuenow={active.progress}
            className="h-2 w-40 overflow-hidden rounded bg-slate-200"
          >
            <div className="h-full bg-brand-600" style={{ width: `${active.progress}%` }} />
          </div>
          <span>{active.progress}%</span>
        </div>
      ) : null}
      {lastFailure ? (
        <p role="alert" className="text-red-800">
          The last recompute failed{lastFailure.error ? `: ${lastFailure.error}` : ""}. The numbers shown are from the previous successful run.
        </p>
      ) : null}
    </div>
  );
}
