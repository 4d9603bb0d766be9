"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { roleAtLeast, PURCHASE_MODEL_NAMES, type TPurchaseModel } from "@valuelens/validators";
import { errorMessage, useTRPC } from "~/trpc/react";
import { formatCount } from "~/lib/money";
import { explainParams, formatDateTime, formatDate, formatNumber, modelLabel, PARAM_HELP, triggerLabel, type HoldoutBinDto } from "~/lib/predictions";
import { HoldoutChart } from "./charts/holdout-chart";
import { TrackingChart, type TrackingPointDto } from "./charts/tracking-chart";
import { checkState, DataFreshness, useModelStatus } from "./data-freshness";
import { EmptyState, ErrorBlock, LoadingBlock } from "./states";
import { useWorkspace } from "./workspace-context";

interface Holdout {
  calibrationEnd: string;
  holdoutDays: number;
  customers: number;
  /** Set when the check ran on a random sample: how many customers were eligible. */
  sampledFrom?: number | null;
  bins: HoldoutBinDto[];
  actualTotal: number;
  predictedTotal: number;
  errorPct: number;
  verdict: "good" | "fair" | "poor";
  /** Runs before the tracking curve was added have none. */
  tracking?: TrackingPointDto[];
  /** Set when a fast refresh after new data reused the latest full run's check. */
  reusedFromRun?: string;
}
/** Runs since issue 9's speed work say what each row was computed on; `sampledFrom` is set when that was a random sample. */
interface ComparedOn {
  customers?: number;
  sampledFrom?: number | null;
}
type Comparison =
  /** `note`: why a fit did not converge in the usual sense, e.g. Pareto/NBD reported at its common-dropout-rate limit. */
  | ({ model: string; logLikelihood: number; converged: boolean; holdoutErrorPct: number | null; note?: string; unfinished?: undefined } & ComparedOn)
  /** A comparison fit that ran out of its time budget. */
  | ({ model: string; unfinished: string } & ComparedOn);

const VERDICT_STYLE = { good: "bg-emerald-100 text-emerald-900", fair: "bg-amber-100 text-amber-900", poor: "bg-red-100 text-red-900" } as const;

function AdminControls({ current }: { current: string }) {
  const ws = useWorkspace();
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [model, setModel] = useState<TPurchaseModel>((PURCHASE_MODEL_NAMES as readonly string[]).includes(current) ? (current as TPurchaseModel) : "bgnbd");
  const invalidate = () => qc.invalidateQueries({ queryKey: trpc.model.status.queryKey() });
  const recompute = useMutation(trpc.model.recomputeNow.mutationOptions({ onSuccess: invalidate }));
  const pick = useMutation(trpc.model.setPurchaseModel.mutationOptions({ onSuccess: invalidate }));
  const err = recompute.error ?? pick.error;
  return (
    <section aria-labelledby="admin-title" className="rounded-xl border border-slate-200 bg-white p-4 shadow-sm">
      <h2 id="admin-title" className="text-base font-semibold">
        Model settings
      </h2>
      <div className="mt-3 flex flex-wrap items-end gap-3">
        <label className="text-sm">
          <span className="block font-medium text-slate-800">Purchase model</span>
          <select value={model} onChange={(e) => setModel(e.target.value as TPurchaseModel)} className="mt-1 rounded-md border border-slate-300 bg-white px-2 py-1.5">
            {PURCHASE_MODEL_NAMES.map((m) => (
              <option key={m} value={m}>
                {modelLabel(m)}
              </option>
            ))}
          </select>
        </label>
        <button
          type="button"
          disabled={pick.isPending || model === current}
          onClick={() => pick.mutate({ workspaceId: ws.id, model })}
          className="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium hover:bg-slate-50 disabled:opacity-50"
        >
          Use this model
        </button>
        <button
          type="button"
          disabled={recompute.isPending}
          onClick={() => recompute.mutate({ workspaceId: ws.id })}
          className="rounded-md bg-brand-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-brand-700 disabled:opacity-50"
        >
          Recompute now
        </button>
      </div>
      {recompute.data ? <p className="mt-2 text-sm text-slate-700">{recompute.data.alreadyQueued ? "A recompute is already queued." : "Recompute queued; progress appears above."}</p> : null}
      {err ? (
        <p role="alert" className="mt-2 text-sm text-red-800">
          {errorMessage(err)}
        </p>
      ) : null}
    </section>
  );
}

export function ModelView() {
  const ws = useWorkspace();
  const trpc = useTRPC();
  const st = useModelStatus();
  const runs = useQuery(trpc.model.runs.queryOptions({ workspaceId: ws.id, limit: 10 }));
  const isAdmin = roleAtLeast(ws.role, "ADMIN");

  return (
    <div className="space-y-8">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight">Model</h1>
        <p className="mb-2 text-sm text-slate-700">How the predictions are made, and how well they did on data the model had not seen.</p>
        <DataFreshness />
      </div>
      {isAdmin && st.data ? <AdminControls current={st.data.purchaseModel} /> : null}
      {st.isPending ? (
        <LoadingBlock label="the model card" className="h-96" />
      ) : st.isError ? (
        <ErrorBlock error={st.error} what="the model card" onRetry={() => void st.refetch()} />
      ) : !st.data.latest ? (
        <EmptyState title="Predictions are not available yet">
          {st.data.active ? "The first recompute is running; this page updates when it finishes." : "No recompute has finished for this workspace yet. Import orders, or ask an admin to press “Recompute now”."}
        </EmptyState>
      ) : !st.data.latest.params ? (
        <EmptyState title="Predictions are not available yet">
          <p>{st.data.latest.reason ?? "The model could not be fitted."}</p>
          <p className="mt-1">
            {formatCount(st.data.latest.customers)} customers with orders, {formatCount(st.data.latest.repeatBuyers)} repeat buyers (at least {st.data.thresholds.minRepeatBuyers}{" "}
            needed).
          </p>
        </EmptyState>
      ) : (
        <ModelCard run={st.data.latest} thresholds={st.data.thresholds} currency={ws.currency} />
      )}

      <section aria-labelledby="runs-title" className="rounded-xl border border-slate-200 bg-white p-6 shadow-sm">
        <h2 id="runs-title" className="text-lg font-semibold">
          Recent runs
        </h2>
        {runs.isPending ? (
          <LoadingBlock label="recent runs" className="h-24" />
        ) : runs.isError ? (
          <ErrorBlock error={runs.error} what="recent runs" onRetry={() => void runs.refetch()} />
        ) : runs.data.length === 0 ? (
          <p className="text-sm text-slate-700">No runs yet.</p>
        ) : (
          <div className="overflow-x-auto">
            <table className="mt-2 w-full text-left text-sm">
              <thead>
                <tr className="border-b border-slate-200">
                  <th scope="col" className="py-1 pr-4">Started</th>
                  <th scope="col" className="py-1 pr-4">Model</th>
                  <th scope="col" className="py-1 pr-4">Status</th>
                  <th scope="col" className="py-1 pr-4">Trigger</th>
                  <th scope="col" className="py-1 pr-4 text-right">Customers</th>
                  <th scope="col" className="py-1 text-right">Duration</th>
                </tr>
              </thead>
              <tbody>
                {runs.data.map((r) => (
                  <tr key={r.id} className="border-b border-slate-100">
                    <td className="py-1 pr-4">{formatDateTime(r.startedAt)}</td>
                    <td className="py-1 pr-4">{modelLabel(r.modelKind)}</td>
                    <td className="py-1 pr-4" title={r.error ?? r.reason ?? undefined}>
                      {r.status}
                    </td>
                    <td className="py-1 pr-4">{triggerLabel(r.triggeredBy)}</td>
                    <td className="py-1 pr-4 text-right">{formatCount(r.customers)}</td>
                    <td className="py-1 text-right">{r.durationMs !== null ? `${(r.durationMs / 1000).toFixed(1)} s` : "—"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </div>
  );
}

type Status = NonNullable<ReturnType<typeof useModelStatus>["data"]>;

function ModelCard({ run, thresholds, currency }: { run: NonNullable<Status["latest"]>; thresholds: Status["thresholds"]; currency: string }) {
  const params = (run.params ?? {}) as Record<string, number>;
  const ses = (run.standardErrors ?? {}) as Record<string, number>;
  const spend = (run.spendParams ?? null) as { params: Record<string, number>; standardErrors: Record<string, number> } | null;
  const holdout = run.holdout && "bins" in (run.holdout as object) ? (run.holdout as unknown as Holdout) : null;
  // A full run stores its holdout check and comparison right after its scores: "pending" until then; "unavailable" says why not.
  const checkInfo = (run.holdout ?? {}) as { unavailable?: unknown };
  const check = checkState(run);
  const checkPending = check === "pending";
  const checkUnavailable = typeof checkInfo.unavailable === "string" ? checkInfo.unavailable : null;
  const comparison = (run.comparison ?? []) as unknown as Comparison[];
  const comparedOn = comparison.find((c) => c.customers !== undefined);
  const rows: [string, number, number | undefined][] = [
    ...Object.entries(params).map(([k, v]) => [k, v, ses[k]] as [string, number, number | undefined]),
    ...Object.entries(spend?.params ?? {}).map(([k, v]) => [k, v, spend?.standardErrors[k]] as [string, number, number | undefined]),
  ];
  const totals = run.totals as { incremental?: { fittedAt: string; rescored: number; removed: number }; fitNote?: string | null } | null;
  const incremental = totals?.incremental ?? null;
  const fitNote = typeof totals?.fitNote === "string" ? totals.fitNote : null;
  return (
    <>
      <section aria-labelledby="facts-title" className="rounded-xl border border-slate-200 bg-white p-6 shadow-sm">
        <h2 id="facts-title" className="text-lg font-semibold">
          {modelLabel(run.modelKind)} purchase model + Gamma-Gamma spend model
        </h2>
        <dl className="mt-4 grid grid-cols-2 gap-4 text-sm md:grid-cols-4">
          {[
            ["Fitted", formatDateTime(incremental ? new Date(incremental.fittedAt) : run.finishedAt)],
            ["Data up to", formatDate(run.dataCutoff)],
            ["Customers", formatCount(run.customers)],
            ["Repeat buyers", formatCount(run.repeatBuyers)],
            ["Orders", formatCount(run.orders)],
            ["Log-likelihood", formatNumber(run.logLikelihood, 1)],
            ["Converged", run.converged ? "yes" : fitNote ? "at a limit (see below)" : "no"],
            ["Took", run.durationMs !== null ? `${(run.durationMs / 1000).toFixed(1)} s` : "—"],
          ].map(([k, v]) => (
            <div key={k}>
              <dt className="text-slate-700">{k}</dt>
              <dd className="font-medium text-slate-900">{v}</dd>
            </div>
          ))}
        </dl>
        {fitNote ? <p className="mt-4 text-sm text-slate-800">{fitNote} The scores use that limiting model.</p> : null}
        {incremental ? (
          <p className="mt-4 text-sm text-slate-800">
            Refreshed {formatDateTime(run.finishedAt)}: {formatCount(incremental.rescored)} customers whose orders changed were rescored with this fit
            {incremental.removed > 0 ? ` (${formatCount(incremental.removed)} with no order left lost their score)` : ""}. Everyone else keeps the scores of the
            fit; the nightly recompute refits the model and rescores every customer, and refreshes the segment, campaign and retention summaries.
          </p>
        ) : null}
        <h3 className="mt-6 font-semibold">In plain words</h3>
        <ul className="mt-2 list-disc space-y-1 pl-5 text-sm text-slate-800">
          {explainParams(run.modelKind, params).map((s) => (
            <li key={s}>{s}</li>
          ))}
          {spend ? (
            <li>
              Spend per purchase varies around each customer&apos;s own average; the Gamma-Gamma model shrinks customers with few purchases towards the overall mean (amounts in{" "}
              {currency} minor units).
            </li>
          ) : null}
        </ul>
        <h3 className="mt-6 font-semibold">Parameters</h3>
        <div className="overflow-x-auto">
          <table className="mt-2 w-full text-left text-sm">
            <thead>
              <tr className="border-b border-slate-200">
                <th scope="col" className="py-1 pr-4">Parameter</th>
                <th scope="col" className="py-1 pr-4 text-right">Estimate</th>
                <th scope="col" className="py-1 pr-4 text-right">Standard error</th>
                <th scope="col" className="py-1">Meaning</th>
              </tr>
            </thead>
            <tbody>
              {rows.map(([k, v, se]) => (
                <tr key={k} className="border-b border-slate-100">
                  <th scope="row" className="py-1 pr-4 font-mono font-normal">{k}</th>
                  <td className="py-1 pr-4 text-right">{formatNumber(v, 4)}</td>
                  <td className="py-1 pr-4 text-right">{formatNumber(se, 4)}</td>
                  <td className="py-1 text-slate-700">{PARAM_HELP[k] ?? ""}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>

      <section aria-labelledby="holdout-title" className="rounded-xl border border-slate-200 bg-white p-6 shadow-sm">
        <h2 id="holdout-title" className="text-lg font-semibold">
          Holdout check
        </h2>
        {holdout ? (
          <>
            <p className="mt-1 text-sm text-slate-700">
              The model was refitted on orders up to {holdout.calibrationEnd} (
              {holdout.sampledFrom
                ? `a random sample of ${formatCount(holdout.customers)} of the ${formatCount(holdout.sampledFrom)} customers who had bought by then`
                : `${formatCount(holdout.customers)} customers`}
              ) and asked to predict the following{" "}
              {holdout.holdoutDays} days (the last {Math.round(thresholds.holdoutShare * 100)} % of the history). Predicted {formatNumber(holdout.predictedTotal, 0)} repeat purchases,
              actual {formatNumber(holdout.actualTotal, 0)}.
              {holdout.reusedFromRun ? " This check comes from the last full recompute; refreshes after new data reuse it for up to a day." : ""}
            </p>
            <p className="mt-3 flex flex-wrap items-center gap-3">
              <span className="text-2xl font-semibold">{holdout.errorPct.toFixed(1)} % error</span>
              <span className={`rounded-full px-3 py-1 text-sm font-semibold ${VERDICT_STYLE[holdout.verdict]}`}>Verdict: {holdout.verdict}</span>
            </p>
            <p className="mt-1 text-xs text-slate-700">
              Error = |predicted − actual| ÷ actual total holdout purchases. Good ≤ {thresholds.verdict.good} %, fair ≤ {thresholds.verdict.fair} %, poor above.
            </p>
            <div className="mt-4">
              <HoldoutChart bins={holdout.bins} holdoutDays={holdout.holdoutDays} />
            </div>
            {holdout.tracking && holdout.tracking.length > 1 ? (
              <div className="mt-6">
                <h3 className="text-base font-semibold">Cumulative tracking over the holdout period</h3>
                <p className="mt-1 text-sm text-slate-700">Repeat purchases of the same customers, added up day by day after the calibration end.</p>
                <div className="mt-3">
                  <TrackingChart points={holdout.tracking} calibrationEnd={holdout.calibrationEnd} />
                </div>
              </div>
            ) : null}
          </>
        ) : checkPending ? (
          <p className="mt-1 text-sm text-slate-700" role="status">
            Being computed: the holdout check and the model comparison run right after the scores are written (a few minutes on large workspaces); they appear here when ready.
          </p>
        ) : check === "stalled" ? (
          <p className="mt-1 text-sm text-slate-700">Not computed for this run (its background job stopped after writing the scores); the next full recompute computes it.</p>
        ) : (
          <p className="mt-1 text-sm text-slate-700">{checkUnavailable ?? "Not enough repeat buyers before the holdout period to run the check."}</p>
        )}
      </section>

      <section aria-labelledby="compare-title" className="rounded-xl border border-slate-200 bg-white p-6 shadow-sm">
        <h2 id="compare-title" className="text-lg font-semibold">
          Model comparison on the same data
        </h2>
        <p className="mt-1 text-sm text-slate-700">Higher log-likelihood fits the history better; lower holdout error predicts better. Churn risk bands: low when P(alive) ≥ {thresholds.churn.low}, high below {thresholds.churn.medium}.</p>
        {comparedOn?.sampledFrom ? (
          <p className="mt-1 text-sm text-slate-700">
            Log-likelihoods compared on a random sample of {formatCount(comparedOn.customers ?? 0)} of {formatCount(comparedOn.sampledFrom)} customers, the same customers for every
            model, so the {modelLabel(run.modelKind)} figure here differs from the one above, which is the fit on all customers that the predictions use. Holdout errors come from the
            holdout check&apos;s customers.
          </p>
        ) : comparedOn?.customers !== undefined ? (
          <p className="mt-1 text-sm text-slate-700">
            Log-likelihoods on all {formatCount(comparedOn.customers)} customers; holdout errors from the holdout check&apos;s customers.
          </p>
        ) : null}
        {check !== null && comparison.length === 0 ? (
          <p className="mt-2 text-sm text-slate-700">{checkPending ? "Being computed, with the holdout check above." : "Not computed for this run, like the holdout check above."}</p>
        ) : null}
        {comparison.length > 0 ? (
        <div className="overflow-x-auto">
          <table className="mt-2 w-full text-left text-sm">
            <thead>
              <tr className="border-b border-slate-200">
                <th scope="col" className="py-1 pr-4">Model</th>
                <th scope="col" className="py-1 pr-4 text-right">Log-likelihood</th>
                <th scope="col" className="py-1 pr-4 text-right">Holdout error</th>
                <th scope="col" className="py-1">Converged</th>
              </tr>
            </thead>
            <tbody>
              {comparison.map((c) => (
                <tr key={c.model} className="border-b border-slate-100">
                  <th scope="row" className="py-1 pr-4 font-normal">
                    {modelLabel(c.model)}
                    {c.model === run.modelKind ? " (in use)" : ""}
                  </th>
                  {c.unfinished !== undefined ? (
                    <td colSpan={3} className="py-1 text-slate-700">
                      {c.unfinished}
                    </td>
                  ) : (
                    <>
                      <td className="py-1 pr-4 text-right">{formatNumber(c.logLikelihood, 1)}</td>
                      <td className="py-1 pr-4 text-right">{c.holdoutErrorPct === null ? "—" : `${c.holdoutErrorPct.toFixed(1)} %`}</td>
                      <td className="py-1">
                        {c.converged ? "yes" : "no"}
                        {c.note ? <span className="block text-xs text-slate-700">{c.note}</span> : null}
                      </td>
                    </>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        ) : null}
      </section>
    </>
  );
}
