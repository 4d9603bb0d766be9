/**
 * Retention: cohort matrices, retention curves with sBG projections, repeat-purchase rates.
 * Everything reads customer_months (kept current on write) and customers, never orders.
 * Cohort = calendar month (or quarter) of the customer's first non-refunded order, workspace time zone.
 * The period holding the last month with data is "incomplete": flagged, never shown as a drop.
 * Each procedure reads the precomputed retention_rollups while they are fresh (retention-rollups.ts)
 * and otherwise runs the live queries below (same numbers; small workspaces and right after a write).
 * Rows that depend on the scores (forecasts, RFM-segment and tier splits) are read from the rollups
 * only when the latest run built them, so they always match the Customers page (rollupsFor).
 */
import { fitShiftedBetaGeometric, mulberry32, quantileSorted, sampleParameters, sbgSurvival, type SbgModel } from "@valuelens/clv-core";
import type { Tx } from "@valuelens/db";
import { WEEK_COHORTS_DEFAULT, type TCohortGrain, type TCohortSplit } from "@valuelens/validators";
import { divRound } from "./overview.ts";
import { MONTH_IDX, PRED_K, PRED_SUMS, PRED_WHERE, ROLLUP_WINDOWS, readRetentionFreshness, rollupsFor, scoresJoin, SPLIT_KEY, WEEK_IDX } from "./retention-rollups.ts";

export interface CohortCell {
  /** Periods since the cohort's period (0 = acquisition period). */
  period: number;
  /** Customers of the cohort with an order in that period. */
  active: number;
  revenueMinor: string;
  marginMinor: string;
  /** The period is not over yet at the data cut-off: not a drop. */
  incomplete: boolean;
}

export interface CohortRow {
  /** Split key ("" for none / unknown). */
  group: string;
  groupLabel: string;
  /** First day of the cohort's period, YYYY-MM-DD. */
  cohort: string;
  size: number;
  /** Spend ÷ cohort size for campaigns attributed to this row's group in its period (blended without a split). */
  cacMinor: string | null;
  cells: CohortCell[];
  /**
   * Month grain only: what the purchase and spend models (latest scores) expect this cohort's scored
   * customers to add after the data cut-off, cumulative after 1, 3 and 12 months, with the 12-month
   * 80 % range (minor units, whole cohort). null for other grains or when no customer has a prediction.
   */
  forecast: CohortForecast | null;
}

export interface CohortForecast {
  /** Customers of the cohort with a prediction (the rest add nothing to the forecast). */
  scored: number;
  m1Minor: string;
  m3Minor: string;
  m12Minor: string;
  lowMinor: string;
  highMinor: string;
}

export interface CohortMatrix {
  currency: string;
  grain: TCohortGrain;
  split: TCohortSplit;
  /** The split group whose cohorts `rows` hold, or null for every group. */
  group: string | null;
  /** First day of the last month with orders (treated as incomplete), or null without data. */
  lastDataMonth: string | null;
  /**
   * Week grain only (null otherwise): the weekly cohorts shown (`from`..`until`, Mondays, at most
   * `weeks` of them) and the earliest / latest weekly cohort there is (for paging to older ones).
   */
  window: { weeks: number; from: string; until: string; first: string | null; last: string | null } | null;
  rows: CohortRow[];
}

export interface CohortGroup {
  /** Split key ("" = none / unknown). */
  value: string;
  label: string;
  /** Customers with a first order in the group. */
  customers: number;
}

export function monthIndex(d: Date | string): number {
  const s = typeof d === "string" ? d : d.toISOString();
  return Number(s.slice(0, 4)) * 12 + Number(s.slice(5, 7)) - 1;
}

export function monthStart(idx: number): string {
  const y = Math.floor(idx / 12);
  return `${String(y).padStart(4, "0")}-${String((idx % 12) + 1).padStart(2, "0")}-01`;
}

/**
 * The cohort queries join every active customer-period of a workspace with its customers: hash joins
 * are right at every size. With statistics gathered while the tables were small the planner picks a
 * nested loop instead (measured on 300,000 customers: not done after 300 s; 3.5 s with hash joins), so forbid it for the
 * rest of this read-only procedure's transaction.
 */
async function preferHashJoins(tx: Tx): Promise<void> {
  await tx.$executeRawUnsafe("SET LOCAL enable_nestloop = off");
}

async function lastDataMonthIndex(tx: Tx, workspaceId: string): Promise<number | null> {
  const r = await tx.monthlyRollup.findFirst({ where: { workspaceId, orders: { gt: 0 } }, orderBy: { month: "desc" }, select: { month: true } });
  return r ? monthIndex(r.month) : null;
}

async function groupLabels(tx: Tx, workspaceId: string, split: TCohortSplit): Promise<(key: string) => string> {
  if (split === "none") return () => "All customers";
  if (split === "channel") return (k) => (k === "" ? "Unknown channel" : k);
  if (split === "segment") return (k) => (k === "" ? "Not scored yet" : k);
  if (split === "tier") return (k) => (k === "" ? "Not scored yet" : `${k.charAt(0).toUpperCase()}${k.slice(1)} value`);
  const campaigns = await tx.campaign.findMany({ where: { workspaceId }, select: { id: true, name: true } });
  const names = new Map(campaigns.map((c) => [c.id, c.name]));
  return (k) => (k === "" ? "No campaign" : (names.get(k) ?? "Unknown campaign"));
}

const DAY_MS = 86_400_000;
const EPOCH_MONDAY = Date.UTC(1970, 0, 5);
/** ISO-week index of a YYYY-MM-DD day (weeks since Monday 1970-01-05), as WEEK_IDX in SQL. */
export function weekIndex(day: string): number {
  return Math.floor((Date.parse(`${day}T00:00:00Z`) - EPOCH_MONDAY) / (7 * DAY_MS));
}
export function weekStart(idx: number): string {
  return new Date(EPOCH_MONDAY + idx * 7 * DAY_MS).toISOString().slice(0, 10);
}

/**
 * Cohort matrix of a grain and split. With `group`, only that split group's cohorts (the page shows one
 * group at a time; a split's matrix holds every group's cells). Weekly cohorts come `weeks` at a time, the
 * latest up to the week holding `until` (a workspace has ~52 weekly cohorts a year, each with a cell per
 * week since: the whole matrix is tens of thousands of cells).
 */
export async function getCohortMatrix(
  tx: Tx,
  workspace: { id: string; currency: string; timezone: string },
  opts: { grain: TCohortGrain; split: TCohortSplit; group?: string | undefined; weeks?: number | undefined; until?: string | undefined },
): Promise<CohortMatrix> {
  const ws = workspace.id;
  const group = opts.group ?? null;
  const fresh = rollupsFor(await readRetentionFreshness(tx, ws), opts.split);
  const last = fresh ? fresh.lastMonth : await lastDataMonthIndex(tx, ws);
  const week = opts.grain === "week";
  const base = { currency: workspace.currency, grain: opts.grain, split: opts.split, group };
  if (last === null) return { ...base, lastDataMonth: null, window: null, rows: [] };
  const div = opts.grain === "quarter" ? 3 : 1;
  let lastP = Math.floor(last / div);
  if (week) {
    if (fresh) lastP = fresh.lastWeek ?? 0;
    else {
      const lw = await tx.customerWeek.findFirst({ where: { workspaceId: ws }, orderBy: { week: "desc" }, select: { week: true } });
      lastP = lw ? Math.floor((lw.week.getTime() - EPOCH_MONDAY) / (7 * DAY_MS)) : 0;
    }
  }
  // Weekly cohorts shown: [lo, hi] (week indexes), ending at `until` or else the latest weekly cohort (not the
  // latest data week: a workspace without new customers lately would otherwise show an empty window).
  let lo = Number.MIN_SAFE_INTEGER;
  let hi = Number.MAX_SAFE_INTEGER;
  const setWindow = (latestCohort: number | null) => {
    hi = Math.min(lastP, opts.until === undefined ? (latestCohort ?? lastP) : weekIndex(opts.until));
    lo = hi - (opts.weeks ?? WEEK_COHORTS_DEFAULT) + 1;
  };
  type Cell = { grp: string; c0: number; p: number; active: number; rev: string; mar: string };
  let rows: Cell[];
  let span: { first: number | null; last: number | null } = { first: null, last: null };
  if (fresh) {
    const args: unknown[] = [ws, opts.grain, opts.split];
    let where = "workspace_id = $1::uuid AND kind = 'cell' AND grain = $2 AND split = $3 AND w = 0";
    if (group !== null) where += ` AND grp = $${args.push(group)}`;
    if (week) {
      const [s] = await tx.$queryRawUnsafe<{ first: number | null; last: number | null }[]>(`SELECT min(c0) AS first, max(c0) AS last FROM retention_rollups WHERE ${where} AND k = 0`, ...args);
      span = s ?? span;
      setWindow(span.last);
      where += ` AND c0 BETWEEN $${args.push(lo)} AND $${args.push(hi)}`;
    }
    // Column arrays in one JSON value: a JSON object per cell cost 4× more to build than the query itself.
    const [r] = await tx.$queryRawUnsafe<{ j: string | null }[]>(
      `SELECT json_build_object('grp', array_agg(grp), 'c0', array_agg(c0), 'k', array_agg(k), 'n', array_agg(customers),
                                'rev', array_agg(revenue_minor::text), 'mar', array_agg(margin_minor::text))::text AS j
         FROM retention_rollups WHERE ${where}`,
      ...args,
    );
    const cols = JSON.parse(r?.j ?? "{}") as { grp: string[] | null; c0: number[] | null; k: number[] | null; n: number[] | null; rev: string[] | null; mar: string[] | null };
    rows = (cols.c0 ?? []).map((c0, i) => ({ grp: cols.grp![i]!, c0, p: c0 + cols.k![i]!, active: cols.n![i]!, rev: cols.rev![i]!, mar: cols.mar![i]! }));
  } else {
    await preferHashJoins(tx);
    // Periods are integers: month index (÷ 3 for quarters), or days since 1970-01-05 (a Monday) ÷ 7 for ISO weeks.
    const periodOf = week ? WEEK_IDX : (col: string) => `(${MONTH_IDX(col)} / $3)`;
    const args: unknown[] = [ws, workspace.timezone, div];
    rows = await tx.$queryRawUnsafe<Cell[]>(
      `WITH c AS (
         SELECT c.id, date_trunc('${week ? "week" : "month"}', c.first_order_at AT TIME ZONE $2)::date AS cm, ${SPLIT_KEY[opts.split].expr} AS grp
           FROM customers c ${scoresJoin(opts.split)}
          WHERE c.workspace_id = $1 AND c.first_order_at IS NOT NULL${group === null ? "" : ` AND ${SPLIT_KEY[opts.split].expr} = $${args.push(group)}`}
       )
       SELECT c.grp, ${periodOf("c.cm")}::int AS c0, ${periodOf(week ? "m.week" : "m.month")}::int AS p,
              ${div === 1 ? "count(*)" : "count(DISTINCT m.customer_id)"}::int AS active,
              sum(m.revenue_minor)::text AS rev, sum(m.margin_minor)::text AS mar
         FROM ${week ? "customer_weeks" : "customer_months"} m JOIN c ON c.id = m.customer_id
        WHERE m.workspace_id = $1 AND $3::int > 0
        GROUP BY 1, 2, 3`,
      ...args,
    );
    if (week) {
      for (const r of rows) {
        if (r.p !== r.c0) continue;
        span = { first: span.first === null ? r.c0 : Math.min(span.first, r.c0), last: span.last === null ? r.c0 : Math.max(span.last, r.c0) };
      }
      setWindow(span.last);
      rows = rows.filter((r) => r.c0 >= lo && r.c0 <= hi);
    }
  }
  const spend = week || SPLIT_KEY[opts.split].scores ? new Map<string, bigint>() : await spendByGroupPeriod(tx, workspace, opts.split, div);
  const forecasts = opts.grain === "month" ? await cohortForecasts(tx, workspace, opts.split, fresh?.scoresCurrent === true, group) : new Map<string, CohortForecast>();
  const label = await groupLabels(tx, ws, opts.split);
  const byRow = new Map<string, { grp: string; c0: number; cells: Map<number, (typeof rows)[number]> }>();
  for (const r of rows) {
    const key = `${r.grp}\u0000${r.c0}`;
    let row = byRow.get(key);
    if (!row) byRow.set(key, (row = { grp: r.grp, c0: r.c0, cells: new Map() }));
    row.cells.set(r.p - r.c0, r);
  }
  const periodStart = (p: number) => (week ? weekStart(p) : monthStart(p * div));
  const out: CohortRow[] = [];
  for (const row of byRow.values()) {
    const size = row.cells.get(0)?.active ?? 0;
    if (size === 0) continue;
    const cells: CohortCell[] = [];
    for (let k = 0; row.c0 + k <= lastP; k++) {
      const c = row.cells.get(k);
      cells.push({ period: k, active: c?.active ?? 0, revenueMinor: c?.rev ?? "0", marginMinor: c?.mar ?? "0", incomplete: row.c0 + k >= lastP });
    }
    const s = spend.get(`${row.grp}\u0000${row.c0}`);
    out.push({
      group: row.grp,
      groupLabel: label(row.grp),
      cohort: periodStart(row.c0),
      size,
      cacMinor: s && s > 0n ? divRound(s, BigInt(size)).toString() : null,
      cells,
      forecast: forecasts.get(`${row.grp}\u0000${row.c0}`) ?? null,
    });
  }
  out.sort((a, b) => (a.groupLabel === b.groupLabel ? a.cohort.localeCompare(b.cohort) : a.groupLabel.localeCompare(b.groupLabel)));
  const window = week
    ? { weeks: hi - lo + 1, from: weekStart(lo), until: weekStart(hi), first: span.first === null ? null : weekStart(span.first), last: span.last === null ? null : weekStart(span.last) }
    : null;
  return { ...base, lastDataMonth: monthStart(last), window, rows: out };
}

/**
 * The groups of a split with their customers (the page's group selector; sorted by label). While the
 * rollups are fresh: the quarter cells' cohort sizes (fewest rows of any grain); otherwise counted live.
 */
export async function getCohortGroups(tx: Tx, workspace: { id: string }, split: TCohortSplit): Promise<{ split: TCohortSplit; groups: CohortGroup[] }> {
  const ws = workspace.id;
  const fresh = rollupsFor(await readRetentionFreshness(tx, ws), split);
  let rows: { grp: string; n: number }[];
  if (fresh) {
    rows = await tx.$queryRawUnsafe<{ grp: string; n: number }[]>(
      `SELECT grp, sum(customers)::int AS n FROM retention_rollups
        WHERE workspace_id = $1::uuid AND kind = 'cell' AND grain = 'quarter' AND split = $2 AND w = 0 AND k = 0 GROUP BY grp`,
      ws,
      split,
    );
  } else {
    await preferHashJoins(tx);
    // The matrix's cohorts are customers with a first order and a purchase month: count those.
    rows = await tx.$queryRawUnsafe<{ grp: string; n: number }[]>(
      `SELECT ${SPLIT_KEY[split].expr} AS grp, count(*)::int AS n
         FROM customers c ${scoresJoin(split)}
        WHERE c.workspace_id = $1::uuid AND c.first_order_at IS NOT NULL
          AND EXISTS (SELECT 1 FROM customer_months m WHERE m.workspace_id = c.workspace_id AND m.customer_id = c.id)
        GROUP BY 1`,
      ws,
    );
  }
  const label = await groupLabels(tx, ws, split);
  const groups = rows.filter((r) => r.n > 0).map((r) => ({ value: r.grp, label: label(r.grp), customers: r.n }));
  groups.sort((a, b) => a.label.localeCompare(b.label));
  return { split, groups };
}

/** Rows of a query whose single column is a JSON object per row, fetched as one JSON array. */
async function readJsonRows<T>(tx: Tx, sql: string, ...args: unknown[]): Promise<T[]> {
  const [r] = await tx.$queryRawUnsafe<{ j: string }[]>(`SELECT coalesce(json_agg(q.o), '[]')::text AS j FROM (${sql}) AS q(o)`, ...args);
  return JSON.parse(r?.j ?? "[]") as T[];
}

/** Cohort LTV forecasts per (split group, cohort month): from the rollups while fresh, else live from the scores. */
async function cohortForecasts(tx: Tx, workspace: { id: string; timezone: string }, split: TCohortSplit, fresh: boolean, group: string | null): Promise<Map<string, CohortForecast>> {
  type F = { grp: string; c0: number; scored: number; m1: string; m3: string; m12: string; lo: string; hi: string };
  let rows: F[];
  if (fresh) {
    const pick = (col: keyof typeof PRED_K) => `max(revenue_minor) FILTER (WHERE k = ${PRED_K[col]})::text AS ${col}`;
    rows = await tx.$queryRawUnsafe<F[]>(
      `SELECT grp, c0, max(customers)::int AS scored, ${(Object.keys(PRED_K) as (keyof typeof PRED_K)[]).map(pick).join(", ")}
         FROM retention_rollups WHERE workspace_id = $1::uuid AND kind = 'pred' AND grain = 'month' AND split = $2 AND w = 0${group === null ? "" : " AND grp = $3"}
        GROUP BY grp, c0`,
      ...[workspace.id, split, ...(group === null ? [] : [group])],
    );
  } else {
    rows = await tx.$queryRawUnsafe<F[]>(
      `SELECT g.grp, g.c0, g.scored, g.m1::text, g.m3::text, g.m12::text, g.lo::text, g.hi::text FROM (
         SELECT ${SPLIT_KEY[split].expr} AS grp, ${MONTH_IDX("date_trunc('month', c.first_order_at AT TIME ZONE $2)::date")} AS c0, ${PRED_SUMS}
           FROM customers c JOIN customer_scores s ON s.workspace_id = c.workspace_id AND s.customer_id = c.id
          WHERE c.workspace_id = $1::uuid AND c.first_order_at IS NOT NULL AND ${PRED_WHERE}${group === null ? "" : ` AND ${SPLIT_KEY[split].expr} = $3`}
          GROUP BY 1, 2) g`,
      ...[workspace.id, workspace.timezone, ...(group === null ? [] : [group])],
    );
  }
  const out = new Map<string, CohortForecast>();
  for (const r of rows) {
    if (r.scored <= 0) continue;
    out.set(`${r.grp}\u0000${r.c0}`, { scored: r.scored, m1Minor: r.m1 ?? "0", m3Minor: r.m3 ?? "0", m12Minor: r.m12 ?? "0", lowMinor: r.lo ?? "0", highMinor: r.hi ?? "0" });
  }
  return out;
}

/** Campaign spend in the workspace currency per (split group, cohort period). */
async function spendByGroupPeriod(tx: Tx, workspace: { id: string; currency: string }, split: TCohortSplit, div: number): Promise<Map<string, bigint>> {
  const rows = await tx.$queryRawUnsafe<{ p: number; campaign: string; channel: string; amount: string }[]>(
    `SELECT (${MONTH_IDX("s.day")} / $3)::int AS p, s.campaign_id::text AS campaign, k.channel, sum(s.amount_minor)::text AS amount
       FROM campaign_spend s JOIN campaigns k ON k.workspace_id = s.workspace_id AND k.id = s.campaign_id
      WHERE s.workspace_id = $1 AND s.currency = $2
      GROUP BY 1, 2, 3`,
    workspace.id,
    workspace.currency,
    div,
  );
  const out = new Map<string, bigint>();
  for (const r of rows) {
    const g = split === "none" ? "" : split === "channel" ? r.channel : r.campaign;
    const key = `${g}\u0000${r.p}`;
    out.set(key, (out.get(key) ?? 0n) + BigInt(r.amount));
  }
  return out;
}

// ------------------------------------------------------------------------------------------------
// Retention curves

export interface CurvePoint {
  month: number;
  survival: number;
  low: number | null;
  high: number | null;
}

export interface RetentionCurve {
  group: string;
  groupLabel: string;
  cohort: string;
  size: number;
  /** Share still active after k months, k = 0..known (only months whose outcome is already known). */
  observed: number[];
  fit: { alpha: number; beta: number; alphaSe: number | null; betaSe: number | null } | null;
  /** sBG projection from month 0 to the horizon, with an 80 % band from the parameters' sampling distribution. */
  projection: CurvePoint[];
}

export interface RetentionCurves {
  windowMonths: number;
  horizonMonths: number;
  lastDataMonth: string | null;
  curves: RetentionCurve[];
  /** Share of customers active at the start of a calendar month who churned in it (all cohorts). */
  churnTrend: { month: string; churn: number; atRisk: number }[];
}

const BAND_DRAWS = 400;
/** Cohorts per group fitted and projected (the most recent ones; older cohorts are mostly observed already). */
export const FITTED_COHORTS = 12;

/** Fit sBG to a cohort's still-active counts and project it with an 80 % band (pure; exported for tests). */
export function projectSbg(alive: readonly number[], horizon: number, seed = 7): { fit: RetentionCurve["fit"]; projection: CurvePoint[] } {
  const n0 = alive[0] ?? 0;
  if (alive.length < 3 || n0 < 10 || alive[alive.length - 1] === n0) return { fit: null, projection: [] };
  let model: SbgModel;
  try {
    model = fitShiftedBetaGeometric(alive);
  } catch {
    return { fit: null, projection: [] };
  }
  if (!model.converged || !Number.isFinite(model.params.alpha) || !Number.isFinite(model.params.beta)) return { fit: null, projection: [] };
  const covOk = model.covariance.every((r) => r.every((v) => Number.isFinite(v)));
  let draws: { alpha: number; beta: number }[] = [];
  if (covOk) {
    try {
      draws = sampleParameters(model, mulberry32(seed), BAND_DRAWS);
    } catch {
      draws = [];
    }
  }
  const projection: CurvePoint[] = [];
  const tmp = new Float64Array(draws.length);
  // Each draw's survival by S(t) = S(t−1)·(β+t−1)/(α+β+t−1) (FH 2007 eq. 5): one product per draw and
  // month instead of two log-beta evaluations (the band was 90 % of a cohort's cost).
  const surv = new Float64Array(draws.length).fill(1);
  for (let t = 0; t <= horizon; t++) {
    const s = sbgSurvival(model, t);
    let low: number | null = null;
    let high: number | null = null;
    if (draws.length > 0) {
      draws.forEach((p, i) => {
        if (t > 0) surv[i] = surv[i]! * ((p.beta + t - 1) / (p.alpha + p.beta + t - 1));
        tmp[i] = surv[i]!;
      });
      tmp.sort();
      low = quantileSorted(tmp, 0.1);
      high = quantileSorted(tmp, 0.9);
    }
    projection.push({ month: t, survival: s, low, high });
  }
  const se = model.standardErrors;
  return {
    fit: {
      alpha: model.params.alpha,
      beta: model.params.beta,
      alphaSe: Number.isFinite(se.alpha) ? se.alpha : null,
      betaSe: Number.isFinite(se.beta) ? se.beta : null,
    },
    projection,
  };
}

/**
 * With `group`, only that split group's curves are returned (the page shows one group at a time);
 * the churn trend always covers every cohort.
 * "Active" for curves (contract-like, as sBG needs): a customer churns in the month after their last
 * purchase before a gap of `windowMonths` or more months without buying. Month k of a cohort is
 * known once windowMonths complete months follow it, so the last windowMonths months are projected.
 */
export async function getRetentionCurves(
  tx: Tx,
  workspace: { id: string; timezone: string },
  opts: { split: TCohortSplit; windowMonths: number; horizonMonths: number; group?: string | undefined },
): Promise<RetentionCurves> {
  const ws = workspace.id;
  const W = opts.windowMonths;
  const fresh = (ROLLUP_WINDOWS as readonly number[]).includes(W) ? rollupsFor(await readRetentionFreshness(tx, ws), opts.split) : null;
  const last = fresh ? fresh.lastMonth : await lastDataMonthIndex(tx, ws);
  const base = { windowMonths: W, horizonMonths: opts.horizonMonths };
  if (last === null) return { ...base, lastDataMonth: null, curves: [], churnTrend: [] };
  const lastComplete = last - 1;
  type Life = { grp: string; p0: number; life: number | null; n: number };
  let rows: Life[];
  /** Rows for the churn trend (every cohort of every group) when `rows` hold one group only. */
  let churnRows: Life[] | null = null;
  if (fresh) {
    // One group: its rows, and the no-split rows for the churn trend (the groups partition the customers, so the
    // trend is the same); tens of thousands fewer rows for a campaign split.
    const lives = (split: TCohortSplit, group: string | undefined) =>
      readJsonRows<Life>(
        tx,
        `SELECT json_build_object('grp', grp, 'p0', c0, 'life', nullif(k, -1), 'n', customers)
           FROM retention_rollups WHERE workspace_id = $1::uuid AND kind = 'life' AND grain = 'month' AND split = $2 AND w = $3 AND ($4::text IS NULL OR grp = $4)`,
        ws,
        split,
        W,
        group ?? null,
      );
    const one = opts.group !== undefined && opts.split !== "none";
    rows = await lives(opts.split, opts.group);
    if (one) churnRows = await lives("none", undefined);
  } else {
    await preferHashJoins(tx);
    rows = await tx.$queryRawUnsafe<Life[]>(
      `WITH m AS (
         SELECT customer_id, ${MONTH_IDX("month")} AS p FROM customer_months WHERE workspace_id = $1
       ), g AS (
         SELECT customer_id, p, lead(p) OVER (PARTITION BY customer_id ORDER BY p) AS nxt, min(p) OVER (PARTITION BY customer_id) AS p0 FROM m
       ), l AS (
         SELECT customer_id, p0, min(p) FILTER (WHERE (nxt IS NULL AND $3 - p >= $2) OR nxt - p > $2) + 1 - p0 AS life
           FROM g GROUP BY customer_id, p0
       )
       SELECT ${SPLIT_KEY[opts.split].expr} AS grp, l.p0, l.life, count(*)::int AS n
         FROM l JOIN customers c ON c.workspace_id = $1 AND c.id = l.customer_id ${scoresJoin(opts.split)}
        GROUP BY 1, 2, 3`,
      ws,
      W,
      lastComplete,
    );
  }
  const label = await groupLabels(tx, ws, opts.split);
  /** Per (group, cohort): size and customers still active after k = 0..K months (only months already known). */
  const aliveCounts = (rs: Life[]) => {
    const cohorts = new Map<string, { grp: string; p0: number; lives: { life: number | null; n: number }[] }>();
    for (const r of rs) {
      const key = `${r.grp}\u0000${r.p0}`;
      let c = cohorts.get(key);
      if (!c) cohorts.set(key, (c = { grp: r.grp, p0: r.p0, lives: [] }));
      c.lives.push({ life: r.life, n: r.n });
    }
    const out: { grp: string; p0: number; size: number; alive: number[] }[] = [];
    for (const c of cohorts.values()) {
      const K = lastComplete - W + 1 - c.p0;
      const size = c.lives.reduce((s, x) => s + x.n, 0);
      if (K < 0 || size === 0) continue;
      const alive: number[] = [];
      for (let k = 0; k <= K; k++) alive.push(c.lives.reduce((s, x) => s + (x.life === null || x.life > k ? x.n : 0), 0));
      out.push({ grp: c.grp, p0: c.p0, size, alive });
    }
    return out;
  };
  const all = aliveCounts(rows);
  const aliveByCohort = churnRows ? aliveCounts(churnRows) : all;
  const curves: (RetentionCurve & { alive: number[]; p0: number })[] = [];
  for (const { grp, p0, size, alive } of all) {
    if (opts.group !== undefined && grp !== opts.group) continue;
    curves.push({ group: grp, groupLabel: label(grp), cohort: monthStart(p0), size, observed: alive.map((a) => a / size), fit: null, projection: [], alive, p0 });
  }
  curves.sort((a, b) => (a.groupLabel === b.groupLabel ? a.cohort.localeCompare(b.cohort) : a.groupLabel.localeCompare(b.groupLabel)));
  // sBG fits for each group's FITTED_COHORTS most recent cohorts (the ones the page offers; ~2 ms each).
  const fittedPerGroup = new Map<string, number>();
  for (let i = curves.length - 1; i >= 0; i--) {
    const c = curves[i]!;
    const n = fittedPerGroup.get(c.group) ?? 0;
    if (n >= FITTED_COHORTS) continue;
    fittedPerGroup.set(c.group, n + 1);
    Object.assign(c, projectSbg(c.alive, opts.horizonMonths, 1 + c.p0));
  }
  return {
    ...base,
    lastDataMonth: monthStart(last),
    curves: curves.map(({ alive: _a, p0: _p, ...c }) => c),
    churnTrend: churnTrend(aliveByCohort, lastComplete - W + 1),
  };
}

/** Calendar-month churn over all cohorts from their still-active counts (pure; exported for tests). */
export function churnTrend(cohorts: readonly { p0: number; alive: readonly number[] }[], lastKnown: number, months = 24): RetentionCurves["churnTrend"] {
  const out: RetentionCurves["churnTrend"] = [];
  for (let t = lastKnown - months + 1; t <= lastKnown; t++) {
    let atRisk = 0;
    let churned = 0;
    for (const c of cohorts) {
      const k = t - c.p0;
      if (k < 1 || k >= c.alive.length) continue;
      atRisk += c.alive[k - 1]!;
      churned += c.alive[k - 1]! - c.alive[k]!;
    }
    if (atRisk > 0) out.push({ month: monthStart(t), churn: churned / atRisk, atRisk });
  }
  return out;
}

// ------------------------------------------------------------------------------------------------
// Key rates

export interface RepeatRate {
  /** Months after the acquisition month. */
  months: number;
  /** Share of customers (in cohorts old enough) with another order within that many months after their first month. */
  rate: number | null;
  /** Per cohort month, oldest first. */
  trend: { cohort: string; rate: number; size: number }[];
}

export interface RetentionRates {
  repeat: RepeatRate[];
  /** Mean days between purchase days, over customers with two or more purchase days. */
  averageDaysBetweenOrders: number | null;
  averageDaysTrend: { cohort: string; days: number; customers: number }[];
  lastDataMonth: string | null;
}

export async function getRetentionRates(tx: Tx, workspace: { id: string; timezone: string }): Promise<RetentionRates> {
  const ws = workspace.id;
  const fresh = await readRetentionFreshness(tx, ws);
  const last = fresh ? fresh.lastMonth : await lastDataMonthIndex(tx, ws);
  if (last === null) return { repeat: [1, 3, 12].map((months) => ({ months, rate: null, trend: [] })), averageDaysBetweenOrders: null, averageDaysTrend: [], lastDataMonth: null };
  const lastComplete = last - 1;
  const rows = fresh
    ? await tx.$queryRawUnsafe<{ p0: number; d: number | null; n: number }[]>(
        `SELECT c0 AS p0, nullif(k, -1) AS d, customers AS n FROM retention_rollups
          WHERE workspace_id = $1::uuid AND kind = 'repeat' AND grain = 'month' AND split = 'none' AND w = 0`,
        ws,
      )
    : await tx.$queryRawUnsafe<{ p0: number; d: number | null; n: number }[]>(
    `WITH m AS (
       SELECT customer_id, ${MONTH_IDX("month")} AS p, orders, row_number() OVER (PARTITION BY customer_id ORDER BY month) AS rn
         FROM customer_months WHERE workspace_id = $1
     ), f AS (
       SELECT customer_id, min(p) FILTER (WHERE rn = 1) AS p0, min(p) FILTER (WHERE rn = 2) AS p1,
              bool_or(rn = 1 AND orders >= 2) AS again
         FROM m GROUP BY customer_id
     )
     SELECT p0, CASE WHEN again THEN 0 ELSE p1 - p0 END AS d, count(*)::int AS n FROM f GROUP BY 1, 2`,
    ws,
  );
  const byCohort = new Map<number, { size: number; firstRepeat: Map<number, number> }>();
  for (const r of rows) {
    let c = byCohort.get(r.p0);
    if (!c) byCohort.set(r.p0, (c = { size: 0, firstRepeat: new Map() }));
    c.size += r.n;
    if (r.d !== null) c.firstRepeat.set(r.d, (c.firstRepeat.get(r.d) ?? 0) + r.n);
  }
  const keys = [...byCohort.keys()].sort((a, b) => a - b);
  const repeat = [1, 3, 12].map((N): RepeatRate => {
    let num = 0;
    let den = 0;
    const trend: RepeatRate["trend"] = [];
    for (const p0 of keys) {
      if (p0 + N > lastComplete) continue; // window not over yet
      const c = byCohort.get(p0)!;
      let k = 0;
      for (const [d, n] of c.firstRepeat) if (d <= N) k += n;
      num += k;
      den += c.size;
      trend.push({ cohort: monthStart(p0), rate: k / c.size, size: c.size });
    }
    return { months: N, rate: den > 0 ? num / den : null, trend: trend.slice(-24) };
  });
  const gaps = fresh
    ? await tx.$queryRawUnsafe<{ cm: number; secs: number; gaps: number; n: number }[]>(
        `SELECT c0 AS cm, gap_seconds AS secs, gaps::int AS gaps, customers AS n FROM retention_rollups
          WHERE workspace_id = $1::uuid AND kind = 'gaps' AND grain = 'month' AND split = 'none' AND w = 0 ORDER BY c0`,
        ws,
      )
    : await tx.$queryRawUnsafe<{ cm: number; secs: number; gaps: number; n: number }[]>(
        `SELECT ${MONTH_IDX("date_trunc('month', first_order_at AT TIME ZONE $2)::date")} AS cm,
                sum(extract(epoch FROM last_order_at - first_order_at))::float8 AS secs, sum(purchase_days - 1)::int AS gaps, count(*)::int AS n
           FROM customers WHERE workspace_id = $1 AND purchase_days >= 2
          GROUP BY 1 ORDER BY 1`,
        ws,
        workspace.timezone,
      );
  let secs = 0;
  let g = 0;
  for (const r of gaps) {
    secs += r.secs;
    g += r.gaps;
  }
  return {
    repeat,
    averageDaysBetweenOrders: g > 0 ? secs / 86_400 / g : null,
    averageDaysTrend: gaps.slice(-24).map((r) => ({ cohort: monthStart(r.cm), days: r.secs / 86_400 / r.gaps, customers: r.n })),
    lastDataMonth: monthStart(last),
  };
}
