"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { errorMessage, fieldErrors, useTRPC } from "~/trpc/react";
import { Field } from "./field";
import { ErrorBlock, LoadingBlock } from "./states";
import { useWorkspace } from "./workspace-context";

export function SettingsView() {
  const ws = useWorkspace();
  const trpc = useTRPC();
  const qc = useQueryClient();
  const router = useRouter();
  // While the worker rebuilds months and margins after a large workspace's change, poll until it is done.
  const settings = useQuery({
    ...trpc.workspace.settings.queryOptions({ workspaceId: ws.id }),
    refetchInterval: (q) => (q.state.data?.rebuildPendingSince ? 5_000 : false),
  });
  const [saved, setSaved] = useState(false);
  const update = useMutation(
    trpc.workspace.updateSettings.mutationOptions({
      onSuccess: async () => {
        setSaved(true);
        await qc.invalidateQueries();
        router.refresh();
      },
    }),
  );

  function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    setSaved(false);
    update.mutate({
      workspaceId: ws.id,
      name: String(f.get("name") ?? ""),
      timezone: String(f.get("timezone") ?? ""),
      marginRate: Number(f.get("marginRate") ?? 0) / 100,
    });
  }
  const fe = fieldErrors(update.error);

  return (
    <div className="max-w-2xl space-y-10">
      <h1 className="text-2xl font-semibold tracking-tight">Workspace settings</h1>
      {settings.isPending ? (
        <LoadingBlock label="settings" className="h-64" />
      ) : settings.isError ? (
        <ErrorBlock error={settings.error} what="settings" onRetry={() => void settings.refetch()} />
      ) : (
        <form onSubmit={onSubmit} noValidate className="space-y-4 rounded-xl border border-slate-200 bg-white p-6 shadow-sm" aria-labelledby="general-title">
          <h2 id="general-title" className="text-lg font-semibold">
            General
          </h2>
          <Field label="Name" name="name" defaultValue={settings.data.name} required error={fe.name?.[0]} />
          <Field
            label="Time zone"
            name="timezone"
            defaultValue={settings.data.timezone}
            hint="IANA name, e.g. Europe/Paris. Months in charts and reports follow it."
            error={fe.timezone?.[0]}
          />
          <Field
            label="Gross margin rate (%)"
            name="marginRate"
            type="number"
            min={0}
            max={100}
            step={0.1}
            defaultValue={(settings.data.marginRate * 100).toFixed(1)}
            hint="Used for margin-based value when an order has no cost."
            error={fe.marginRate?.[0]}
          />
          <p className="text-sm text-slate-700">Reporting currency: {settings.data.currency}</p>
          {settings.data.rebuildPendingSince ? (
            <p role="status" className="rounded-md border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900">
              Rebuilding months, weeks and margins for the new time zone or margin rate, from every order, in the background
              (since {settings.data.rebuildPendingSince.toLocaleTimeString()}; a large workspace takes a few minutes). Until it is
              done, charts and reports may still show months and margins under the previous settings.
            </p>
          ) : null}
          {update.error && !Object.keys(fe).length ? (
            <p role="alert" className="text-sm text-red-700">
              {errorMessage(update.error)}
            </p>
          ) : null}
          {saved ? (
            <p role="status" className="text-sm text-emerald-800">
              Saved.
            </p>
          ) : null}
          <button type="submit" disabled={update.isPending} className="rounded-md bg-brand-700 px-4 py-2 font-medium text-white hover:bg-brand-800 disabled:opacity-60">
            {update.isPending ? "Saving…" : "Save settings"}
          </button>
        </form>
      )}

    </div>
  );
}
