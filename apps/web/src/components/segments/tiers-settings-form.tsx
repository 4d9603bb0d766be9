"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import type { TTierSettings } from "@valuelens/validators";
import { errorMessage, useTRPC } from "~/trpc/react";
import { majorToMinor, minorToInput, tierRuleText } from "~/lib/rfm-tiers";

const field = "mt-1 w-32 rounded-md border border-slate-400 bg-white px-2 py-1.5 text-sm tabular-nums";

/** Percentile 0–1 → the number shown in the input (80, 92.5). */
const pctInput = (p: number) => String(Math.round(p * 1000) / 10);

function describe(s: TTierSettings, currency: string): string {
  return `High: ${tierRuleText(s, "high", currency)}; medium: ${tierRuleText(s, "medium", currency)}; low: ${tierRuleText(s, "low", currency)}.`;
}

/**
 * Value-tier thresholds. Admins and owners edit them (by percentile of predicted CLV, or by amount in
 * the workspace currency); everyone else sees them read-only. The server enforces the same rule.
 */
export function TierSettingsForm({ workspaceId, settings, currency, canEdit }: { workspaceId: string; settings: TTierSettings; currency: string; canEdit: boolean }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [by, setBy] = useState<TTierSettings["by"]>(settings.by);
  const [high, setHigh] = useState(settings.by === "percentile" ? pctInput(settings.high) : "80");
  const [medium, setMedium] = useState(settings.by === "percentile" ? pctInput(settings.medium) : "50");
  const [highAmt, setHighAmt] = useState(settings.by === "amount" ? minorToInput(settings.highMinor, currency) : "");
  const [mediumAmt, setMediumAmt] = useState(settings.by === "amount" ? minorToInput(settings.mediumMinor, currency) : "");
  const [problem, setProblem] = useState<string | null>(null);
  const save = useMutation(
    trpc.segments.updateTierSettings.mutationOptions({
      onSuccess: () => {
        void qc.invalidateQueries({ queryKey: trpc.segments.tiers.queryKey() });
        void qc.invalidateQueries({ queryKey: trpc.model.status.queryKey() });
      },
    }),
  );

  if (!canEdit) {
    return (
      <div className="rounded-xl border border-slate-200 bg-white p-4 text-sm shadow-sm" data-testid="tier-settings-readonly">
        <h3 className="font-semibold">Tier thresholds</h3>
        <p className="mt-1 text-slate-800">{describe(settings, currency)}</p>
        <p className="mt-1 text-slate-700">Only admins and owners can change the thresholds.</p>
      </div>
    );
  }

  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    setProblem(null);
    let next: TTierSettings;
    if (by === "percentile") {
      const h = Number(high);
      const m = Number(medium);
      if (high.trim() === "" || medium.trim() === "" || !Number.isFinite(h) || !Number.isFinite(m) || h < 0 || h > 100 || m < 0 || m > 100) {
        setProblem("Percentiles must be numbers from 0 to 100.");
        return;
      }
      if (m > h) {
        setProblem("The medium tier's percentile must not be above the high tier's.");
        return;
      }
      next = { v: 1, by: "percentile", high: Math.round(h * 10) / 1000, medium: Math.round(m * 10) / 1000 };
    } else {
      const h = majorToMinor(highAmt, currency);
      const m = majorToMinor(mediumAmt, currency);
      if (h === null || m === null) {
        setProblem(`Amounts must be non-negative ${currency} amounts, e.g. 1000 or 249.50.`);
        return;
      }
      if (BigInt(m) > BigInt(h)) {
        setProblem("The medium tier's amount must not be above the high tier's.");
        return;
      }
      next = { v: 1, by: "amount", highMinor: h, mediumMinor: m };
    }
    save.mutate({ workspaceId, settings: next });
  }

  const err = problem ?? (save.error ? errorMessage(save.error) : null);
  return (
    <form onSubmit={submit} className="space-y-3 rounded-xl border border-slate-200 bg-white p-4 text-sm shadow-sm" aria-labelledby="tier-settings-title" noValidate>
      <h3 id="tier-settings-title" className="font-semibold">
        Tier thresholds
      </h3>
      <p className="text-slate-700">Now: {describe(settings, currency)}</p>
      <fieldset className="flex flex-wrap gap-4">
        <legend className="mb-1 font-medium text-slate-800">Set thresholds by</legend>
        <label className="flex items-center gap-2">
          <input type="radio" name="by" value="percentile" checked={by === "percentile"} onChange={() => setBy("percentile")} />
          Percentile of predicted CLV
        </label>
        <label className="flex items-center gap-2">
          <input type="radio" name="by" value="amount" checked={by === "amount"} onChange={() => setBy("amount")} />
          Amount ({currency})
        </label>
      </fieldset>
      {by === "percentile" ? (
        <div className="flex flex-wrap gap-4">
          <label>
            <span className="block font-medium text-slate-800">High tier: at or above percentile</span>
            <input className={field} inputMode="decimal" value={high} onChange={(e) => setHigh(e.target.value)} aria-describedby="tier-pct-help" />
          </label>
          <label>
            <span className="block font-medium text-slate-800">Medium tier: at or above percentile</span>
            <input className={field} inputMode="decimal" value={medium} onChange={(e) => setMedium(e.target.value)} aria-describedby="tier-pct-help" />
          </label>
          <p id="tier-pct-help" className="basis-full text-xs text-slate-700">
            0–100. The default, 80 and 50, puts the top 20 % of customers in the high tier and the next 30 % in the medium tier. Equal values always share a tier.
          </p>
        </div>
      ) : (
        <div className="flex flex-wrap gap-4">
          <label>
            <span className="block font-medium text-slate-800">High tier: at or above ({currency})</span>
            <input className={field} inputMode="decimal" value={highAmt} onChange={(e) => setHighAmt(e.target.value)} aria-describedby="tier-amt-help" />
          </label>
          <label>
            <span className="block font-medium text-slate-800">Medium tier: at or above ({currency})</span>
            <input className={field} inputMode="decimal" value={mediumAmt} onChange={(e) => setMediumAmt(e.target.value)} aria-describedby="tier-amt-help" />
          </label>
          <p id="tier-amt-help" className="basis-full text-xs text-slate-700">
            Predicted 12-month CLV per customer (historical value while predictions are unavailable).
          </p>
        </div>
      )}
      <div className="flex flex-wrap items-center gap-2">
        <button type="submit" disabled={save.isPending} className="rounded-md bg-brand-600 px-3 py-1.5 font-medium text-white hover:bg-brand-700 disabled:opacity-50">
          Save thresholds
        </button>
        <button
          type="button"
          disabled={save.isPending}
          onClick={() => {
            setProblem(null);
            setBy("percentile");
            setHigh("80");
            setMedium("50");
            save.mutate({ workspaceId, settings: null });
          }}
          className="rounded-md border border-slate-400 bg-white px-3 py-1.5 font-medium hover:bg-slate-50 disabled:opacity-50"
        >
          Reset to default
        </button>
      </div>
      <div aria-live="polite">
        {err ? (
          <p role="alert" className="text-red-800">
            {err}
          </p>
        ) : save.data ? (
          <p className="text-slate-800">{save.data.changed ? "Saved. A recompute is queued; the tiers below update when it finishes." : "These thresholds are already in use."}</p>
        ) : null}
      </div>
    </form>
  );
}
