import { Prisma, type Tx } from "@valuelens/db";

export interface ScoreRow {
  customerId: string;
  pAlive: number | null;
  e30: number | null;
  e90: number | null;
  e365: number | null;
  clv: number | null;
  clvLow: number | null;
  clvHigh: number | null;
  churnRisk: string | null;
  r: number;
  f: number;
  m: number;
  segment: string;
  tier: string;
  /** The stored summary's revenue (minor units, an exact integer below 2^53) and last order instant (epoch ms). */
  historical: number;
  lastAt: number;
}

const BATCH = 20_000;

/**
 * A PostgreSQL array literal of one column of a batch, sent as ONE text parameter and cast
 * server-side (`$1::float8[]`). Numbers are written as JavaScript prints them (the shortest text
 * that reads back as the same double, as JSON.stringify did); null and non-finite numbers become
 * NULL, as JSON.stringify made them null. Strings are always double-quoted with `"` and `\`
 * escaped, so a value can never split into two elements or shift the columns.
 */
function numbers(rows: ScoreRow[], from: number, to: number, get: (r: ScoreRow) => number | null): string {
  const out = new Array<string>(to - from);
  for (let i = from; i < to; i++) {
    const v = get(rows[i]!);
    out[i - from] = v === null || !Number.isFinite(v) ? "NULL" : String(v);
  }
  return `{${out.join(",")}}`;
}

function texts(rows: ScoreRow[], from: number, to: number, get: (r: ScoreRow) => string | null): string {
  const out = new Array<string>(to - from);
  for (let i = from; i < to; i++) {
    const v = get(rows[i]!);
    out[i - from] = v === null ? "NULL" : `"${v.replace(/["\\]/g, "\\$&")}"`;
  }
  return `{${out.join(",")}}`;
}

/** Whole minor units (predicted values are fractional; historical revenue is already whole). */
const round = (v: number | null): number | null => (v === null || !Number.isFinite(v) ? null : Math.round(v));

/** One batch as column arrays (16 text parameters). */
function encode(rows: ScoreRow[], from: number, to: number) {
  return {
    c: texts(rows, from, to, (r) => r.customerId),
    pa: numbers(rows, from, to, (r) => r.pAlive),
    e30: numbers(rows, from, to, (r) => r.e30),
    e90: numbers(rows, from, to, (r) => r.e90),
    e365: numbers(rows, from, to, (r) => r.e365),
    clv: numbers(rows, from, to, (r) => round(r.clv)),
    lo: numbers(rows, from, to, (r) => round(r.clvLow)),
    hi: numbers(rows, from, to, (r) => round(r.clvHigh)),
    h: numbers(rows, from, to, (r) => round(r.historical)),
    cr: texts(rows, from, to, (r) => r.churnRisk),
    r: numbers(rows, from, to, (r) => r.r),
    f: numbers(rows, from, to, (r) => r.f),
    m: numbers(rows, from, to, (r) => r.m),
    s: texts(rows, from, to, (r) => r.segment),
    t: texts(rows, from, to, (r) => r.tier),
    at: numbers(rows, from, to, (r) => r.lastAt),
  };
}

/**
 * Replaces the workspace's scores with one run's, inside the caller's transaction (readers see the
 * old set or the new one, never half). Historical CLV and the last order come from the summaries the
 * run read (same transaction snapshot), so no batch re-reads customers (measured: the per-batch join
 * was a third of the write at 1M customers).
 */
export async function replaceScores(tx: Tx, workspaceId: string, runId: string, rows: ScoreRow[], scoredAt: Date): Promise<void> {
  await tx.$executeRaw`DELETE FROM customer_scores WHERE workspace_id = ${workspaceId}::uuid`;
  await writeScores(tx, workspaceId, runId, rows, scoredAt, false);
}

/** Inserts the rows, replacing any stored scores of the same customers (incremental refresh). */
export async function upsertScores(tx: Tx, workspaceId: string, runId: string, rows: ScoreRow[], scoredAt: Date): Promise<void> {
  await writeScores(tx, workspaceId, runId, rows, scoredAt, true);
}

/**
 * Set-based: one INSERT … SELECT FROM unnest(column arrays) per 20,000-row batch. Each column travels
 * as one array literal. Measured at 1M rows into an unindexed table (BENCHMARKS.md, "Session 6:
 * writing 1M scores"): 13.2 s, against 39.9 s for one jsonb_to_recordset document per batch (parsing
 * JSON objects row by row was most of the write's transport). The next batch is encoded while the
 * server inserts the current one.
 */
async function writeScores(tx: Tx, workspaceId: string, runId: string, rows: ScoreRow[], scoredAt: Date, upsert: boolean): Promise<void> {
  const onConflict = upsert
    ? Prisma.sql`ON CONFLICT (workspace_id, customer_id) DO UPDATE SET
        model_run_id = EXCLUDED.model_run_id, p_alive = EXCLUDED.p_alive, expected_purchases_30 = EXCLUDED.expected_purchases_30,
        expected_purchases_90 = EXCLUDED.expected_purchases_90, expected_purchases_365 = EXCLUDED.expected_purchases_365,
        predicted_clv_minor = EXCLUDED.predicted_clv_minor, predicted_clv_low_minor = EXCLUDED.predicted_clv_low_minor,
        predicted_clv_high_minor = EXCLUDED.predicted_clv_high_minor, historical_clv_minor = EXCLUDED.historical_clv_minor,
        churn_risk = EXCLUDED.churn_risk, rfm_r = EXCLUDED.rfm_r, rfm_f = EXCLUDED.rfm_f, rfm_m = EXCLUDED.rfm_m,
        rfm_segment = EXCLUDED.rfm_segment, value_tier = EXCLUDED.value_tier, scored_at = EXCLUDED.scored_at, last_order_at = EXCLUDED.last_order_at`
    : Prisma.empty;
  let next = rows.length > 0 ? encode(rows, 0, Math.min(BATCH, rows.length)) : null;
  for (let i = 0; next; i += BATCH) {
    const b = next;
    // Prisma's query promises are lazy: .then() sends the statement now, so encoding overlaps it.
    const sent = tx.$executeRaw`
      INSERT INTO customer_scores (workspace_id, customer_id, model_run_id, p_alive, expected_purchases_30, expected_purchases_90,
             expected_purchases_365, predicted_clv_minor, predicted_clv_low_minor, predicted_clv_high_minor, historical_clv_minor,
             churn_risk, rfm_r, rfm_f, rfm_m, rfm_segment, value_tier, scored_at, last_order_at)
      SELECT ${workspaceId}::uuid, x.c, ${runId}::uuid, x.pa, x.e30, x.e90, x.e365, x.clv, x.lo, x.hi, x.h,
             x.cr, x.r, x.f, x.m, x.s, x.t, ${scoredAt}, timestamptz 'epoch' + x.at * interval '1 millisecond'
        FROM unnest(${b.c}::uuid[], ${b.pa}::float8[], ${b.e30}::float8[], ${b.e90}::float8[], ${b.e365}::float8[], ${b.clv}::bigint[],
                    ${b.lo}::bigint[], ${b.hi}::bigint[], ${b.h}::bigint[], ${b.cr}::text[], ${b.r}::smallint[], ${b.f}::smallint[],
                    ${b.m}::smallint[], ${b.s}::text[], ${b.t}::text[], ${b.at}::bigint[])
             AS x(c, pa, e30, e90, e365, clv, lo, hi, h, cr, r, f, m, s, t, at)
      ${onConflict}`.then((n) => n);
    next = i + BATCH < rows.length ? encode(rows, i + BATCH, Math.min(i + 2 * BATCH, rows.length)) : null;
    await sent;
  }
}
