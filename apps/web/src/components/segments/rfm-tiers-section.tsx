"use client";

import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef } from "react";
import Link from "next/link";
import { roleAtLeast } from "@valuelens/validators";
import type { SnapshotRun } from "@valuelens/api";
import { useTRPC } from "~/trpc/react";
import { formatCount } from "~/lib/money";
import { formatDate, formatDateTime } from "~/lib/predictions";
import { DataFreshness, useModelStatus } from "../data-freshness";
import { EmptyState, ErrorBlock, LoadingBlock } from "../states";
import { useWorkspace } from "../workspace-context";
import { RfmMap } from "./rfm-map";
import { RfmSegmentsTable } from "./rfm-segments-table";
import { TiersTable } from "./tiers-table";
import { TierSettingsForm } from "./tiers-settings-form";

function RunLine({ current, previous }: { current: SnapshotRun; previous: SnapshotRun | null }) {
  return (
    <p className="text-sm text-slate-700" data-testid="segments-runs">
      Figures from the recompute of <time dateTime={current.finishedAt?.toISOString()}>{formatDateTime(current.finishedAt)}</time> (data to{" "}
      {formatDate(current.dataCutoff)}).{" "}
      {previous ? (
        <>
          Changes compare with the recompute of <time dateTime={previous.finishedAt?.toISOString()}>{formatDateTime(previous.finishedAt)}</time>.
        </>
      ) : (
        "There is no earlier recompute to compare with yet."
      )}
    </p>
  );
}

/** The "RFM & value tiers" view of the Segments page: RFM map, named segments, value tiers. */
export function RfmTiersSection() {
  const ws = useWorkspace();
  const trpc = useTRPC();
  const st = useModelStatus();
  const qc = useQueryClient();
  const rfm = useQuery(trpc.segments.rfmOverview.queryOptions({ workspaceId: ws.id }));
  const tiers = useQuery(trpc.segments.tiers.queryOptions({ workspaceId: ws.id }));
  // Refetch when a new recompute finishes (the model status polls while one runs).
  const finished = st.data?.latest?.id;
  const seen = useRef(finished);
  useEffect(() => {
    if (finished === seen.current) return;
    const first = seen.current === undefined;
    seen.current = finished;
    if (first) return;
    void qc.invalidateQueries({ queryKey: trpc.segments.rfmOverview.queryKey() });
    void qc.invalidateQueries({ queryKey: trpc.segments.tiers.queryKey() });
  }, [finished, qc, trpc]);
  const isAdmin = roleAtLeast(ws.role, "ADMIN");

  if (rfm.isPending || tiers.isPending) return <LoadingBlock label="segments" className="h-96" />;
  if (rfm.isError || tiers.isError) {
    return (
      <ErrorBlock
        error={rfm.error ?? tiers.error}
        what="segments"
        onRetry={() => {
          void rfm.refetch();
          void tiers.refetch();
        }}
      />
    );
  }
  const o = rfm.data;
  // No recompute yet, or one that found no customer with an order (a new workspace).
  if (!o.current || !o.totals || o.totals.customers === 0) {
    return (
      <div className="space-y-4">
        <DataFreshness />
        <EmptyState title="No segments yet">
          {st.data?.active ? (
            "The first recompute is running; the RFM map and value tiers appear here when it finishes."
          ) : isAdmin ? (
            <>
              Segments are computed from orders.{" "}
              <Link href={`/w/${ws.slug}/import`} className="font-medium text-brand-700 underline">
                Import customers and orders
              </Link>
              ; the background recompute then scores every customer and fills this page.
            </>
          ) : (
            "Segments are computed from orders. Ask an admin of this workspace to import customers and orders."
          )}
        </EmptyState>
      </div>
    );
  }
  const predictions = o.current.predictions;
  return (
    <div className="space-y-8">
      <div className="space-y-2">
        <DataFreshness />
        <RunLine current={o.current} previous={o.previous} />
        {!predictions ? (
          <div role="note" className="rounded-lg border border-amber-300 bg-amber-50 p-4 text-sm text-amber-950" data-testid="segments-no-predictions">
            <p className="font-medium">Predicted CLV and P(alive) are empty: this recompute made no predictions.</p>
            {o.current.reason ? <p className="mt-1">{o.current.reason}</p> : null}
            <p className="mt-1">RFM scores and segments come from order history and are shown; value tiers rank historical value meanwhile.</p>
          </div>
        ) : null}
      </div>

      <section aria-labelledby="rfm-map-title" className="rounded-xl border border-slate-200 bg-white p-6 shadow-sm">
        <h2 id="rfm-map-title" className="text-lg font-semibold">
          RFM map
        </h2>
        <p className="mb-4 text-sm text-slate-700">{formatCount(o.totals?.customers ?? 0)} customers with at least one order, scored 1–5 on recency and frequency (quintiles).</p>
        <RfmMap cells={o.cells} currency={o.currency} predictions={predictions} slug={ws.slug} />
      </section>

      <section aria-labelledby="rfm-segments-title" className="space-y-3">
        <h2 id="rfm-segments-title" className="text-lg font-semibold">
          RFM segments
        </h2>
        <p className="text-sm text-slate-700">Named groups from recency and the average of frequency and monetary scores. Select a segment to see its customers.</p>
        <RfmSegmentsTable rows={o.segments} currency={o.currency} predictions={predictions} slug={ws.slug} compared={o.previous !== null} />
      </section>

      <section aria-labelledby="tiers-title" className="space-y-3">
        <h2 id="tiers-title" className="text-lg font-semibold">
          Value tiers
        </h2>
        <p className="text-sm text-slate-700">
          Customers ranked by {tiers.data.basis === "historical" ? "historical value (no predictions yet)" : "predicted 12-month CLV"}: where the money is. Select a tier to see its
          customers.
        </p>
        {tiers.data.pendingRecompute ? (
          <p role="status" className="rounded-lg border border-sky-300 bg-sky-50 p-3 text-sm text-sky-950">
            The thresholds were changed after these figures were computed; they update when the queued recompute finishes.
          </p>
        ) : null}
        <TiersTable data={tiers.data} slug={ws.slug} />
        <TierSettingsForm workspaceId={ws.id} settings={tiers.data.settings} currency={o.currency} canEdit={isAdmin} />
      </section>
    </div>
  );
}
