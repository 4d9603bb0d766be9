"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { currencyDigits, decimalToMinor } from "@valuelens/validators";
import { formatMoney } from "~/lib/money";
import { errorMessage, fieldErrors, useTRPC } from "~/trpc/react";
import { Field } from "../field";
import { ErrorBlock, LoadingBlock } from "../states";
import { useWorkspace } from "../workspace-context";

/** Create a campaign or edit one (admins and owners; the server checks the role again). */
export function CampaignForm({ campaignId, onDone }: { campaignId: string | null; onDone: (id: string | null) => void }) {
  const ws = useWorkspace();
  const trpc = useTRPC();
  const qc = useQueryClient();
  const detail = useQuery({ ...trpc.campaigns.get.queryOptions({ workspaceId: ws.id, campaignId: campaignId ?? "00000000-0000-4000-8000-000000000000" }), enabled: campaignId !== null });
  const invalidate = () => qc.invalidateQueries({ queryKey: trpc.campaigns.pathKey() });
  const create = useMutation(trpc.campaigns.create.mutationOptions({ onSuccess: async (r) => { await invalidate(); onDone(r.id); } }));
  const update = useMutation(trpc.campaigns.update.mutationOptions({ onSuccess: async () => { await invalidate(); onDone(campaignId); } }));
  const m = campaignId ? update : create;
  const errs = fieldErrors(m.error);

  if (campaignId && detail.isPending) return <LoadingBlock label="campaign" className="h-48" />;
  if (campaignId && detail.isError) return <ErrorBlock what="the campaign" error={detail.error} onRetry={() => void detail.refetch()} />;
  const d = detail.data;

  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const s = (k: string) => String(f.get(k) ?? "").trim();
    const body = {
      workspaceId: ws.id,
      name: s("name"),
      channel: s("channel"),
      startsAt: s("startsAt") || null,
      endsAt: s("endsAt") || null,
      notes: s("notes") || null,
      ...(s("externalId") ? { externalId: s("externalId") } : {}),
    };
    if (campaignId) update.mutate({ ...body, campaignId });
    else create.mutate(body);
  };

  return (
    <form onSubmit={submit} className="grid gap-3 sm:grid-cols-2" key={campaignId ?? "new"} aria-label={campaignId ? "Edit campaign" : "New campaign"} noValidate>
      <Field label="Name" name="name" required defaultValue={d?.name ?? ""} error={errs.name?.[0]} />
      <Field label="Channel" name="channel" required defaultValue={d?.channel ?? ""} error={errs.channel?.[0]} hint="e.g. paid_search, email, referral — campaigns are grouped by it" list="vl-channels" />
      <Field label="Start date" name="startsAt" type="date" defaultValue={d?.startsAt ?? ""} error={errs.startsAt?.[0]} />
      <Field label="End date (empty = still running)" name="endsAt" type="date" defaultValue={d?.endsAt ?? ""} error={errs.endsAt?.[0]} />
      <Field label="Campaign id used by imports" name="externalId" defaultValue={d?.externalId ?? ""} error={errs.externalId?.[0]} hint={campaignId ? "Customers are attributed by this id on import." : "Leave empty to generate one."} />
      <div>
        <label htmlFor="f-notes" className="block text-sm font-medium text-slate-800">Notes</label>
        <textarea id="f-notes" name="notes" rows={2} defaultValue={d?.notes ?? ""} maxLength={2000} className="mt-1 block w-full rounded-md border border-slate-400 bg-white px-3 py-2 text-slate-900 shadow-sm" />
      </div>
      {m.error && Object.keys(errs).length === 0 ? <p role="alert" className="text-sm text-red-700 sm:col-span-2">{errorMessage(m.error)}</p> : null}
      <div className="flex gap-2 sm:col-span-2">
        <button type="submit" disabled={m.isPending} className="rounded-md bg-brand-700 px-4 py-2 text-sm font-semibold text-white hover:bg-brand-800 disabled:opacity-60">
          {m.isPending ? "Saving…" : campaignId ? "Save changes" : "Create campaign"}
        </button>
        <button type="button" onClick={() => onDone(null)} className="rounded-md border border-slate-300 bg-white px-4 py-2 text-sm font-medium">Cancel</button>
      </div>
    </form>
  );
}

/**
 * Spend entry: a total over a date range, spread evenly per day (exact to the cent), replacing the
 * campaign's spend in the workspace currency on those days. One day = start and end the same day.
 */
export function SpendForm({ campaignId }: { campaignId: string }) {
  const ws = useWorkspace();
  const trpc = useTRPC();
  const qc = useQueryClient();
  const detail = useQuery(trpc.campaigns.get.queryOptions({ workspaceId: ws.id, campaignId }));
  const [amountError, setAmountError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const set = useMutation(
    trpc.campaigns.setSpend.mutationOptions({
      onSuccess: async (r) => {
        setDone(`Saved ${formatMoney(r.totalMinor, r.currency)} over ${r.days} day${r.days === 1 ? "" : "s"}${r.replacedMinor !== "0" ? ` (replacing ${formatMoney(r.replacedMinor, r.currency)})` : ""}.`);
        await qc.invalidateQueries({ queryKey: trpc.campaigns.pathKey() });
      },
    }),
  );
  const errs = fieldErrors(set.error);
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    setDone(null);
    const f = new FormData(e.currentTarget);
    const minor = decimalToMinor(String(f.get("amount") ?? ""), currencyDigits(ws.currency));
    if (minor === null) {
      setAmountError(`Enter an amount like 1250 or 1250.50 (at most ${currencyDigits(ws.currency)} decimals).`);
      return;
    }
    setAmountError(null);
    const from = String(f.get("from") ?? "");
    set.mutate({ workspaceId: ws.id, campaignId, from, to: String(f.get("to") ?? "") || from, amountMinor: minor });
  };
  return (
    <div className="space-y-3">
      <form onSubmit={submit} className="grid gap-3 sm:grid-cols-4" aria-label="Enter spend" noValidate>
        <Field label="From" name="from" type="date" required error={errs.from?.[0]} />
        <Field label="To (same day for one day)" name="to" type="date" error={errs.to?.[0]} />
        <Field label={`Total spend (${ws.currency})`} name="amount" inputMode="decimal" required error={amountError ?? errs.amountMinor?.[0]} />
        <div className="flex items-end">
          <button type="submit" disabled={set.isPending} className="rounded-md bg-brand-700 px-4 py-2 text-sm font-semibold text-white hover:bg-brand-800 disabled:opacity-60">
            {set.isPending ? "Saving…" : "Save spend"}
          </button>
        </div>
      </form>
      <p className="text-xs text-slate-700">The total is spread evenly over the days (cent-exact) and replaces this campaign&apos;s {ws.currency} spend on those days; a total of 0 clears them. Spend shows on the page at once.</p>
      {set.error && Object.keys(errs).length === 0 ? <p role="alert" className="text-sm text-red-700">{errorMessage(set.error)}</p> : null}
      {done ? <p role="status" className="text-sm text-emerald-800">{done}</p> : null}
      {detail.data ? (
        <div className="text-sm text-slate-800">
          <p>
            Spend recorded:{" "}
            {detail.data.totals.length === 0
              ? "none yet."
              : detail.data.totals.map((t) => `${formatMoney(t.amountMinor, t.currency)} over ${t.days} days (${t.firstDay} → ${t.lastDay})`).join("; ")}
            {detail.data.totals.some((t) => t.currency !== ws.currency) ? ` — amounts in other currencies than ${ws.currency} are not counted and not converted.` : ""}
          </p>
          <p>Customers attributed to this campaign: {detail.data.customers}.</p>
        </div>
      ) : null}
    </div>
  );
}
