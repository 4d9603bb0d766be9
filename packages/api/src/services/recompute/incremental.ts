/**
 * Incremental score refresh: after a data write, rescore only the customers whose summary changed
 * since the last run, with that run's fitted models, RFM cut points and value-tier thresholds.
 *
 * Why: a full recompute at 1,000,000 customers reads every summary, refits and rewrites every score
 * (minutes on this machine); 10,000 new orders touch at most 10,000 customers, and issue 9 asks for
 * their refreshed predictions within 5 s. Refitting on 1 % more data moves the parameters by a
 * fraction of their standard errors, so the previous fit scores the changed customers as well as a
 * new one would; the nightly (or any manual) full run refits and rescores everyone, and a refresh
 * falls back to a full ("fast") run when its base is old, the tier rule changed, or too many
 * customers changed.
 *
 * What it keeps exact: each changed customer's P(alive), expected purchases, CLV and range,
 * churn band, historical value, RFM scores and tier against the base population's cut points (a
 * customer's score is what it would have been had it been in the scored population, within one
 * quintile band; clv-core quintileBreaks). What it adjusts: the run's totals (sums move by the
 * changed customers' old and new values; the total range is scaled with the total). What waits for
 * the next full run: the aggregate snapshots (RFM map, tiers, campaign and retention rollups, rule
 * segment counts), which are per full run.
 */
import {
  quintileBreaks,
  quintileScoreOf,
  rfmSegment,
  tierOf,
  tierThresholds,
  type GammaGammaModel,
  type PurchaseModel,
  type QuintileBreaks,
  type TierThresholds,
} from "@valuelens/clv-core";
import type { Tx } from "@valuelens/db";
import { ZTierSettings, type TTierSettings } from "@valuelens/validators";
import { tierRuleOf } from "../segments/tier-settings.ts";
import type { SummaryColumns } from "./summaries.ts";

/** A refresh rescores at most this share of the scored customers (else a full run is cheaper to reason about). */
export const INCREMENTAL_MAX_SHARE = 0.05;
/** …but always allows this many, so small workspaces refresh incrementally too. */
export const INCREMENTAL_MIN_CUSTOMERS = 1_000;
/** The fitted models are reused for this long after their fit (the nightly run refits). */
export const INCREMENTAL_MAX_AGE_MS = 24 * 3_600_000;
/**
 * A write transaction that began before the base run and committed after the run read the
 * summaries stamps an earlier time (now() is the transaction start): summaries written in this
 * margin before the run's start count as changed when they no longer match the stored score
 * (summaries.ts changedSql). Written after the start: changed.
 */
export const INCREMENTAL_MARGIN_MS = 5 * 60_000;

/** What a run with predictions stores (in totals.scoring) so later refreshes can score like it. */
export interface ScoringState {
  version: 2;
  /** The run that fitted the models, and when it started. */
  fittedRunId: string;
  fittedAt: string;
  purchase: PurchaseModel;
  spend: GammaGammaModel;
  cutoffDay: number;
  rfm: { r: QuintileBreaks; f: QuintileBreaks; m: QuintileBreaks };
  /** The workspace's tier settings when the thresholds were set (a change of settings needs a full run). */
  tierSettings: TTierSettings;
  tiers: TierThresholds;
}

export function scoringState(runId: string, runStart: Date, purchase: PurchaseModel, spend: GammaGammaModel, s: SummaryColumns, clv: ArrayLike<number>, tierSettings: TTierSettings): ScoringState {
  return {
    version: 2,
    fittedRunId: runId,
    fittedAt: runStart.toISOString(),
    purchase,
    spend,
    cutoffDay: s.cutoffDay,
    rfm: { r: quintileBreaks(s.daysSinceLast, false), f: quintileBreaks(s.frequency, true), m: quintileBreaks(s.revenue, true) },
    tierSettings,
    tiers: tierThresholds(clv, tierRuleOf(tierSettings)),
  };
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
/** JSON turned NaN (a singular Hessian's standard errors and covariance) into null: turn it back. */
const nanOf = (v: unknown): number => (typeof v === "number" ? v : NaN);
function revive<T extends { covariance: number[][]; standardErrors: object }>(m: T): T {
  return {
    ...m,
    covariance: (m.covariance as unknown[][]).map((row) => row.map(nanOf)),
    standardErrors: Object.fromEntries(Object.entries(m.standardErrors).map(([k, v]) => [k, nanOf(v)])),
  };
}
const isBreaks = (v: unknown): v is QuintileBreaks =>
  isObj(v) && typeof v.higherIsBetter === "boolean" && typeof v.n === "number" && Array.isArray(v.breaks) && v.breaks.every((b) => typeof b === "number");

/** The stored state, or null when it is missing or not of this version (then a full run follows). */
export function readScoringState(totals: unknown): ScoringState | null {
  if (!isObj(totals) || !isObj(totals.scoring)) return null;
  const s = totals.scoring;
  if (s.version !== 2 || typeof s.fittedRunId !== "string" || typeof s.fittedAt !== "string" || typeof s.cutoffDay !== "number") return null;
  if (!isObj(s.purchase) || !isObj(s.spend) || !isObj(s.rfm) || !isObj(s.tiers) || !ZTierSettings.safeParse(s.tierSettings).success) return null;
  const { purchase, spend, rfm, tiers } = s;
  if (!isObj(purchase.params) || !Array.isArray(purchase.covariance) || !Array.isArray(purchase.paramOrder) || !isObj(purchase.standardErrors)) return null;
  if (!isObj(spend.params) || !Array.isArray(spend.covariance) || !Array.isArray(spend.paramOrder) || !isObj(spend.standardErrors)) return null;
  if (!Object.values(purchase.params).every((v) => typeof v === "number" && Number.isFinite(v))) return null;
  if (!Object.values(spend.params).every((v) => typeof v === "number" && Number.isFinite(v))) return null;
  if (!isBreaks(rfm.r) || !isBreaks(rfm.f) || !isBreaks(rfm.m) || typeof tiers.high !== "number" || typeof tiers.medium !== "number") return null;
  return {
    ...(s as unknown as ScoringState),
    purchase: revive(purchase as unknown as PurchaseModel),
    spend: revive(spend as unknown as GammaGammaModel),
  };
}

/** RFM scores and segment of one customer against the base population's cut points. */
export function rfmOf(state: ScoringState, daysSinceLast: number, frequency: number, revenue: number): { r: number; f: number; m: number; segment: string } {
  const r = quintileScoreOf(daysSinceLast, state.rfm.r);
  const f = quintileScoreOf(frequency, state.rfm.f);
  const m = quintileScoreOf(revenue, state.rfm.m);
  return { r, f, m, segment: rfmSegment(r, f, m) };
}

export const tierUnder = (state: ScoringState, clv: number) => tierOf(clv, state.tiers);

/** The stored scores of some customers before a refresh replaces them (for the totals' deltas). */
export interface OldScore {
  clv: number | null;
  historical: number;
  atRisk: boolean;
}

export async function readOldScores(tx: Tx, workspaceId: string, ids: string[]): Promise<OldScore[]> {
  if (ids.length === 0) return [];
  const rows = await tx.$queryRaw<{ clv: string | null; hist: string | null; risk: string | null }[]>`
    SELECT predicted_clv_minor::text AS clv, historical_clv_minor::text AS hist, churn_risk AS risk
      FROM customer_scores WHERE workspace_id = ${workspaceId}::uuid AND customer_id = ANY(${ids}::uuid[])`;
  return rows.map((r) => ({ clv: r.clv === null ? null : Number(r.clv), historical: Number(r.hist ?? 0), atRisk: r.risk === "high" }));
}

/** Deletes the scores of changed customers who have no order left (all refunded away or deleted), returning them. */
export async function dropScoresWithoutOrders(tx: Tx, workspaceId: string, since: Date): Promise<OldScore[]> {
  const rows = await tx.$queryRaw<{ clv: string | null; hist: string | null; risk: string | null }[]>`
    DELETE FROM customer_scores s USING customers c
     WHERE s.workspace_id = ${workspaceId}::uuid AND c.workspace_id = ${workspaceId}::uuid AND c.id = s.customer_id
       AND c.summary_updated_at >= ${since} AND c.purchase_days = 0
    RETURNING s.predicted_clv_minor::text AS clv, s.historical_clv_minor::text AS hist, s.churn_risk AS risk`;
  return rows.map((r) => ({ clv: r.clv === null ? null : Number(r.clv), historical: Number(r.hist ?? 0), atRisk: r.risk === "high" }));
}

interface Totals {
  /** low/high are null when the run could not bound the total (a singular information matrix). */
  predicted12m: { clv: number; low: number | null; high: number | null };
  historical: number;
  equity: number;
  atRisk: number;
  scored: number;
  histogram: { from: number; to: number; customers: number }[];
}

function binOf(bins: Totals["histogram"], v: number): number {
  let b = 0;
  for (let i = 1; i < bins.length; i++) if (v >= bins[i]!.from) b = i;
  return b;
}

/**
 * The base run's totals moved by the refresh: old values out, new values in. The predicted total's
 * range keeps its relative width (the total's interval comes from the parameters' uncertainty,
 * shared by all customers, so it scales with the total).
 */
export function adjustTotals(base: Totals, removed: OldScore[], added: { clv: number; historical: number; atRisk: boolean }[]): Totals {
  const histogram = base.histogram.map((b) => ({ ...b }));
  let dClv = 0;
  let dHist = 0;
  let dRisk = 0;
  for (const o of removed) {
    if (o.clv !== null) {
      dClv -= o.clv;
      const b = histogram[binOf(histogram, o.clv)];
      if (b) b.customers = Math.max(0, b.customers - 1);
    }
    dHist -= o.historical;
    if (o.atRisk) dRisk--;
  }
  for (const a of added) {
    dClv += Math.round(a.clv);
    const b = histogram[binOf(histogram, a.clv)];
    if (b) b.customers++;
    dHist += a.historical;
    if (a.atRisk) dRisk++;
  }
  const clv = base.predicted12m.clv + dClv;
  const scale = base.predicted12m.clv > 0 ? clv / base.predicted12m.clv : 1;
  const historical = base.historical + dHist;
  return {
    predicted12m: {
      clv,
      low: base.predicted12m.low === null ? null : Math.round(base.predicted12m.low * scale),
      high: base.predicted12m.high === null ? null : Math.round(base.predicted12m.high * scale),
    },
    historical,
    equity: historical + clv,
    atRisk: base.atRisk + dRisk,
    scored: base.scored - removed.filter((o) => o.clv !== null).length + added.length,
    histogram,
  };
}

export function readTotals(v: unknown): Totals | null {
  if (!isObj(v) || !isObj(v.predicted12m) || !Array.isArray(v.histogram)) return null;
  const p = v.predicted12m;
  const bound = (v: unknown) => (typeof v === "number" ? v : null);
  if (typeof p.clv !== "number") return null;
  if (typeof v.historical !== "number" || typeof v.atRisk !== "number" || typeof v.scored !== "number") return null;
  return {
    predicted12m: { clv: p.clv, low: bound(p.low), high: bound(p.high) },
    historical: v.historical,
    equity: v.historical + p.clv,
    atRisk: v.atRisk,
    scored: v.scored,
    histogram: (v.histogram as unknown[]).filter(isObj).map((b) => ({ from: Number(b.from), to: Number(b.to), customers: Number(b.customers) })),
  };
}
