/**
 * The model fits of a full recompute beyond the workspace's own model: the holdout check (calibrate
 * on all but the last HOLDOUT_SHARE of the history, predict the rest) and the comparison of BG/NBD,
 * Pareto/NBD and MBG/NBD (log-likelihood, holdout error).
 */
import {
  ClvAbortedError,
  cumulativeTracking,
  fitBgNbd,
  fitModifiedBgNbd,
  fitParetoNbd,
  holdoutByFrequency,
  type HoldoutBin,
  type PurchaseModel,
} from "@valuelens/clv-core";
import type { Tx } from "@valuelens/db";
import { log } from "../../log.ts";
import { holdoutVerdict } from "./churn-risk.ts";
import { holdoutCustomers, readCalibration, seededSample, type CalibrationColumns, type SummaryColumns } from "./summaries.ts";

export const PURCHASE_MODELS = ["bgnbd", "pnbd", "mbgnbd"] as const;
export type PurchaseModelName = (typeof PURCHASE_MODELS)[number];

/** Below this many repeat buyers the models are not fitted (small-data mode). */
export const MIN_REPEAT_BUYERS = 100;

export function isPurchaseModel(v: string): v is PurchaseModelName {
  return (PURCHASE_MODELS as readonly string[]).includes(v);
}

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
 * Comparison fits run on at most COMPARISON_SAMPLE_MAX customers: a Pareto/NBD fit on 200,000
 * simulated Pareto/NBD customers (79,000 distinct rows) took 2.1 s at load 5. Where customers drop
 * out at one common rate, its lifetime parameters s, β grow without bound; clv-core now recognises that
 * ridge and reports the fit at its limit (`boundary`, see `boundaryNote`) instead of running into this
 * budget (on the 1M bench data it used to cost the full 30 s on every run).
 */
export const FIT_BUDGET_MS = { primary: 10 * 60_000, comparison: 30_000 } as const;

/**
 * At most this many customers (a seeded random sample, the same for every model) enter the model
 * comparison's log-likelihoods. Comparing three models on every customer of a 1M workspace cost
 * ≈ 40 s of the full run (Pareto/NBD alone ran into its budget); on 200,000 customers the
 * log-likelihood per customer of each model is within ≈ 0.01 of its full-data value (1M bench:
 * −31.87 vs −31.93 per customer), far below the gaps between models that matter.
 * The workspace's stored model is always fitted on all customers.
 */
export const COMPARISON_SAMPLE_MAX = 200_000;
const budget = (ms: number) => {
  const deadline = Date.now() + ms;
  return () => Date.now() > deadline;
};

export function fitPurchase(kind: PurchaseModelName, cols: Cols, initial?: Record<string, number>, budgetMs: number = FIT_BUDGET_MS.primary): PurchaseModel {
  // Warm start from the previous run's parameters when there are any (same optimum, fewer iterations).
  const o = { shouldStop: budget(budgetMs), ...(initial ? { initial } : {}) };
  if (kind === "pnbd") return fitParetoNbd(cols, o);
  if (kind === "mbgnbd") return fitModifiedBgNbd(cols, o);
  return fitBgNbd(cols, o);
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

/** The holdout figures of a model fitted on the calibration data; the tracking curve only when asked (it is shown for the workspace's model only). */
function holdoutMetrics(
  model: PurchaseModel,
  cal: Parameters<typeof holdoutByFrequency>[1] & { holdoutByDay: Int32Array; sampledFrom: number | null },
  days: number,
  calEndDay: number,
  withTracking: boolean,
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
    tracking: withTracking ? tracking(model, cal, days) : [],
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

/**
 * Plain words for a fit whose likelihood rises towards the edge of its parameter space (clv-core's
 * `FittedModel.boundary`), for the comparison row's "converged" column; times are in days here.
 */
export function boundaryNote(model: PurchaseModel): string | null {
  const b = model.boundary;
  if (!b) return null;
  const mu = b.limitParams.mu;
  if (b.limit === "common-dropout-rate" && mu !== undefined && mu > 0) {
    return `Every customer seems to share one dropout rate (an average lifetime of about ${formatDays(1 / mu)}), so Pareto/NBD's heterogeneity parameters s and β grow without bound; shown at that limit.`;
  }
  const p = b.limitParams.p;
  if (b.limit === "common-dropout-probability" && p !== undefined && p > 0) {
    const label = model.kind === "mbg-nbd" ? "MBG/NBD" : "BG/NBD";
    return `Every customer seems to share one chance of dropping out after each purchase (${(p * 100).toPrecision(2)} %), so ${label}'s heterogeneity parameters a and b grow without bound; shown at that limit.`;
  }
  return b.message;
}

function formatDays(d: number): string {
  return d >= 1000 ? `${Math.round(d).toLocaleString("en-US")} days` : `${Number(d.toPrecision(2))} days`;
}

/** How many customers a comparison row was computed on; `sampledFrom` = all customers when it was a random sample. */
interface ComparedOn {
  customers: number;
  sampledFrom: number | null;
}

export type ComparisonRow =
  | ({ model: PurchaseModelName; logLikelihood: number; converged: boolean; holdoutErrorPct: number | null; params: object; note?: string } & ComparedOn)
  | ({ model: PurchaseModelName; unfinished: string } & ComparedOn);

export interface CompareOptions {
  /** Models to compare (default all three; the workspace's own model always takes part). */
  kinds?: readonly PurchaseModelName[];
  budgets?: { primary: number; comparison: number };
  /** Override HOLDOUT_SAMPLE_MAX (tests). */
  holdoutSampleMax?: number;
  /** Override COMPARISON_SAMPLE_MAX (tests). */
  comparisonSampleMax?: number;
  /**
   * The calibration data, already read by readHoldoutCalibration over the same summaries (a full run
   * reads it on a second connection while it fits and scores); without it compareModels reads it in `tx`.
   */
  calibration?: CalibrationColumns;
  /** Called before each model's fits (progress). */
  onModel?: (model: PurchaseModelName, index: number, count: number) => Promise<unknown>;
  /** Filled with the milliseconds each part took (benchmarks). */
  timings?: Record<string, number>;
}

/**
 * The holdout check's data: calibration summaries (up to the calibration end) and holdout purchases of
 * (a seeded sample of) the customers of `s` who had bought by the calibration end, read from orders in
 * `tx` — one scan of the workspace's orders (5.7–7.6 s at 1M customers / 9.5M orders).
 */
export async function readHoldoutCalibration(
  tx: Tx,
  workspaceId: string,
  s: Pick<SummaryColumns, "ids" | "T" | "cutoffDay">,
  holdoutDays: number,
  opts: Pick<CompareOptions, "holdoutSampleMax" | "timings"> = {},
): Promise<CalibrationColumns> {
  const timings = opts.timings ?? {};
  const calEnd = s.cutoffDay - holdoutDays;
  let t = performance.now();
  const sample = holdoutCustomers(s, calEnd, workspaceId, opts.holdoutSampleMax);
  timings["holdout sample"] = (timings["holdout sample"] ?? 0) + performance.now() - t;
  t = performance.now();
  try {
    return await readCalibration(tx, workspaceId, calEnd, holdoutDays, sample);
  } finally {
    timings["calibration read"] = (timings["calibration read"] ?? 0) + performance.now() - t;
  }
}

/**
 * Holdout check of the workspace's model and comparison of the purchase models: calibration
 * summaries of (a seeded sample of) the customers who had bought by the calibration end, each model
 * fitted on them; and each model's log-likelihood on the full history of all customers, or of a
 * seeded sample of COMPARISON_SAMPLE_MAX of them (every model on the same customers).
 * `model` is the workspace's model, already fitted on all of `s`.
 */
export async function compareModels(
  tx: Tx,
  workspaceId: string,
  s: SummaryColumns,
  kind: PurchaseModelName,
  model: PurchaseModel,
  holdoutDays: number,
  opts: CompareOptions = {},
): Promise<{ holdout: HoldoutResult | null; comparison: ComparisonRow[] }> {
  const budgets = opts.budgets ?? FIT_BUDGET_MS;
  const timings = opts.timings ?? {};
  const time = async <T>(label: string, fn: () => T | Promise<T>): Promise<T> => {
    // Each fit holds this process's one thread for up to seconds: let pending I/O through first, so the
    // retention rollups running beside the check (refreshDerived) send their next statement without
    // waiting for every fit to finish.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const t = performance.now();
    try {
      return await fn();
    } finally {
      timings[label] = (timings[label] ?? 0) + performance.now() - t;
    }
  };
  const calEnd = s.cutoffDay - holdoutDays;
  const cal = opts.calibration ?? (await readHoldoutCalibration(tx, workspaceId, s, holdoutDays, opts));
  const calOk = cal.repeatBuyers >= MIN_REPEAT_BUYERS && cal.frequency.length > 0;
  const kinds = opts.kinds ?? PURCHASE_MODELS;
  // Only a comparison of several models uses the sample (a lone workspace model keeps its all-customer fit).
  const picked = kinds.length > 1 ? seededSample(Array.from(s.ids, (_, i) => i), opts.comparisonSampleMax ?? COMPARISON_SAMPLE_MAX, `${workspaceId}/comparison`) : null;
  picked?.sort((a, b) => a - b);
  const on: ComparedOn = { customers: picked ? picked.length : s.ids.length, sampledFrom: picked ? s.ids.length : null };
  const pick = (a: Float64Array) => (picked ? Float64Array.from(picked, (i) => a[i]!) : a);
  const compared = picked ? { frequency: pick(s.frequency), recency: pick(s.recency), T: pick(s.T) } : s;
  const comparison: ComparisonRow[] = [];
  let holdout: HoldoutResult | null = null;
  let k = 0;
  for (const other of kinds) {
    await opts.onModel?.(other, k++, kinds.length);
    try {
      // Each fit of another model has its own short budget; the workspace's model the primary one.
      // The holdout first: the workspace's holdout check does not depend on its comparison fit.
      const budgetMs = other === kind ? budgets.primary : budgets.comparison;
      let h: HoldoutResult | null = null;
      if (calOk) {
        const calModel = await time(`calibration fit ${other}`, () => fitPurchase(other, cal, undefined, budgetMs));
        h = await time(`holdout metrics ${other}`, () => holdoutMetrics(calModel, cal, holdoutDays, calEnd, other === kind));
      }
      if (other === kind) holdout = h;
      // The workspace's model is fitted on all customers already: reused when the comparison is on all of them.
      const full = other === kind && !picked ? model : await time(`comparison fit ${other}`, () => fitPurchase(other, compared, undefined, budgetMs));
      const note = boundaryNote(full);
      comparison.push({ model: other, logLikelihood: full.logLikelihood, converged: full.converged, holdoutErrorPct: h?.errorPct ?? null, params: full.params, ...(note ? { note } : {}), ...on });
    } catch (e) {
      if (!(e instanceof ClvAbortedError)) throw e;
      const secs = Math.round((other === kind ? budgets.primary : budgets.comparison) / 1000);
      log("recompute.fit_budget_exceeded", { workspaceId, model: other, budgetSeconds: secs });
      comparison.push({ model: other, unfinished: `Did not finish fitting within ${secs} s on this data.`, ...on });
    }
  }
  return { holdout, comparison };
}
