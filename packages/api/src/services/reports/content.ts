/**
 * What a weekly report says, read in the schedule's transaction. Every section reads a few rows:
 * week figures are sums over customer_weeks (whole workspace weeks) or one pass over the workspace's
 * orders (other windows, see week()), new customers a range scan on (workspace_id, first_order_at);
 * segment figures come from segment_snapshots written by each recompute;
 * campaigns and retention from their rollups (campaign-roi.ts, retention.ts). Only the at-risk list
 * reads customer_scores (one filtered pass, top 10).
 *
 * "Rendered from the latest completed recompute": model-based figures (predicted CLV, segments,
 * tiers, churn risk, campaign LTV) are the latest recompute's; the report names its time and says
 * when data arrived after it (stale).
 */
import type { Tx } from "@valuelens/db";
import type { TReportSection } from "@valuelens/validators";
import { computeCampaignRoi, type GroupMetrics } from "../campaigns/campaign-roi.ts";
import { divRound } from "../overview.ts";

export interface WeekNumbers {
  revenueMinor: bigint;
  orders: number;
  newCustomers: number;
  /** Customers with an order in the week. */
  activeCustomers: number;
  /** Of those, customers whose first order was before the week (returning buyers). */
  returningCustomers: number;
}

/** Model-based KPIs as of a recompute (null: no recompute had finished by then). */
export interface ModelKpis {
  runAt: Date;
  customers: number;
  /** Average predicted CLV per scored customer (null in small-data mode). */
  avgPredictedClvMinor: bigint | null;
  /** Customers in the RFM segments "At Risk" and "Can't Lose Them". */
  atRisk: number;
}

export interface SegmentMove {
  key: string;
  customers: number;
  previousCustomers: number;
  /** Sum of predicted CLV (historical value without predictions), minor units. */
  valueMinor: bigint;
  previousValueMinor: bigint;
}

export interface SegmentMovement {
  currentRunAt: Date;
  /** The recompute compared with (the latest at or before the reported week's start, else the one before the latest). */
  baselineRunAt: Date | null;
  valueBasis: "predicted" | "historical";
  segments: SegmentMove[];
  tiers: SegmentMove[];
}

export interface AtRiskCustomer {
  id: string;
  label: string;
  /** Net revenue to date (minor units). */
  valueMinor: bigint;
  predictedClvMinor: bigint | null;
  pAlive: number | null;
  lastOrderAt: Date | null;
}

export interface AtRiskSection {
  /** High-value customers (top fifth by value to date: RFM monetary score 5) with high churn risk, not listed in an earlier report of this schedule. */
  newlyAtRisk: number;
  /** All high-value customers with high churn risk now. */
  totalAtRisk: number;
  top: AtRiskCustomer[];
  /** False without predictions (small-data mode): churn risk is unknown. */
  predictions: boolean;
}

export interface CampaignLine {
  id: string;
  label: string;
  channel: string;
  customers: number;
  ltvToCac: number;
  cacMinor: bigint | null;
  ltvMinor: bigint | null;
}

export interface CampaignSection {
  basis: "lifetime" | "historical";
  best: CampaignLine[];
  worst: CampaignLine[];
  /** Campaigns shown on the Campaigns page but too small to rank. */
  unranked: number;
}

export interface CohortLine {
  cohort: string;
  size: number;
  /** Share still buying in month k after the acquisition month (index = k − 1, k = 1…6); null where incomplete. */
  retention: (number | null)[];
}

export interface RetentionSection {
  newest: CohortLine[];
  /** Customer-weighted average of up to 12 cohorts before the newest ones. */
  earlier: CohortLine | null;
}

export interface WeeklySeriesPoint {
  week: string;
  revenueMinor: bigint;
  lastYearRevenueMinor: bigint;
}

export interface ReportContent {
  workspace: { id: string; name: string; slug: string; currency: string; timezone: string };
  sections: TReportSection[];
  /** The reported week in the schedule's time zone (which may differ from the workspace's). */
  period: { from: Date; to: Date; periodStart: string; timezone: string };
  thisWeek: WeekNumbers;
  previousWeek: WeekNumbers;
  sameWeekLastYear: WeekNumbers;
  model: { now: ModelKpis | null; previousWeek: ModelKpis | null; lastYear: ModelKpis | null };
  averageOrderValueMinor: bigint | null;
  dataAsOf: Date | null;
  /** True when no data arrived since the reported week ended (last write before its end): numbers may be incomplete. */
  stale: boolean;
  /** Data changed after the latest recompute: model-based sections may lag (a recompute is due). */
  modelStale: boolean;
  weekly: WeeklySeriesPoint[];
  segments: SegmentMovement | null;
  atRisk: AtRiskSection | null;
  campaigns: CampaignSection | null;
  retention: RetentionSection | null;
}

const DAY = 86_400_000;
const WEEK = 7 * DAY;
const AT_RISK_SEGMENTS = ["At Risk", "Can't Lose Them"];
const TOP_AT_RISK = 10;
const RETENTION_MONTHS = 6;

type WeekFigures = { revenue: bigint | null; orders: bigint | null; active: bigint; returning: bigint };

/** Revenue, orders, active and returning customers of [from, to) straight from the workspace's orders. */
export function ordersFigures(tx: Tx, ws: { id: string; currency: string }, from: Date, to: Date): Promise<WeekFigures[]> {
  return tx.$queryRaw<WeekFigures[]>`
    SELECT (sum(o.amount_minor) FILTER (WHERE o.currency = ${ws.currency}))::bigint AS revenue, count(*) AS orders,
           count(DISTINCT o.customer_id) AS active,
           count(DISTINCT o.customer_id) FILTER (WHERE c.first_order_at < ${from}) AS returning
      FROM orders o JOIN customers c ON c.workspace_id = o.workspace_id AND c.id = o.customer_id
     WHERE o.workspace_id = ${ws.id}::uuid AND o.ordered_at >= ${from} AND o.ordered_at < ${to} AND NOT o.refunded`;
}

/**
 * A week's figures. Orders have no (workspace_id, ordered_at) index since issue 4 dropped it (it cost
 * a quarter to a half of a bulk insert), so:
 * - when [from, to) is whole weeks of the workspace (Monday 00:00 in its time zone: a schedule in the
 *   workspace's zone, the usual case) and customer_weeks is complete (no import's customers waiting
 *   for their flush, no time-zone rebuild pending), the figures are sums over customer_weeks, which
 *   holds exactly these per customer and week (non-refunded orders, revenue in the workspace
 *   currency). No order is read, and no plan depends on the orders' planner statistics (stale after
 *   a large import: the planner then takes a fresh workspace for a few rows and a join through orders
 *   went nested-loop over the whole workspace, 5–30 s at 1M orders);
 * - otherwise (a schedule in another zone, a last-year week shifted by daylight saving, an import
 *   being flushed) the same figures are read from the orders of the workspace (one pass over its
 *   part of an orders index: 0.26–0.27 s warm, 0.56–1.4 s cold at 1M orders; the customer_weeks
 *   sums: 0.11 s warm, 1.4 s cold).
 * Equal to the orders query in every case (property test reports-week.integration-test.ts).
 */
export async function week(
  tx: Tx,
  ws: { id: string; currency: string; timezone: string; summariesRebuildAt?: Date | null },
  from: Date,
  to: Date,
): Promise<WeekNumbers> {
  const [a] = await tx.$queryRaw<{ whole: boolean }[]>`
    SELECT ${from}::timestamptz < ${to}::timestamptz
       AND (${from}::timestamptz AT TIME ZONE ${ws.timezone}) = date_trunc('week', ${from}::timestamptz AT TIME ZONE ${ws.timezone})
       AND (${to}::timestamptz AT TIME ZONE ${ws.timezone}) = date_trunc('week', ${to}::timestamptz AT TIME ZONE ${ws.timezone})
       AND NOT EXISTS (SELECT 1 FROM summary_deferred d WHERE d.workspace_id = ${ws.id}::uuid) AS whole`;
  const fromWeeks = (a?.whole ?? false) && !ws.summariesRebuildAt;
  const [o] = fromWeeks
    ? await tx.$queryRaw<WeekFigures[]>`
        SELECT sum(cw.revenue_minor)::bigint AS revenue, sum(cw.orders)::bigint AS orders,
               count(DISTINCT cw.customer_id) AS active,
               count(DISTINCT cw.customer_id) FILTER (WHERE c.first_order_at < ${from}) AS returning
          FROM customer_weeks cw JOIN customers c ON c.workspace_id = cw.workspace_id AND c.id = cw.customer_id
         WHERE cw.workspace_id = ${ws.id}::uuid
           AND cw.week >= (${from}::timestamptz AT TIME ZONE ${ws.timezone})::date
           AND cw.week < (${to}::timestamptz AT TIME ZONE ${ws.timezone})::date`
    : await ordersFigures(tx, ws, from, to);
  const [c] = await tx.$queryRaw<{ n: bigint }[]>`
    SELECT count(*) AS n FROM customers WHERE workspace_id = ${ws.id}::uuid AND first_order_at >= ${from} AND first_order_at < ${to}`;
  return {
    revenueMinor: o?.revenue ?? 0n,
    orders: Number(o?.orders ?? 0n),
    newCustomers: Number(c?.n ?? 0n),
    activeCustomers: Number(o?.active ?? 0n),
    returningCustomers: Number(o?.returning ?? 0n),
  };
}

interface SnapRun {
  runId: string;
  createdAt: Date;
}

/** The latest snapshotted recompute (at or before `before` when given). */
async function snapshotRun(tx: Tx, workspaceId: string, before: Date | null, excluding?: string): Promise<SnapRun | null> {
  const rows = await tx.$queryRaw<{ model_run_id: string; created_at: Date }[]>`
    SELECT model_run_id::text, created_at FROM segment_snapshots
     WHERE workspace_id = ${workspaceId}::uuid AND kind = 'total'
       AND (${before}::timestamptz IS NULL OR created_at <= ${before}::timestamptz)
       AND (${excluding ?? null}::uuid IS NULL OR model_run_id <> ${excluding ?? null}::uuid)
     ORDER BY created_at DESC LIMIT 1`;
  const r = rows[0];
  return r ? { runId: r.model_run_id, createdAt: r.created_at } : null;
}

interface SnapRow {
  model_run_id: string;
  kind: string;
  key: string;
  customers: number;
  value: bigint;
  predicted: bigint | null;
}

async function snapshotRows(tx: Tx, workspaceId: string, runIds: string[]): Promise<SnapRow[]> {
  if (runIds.length === 0) return [];
  return tx.$queryRaw<SnapRow[]>`
    SELECT model_run_id::text, kind, key, customers, coalesce(predicted_clv_sum_minor, historical_clv_sum_minor) AS value,
           predicted_clv_sum_minor AS predicted
      FROM segment_snapshots
     WHERE workspace_id = ${workspaceId}::uuid AND model_run_id = ANY(${runIds}::uuid[]) AND kind IN ('total', 'rfm', 'tier')`;
}

function modelKpis(run: SnapRun | null, rows: SnapRow[]): ModelKpis | null {
  if (!run) return null;
  const mine = rows.filter((r) => r.model_run_id === run.runId);
  const total = mine.find((r) => r.kind === "total");
  if (!total) return null;
  return {
    runAt: run.createdAt,
    customers: total.customers,
    avgPredictedClvMinor: total.predicted === null || total.customers === 0 ? null : divRound(total.predicted, BigInt(total.customers)),
    atRisk: mine.filter((r) => r.kind === "rfm" && AT_RISK_SEGMENTS.includes(r.key)).reduce((s, r) => s + r.customers, 0),
  };
}

function moves(rows: SnapRow[], kind: string, cur: string, base: string | null, order: readonly string[]): SegmentMove[] {
  const keys = new Set(rows.filter((r) => r.kind === kind && (r.model_run_id === cur || r.model_run_id === base)).map((r) => r.key));
  const get = (run: string | null, key: string) => rows.find((r) => r.model_run_id === run && r.kind === kind && r.key === key);
  const out = [...keys].map((key) => {
    const c = get(cur, key);
    const p = get(base, key);
    return { key, customers: c?.customers ?? 0, previousCustomers: p?.customers ?? 0, valueMinor: c?.value ?? 0n, previousValueMinor: p?.value ?? 0n };
  });
  const rank = (k: string) => (order.includes(k) ? order.indexOf(k) : order.length);
  return out.sort((a, b) => rank(a.key) - rank(b.key) || a.key.localeCompare(b.key));
}

interface CohortCounts {
  /** Month index (year × 12 + month − 1) of the cohort. */
  c0: number;
  size: number;
  /** Customers active k months after the cohort month, k = 1…RETENTION_MONTHS (index k − 1); null when that month is not complete. */
  active: (number | null)[];
}

/** Customer-weighted monthly retention of some cohorts (null where no cohort has a complete month k). */
function retentionOf(rows: CohortCounts[]): (number | null)[] {
  return Array.from({ length: RETENTION_MONTHS }, (_, i) => {
    let active = 0;
    let size = 0;
    for (const r of rows) {
      const a = r.active[i];
      if (a === null || a === undefined) continue;
      active += a;
      size += r.size;
    }
    return size > 0 ? active / size : null;
  });
}

const MONTH_INDEX = (col: string) => `(extract(year from ${col})::int * 12 + extract(month from ${col})::int - 1)`;
const monthLabel = (idx: number) => `${Math.floor(idx / 12)}-${String((idx % 12) + 1).padStart(2, "0")}`;
/** Cohorts read: the newest 3 with a complete month 1 and up to 12 before them, plus the incomplete ones. */
const COHORTS_BACK = 18;

/**
 * Monthly cohorts (workspace time zone, split none) and their activity in months 1…6. From the
 * retention rollups the latest recompute wrote (the report is rendered from the latest completed
 * recompute, so they serve even after later writes), else live from customers + customer_months for
 * the newest cohorts only. Not the Retention page's full matrix: at 1M customers its live query with
 * forecasts took 34 s, past a request's 15 s.
 */
async function cohortCounts(tx: Tx, ws: { id: string; timezone: string }): Promise<{ last: number; rows: CohortCounts[] } | null> {
  const [ref] = await tx.$queryRaw<{ last_month: number | null }[]>`
    SELECT last_month FROM retention_rollup_refreshes WHERE workspace_id = ${ws.id}::uuid AND model_run_id IS NOT NULL AND last_month IS NOT NULL`;
  let last: number;
  let cells: { c0: number; k: number; n: number }[];
  if (ref?.last_month != null) {
    last = ref.last_month;
    cells = await tx.$queryRaw<{ c0: number; k: number; n: number }[]>`
      SELECT c0, k, customers AS n FROM retention_rollups
       WHERE workspace_id = ${ws.id}::uuid AND kind = 'cell' AND grain = 'month' AND split = 'none' AND w = 0 AND grp = ''
         AND c0 >= ${last - COHORTS_BACK} AND k BETWEEN 0 AND ${RETENTION_MONTHS}`;
  } else {
    const [m] = await tx.$queryRawUnsafe<{ last: number | null }[]>(
      `SELECT max(${MONTH_INDEX("month")}) AS last FROM monthly_rollups WHERE workspace_id = $1::uuid AND orders > 0`,
      ws.id,
    );
    if (m?.last == null) return null;
    last = m.last;
    const since = `${monthLabel(last - COHORTS_BACK)}-01`;
    cells = await tx.$queryRawUnsafe<{ c0: number; k: number; n: number }[]>(
      `WITH c AS MATERIALIZED (
         SELECT id, ${MONTH_INDEX(`date_trunc('month', first_order_at AT TIME ZONE $2)`)} AS c0
           FROM customers WHERE workspace_id = $1::uuid AND first_order_at >= ($3::date::timestamp AT TIME ZONE $2)
       )
       SELECT c0, 0 AS k, count(*)::int AS n FROM c GROUP BY c0
       UNION ALL
       SELECT c.c0, ${MONTH_INDEX("m.month")} - c.c0 AS k, count(*)::int AS n
         FROM c JOIN customer_months m ON m.workspace_id = $1::uuid AND m.customer_id = c.id
        WHERE m.month >= $3::date AND ${MONTH_INDEX("m.month")} - c.c0 BETWEEN 1 AND ${RETENTION_MONTHS}
        GROUP BY 1, 2`,
      ws.id,
      ws.timezone,
      since,
    );
  }
  const byCohort = new Map<number, CohortCounts>();
  for (const cell of cells) {
    let r = byCohort.get(cell.c0);
    if (!r) byCohort.set(cell.c0, (r = { c0: cell.c0, size: 0, active: Array.from({ length: RETENTION_MONTHS }, (_, i) => (cell.c0 + i + 1 >= last ? null : 0)) }));
    if (cell.k === 0) r.size = cell.n;
    // The month holding the last data is incomplete (never shown as a drop).
    else if (cell.c0 + cell.k < last) r.active[cell.k - 1] = cell.n;
  }
  return { last, rows: [...byCohort.values()].filter((r) => r.size > 0) };
}

async function retentionSection(tx: Tx, ws: { id: string; timezone: string }): Promise<RetentionSection | null> {
  const counts = await cohortCounts(tx, ws);
  if (!counts) return null;
  // Cohorts with month 1 complete, newest first.
  const rows = counts.rows.filter((r) => r.active[0] !== null).sort((a, b) => b.c0 - a.c0);
  if (rows.length === 0) return null;
  const newest = rows.slice(0, 3);
  const earlierRows = rows.slice(3, 15);
  return {
    newest: newest.map((r) => ({ cohort: monthLabel(r.c0), size: r.size, retention: retentionOf([r]) })),
    earlier:
      earlierRows.length === 0
        ? null
        : {
            cohort: `${monthLabel(earlierRows.at(-1)!.c0)} – ${monthLabel(earlierRows[0]!.c0)}`,
            size: earlierRows.reduce((s, r) => s + r.size, 0),
            retention: retentionOf(earlierRows),
          },
  };
}

async function campaignSection(tx: Tx, workspaceId: string): Promise<CampaignSection | null> {
  let roi = (await computeCampaignRoi(tx, workspaceId, { measure: "revenue", horizon: "lifetime" })).result;
  let basis: CampaignSection["basis"] = "lifetime";
  if (roi.predictionsUnavailable) {
    roi = (await computeCampaignRoi(tx, workspaceId, { measure: "revenue", horizon: "historical" })).result;
    basis = "historical";
  }
  if (roi.campaigns.length === 0) return null;
  const line = (c: GroupMetrics & { ltvToCac: number }): CampaignLine => ({
    id: c.key,
    label: c.label,
    channel: c.channel,
    customers: c.customers,
    ltvToCac: c.ltvToCac,
    cacMinor: c.cacMinor === null ? null : BigInt(c.cacMinor),
    ltvMinor: c.ltvMinor === null ? null : BigInt(c.ltvMinor),
  });
  const ranked = roi.campaigns
    .filter((c): c is typeof c & { ltvToCac: number } => !c.lowConfidence && c.ltvToCac !== null)
    .sort((a, b) => b.ltvToCac - a.ltvToCac || a.label.localeCompare(b.label));
  const best = ranked.slice(0, 3).map(line);
  const worst = ranked.length > 3 ? ranked.slice(-Math.min(3, ranked.length - 3)).reverse().map(line) : [];
  return { basis, best, worst, unranked: roi.campaigns.length - ranked.length };
}

/**
 * "High-value at risk": top fifth of customers by value to date (RFM monetary score 5) whose churn
 * risk is high. Not the predicted-CLV tier: a customer the model thinks is gone has a low predicted
 * CLV, so "high predicted value and at risk" is nearly always empty — what is at stake is what they
 * used to spend.
 */
const RISK_FILTER = "s.rfm_m = 5 AND s.churn_risk = 'high'";

/**
 * The at-risk customers now (`cur`) and those this schedule already named (`seen`), each read once and
 * compared with EXCEPT (hashed, linear). A correlated NOT EXISTS against report_risk_watch was planned
 * as a per-row scan of it while the table had no statistics yet (right after a report wrote it): 12.8 s
 * at 20,000 customers instead of 0.1 s.
 */
const RISK_SETS = (filter: string) => `
  cur AS MATERIALIZED (SELECT s.customer_id FROM customer_scores s WHERE s.workspace_id = $1::uuid AND ${filter}),
  seen AS MATERIALIZED (SELECT w.customer_id FROM report_risk_watch w WHERE w.workspace_id = $1::uuid AND w.schedule_id = $2::uuid),
  fresh AS (SELECT customer_id FROM cur EXCEPT SELECT customer_id FROM seen)`;

async function atRiskSection(tx: Tx, workspaceId: string, scheduleId: string | null): Promise<AtRiskSection> {
  const [counts] = await tx.$queryRawUnsafe<{ total: bigint; fresh: bigint; scored: boolean }[]>(
    `WITH ${RISK_SETS(RISK_FILTER)}
     SELECT (SELECT count(*) FROM cur) AS total, (SELECT count(*) FROM fresh) AS fresh,
            EXISTS (SELECT 1 FROM customer_scores s WHERE s.workspace_id = $1::uuid AND s.churn_risk IS NOT NULL) AS scored`,
    workspaceId,
    scheduleId,
  );
  const top = await tx.$queryRawUnsafe<{ id: string; name: string | null; email: string | null; external_id: string; value: bigint; predicted: bigint | null; p_alive: number | null; last_order_at: Date | null }[]>(
    `WITH ${RISK_SETS(RISK_FILTER)}
     SELECT c.id::text, c.name, c.email, c.external_id, s.historical_clv_minor AS value, s.predicted_clv_minor AS predicted, s.p_alive, s.last_order_at
       FROM fresh f
       JOIN customer_scores s ON s.workspace_id = $1::uuid AND s.customer_id = f.customer_id
       JOIN customers c ON c.workspace_id = $1::uuid AND c.id = f.customer_id
      ORDER BY s.historical_clv_minor DESC, c.id
      LIMIT ${TOP_AT_RISK}`,
    workspaceId,
    scheduleId,
  );
  return {
    newlyAtRisk: Number(counts?.fresh ?? 0n),
    totalAtRisk: Number(counts?.total ?? 0n),
    predictions: counts?.scored ?? false,
    top: top.map((r) => ({ id: r.id, label: r.name ?? r.email ?? r.external_id, valueMinor: r.value, predictedClvMinor: r.predicted, pAlive: r.p_alive, lastOrderAt: r.last_order_at })),
  };
}

/**
 * Records the at-risk high-value customers a scheduled report listed (called in the same
 * transaction as its ledger rows, only when they were written): those no longer at risk leave the
 * watch list (and are reported again if they turn at risk later), the new ones join it.
 */
export async function rememberAtRisk(tx: Tx, workspaceId: string, scheduleId: string, periodStart: string): Promise<void> {
  await tx.$executeRawUnsafe(
    // = ANY(ARRAY(…)): the ids are computed once, then deleted by primary key. A join with the set was
    // planned as a nested loop over the unanalysed watch table and hit the 30 s statement timeout at 1M customers.
    `WITH ${RISK_SETS(RISK_FILTER)}
     DELETE FROM report_risk_watch w
      WHERE w.workspace_id = $1::uuid AND w.schedule_id = $2::uuid
        AND w.customer_id = ANY (ARRAY(SELECT customer_id FROM seen EXCEPT SELECT customer_id FROM cur))`,
    workspaceId,
    scheduleId,
  );
  await tx.$executeRawUnsafe(
    `WITH ${RISK_SETS(RISK_FILTER)}
     INSERT INTO report_risk_watch (workspace_id, schedule_id, customer_id, flagged_period)
     SELECT $1::uuid, $2::uuid, customer_id, $3 FROM fresh
     ON CONFLICT DO NOTHING`,
    workspaceId,
    scheduleId,
    periodStart,
  );
}

/** Revenue per week (workspace weeks) for the 12 weeks up to the reported week's end, and the same weeks a year before. */
async function weeklySeries(tx: Tx, ws: { id: string; timezone: string }, to: Date): Promise<WeeklySeriesPoint[]> {
  const rows = await tx.$queryRaw<{ week: Date; revenue: bigint }[]>`
    WITH w AS (SELECT date_trunc('week', (${to}::timestamptz - interval '1 second') AT TIME ZONE ${ws.timezone})::date AS last)
    SELECT cw.week, sum(cw.revenue_minor)::bigint AS revenue
      FROM customer_weeks cw, w
     WHERE cw.workspace_id = ${ws.id}::uuid
       AND ((cw.week > w.last - 84 AND cw.week <= w.last) OR (cw.week > w.last - 364 - 84 AND cw.week <= w.last - 364))
     GROUP BY cw.week`;
  const byWeek = new Map(rows.map((r) => [r.week.toISOString().slice(0, 10), r.revenue]));
  const lastLocal = new Date(to.getTime() - 1000).toLocaleDateString("en-CA", { timeZone: ws.timezone });
  const lastDay = new Date(`${lastLocal}T00:00:00Z`);
  const monday = new Date(lastDay.getTime() - ((lastDay.getUTCDay() + 6) % 7) * DAY);
  const out: WeeklySeriesPoint[] = [];
  for (let i = 11; i >= 0; i--) {
    const w = new Date(monday.getTime() - i * WEEK);
    const ly = new Date(w.getTime() - 52 * WEEK);
    const key = w.toISOString().slice(0, 10);
    out.push({ week: key, revenueMinor: byWeek.get(key) ?? 0n, lastYearRevenueMinor: byWeek.get(ly.toISOString().slice(0, 10)) ?? 0n });
  }
  return out;
}

export async function buildReportContent(
  tx: Tx,
  workspaceId: string,
  period: { from: Date; to: Date; periodStart: string; timezone: string },
  opts: { sections?: readonly TReportSection[]; scheduleId?: string | null } = {},
): Promise<ReportContent> {
  const sections = [...(opts.sections ?? ["kpis"])];
  const has = (s: TReportSection) => sections.includes(s);
  const ws = await tx.workspace.findUniqueOrThrow({
    where: { id: workspaceId },
    select: { id: true, name: true, slug: true, currency: true, timezone: true, metricsStaleAt: true, summariesRebuildAt: true },
  });
  const thisWeek = await week(tx, ws, period.from, period.to);
  const previousWeek = await week(tx, ws, new Date(period.from.getTime() - WEEK), period.from);
  const lastYearFrom = new Date(period.from.getTime() - 52 * WEEK);
  const lastYearTo = new Date(lastYearFrom.getTime() + (period.to.getTime() - period.from.getTime()));
  const sameWeekLastYear = await week(tx, ws, lastYearFrom, lastYearTo);
  const stats = await tx.workspaceStats.findUnique({ where: { workspaceId }, select: { updatedAt: true } });

  const current = await snapshotRun(tx, workspaceId, null);
  const prevRun = await snapshotRun(tx, workspaceId, period.from);
  const lyRun = await snapshotRun(tx, workspaceId, lastYearTo);
  // Segment movement compares with the recompute current at the reported week's start, else the one before the latest.
  const baseline = current ? (prevRun && prevRun.runId !== current.runId ? prevRun : await snapshotRun(tx, workspaceId, null, current.runId)) : null;
  const runIds = [...new Set([current, prevRun, lyRun, baseline].filter((r): r is SnapRun => r !== null).map((r) => r.runId))];
  const snaps = await snapshotRows(tx, workspaceId, runIds);
  const total = current ? snaps.find((r) => r.model_run_id === current.runId && r.kind === "total") : undefined;

  return {
    workspace: { id: ws.id, name: ws.name, slug: ws.slug, currency: ws.currency, timezone: ws.timezone },
    sections,
    period,
    thisWeek,
    previousWeek,
    sameWeekLastYear,
    model: { now: modelKpis(current, snaps), previousWeek: prevRun && prevRun.runId !== current?.runId ? modelKpis(prevRun, snaps) : null, lastYear: modelKpis(lyRun, snaps) },
    averageOrderValueMinor: thisWeek.orders > 0 ? divRound(thisWeek.revenueMinor, BigInt(thisWeek.orders)) : null,
    dataAsOf: stats?.updatedAt ?? null,
    // workspace_stats.updated_at moves with every write of orders or customers.
    stale: !stats || stats.updatedAt < period.to,
    modelStale: current === null || (ws.metricsStaleAt !== null && ws.metricsStaleAt > current.createdAt),
    weekly: has("charts") ? await weeklySeries(tx, ws, period.to) : [],
    segments:
      has("segments") || has("charts")
        ? current
          ? {
              currentRunAt: current.createdAt,
              baselineRunAt: baseline?.createdAt ?? null,
              valueBasis: total?.predicted === null ? "historical" : "predicted",
              segments: moves(snaps, "rfm", current.runId, baseline?.runId ?? null, ["Champions", "Loyal", "Potential Loyalist", "New", "Promising", "Need Attention", "About to Sleep", "At Risk", "Can't Lose Them", "Hibernating", "Lost"]),
              tiers: moves(snaps, "tier", current.runId, baseline?.runId ?? null, ["high", "medium", "low"]),
            }
          : null
        : null,
    atRisk: has("at_risk") ? await atRiskSection(tx, workspaceId, opts.scheduleId ?? null) : null,
    campaigns: has("campaigns") ? await campaignSection(tx, workspaceId) : null,
    retention: has("retention") || has("charts") ? await retentionSection(tx, ws) : null,
  };
}
