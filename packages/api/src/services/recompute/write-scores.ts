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
 * Full score sets of at least this many rows are loaded into a fresh, unindexed table that is indexed
 * afterwards and swapped in as the workspace's partition of customer_scores (migration
 * 20261124107000_scores_partition_swap); smaller ones are replaced in place. Measured crossover:
 * BENCHMARKS.md, "Session 7: writing 1M scores by swapping a partition".
 */
export const SWAP_MIN_ROWS = 50_000;

export interface ReplaceScoresOptions {
  /** Row count from which the staged load + swap is used (default SWAP_MIN_ROWS; tests force it low). */
  swapMinRows?: number;
  /** lock_timeout of each swap try, in ms (default 200): the longest the workspace's readers queue behind it per try. */
  lockTimeoutMs?: number;
  /** Swap tries before falling back to replacing the rows in place from the staged table (default 5). */
  tries?: number;
  /** When given, filled with the milliseconds of each phase of the staged path (load, index, swap, copy). */
  phases?: Record<string, number>;
}

/** How replaceScores wrote the set: in place, swapped in, or copied from the staged table because the swap found the partition busy. */
export type ReplaceMode = "in place" | "swapped" | "copied";

/**
 * customer_scores has no default partition: a workspace's rows need its partition, which a vetted
 * function creates the first time (a catalog lookup afterwards). Every writer calls this first.
 */
export async function ensureScorePartition(tx: Tx, workspaceId: string): Promise<void> {
  await tx.$executeRaw`SELECT vl_scores_ensure(${workspaceId}::uuid)`;
}

/**
 * Replaces the workspace's scores with one run's, inside the caller's transaction (readers see the
 * old set or the new one, never half, never none). Historical CLV and the last order come from the
 * summaries the run read (same transaction snapshot), so no batch re-reads customers (measured: the
 * per-batch join was a third of the write at 1M customers).
 *
 * Small sets: DELETE + INSERT in the workspace's partition. Large sets (≥ swapMinRows): load a
 * staging table without indexes, build the indexes by sort, then swap it in as the partition's leaf
 * (vl_scores_stage_* functions). The swap locks only this workspace's partition, until the caller
 * commits — so it should be among the last statements of the scoring transaction.
 */
export async function replaceScores(
  tx: Tx,
  workspaceId: string,
  runId: string,
  rows: ScoreRow[],
  scoredAt: Date,
  opts: ReplaceScoresOptions = {},
): Promise<ReplaceMode> {
  if (rows.length >= (opts.swapMinRows ?? SWAP_MIN_ROWS)) return swapScores(tx, workspaceId, runId, rows, scoredAt, opts);
  await ensureScorePartition(tx, workspaceId);
  await tx.$executeRaw`DELETE FROM customer_scores WHERE workspace_id = ${workspaceId}::uuid`;
  await writeScores(rows, (b) => insertBatch(tx, workspaceId, runId, scoredAt, b, false));
  return "in place";
}

/** Inserts the rows, replacing any stored scores of the same customers (incremental refresh). */
export async function upsertScores(tx: Tx, workspaceId: string, runId: string, rows: ScoreRow[], scoredAt: Date): Promise<void> {
  await ensureScorePartition(tx, workspaceId);
  await writeScores(rows, (b) => insertBatch(tx, workspaceId, runId, scoredAt, b, true));
}

async function swapScores(tx: Tx, workspaceId: string, runId: string, rows: ScoreRow[], scoredAt: Date, opts: ReplaceScoresOptions): Promise<ReplaceMode> {
  let t = Date.now();
  const phase = (name: string) => {
    if (opts.phases) opts.phases[name] = Date.now() - t;
    t = Date.now();
  };
  await tx.$executeRaw`SELECT vl_scores_stage_begin(${workspaceId}::uuid)`;
  await writeScores(rows, (b) => tx.$executeRaw`
    SELECT vl_scores_stage_load(${workspaceId}::uuid, ${runId}::uuid, ${scoredAt}, ${b.c}::uuid[], ${b.pa}::float8[], ${b.e30}::float8[],
           ${b.e90}::float8[], ${b.e365}::float8[], ${b.clv}::bigint[], ${b.lo}::bigint[], ${b.hi}::bigint[], ${b.h}::bigint[], ${b.cr}::text[],
           ${b.r}::smallint[], ${b.f}::smallint[], ${b.m}::smallint[], ${b.s}::text[], ${b.t}::text[], ${b.at}::bigint[])`);
  phase("load");
  // One statement per index (the last one also ANALYZEs the table), so none runs long.
  for (let n = 0, total = 1; n < total; n++) {
    const [built] = await tx.$queryRaw<{ total: number }[]>`SELECT vl_scores_stage_index(${workspaceId}::uuid, ${n}::int) AS total`;
    total = built?.total ?? 0;
  }
  phase("index");
  const [swap] = await tx.$queryRaw<{ result: string }[]>`
    SELECT vl_scores_stage_swap(${workspaceId}::uuid, ${opts.lockTimeoutMs ?? 200}::int, ${opts.tries ?? 5}::int) AS result`;
  phase("swap");
  if (swap?.result === "swapped") return "swapped";
  await tx.$executeRaw`SELECT vl_scores_stage_copy(${workspaceId}::uuid)`;
  phase("copy");
  return "copied";
}

type Batch = ReturnType<typeof encode>;

function insertBatch(tx: Tx, workspaceId: string, runId: string, scoredAt: Date, b: Batch, upsert: boolean) {
  const onConflict = upsert
    ? Prisma.sql`ON CONFLICT (workspace_id, customer_id) DO UPDATE SET
        model_run_id = EXCLUDED.model_run_id, p_alive = EXCLUDED.p_alive, expected_purchases_30 = EXCLUDED.expected_purchases_30,
        expected_purchases_90 = EXCLUDED.expected_purchases_90, expected_purchases_365 = EXCLUDED.expected_purchases_365,
        predicted_clv_minor = EXCLUDED.predicted_clv_minor, predicted_clv_low_minor = EXCLUDED.predicted_clv_low_minor,
        predicted_clv_high_minor = EXCLUDED.predicted_clv_high_minor, historical_clv_minor = EXCLUDED.historical_clv_minor,
        churn_risk = EXCLUDED.churn_risk, rfm_r = EXCLUDED.rfm_r, rfm_f = EXCLUDED.rfm_f, rfm_m = EXCLUDED.rfm_m,
        rfm_segment = EXCLUDED.rfm_segment, value_tier = EXCLUDED.value_tier, scored_at = EXCLUDED.scored_at, last_order_at = EXCLUDED.last_order_at`
    : Prisma.empty;
  return tx.$executeRaw`
      INSERT INTO customer_scores (workspace_id, customer_id, model_run_id, p_alive, expected_purchases_30, expected_purchases_90,
             expected_purchases_365, predicted_clv_minor, predicted_clv_low_minor, predicted_clv_high_minor, historical_clv_minor,
             churn_risk, rfm_r, rfm_f, rfm_m, rfm_segment, value_tier, scored_at, last_order_at)
      SELECT ${workspaceId}::uuid, x.c, ${runId}::uuid, x.pa, x.e30, x.e90, x.e365, x.clv, x.lo, x.hi, x.h,
             x.cr, x.r, x.f, x.m, x.s, x.t, ${scoredAt}, timestamptz 'epoch' + x.at * interval '1 millisecond'
        FROM unnest(${b.c}::uuid[], ${b.pa}::float8[], ${b.e30}::float8[], ${b.e90}::float8[], ${b.e365}::float8[], ${b.clv}::bigint[],
                    ${b.lo}::bigint[], ${b.hi}::bigint[], ${b.h}::bigint[], ${b.cr}::text[], ${b.r}::smallint[], ${b.f}::smallint[],
                    ${b.m}::smallint[], ${b.s}::text[], ${b.t}::text[], ${b.at}::bigint[])
             AS x(c, pa, e30, e90, e365, clv, lo, hi, h, cr, r, f, m, s, t, at)
      ${onConflict}`;
}

/**
 * Set-based: one statement per 20,000-row batch, each column one array literal (unnest). Measured at
 * 1M rows into an unindexed table (BENCHMARKS.md, "Session 6: writing 1M scores"): 13.2 s, against
 * 39.9 s for one jsonb_to_recordset document per batch (parsing JSON objects row by row was most of
 * the write's transport). The next batch is encoded while the server takes the current one.
 */
async function writeScores(rows: ScoreRow[], send: (b: Batch) => PromiseLike<number>): Promise<void> {
  let next = rows.length > 0 ? encode(rows, 0, Math.min(BATCH, rows.length)) : null;
  for (let i = 0; next; i += BATCH) {
    // Prisma's query promises are lazy: .then() sends the statement now, so encoding overlaps it.
    const sent = send(next).then((n) => n);
    next = i + BATCH < rows.length ? encode(rows, i + BATCH, Math.min(i + 2 * BATCH, rows.length)) : null;
    await sent;
  }
}
