"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useTRPC } from "~/trpc/react";
import { useWorkspace } from "../workspace-context";

/** The Customers page's "in rule segment" filter, shown with the segment's name and a remove button. */
export function RuleSegmentFilterChip({ segmentId, onRemove }: { segmentId: string; onRemove: () => void }) {
  const ws = useWorkspace();
  const trpc = useTRPC();
  const seg = useQuery({ ...trpc.segmentRules.get.queryOptions({ workspaceId: ws.id, segmentId }), retry: false });
  return (
    <p className="flex flex-wrap items-center gap-2 text-sm" data-testid="rule-segment-filter">
      <span className="rounded-full bg-brand-50 px-3 py-1 font-medium text-brand-800">
        In segment:{" "}
        {seg.data ? <Link href={`/w/${ws.slug}/segments/${segmentId}`} className="underline">{seg.data.name}</Link> : seg.isError ? "a segment that no longer exists" : "…"}
      </span>
      <button type="button" onClick={onRemove} className="rounded-md border border-slate-400 bg-white px-2 py-1 text-xs font-medium hover:bg-slate-50">
        Remove segment filter
      </button>
      <span className="text-xs text-slate-600">Only customers with an order are listed here; the segment may also hold customers without one.</span>
    </p>
  );
}
