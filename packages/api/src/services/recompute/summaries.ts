import type { Tx } from "@valuelens/db";

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
  orders: number;
  repeatBuyers: number;
  firstDay: number;
  cutoffDay: number;
  cutoff: Date | null;
}

/**
 * ONE query over the customers' stored summaries (kept current on write by the triggers of the
 * rls_and_summaries migration): never scans orders. Cut-off = the workspace's last order day (UTC).
 * frequency = purchase_days − 1; recency and T in days from the first purchase day; monetary value
 * = (revenue − first-day revenue) / frequency (lifetimes' convention: the first purchase is excluded).
 */
export async function readSummaries(tx: Tx, workspaceId: string): Promise<SummaryColumns> {
  const rows = await tx.$queryRaw<{ id: string; days: number; orders: number; first_day: number; last_day: number; rev: number; fdr: number; last_at: Date }[]>`
    SELECT c.id::text AS id, c.purchase_days AS days, c.order_count AS orders,
           ((c.first_order_at AT TIME ZONE 'UTC')::date - DATE '1970-01-01') AS first_day,
           ((c.last_order_at AT TIME ZONE 'UTC')::date - DATE '1970-01-01') AS last_day,
           c.revenue_minor::float8 AS rev, c.first_day_revenue_minor::float8 AS fdr, c.last_order_at AS last_at
      FROM customers c
     WHERE c.workspace_id = ${workspaceId}::uuid AND c.purchase_days > 0`;
  const n = rows.length;
  let cutoffDay = -Infinity;
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
    if (f > 0) out.repeatBuyers++;
  }
  return out;
}

export interface CalibrationColumns {
  frequency: Float64Array;
  recency: Float64Array;
  T: Float64Array;
  holdoutFrequency: Float64Array;
  /** Holdout purchase days per day after the calibration end (index 0 = first holdout day), all customers. */
  holdoutByDay: Int32Array;
  repeatBuyers: number;
}

/**
 * Calibration-period summaries for the holdout check: ONE aggregate over the workspace's orders
 * (index (workspace_id, ordered_at) / (workspace_id, customer_id, ordered_at)); acceptable inside
 * the job, never on a page. Customers whose first purchase is after the calibration end are left out
 * (as in Fader, Hardie & Lee 2005). Holdout frequency = distinct purchase days after the calibration end.
 */
export async function readCalibration(tx: Tx, workspaceId: string, calibrationEndDay: number, holdoutDays: number): Promise<CalibrationColumns> {
  const rows = await tx.$queryRaw<{ first_day: number; last_cal_day: number; cal_days: number; hold_days: number; hold_offsets: number[] | null }[]>`
    WITH d AS (
      SELECT customer_id, ((ordered_at AT TIME ZONE 'UTC')::date - DATE '1970-01-01') AS day
        FROM orders
       WHERE workspace_id = ${workspaceId}::uuid AND NOT refunded
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
