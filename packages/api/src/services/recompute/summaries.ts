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
  /**
   * With readSummaries' `exportSnapshot` (and at least one customer): the id of the snapshot these
   * summaries were read in, importable while the reading transaction stays open.
   */
  snapshot?: string;
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

/** Bytes per customer in readSummaries' packed rows: id (text) 36, purchase_days 4, order_count 4, first day 4, revenue 8, first-day revenue 8, last order 8. */
const PACKED_ROW = 72;
const ID_CHARS = 36;
/** Groups the packed read is split into (each one result row): one 1M-customer row would be a 70 MB string; V8 strings stop at 2^29 characters. */
const PACKED_GROUPS = 8;

/**
 * ONE statement over the customers' stored summaries (kept current on write by the triggers of the
 * rls_and_summaries migration): never scans orders. Cut-off = the workspace's last order day (UTC).
 * frequency = purchase_days − 1; recency and T in days from the first purchase day; monetary value
 * = (revenue − first-day revenue) / frequency (lifetimes' convention: the first purchase is excluded).
 *
 * Each customer comes back as 72 packed bytes (the id's text, then the numbers' big-endian binary
 * send forms), a group of customers per result row as one base64 text: at 1M customers one
 * JavaScript object per customer through the driver cost 9–13 s, column arrays as bytea 8.6 s (hex
 * doubles the bytes), this a few seconds (BENCHMARKS.md, "Session 6: reading summaries and fitting
 * at 1M"). The ids are cut out of one text of all of them (building 1M uuid strings from bytes took
 * 2.3 s alone). One statement keeps one snapshot.
 */
export async function readSummaries(tx: Tx, workspaceId: string, changed?: ChangedSince, opts: { exportSnapshot?: boolean } = {}): Promise<SummaryColumns> {
  const only = changed ? Prisma.sql`AND ${changedSql(workspaceId, changed)}` : Prisma.empty;
  // The snapshot exported by the very statement that reads the summaries (a READ COMMITTED transaction
  // takes a new snapshot per statement, so an export in a statement after this one could already see a
  // write that committed in between): a transaction importing it reads exactly the data these summaries came from.
  const exported = opts.exportSnapshot ? Prisma.sql`WITH vl_snap AS MATERIALIZED (SELECT pg_export_snapshot() AS id)` : Prisma.empty;
  const snapshotColumn = opts.exportSnapshot ? Prisma.sql`, (SELECT id FROM vl_snap) AS snapshot` : Prisma.empty;
  const groups = await tx.$queryRaw<{ packed: string; snapshot?: string }[]>`
    ${exported}
    SELECT encode(string_agg(convert_to(c.id::text, 'SQL_ASCII') || int4send(c.purchase_days) || int4send(c.order_count)
                               || int4send((c.first_order_at AT TIME ZONE 'UTC')::date - DATE '1970-01-01')
                               || float8send(c.revenue_minor::float8) || float8send(c.first_day_revenue_minor::float8)
                               || timestamptz_send(c.last_order_at), ''::bytea), 'base64') AS packed ${snapshotColumn}
      FROM customers c
     WHERE c.workspace_id = ${workspaceId}::uuid AND c.purchase_days > 0 ${only}
     GROUP BY get_byte(uuid_send(c.id), 15) % ${PACKED_GROUPS}`;
  const parts = groups.map((g) => Buffer.from(g.packed, "base64"));
  const n = parts.reduce((s, b) => s + b.length, 0) / PACKED_ROW;
  if (!Number.isInteger(n)) throw new Error(`readSummaries: the packed summary rows of workspace ${workspaceId} are not ${PACKED_ROW} bytes each`);
  const idBytes = Buffer.allocUnsafe(n * ID_CHARS);
  const days = new Int32Array(n);
  const first = new Int32Array(n);
  const rev = new Float64Array(n);
  const fdr = new Float64Array(n);
  const lastAt = new Float64Array(n);
  let orders = 0;
  let i = 0;
  for (const b of parts) {
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
    for (let p = 0; p < b.length; p += PACKED_ROW, i++) {
      b.copy(idBytes, i * ID_CHARS, p, p + ID_CHARS);
      days[i] = v.getInt32(p + 36);
      orders += v.getInt32(p + 40);
      first[i] = v.getInt32(p + 44);
      rev[i] = v.getFloat64(p + 48);
      fdr[i] = v.getFloat64(p + 56);
      // timestamptz: int64 µs since 2000-01-01 (below 2^53, exact as high·2^32 + low; the column holds whole milliseconds)
      lastAt[i] = (v.getInt32(p + 64) * 4_294_967_296 + v.getUint32(p + 68)) / 1000 + 946_684_800_000;
    }
  }
  const idText = idBytes.toString("latin1");
  const ids = new Array<string>(n);
  for (let k = 0; k < n; k++) ids[k] = idText.slice(k * ID_CHARS, (k + 1) * ID_CHARS);
  // Last order day (UTC) from the instant: floor(ms / day) is the UTC calendar day.
  const last = Float64Array.from(lastAt, (ms) => Math.floor(ms / 86_400_000));
  let cutoffDay = changed ? changed.cutoffDay : -Infinity;
  let firstDay = Infinity;
  let cutoffMs = NaN;
  for (let k = 0; k < n; k++) {
    const d = last[k]!;
    if (d > cutoffDay) {
      cutoffDay = d;
      cutoffMs = lastAt[k]!;
    } else if (d === cutoffDay && lastAt[k]! > cutoffMs) cutoffMs = lastAt[k]!;
    if (first[k]! < firstDay) firstDay = first[k]!;
  }
  const out: SummaryColumns = {
    ids,
    frequency: new Float64Array(n),
    recency: new Float64Array(n),
    T: new Float64Array(n),
    monetaryValue: new Float64Array(n),
    daysSinceLast: new Float64Array(n),
    revenue: rev,
    lastAt,
    orders,
    repeatBuyers: 0,
    firstDay: n ? firstDay : 0,
    cutoffDay: n ? cutoffDay : 0,
    cutoff: Number.isNaN(cutoffMs) ? null : new Date(cutoffMs),
    ...(groups[0]?.snapshot ? { snapshot: groups[0].snapshot } : {}),
  };
  for (let k = 0; k < n; k++) {
    const f = days[k]! - 1;
    out.frequency[k] = f;
    out.recency[k] = f > 0 ? last[k]! - first[k]! : 0;
    out.T[k] = cutoffDay - first[k]!;
    out.monetaryValue[k] = f > 0 ? Math.max(0, (rev[k]! - fdr[k]!) / f) : 0;
    out.daysSinceLast[k] = cutoffDay - last[k]!;
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
 * A seeded uniform sample of `max` of `items` (partial Fisher–Yates, reordering `items` in place),
 * or null when there are no more than `max`: the same items on every run while the input is unchanged.
 */
export function seededSample<T>(items: T[], max: number, seedText: string): T[] | null {
  if (items.length <= max) return null;
  const rng = mulberry32(seedOf(seedText));
  for (let i = 0; i < max; i++) {
    const j = i + Math.floor(rng() * (items.length - i));
    const t = items[i]!;
    items[i] = items[j]!;
    items[j] = t;
  }
  return items.slice(0, max);
}

/**
 * The customers of the holdout check: every customer whose first purchase day is ≤ the calibration
 * end, or a seeded uniform sample of HOLDOUT_SAMPLE_MAX of them.
 */
export function holdoutCustomers(s: Pick<SummaryColumns, "ids" | "T" | "cutoffDay">, calibrationEndDay: number, workspaceId: string, max = HOLDOUT_SAMPLE_MAX): { ids: string[] | null; eligible: number } {
  const eligible: string[] = [];
  for (let i = 0; i < s.ids.length; i++) if (s.cutoffDay - s.T[i]! <= calibrationEndDay) eligible.push(s.ids[i]!);
  return { ids: seededSample(eligible, max, workspaceId), eligible: eligible.length };
}

/**
 * Calibration-period summaries for the holdout check. Without `sample`: ONE aggregate over the
 * workspace's orders (fine up to HOLDOUT_SAMPLE_MAX customers); with it: the orders of the sampled
 * customers only (at 1M customers / 9.5M orders the planner still scans all orders for a 50,000-id
 * list — 6–12 s —, the index path measured 19 s: one heap page per customer). Customers whose first
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
