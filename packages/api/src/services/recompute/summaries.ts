import { mulberry32 } from "@valuelens/clv-core";
import { Prisma, type Tx } from "@valuelens/db";

/** Per-customer purchase summaries as columns (model time unit: days). */
export interface SummaryColumns {
  ids: string[];
  frequency: Float64Array;
  recency: Float64Array;
  T: Float64Array;
  /** Mean revenue per repeat purchase day (minor units), 0 without repeats. */
  monetaryValue: Float64Array;
  /** Days since the last purchase, at the cut-off (for RFM). */
  daysSinceLast: Float64Array;
  revenue: Float64Array;
  /** Last order instant (epoch ms), copied to the scores. */
  lastAt: Float64Array;
  orders: number;
  repeatBuyers: number;
  firstDay: number;
  cutoffDay: number;
  cutoff: Date | null;
}

/**
 * Only the customers whose summary was written at or after `since` (customers.summary_updated_at,
 * indexed), measured at a cut-off of at least `cutoffDay` (the scored population's; later when one
 * of these customers bought after it).
 */
export interface ChangedSince {
  since: Date;
  /** Written at or after this (the scoring run's start): surely changed. Between `since` and it: changed unless the stored score matches. */
  after: Date;
  cutoffDay: number;
}

/**
 * Customers (alias c) whose summary changed since a run scored them: written after the run started,
 * or written in the margin before it (a write that committed after the run read the summaries
 * stamps its own, earlier, start time) and no longer matching the score the run stored (revenue and
 * last order are copied into each score).
 */
export function changedSql(workspaceId: string, changed: Pick<ChangedSince, "since" | "after">): Prisma.Sql {
  return Prisma.sql`c.summary_updated_at >= ${changed.since}
    AND (c.summary_updated_at >= ${changed.after}
         OR NOT EXISTS (SELECT 1 FROM customer_scores s WHERE s.workspace_id = ${workspaceId}::uuid AND s.customer_id = c.id
                          AND s.historical_clv_minor = c.revenue_minor AND s.last_order_at IS NOT DISTINCT FROM c.last_order_at))`;
}

/**
 * ONE query over the customers' stored summaries (kept current on write by the triggers of the
 * rls_and_summaries migration): never scans orders. Cut-off = the workspace's last order day (UTC).
 * frequency = purchase_days − 1; recency and T in days from the first purchase day; monetary value
 * = (revenue − first-day revenue) / frequency (lifetimes' convention: the first purchase is excluded).
 */
export async function readSummaries(tx: Tx, workspaceId: string, changed?: ChangedSince): Promise<SummaryColumns> {
  const only = changed ? Prisma.sql`AND ${changedSql(workspaceId, changed)}` : Prisma.empty;
  const rows = await tx.$queryRaw<{ id: string; days: number; orders: number; first_day: number; last_day: number; rev: number; fdr: number; last_at: Date }[]>`
    SELECT c.id::text AS id, c.purchase_days AS days, c.order_count AS orders,
           ((c.first_order_at AT TIME ZONE 'UTC')::date - DATE '1970-01-01') AS first_day,
           ((c.last_order_at AT TIME ZONE 'UTC')::date - DATE '1970-01-01') AS last_day,
           c.revenue_minor::float8 AS rev, c.first_day_revenue_minor::float8 AS fdr, c.last_order_at AS last_at
      FROM customers c
     WHERE c.workspace_id = ${workspaceId}::uuid AND c.purchase_days > 0 ${only}`;
  const n = rows.length;
  let cutoffDay = changed ? changed.cutoffDay : -Infinity;
  let firstDay = Infinity;
  let cutoff: Date | null = null;
  let orders = 0;
  for (const r of rows) {
    if (r.last_day > cutoffDay) {
      cutoffDay = r.last_day;
      cutoff = r.last_at;
    } else if (r.last_day === cutoffDay && cutoff && r.last_at > cutoff) cutoff = r.last_at;
    if (r.first_day < firstDay) firstDay = r.first_day;
    orders += r.orders;
  }
  const out: SummaryColumns = {
    ids: new Array<string>(n),
    frequency: new Float64Array(n),
    recency: new Float64Array(n),
    T: new Float64Array(n),
    monetaryValue: new Float64Array(n),
    daysSinceLast: new Float64Array(n),
    revenue: new Float64Array(n),
    lastAt: new Float64Array(n),
    orders,
    repeatBuyers: 0,
    firstDay: n ? firstDay : 0,
    cutoffDay: n ? cutoffDay : 0,
    cutoff,
  };
  for (let i = 0; i < n; i++) {
    const r = rows[i]!;
    const f = r.days - 1;
    out.ids[i] = r.id;
    out.frequency[i] = f;
    out.recency[i] = f > 0 ? r.last_day - r.first_day : 0;
    out.T[i] = cutoffDay - r.first_day;
    out.monetaryValue[i] = f > 0 ? Math.max(0, (r.rev - r.fdr) / f) : 0;
    out.daysSinceLast[i] = cutoffDay - r.last_day;
    out.revenue[i] = r.rev;
    out.lastAt[i] = r.last_at.getTime();
    if (f > 0) out.repeatBuyers++;
  }
  return out;
}

export interface CalibrationColumns {
  frequency: Float64Array;
  recency: Float64Array;
  T: Float64Array;
  holdoutFrequency: Float64Array;
  /** Holdout purchase days per day after the calibration end (index 0 = first holdout day), all customers read. */
  holdoutByDay: Int32Array;
  repeatBuyers: number;
  /** Set when the check ran on a random sample: how many customers were eligible (first purchase ≤ calibration end). */
  sampledFrom: number | null;
}

/**
 * At most this many customers enter the holdout check. Above it the check runs on a seeded random
 * sample (the same customers on every run of the workspace while the eligible set is unchanged):
 * reading every order of a 10M-order workspace for a validation figure took 49 s at 1M customers
 * and hit the app role's statement limit, while the error of a 50,000-customer sample's aggregate
 * holdout is already well under a per cent of purchases (binomial-like sampling error ~ 1/√n).
 */
export const HOLDOUT_SAMPLE_MAX = 50_000;

/** Deterministic seed from a workspace id (FNV-1a), so the sample is stable across runs. */
function seedOf(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * The customers of the holdout check: every customer whose first purchase day is ≤ the calibration
 * end, or a seeded uniform sample of HOLDOUT_SAMPLE_MAX of them (partial Fisher–Yates).
 */
export function holdoutCustomers(s: Pick<SummaryColumns, "ids" | "T" | "cutoffDay">, calibrationEndDay: number, workspaceId: string, max = HOLDOUT_SAMPLE_MAX): { ids: string[] | null; eligible: number } {
  const eligible: string[] = [];
  for (let i = 0; i < s.ids.length; i++) if (s.cutoffDay - s.T[i]! <= calibrationEndDay) eligible.push(s.ids[i]!);
  if (eligible.length <= max) return { ids: null, eligible: eligible.length };
  const rng = mulberry32(seedOf(workspaceId));
  for (let i = 0; i < max; i++) {
    const j = i + Math.floor(rng() * (eligible.length - i));
    const t = eligible[i]!;
    eligible[i] = eligible[j]!;
    eligible[j] = t;
  }
  return { ids: eligible.slice(0, max), eligible: eligible.length };
}

/**
 * Calibration-period summaries for the holdout check. Without `sample`: ONE aggregate over the
 * workspace's orders (fine up to HOLDOUT_SAMPLE_MAX customers); with it: the orders of the sampled
 * customers only, through the (workspace_id, customer_id, ordered_at) index. Customers whose first
 * purchase is after the calibration end are left out (as in Fader, Hardie & Lee 2005). Holdout
 * frequency = distinct purchase days after the calibration end.
 */
export async function readCalibration(
  tx: Tx,
  workspaceId: string,
  calibrationEndDay: number,
  holdoutDays: number,
  sample: { ids: string[] | null; eligible: number } = { ids: null, eligible: 0 },
): Promise<CalibrationColumns> {
  const ids = sample.ids;
  const rows = await tx.$queryRaw<{ first_day: number; last_cal_day: number; cal_days: number; hold_days: number; hold_offsets: number[] | null }[]>`
    WITH d AS (
      SELECT customer_id, ((ordered_at AT TIME ZONE 'UTC')::date - DATE '1970-01-01') AS day
        FROM orders
       WHERE workspace_id = ${workspaceId}::uuid AND NOT refunded
         ${ids === null ? Prisma.empty : Prisma.sql`AND customer_id = ANY(${ids}::uuid[])`}
       GROUP BY 1, 2
    )
    SELECT min(day) AS first_day, max(day) FILTER (WHERE day <= ${calibrationEndDay}) AS last_cal_day,
           (count(*) FILTER (WHERE day <= ${calibrationEndDay}))::int AS cal_days,
           (count(*) FILTER (WHERE day > ${calibrationEndDay}))::int AS hold_days,
           array_agg(day - ${calibrationEndDay} - 1) FILTER (WHERE day > ${calibrationEndDay}) AS hold_offsets
      FROM d GROUP BY customer_id HAVING min(day) <= ${calibrationEndDay}`;
  const n = rows.length;
  const out: CalibrationColumns = {
    frequency: new Float64Array(n),
    recency: new Float64Array(n),
    T: new Float64Array(n),
    holdoutFrequency: new Float64Array(n),
    holdoutByDay: new Int32Array(Math.max(0, holdoutDays)),
    repeatBuyers: 0,
    sampledFrom: ids === null ? null : sample.eligible,
  };
  for (let i = 0; i < n; i++) {
    const r = rows[i]!;
    for (const d of r.hold_offsets ?? []) if (d >= 0 && d < out.holdoutByDay.length) out.holdoutByDay[d]!++;
    out.frequency[i] = r.cal_days - 1;
    out.recency[i] = r.last_cal_day - r.first_day;
    out.T[i] = calibrationEndDay - r.first_day;
    out.holdoutFrequency[i] = r.hold_days;
    if (r.cal_days > 1) out.repeatBuyers++;
  }
  return out;
}
