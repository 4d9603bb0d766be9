"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useMemo, useState, type FormEvent } from "react";
import type { TSegmentRule } from "@valuelens/validators";
import { useTRPC, errorMessage } from "~/trpc/react";
import { draftToRule, newCondition, newGroup, ruleToDraft, type DraftGroup } from "~/lib/rule-draft";
import { Field } from "../field";
import { ErrorBlock, LoadingBlock } from "../states";
import { useWorkspace } from "../workspace-context";
import { RuleBuilder } from "./rule-builder";
import { RulePreview } from "./rule-preview";

function starter(): DraftGroup {
  const tier = newCondition("valueTier");
  return newGroup("and", [tier]);
}

function EditorForm({ initial }: { initial?: { id: string; name: string; description: string; rule: TSegmentRule } }) {
  const ws = useWorkspace();
  const trpc = useTRPC();
  const qc = useQueryClient();
  const router = useRouter();
  const [name, setName] = useState(initial?.name ?? "");
  const [description, setDescription] = useState(initial?.description ?? "");
  const [root, setRoot] = useState<DraftGroup>(() => (initial ? ruleToDraft(initial.rule, ws.currency) : starter()));
  const [submitted, setSubmitted] = useState(false);
  const options = useQuery(trpc.segmentRules.fieldOptions.queryOptions({ workspaceId: ws.id }));
  const converted = useMemo(() => draftToRule(root, ws.currency), [root, ws.currency]);
  const done = async (id: string) => {
    await qc.invalidateQueries({ queryKey: trpc.segmentRules.pathKey() });
    router.push(`/w/${ws.slug}/segments/${id}`);
  };
  const create = useMutation(trpc.segmentRules.create.mutationOptions({ onSuccess: (r) => done(r.id) }));
  const update = useMutation(trpc.segmentRules.update.mutationOptions({ onSuccess: () => done(initial!.id) }));
  const saving = create.isPending || update.isPending;
  const error = create.error ?? update.error;

  function submit(e: FormEvent) {
    e.preventDefault();
    setSubmitted(true);
    if (!converted.rule || name.trim() === "") return;
    if (initial) update.mutate({ workspaceId: ws.id, segmentId: initial.id, name, description, rule: converted.rule });
    else create.mutate({ workspaceId: ws.id, name, description, rule: converted.rule });
  }

  const choices = { channels: options.data?.channels ?? [], campaigns: options.data?.campaigns ?? [], attributes: options.data?.attributes ?? [] };
  return (
    <form onSubmit={submit} className="space-y-5" aria-label={initial ? "Edit segment" : "New segment"} noValidate>
      <div className="grid gap-4 md:grid-cols-2">
        <Field label="Name" name="segment-name" required maxLength={80} value={name} onChange={(e) => setName(e.target.value)} error={submitted && name.trim() === "" ? "Give the segment a name." : undefined} />
        <Field label="Description (optional)" name="segment-description" maxLength={500} value={description} onChange={(e) => setDescription(e.target.value)} hint="What the segment is for, e.g. the campaign it feeds." />
      </div>
      <div className="grid gap-5 xl:grid-cols-[minmax(0,3fr)_minmax(0,2fr)]">
        <section aria-labelledby="rule-title" className="space-y-2">
          <h2 id="rule-title" className="text-lg font-semibold">Rule</h2>
          <p className="text-sm text-slate-700">
            Dates are days in the workspace time zone. A customer without a value (no prediction yet, no channel, attribute missing) matches only
            &ldquo;is not set&rdquo;. &ldquo;Contains&rdquo; and &ldquo;starts with&rdquo; ignore upper/lower case of A–Z.
          </p>
          <RuleBuilder root={root} onChange={setRoot} currency={ws.currency} choices={choices} issues={converted.issues} />
        </section>
        <RulePreview rule={converted.rule} invalid={converted.rule === null} />
      </div>
      {error ? <div role="alert" className="rounded-md border border-red-300 bg-red-50 p-3 text-sm text-red-900">Could not save: {errorMessage(error)}</div> : null}
      <div className="flex gap-3">
        <button type="submit" disabled={saving} className="rounded-md bg-brand-700 px-4 py-2 font-medium text-white hover:bg-brand-800 disabled:opacity-60">
          {saving ? "Saving…" : initial ? "Save changes" : "Save segment"}
        </button>
        <Link href={initial ? `/w/${ws.slug}/segments/${initial.id}` : `/w/${ws.slug}/segments?view=rules`} className="rounded-md border border-slate-400 px-4 py-2 font-medium text-slate-800 hover:bg-slate-100">
          Cancel
        </Link>
      </div>
    </form>
  );
}

/** New segment (no id) or edit of a saved one. Pages guard the ADMIN role; the server re-checks. */
export function RuleSegmentEditor({ segmentId }: { segmentId?: string }) {
  const ws = useWorkspace();
  const trpc = useTRPC();
  const q = useQuery({ ...trpc.segmentRules.get.queryOptions({ workspaceId: ws.id, segmentId: segmentId ?? "" }), enabled: Boolean(segmentId) });
  return (
    <div className="space-y-4">
      <div>
        <Link href={`/w/${ws.slug}/segments?view=rules`} className="text-sm text-brand-800 hover:underline">← Rule segments</Link>
        <h1 className="mt-1 text-2xl font-semibold tracking-tight">{segmentId ? `Edit ${q.data?.name ?? "segment"}` : "New rule segment"}</h1>
      </div>
      {!segmentId ? <EditorForm /> : q.isPending ? <LoadingBlock label="segment" className="h-96" /> : q.isError ? <ErrorBlock error={q.error} what="the segment" onRetry={() => void q.refetch()} /> : <EditorForm initial={q.data} />}
    </div>
  );
}
