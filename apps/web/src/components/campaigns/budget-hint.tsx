"use client";

import { useQuery } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { currencyDigits, decimalToMinor, minorToDecimal, type TValueHorizon, type TValueMeasure } from "@valuelens/validators";
import { formatMoney } from "~/lib/money";
import { useTRPC } from "~/trpc/react";
import { Field } from "../field";
import { EmptyState, ErrorBlock, LoadingBlock } from "../states";
import { useWorkspace } from "../workspace-context";

/** Budget hint: a total for next month → a split across channels, explained channel by channel. */
export function BudgetHintPanel({
  basis,
  defaultBudgetMinor,
}: {
  basis: { measure: TValueMeasure; horizon: TValueHorizon; fromMonth?: string | undefined; toMonth?: string | undefined };
  /** Today's average monthly spend, offered as the starting budget. */
  defaultBudgetMinor: number;
}) {
  const ws = useWorkspace();
  const trpc = useTRPC();
  const [budgetMinor, setBudgetMinor] = useState<number | null>(null);
  const [err, setErr] = useState<string | null>(null);
  const q = useQuery({ ...trpc.campaigns.budget.queryOptions({ workspaceId: ws.id, ...basis, budgetMinor: budgetMinor ?? 0 }), enabled: budgetMinor !== null });
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const v = decimalToMinor(String(new FormData(e.currentTarget).get("budget") ?? ""), currencyDigits(ws.currency));
    if (v === null) return setErr("Enter an amount like 20000 or 20000.50.");
    setErr(null);
    setBudgetMinor(v);
  };
  const d = q.data;
  const delta = d && !d.unavailable ? Number(d.suggestedExpectedValueMinor) - Number(d.currentExpectedValueMinor) : 0;
  return (
    <div className="space-y-4">
      <form key={defaultBudgetMinor} onSubmit={submit} className="flex flex-wrap items-end gap-3" aria-label="Budget for next month" noValidate>
        <div className="w-64">
          <Field
            label={`Total budget for next month (${ws.currency})`}
            name="budget"
            inputMode="decimal"
            required
            defaultValue={defaultBudgetMinor > 0 ? minorToDecimal(String(defaultBudgetMinor), currencyDigits(ws.currency)) : ""}
            hint={defaultBudgetMinor > 0 ? "Starts at today's average monthly spend over the range." : undefined}
            error={err ?? undefined}
          />
        </div>
        <button type="submit" className="rounded-md bg-brand-700 px-4 py-2 text-sm font-semibold text-white hover:bg-brand-800">Suggest a split</button>
      </form>
      {budgetMinor === null ? (
        <p className="text-sm text-slate-700">Enter next month&apos;s total to see where it is expected to bring the most value.</p>
      ) : q.isPending ? (
        <LoadingBlock label="budget hint" className="h-40" />
      ) : q.isError ? (
        <ErrorBlock what="the budget hint" error={q.error} onRetry={() => void q.refetch()} />
      ) : d!.unavailable ? (
        <EmptyState title="No suggestion for this basis and range">{d!.unavailable}</EmptyState>
      ) : (
        <div className="space-y-3">
          <p className="text-sm text-slate-800">
            Expected acquired value of the suggestion: <strong>{formatMoney(d!.suggestedExpectedValueMinor, d!.currency)}</strong> vs{" "}
            <strong>{formatMoney(d!.currentExpectedValueMinor, d!.currency)}</strong> for today&apos;s split of the same budget ({delta >= 0 ? "+" : ""}
            {formatMoney(String(Math.round(delta)), d!.currency)}).
            {d!.unallocatedMinor !== "0" ? ` ${formatMoney(d!.unallocatedMinor, d!.currency)} is left unallocated: every channel reached its cap.` : ""}
          </p>
          <div className="relative overflow-x-auto rounded-md border border-slate-200 bg-white" tabIndex={0} role="region" aria-label="Budget suggestion by channel">
            <table className="w-full text-sm">
              <caption className="sr-only">Suggested and current split of next month&apos;s budget by channel, with expected acquired value</caption>
              <thead className="border-b border-slate-200 bg-slate-50">
                <tr>
                  <th scope="col" className="px-2 py-2 text-left">Channel</th>
                  <th scope="col" className="px-2 py-2 text-right">Avg. monthly spend</th>
                  <th scope="col" className="px-2 py-2 text-right">Today&apos;s split</th>
                  <th scope="col" className="px-2 py-2 text-right">Suggested</th>
                  <th scope="col" className="px-2 py-2 text-right">Cap ({d!.capMultiple}×)</th>
                  <th scope="col" className="px-2 py-2 text-right">Expected value (today → suggested)</th>
                </tr>
              </thead>
              <tbody>
                {d!.lines.map((l) => (
                  <tr key={l.channel} className="border-b border-slate-100">
                    <th scope="row" className="px-2 py-1.5 text-left font-medium">{l.channel}</th>
                    <td className="px-2 py-1.5 text-right tabular-nums">{formatMoney(l.historicalMonthlySpendMinor, d!.currency)}</td>
                    <td className="px-2 py-1.5 text-right tabular-nums">{l.included ? formatMoney(l.currentSplitMinor, d!.currency) : "—"}</td>
                    <td className="px-2 py-1.5 text-right font-semibold tabular-nums">{l.included ? formatMoney(l.suggestedMinor, d!.currency) : "left out"}</td>
                    <td className="px-2 py-1.5 text-right tabular-nums">{l.included ? formatMoney(l.capMinor, d!.currency) : "—"}</td>
                    <td className="px-2 py-1.5 text-right tabular-nums">
                      {l.included ? `${formatMoney(l.currentExpectedValueMinor, d!.currency)} → ${formatMoney(l.suggestedExpectedValueMinor, d!.currency)}` : "—"}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <ul className="list-disc space-y-1 pl-5 text-sm text-slate-800">
            {d!.lines.map((l) => (
              <li key={l.channel}>{l.explanation}</li>
            ))}
          </ul>
          <p className="text-xs text-slate-700">Assumption: {d!.assumption} A hint, not a forecast: it ignores saturation, seasonality and cross-channel effects the data cannot show.</p>
        </div>
      )}
    </div>
  );
}
