import {
  ClvAbortedError,
  cumulativeTracking,
  fitBgNbd,
  fitGammaGamma,
  fitModifiedBgNbd,
  fitParetoNbd,
  holdoutByFrequency,
  rfmScores,
  scoreCustomers,
  valueTiers,
  type GammaGammaModel,
  type HoldoutBin,
  type PurchaseModel,
} from "@valuelens/clv-core";
import { Prisma, withWorkspace, type PrismaClient } from "@valuelens/db";
import { log, logError } from "../../log.ts";
import { CLV_OPTIONS, holdoutVerdict, predictedFields } from "./churn-risk.ts";
import { claimRun, failRun, ledgerExec, setProgress } from "./ledger.ts";
import { holdoutCustomers, readCalibration, readSummaries, type SummaryColumns } from "./summaries.ts";
import { replaceScores, type ScoreRow } from "./write-scores.ts";
import { planIncremental, refreshIncrementally } from "./refresh-incremental.ts";
import { scoringState } from "./incremental.ts";
import { snapshotRuleSegments } from "../segment-rules/snapshots.ts"; // rule segments (issue 5)
import { refreshCampaignStats } from "../campaigns/refresh-campaign-stats.ts"; // campaign roi (issue 6)
import { refreshRetentionRollups } from "../retention-rollups.ts"; // retention (issue 7)
import { readTierRule, readTierSettings, tierRuleOf, writeSegmentSnapshots } from "../segments/index.ts";

export const PURCHASE_MODELS = ["bgnbd", "pnbd", "mbgnbd"] as const;
export type PurchaseModelName = (typeof PURCHASE_MODELS)[number];

/** Per-statement limit inside a recompute (see recomputeWorkspace). */
const RECOMPUTE_STATEMENT_TIMEOUT = "600s";

/** Below this many repeat buyers the models are not fitted (small-data mode). */
export const MIN_REPEAT_BUYERS = 100;
/** Share of the history window held out for validation. */
export const HOLDOUT_SHARE = 0.25;
const HISTOGRAM_BINS = 20;

interface Cols {
  frequency: ArrayLike<number>;
  recency: ArrayLike<number>;
  T: ArrayLike<number>;
}

/**
 * Time budgets for model fits. Pareto/NBD's likelihood has no closed form and on some data (e.g. very
 * regular buyers, where the lifetime parameters run off to large values) each evaluation needs a
 * numerical integral per distinct customer row; one fit could then hold the worker for many minutes.
 * The workspace's own model gets a generous budget (the run fails with a clear message past it);
 * the comparison models a short one each (reported as "did not finish", never blocking the scores).
 */
export const FIT_BUDGET_MS = { primary: 10 * 60_000, comparison: 30_000 } as const;
const budget = (ms: number) => {
  const deadline = Date.now() + ms;
  return () => Date.now() > deadline;
};

function fitPurchase(kind: PurchaseModelName, cols: Cols, initial?: Record<string, number>, budgetMs: number = FIT_BUDGET_MS.primary): PurchaseModel {
  // Warm start from the previous run's parameters when there are any (same optimum, fewer iterations).
  const o = { shouldStop: budget(budgetMs), ...(initial ? { initial } : {}) };
  if (kind === "pnbd") return fitParetoNbd(cols, o);
  if (kind === "mbgnbd") return fitModifiedBgNbd(cols, o);
  return fitBgNbd(cols, o);
}

export function isPurchaseModel(v: string): v is PurchaseModelName {
  return (PURCHASE_MODELS as readonly string[]).includes(v);
}

/** Gamma-Gamma on repeat buyers with a positive mean spend (net refunds can make it ≤ 0). */
export function fitSpend(s: Pick<SummaryColumns, "frequency" | "monetaryValue">): GammaGammaModel {
  const f = Float64Array.from(s.frequency, (x, i) => (s.monetaryValue[i]! > 0 ? x : 0));
  return fitGammaGamma({ frequency: f, monetaryValue: s.monetaryValue });
}

export interface HoldoutResult {
  calibrationEnd: string;
  holdoutDays: number;
  customers: number;
  /** When the check ran on a random sample of `customers`: how many customers were eligible. */
  sampledFrom: number | null;
  bins: HoldoutBin[];
  actualTotal: number;
  predictedTotal: number;
  errorPct: number;
  verdict: "good" | "fair" | "poor";
  /** Cumulative repeat purchases after the calibration end, actual vs predicted (conditional tracking). */
  tracking: { day: number; actual: number; predicted: number }[];
}

/** Tracking points: weekly, or coarser so a long holdout has at most ~60 points; always ends at the holdout length. */
function trackingDays(holdoutDays: number): number[] {
  const step = Math.max(7, Math.ceil(holdoutDays / 60 / 7) * 7);
  const days: number[] = [];
  for (let d = step; d < holdoutDays; d += step) days.push(d);
  days.push(holdoutDays);
  return days;
}

function holdoutMetrics(
  model: PurchaseModel,
  cal: Parameters<typeof holdoutByFrequency>[1] & { holdoutByDay: Int32Array; sampledFrom: number | null },
  days: number,
  calEndDay: number,
): HoldoutResult {
  const bins = holdoutByFrequency(model, cal, days, 7).map((b) => ({
    ...b,
    actual: Number.isFinite(b.actual) ? b.actual : 0,
    predicted: Number.isFinite(b.predicted) ? b.predicted : 0,
  }));
  const actualTotal = bins.reduce((s, b) => s + b.actual * b.customers, 0);
  const predictedTotal = bins.reduce((s, b) => s + b.predicted * b.customers, 0);
  const errorPct = actualTotal > 0 ? (Math.abs(predictedTotal - actualTotal) / actualTotal) * 100 : 0;
  return {
    calibrationEnd: new Date(calEndDay * 86_400_000).toISOString().slice(0, 10),
    holdoutDays: days,
    customers: cal.frequency.length,
    sampledFrom: cal.sampledFrom,
    bins,
    actualTotal,
    predictedTotal,
    errorPct,
    verdict: holdoutVerdict(errorPct),
    tracking: tracking(model, cal, days),
  };
}

function tracking(model: PurchaseModel, cal: Parameters<typeof cumulativeTracking>[1] & { holdoutByDay: Int32Array }, holdoutDays: number): HoldoutResult["tracking"] {
  const days = trackingDays(holdoutDays);
  const predicted = cumulativeTracking(model, cal, days);
  const out: HoldoutResult["tracking"] = [];
  let actual = 0;
  let upTo = 0;
  days.forEach((d, j) => {
    for (; upTo < d && upTo < cal.holdoutByDay.length; upTo++) actual += cal.holdoutByDay[upTo]!;
    out.push({ day: d, actual, predicted: Math.round(predicted[j]! * 10) / 10 });
  });
  return out;
}

export interface RecomputeOptions {
  triggeredBy?: string;
  /** Skip the Pareto/NBD + MBG/NBD comparison (faster; tests). */
  compare?: boolean;
  /**
   * "fast" (refresh after data writes): reuse the holdout check and model comparison of the latest
   * full run of the same model if it is under 24 h old, and warm-start the fit from its parameters.
   * "full" (default: nightly, manual, first run): everything.
   * "incremental" (after data writes): rescore only the customers whose summary changed since the
   * last run, with its models (refresh-incremental.ts); falls back to "fast" when that is not sound.
   */
  mode?: "full" | "fast" | "incremental";
  timeoutMs?: number;
  /** Override the fit time budgets (tests; see FIT_BUDGET_MS). */
  fitBudgetMs?: { primary: number; comparison: number };
  /** Override HOLDOUT_SAMPLE_MAX (tests). */
  holdoutSampleMax?: number;
}

export type RecomputeOutcome =
  | { status: "locked" }
  | { status: "succeeded"; runId: string; predictions: boolean; customers: number; durationMs: number }
  | { status: "failed"; runId: string; error: string };

/**
 * Recompute one workspace: read summaries → fit → holdout → compare → score → write, all inside one
 * tenant transaction holding pg_try_advisory_xact_lock(hashtext(workspace)), so a concurrent run
 * (a retried or duplicated job, another worker) exits at once as a no-op and scores are replaced
 * atomically. Progress goes to the ModelRun row through separate short transactions (ledger.ts).
 */
export async function recomputeWorkspace(prisma: PrismaClient, workspaceId: string, opts: RecomputeOptions = {}): Promise<RecomputeOutcome> {
  const started = Date.now();
  let runId: string | null = null;
  try {
    const out = await withWorkspace(
      prisma,
      workspaceId,
      async (tx) => {
        const [lock] = await tx.$queryRaw<{ ok: boolean }[]>`SELECT pg_try_advisory_xact_lock(hashtext(${workspaceId})) AS ok`;
        if (!lock?.ok) {
          log("recompute.locked", { workspaceId });
          return { status: "locked" } as const;
        }
        // A background job, not a request: the app role's 30 s per-statement guard (for pages) would
        // cancel a 1M-customer summary read on a loaded machine. The run's own timeout still bounds it.
        const longStatements = () => tx.$executeRawUnsafe(`SET LOCAL statement_timeout = '${RECOMPUTE_STATEMENT_TIMEOUT}'`);
        await longStatements();
        const ws = await tx.workspace.findUnique({ where: { id: workspaceId }, select: { purchaseModel: true } });
        if (!ws) throw new Error("workspace not found");
        const kind: PurchaseModelName = isPurchaseModel(ws.purchaseModel) ? ws.purchaseModel : "bgnbd";
        const runStart = new Date();
        const plan = opts.mode === "incremental" ? await planIncremental(tx, workspaceId, kind) : null;
        const id = await claimRun(prisma, workspaceId, kind, opts.triggeredBy ?? "manual");
        runId = id;
        // Phase timings (ms) for the log and benchmarks: each step's time runs until the next step starts.
        const phases: Record<string, number> = {};
        let phase = "start";
        let phaseAt = Date.now();
        const progress = (step: string, pct: number) => {
          const now = Date.now();
          phases[phase] = (phases[phase] ?? 0) + now - phaseAt;
          phase = step.replace(/ \(.*\)$/, "");
          phaseAt = now;
          return setProgress(prisma, workspaceId, id, step, pct);
        };

        if (plan) {
          const r = await refreshIncrementally(tx, workspaceId, id, plan, runStart, progress);
          const durationMs = Date.now() - started;
          await tx.modelRun.update({
            where: { workspaceId_id: { workspaceId, id } },
            data: { ...r.update, status: "succeeded", step: "done", progress: 100, finishedAt: new Date(), durationMs },
          });
          phases[phase] = (phases[phase] ?? 0) + Date.now() - phaseAt;
          log("recompute.done", { workspaceId, runId: id, mode: "incremental", customers: r.rescored, predictions: true, durationMs, phases });
          return { status: "succeeded", runId: id, predictions: true, customers: r.rescored, durationMs, runStart } as const;
        }

        await progress("reading summaries", 5);
        const s = await readSummaries(tx, workspaceId);
        const n = s.ids.length;
        const rfm = n > 0 ? rfmScores({ recency: s.daysSinceLast, frequency: s.frequency, monetary: s.revenue }) : null;

        let reason: string | null = null;
        if (n === 0) reason = "No customer has an order yet. Import orders to see predictions.";
        else if (s.repeatBuyers < MIN_REPEAT_BUYERS)
          reason = `Only ${s.repeatBuyers} customers have bought on more than one day; the models need at least ${MIN_REPEAT_BUYERS} repeat buyers. Historical values and RFM segments are shown meanwhile.`;

        const update: Prisma.ModelRunUpdateInput = {
          customers: n,
          repeatBuyers: s.repeatBuyers,
          orders: s.orders,
          dataCutoff: s.cutoff,
          reason,
        };
        let rows: ScoreRow[];

        if (reason === null) {
          const prev =
            opts.mode === "fast" || opts.mode === "incremental"
              ? await tx.modelRun.findFirst({
                  where: { workspaceId, status: "succeeded", modelKind: kind, params: { not: Prisma.AnyNull }, finishedAt: { gte: new Date(Date.now() - 86_400_000) } },
                  orderBy: { finishedAt: "desc" },
                  select: { id: true, params: true, holdout: true, comparison: true },
                })
              : null;
          const reuse = prev?.holdout && prev.comparison ? prev : null;

          await progress("fitting " + kind, 30);
          const budgets = opts.fitBudgetMs ?? FIT_BUDGET_MS;
          let model: PurchaseModel;
          try {
            model = fitPurchase(kind, s, (prev?.params ?? undefined) as Record<string, number> | undefined, budgets.primary);
          } catch (e) {
            if (e instanceof ClvAbortedError)
              throw new Error(`The ${kind} model did not finish fitting within ${Math.round(budgets.primary / 1000)} s on this data; choose BG/NBD on the Model page.`);
            throw e;
          }
          const spend = fitSpend(s);

          const comparison: (
            | { model: PurchaseModelName; logLikelihood: number; converged: boolean; holdoutErrorPct: number | null; params: object }
            | { model: PurchaseModelName; unfinished: string }
          )[] = [];
          let holdout: HoldoutResult | null = null;
          // Holdout: calibrate on all but the last HOLDOUT_SHARE of the history window (skipped when reused).
          const window = s.cutoffDay - s.firstDay;
          const holdoutDays = Math.max(1, Math.round(window * HOLDOUT_SHARE));
          const calEnd = s.cutoffDay - holdoutDays;
          let cal: Awaited<ReturnType<typeof readCalibration>> | null = null;
          if (!reuse) {
            await progress("holdout validation", 35);
            cal = await readCalibration(tx, workspaceId, calEnd, holdoutDays, holdoutCustomers(s, calEnd, workspaceId, opts.holdoutSampleMax));
          }
          const calOk = cal !== null && cal.repeatBuyers >= MIN_REPEAT_BUYERS && cal.frequency.length > 0;
          const kinds = reuse ? [] : opts.compare === false ? [kind] : PURCHASE_MODELS;
          let k = 0;
          for (const other of kinds) {
            await progress(`comparing models (${other})`, 40 + (k++ * 30) / kinds.length);
            try {
              // The workspace's model is fitted already; each other model and each calibration fit has its own short budget.
              const full = other === kind ? model : fitPurchase(other, s, undefined, budgets.comparison);
              let h: HoldoutResult | null = null;
              if (calOk && cal) h = holdoutMetrics(fitPurchase(other, cal, undefined, other === kind ? budgets.primary : budgets.comparison), cal, holdoutDays, calEnd);
              if (other === kind) holdout = h;
              comparison.push({ model: other, logLikelihood: full.logLikelihood, converged: full.converged, holdoutErrorPct: h?.errorPct ?? null, params: full.params });
            } catch (e) {
              if (!(e instanceof ClvAbortedError)) throw e;
              const secs = Math.round((other === kind ? budgets.primary : budgets.comparison) / 1000);
              log("recompute.fit_budget_exceeded", { workspaceId, model: other, budgetSeconds: secs });
              comparison.push({ model: other, unfinished: `Did not finish fitting within ${secs} s on this data.` });
            }
          }

          await progress("scoring customers", 75);
          const sc = scoreCustomers({ purchaseModel: model, spendModel: spend, ...s }, CLV_OPTIONS);
          const clv = sc.clv!;
          const tierSettings = await readTierSettings(tx, workspaceId);
          const tiers = valueTiers(clv, tierRuleOf(tierSettings));
          rows = s.ids.map((cid, i) => ({
            customerId: cid,
            ...predictedFields(sc, i),
            r: rfm!.r[i]!,
            f: rfm!.f[i]!,
            m: rfm!.m[i]!,
            segment: rfm!.segment[i]!,
            tier: tiers[i]!,
            historical: s.revenue[i]!,
            lastAt: s.lastAt[i]!,
          }));
          let atRisk = 0;
          for (const r of rows) if (r.churnRisk === "high") atRisk++;
          const historical = s.revenue.reduce((a, b) => a + b, 0);
          Object.assign(update, {
            params: model.params as unknown as Prisma.InputJsonValue,
            standardErrors: model.standardErrors as unknown as Prisma.InputJsonValue,
            spendParams: { params: spend.params, standardErrors: spend.standardErrors } as unknown as Prisma.InputJsonValue,
            logLikelihood: model.logLikelihood,
            converged: model.converged,
            holdout: (reuse
              ? { ...(reuse.holdout as object), reusedFromRun: reuse.id }
              : (holdout ?? { unavailable: `Fewer than ${MIN_REPEAT_BUYERS} repeat buyers before the holdout period.` })) as unknown as Prisma.InputJsonValue,
            comparison: (reuse ? reuse.comparison : comparison) as unknown as Prisma.InputJsonValue,
            totals: {
              predicted12m: { clv: Math.round(sc.total!.clv), low: Math.round(sc.total!.low), high: Math.round(sc.total!.high) },
              historical: Math.round(historical),
              equity: Math.round(historical + sc.total!.clv),
              atRisk,
              scored: n,
              histogram: histogram(clv),
              // What an incremental refresh needs to score changed customers like this run (incremental.ts).
              scoring: scoringState(id, runStart, model, spend, s, clv, tierSettings),
            } as unknown as Prisma.InputJsonValue,
          });
        } else {
          // Small-data mode: historical values and RFM only; tiers by historical value.
          const tiers = n > 0 ? valueTiers(s.revenue, await readTierRule(tx, workspaceId)) : [];
          rows = s.ids.map((cid, i) => ({
            customerId: cid,
            pAlive: null,
            e30: null,
            e90: null,
            e365: null,
            clv: null,
            clvLow: null,
            clvHigh: null,
            churnRisk: null,
            r: rfm!.r[i]!,
            f: rfm!.f[i]!,
            m: rfm!.m[i]!,
            segment: rfm!.segment[i]!,
            tier: tiers[i]!,
            historical: s.revenue[i]!,
            lastAt: s.lastAt[i]!,
          }));
        }

        await progress("writing scores", 85);
        await replaceScores(tx, workspaceId, id, rows, runStart);
        await progress("campaign rollups", 88);
        // Each of these steps sets its own statement limit and resets it to the role's default after.
        await refreshCampaignStats(tx, workspaceId, id); // campaign roi (issue 6)
        await progress("retention rollups", 91);
        await refreshRetentionRollups(tx, workspaceId, id); // retention (issue 7)
        await longStatements();
        await progress("segment snapshots", 94);
        await writeSegmentSnapshots(tx, workspaceId, id);
        await progress("rule segments", 97);
        await snapshotRuleSegments(tx, workspaceId, { reason: "recompute", modelRunId: id }); // rule segments (issue 5)
        const durationMs = Date.now() - started;
        await tx.modelRun.update({
          where: { workspaceId_id: { workspaceId, id } },
          data: { ...update, status: "succeeded", step: "done", progress: 100, finishedAt: new Date(), durationMs },
        });
        phases[phase] = (phases[phase] ?? 0) + Date.now() - phaseAt;
        log("recompute.done", { workspaceId, runId: id, customers: n, predictions: reason === null, durationMs, phases });
        return { status: "succeeded", runId: id, predictions: reason === null, customers: n, durationMs, runStart } as const;
      },
      { timeoutMs: opts.timeoutMs ?? 30 * 60_000 },
    );
    if (out.status === "succeeded") {
      // After commit, in its own short transaction: clearing the flag inside the scoring transaction
      // took the workspace row while the score inserts held key-share locks on customers, and an
      // import batch (workspace row, then customers FOR UPDATE) could deadlock with it. Writes after
      // runStart keep the workspace stale, so another refresh follows.
      await ledgerExec(prisma, workspaceId, (p) => p.$executeRaw`UPDATE workspaces SET metrics_stale_at = NULL WHERE id = ${workspaceId}::uuid AND metrics_stale_at <= ${out.runStart}`);
      const { runStart: _runStart, ...rest } = out;
      return rest;
    }
    return out;
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    logError("recompute.failed", { workspaceId, runId, error: e });
    if (runId) {
      await failRun(prisma, workspaceId, runId, msg, Date.now() - started).catch(() => undefined);
      return { status: "failed", runId, error: msg };
    }
    throw e;
  }
}

/** Equal-width histogram of predicted CLV (minor units), stored on the run for the Overview. */
function histogram(values: ArrayLike<number>): { from: number; to: number; customers: number }[] {
  const sorted = Float64Array.from(values).sort();
  if (sorted.length === 0) return [];
  // Clip the long tail at the 99th percentile so the bins stay readable; the last bin is open-ended.
  const lo = Math.max(0, sorted[0]!);
  const hi = sorted[Math.floor(0.99 * (sorted.length - 1))]!;
  const width = Math.max(1, (hi - lo) / HISTOGRAM_BINS);
  const bins = Array.from({ length: HISTOGRAM_BINS }, (_, i) => ({ from: Math.round(lo + i * width), to: Math.round(lo + (i + 1) * width), customers: 0 }));
  for (const v of sorted) {
    const b = Math.min(HISTOGRAM_BINS - 1, Math.max(0, Math.floor((v - lo) / width)));
    bins[b]!.customers++;
  }
  return bins;
}
