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
 * One column of a batch as a PostgreSQL array in its BINARY send form (array_recv: dimensions, then
 * per element a 4-byte length, −1 for NULL, and the element's binary form), sent as one parameter and
 * cast server-side (`$1::float8[]`): node-postgres sends a Buffer parameter in binary format. Against
 * the text literal this replaced, Node writes bytes instead of printing 16 million numbers, and the
 * server reads them without parsing (BENCHMARKS.md, "Session 8: the scoring transaction at 1M").
 * Doubles travel as their 8 bytes, so the stored values are the same doubles as before (the text form
 * printed the shortest round-trip form); null and non-finite numbers become NULL, as before.
 */
class ArrayWriter {
  private buf: Buffer;
  private view: DataView;
  private at = 20;
  private nulls = 0;
  constructor(
    private readonly elementOid: number,
    private readonly count: number,
    bytesPerElement: number,
  ) {
    this.buf = Buffer.allocUnsafe(20 + count * (4 + bytesPerElement));
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  }
  private room(n: number) {
    if (this.at + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.at + n));
    this.buf.copy(bigger, 0, 0, this.at);
    this.buf = bigger;
    this.view = new DataView(bigger.buffer, bigger.byteOffset, bigger.byteLength);
  }
  null() {
    this.room(4);
    this.view.setInt32(this.at, -1);
    this.at += 4;
    this.nulls = 1;
  }
  float8(v: number | null) {
    if (v === null || !Number.isFinite(v)) return this.null();
    this.room(12);
    this.view.setInt32(this.at, 8);
    this.view.setFloat64(this.at + 4, v);
    this.at += 12;
  }
  /** A whole number (already rounded) as int8; beyond ±2^63 it cannot be stored. */
  int8(v: number | null) {
    if (v === null || !Number.isFinite(v)) return this.null();
    if (!Number.isInteger(v) || Math.abs(v) >= 2 ** 63) throw new RangeError(`customer_scores: ${v} is not a whole number that fits a bigint column`);
    this.room(12);
    const hi = Math.floor(v / 4_294_967_296);
    this.view.setInt32(this.at, 8);
    this.view.setInt32(this.at + 4, hi);
    this.view.setUint32(this.at + 8, v - hi * 4_294_967_296);
    this.at += 12;
  }
  int2(v: number) {
    if (!Number.isInteger(v) || v < -32768 || v > 32767) throw new RangeError(`customer_scores: ${v} does not fit a smallint column`);
    this.room(6);
    this.view.setInt32(this.at, 2);
    this.view.setInt16(this.at + 4, v);
    this.at += 6;
  }
  text(v: string | null) {
    if (v === null) return this.null();
    const n = Buffer.byteLength(v, "utf8");
    this.room(4 + n);
    this.view.setInt32(this.at, n);
    this.buf.write(v, this.at + 4, n, "utf8");
    this.at += 4 + n;
  }
  /** A uuid from its canonical text form (32 hex digits, either case; dashes only at their canonical places). */
  uuid(v: string) {
    this.room(20);
    this.view.setInt32(this.at, 16);
    let o = this.at + 4;
    let hiNibble = -1;
    let digits = 0;
    for (let k = 0; k < v.length; k++) {
      const c = v.charCodeAt(k);
      if (c === 45 && (k === 8 || k === 13 || k === 18 || k === 23)) continue; // '-'
      const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
      if (d < 0 || digits >= 32) throw new TypeError(`customer_scores: ${JSON.stringify(v.slice(0, 40))} is not a uuid`);
      digits++;
      if (hiNibble < 0) hiNibble = d;
      else {
        this.buf[o++] = (hiNibble << 4) | d;
        hiNibble = -1;
      }
    }
    if (digits !== 32) throw new TypeError(`customer_scores: ${JSON.stringify(v.slice(0, 40))} is not a uuid`);
    this.at += 20;
  }
  /** The finished array: header (1 dimension, has-nulls flag, element type, length, lower bound 1), then the elements. */
  done(): Buffer {
    const h = this.view;
    h.setInt32(0, 1);
    h.setInt32(4, this.nulls);
    h.setUint32(8, this.elementOid);
    h.setInt32(12, this.count);
    h.setInt32(16, 1);
    return this.buf.subarray(0, this.at);
  }
}

/** PostgreSQL's type OIDs of the array elements (pg_type; fixed since 8.x). */
const OID = { int8: 20, int2: 21, text: 25, float8: 701, uuid: 2950 } as const;

/** Whole minor units (predicted values are fractional; historical revenue is already whole). */
const round = (v: number | null): number | null => (v === null || !Number.isFinite(v) ? null : Math.round(v));

/** Rows encoded between two turns of the event loop (see encode). */
const YIELD_ROWS = 2_000;
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * One batch as column arrays (16 binary parameters), in one pass over its rows. It yields to the event
 * loop every YIELD_ROWS rows: the previous batch's parameters (≈ 3.6 MB) reach the socket only as the
 * loop turns, so encoding in one synchronous block held the send back and the two did not overlap.
 */
async function encode(rows: ScoreRow[], from: number, to: number) {
  const n = to - from;
  const c = new ArrayWriter(OID.uuid, n, 16);
  const [pa, e30, e90, e365] = [0, 1, 2, 3].map(() => new ArrayWriter(OID.float8, n, 8)) as [ArrayWriter, ArrayWriter, ArrayWriter, ArrayWriter];
  const [clv, lo, hi, h, at] = [0, 1, 2, 3, 4].map(() => new ArrayWriter(OID.int8, n, 8)) as [ArrayWriter, ArrayWriter, ArrayWriter, ArrayWriter, ArrayWriter];
  const [r, f, m] = [0, 1, 2].map(() => new ArrayWriter(OID.int2, n, 2)) as [ArrayWriter, ArrayWriter, ArrayWriter];
  const cr = new ArrayWriter(OID.text, n, 6);
  const sg = new ArrayWriter(OID.text, n, 16);
  const t = new ArrayWriter(OID.text, n, 6);
  for (let i = from; i < to; i++) {
    if (i > from && (i - from) % YIELD_ROWS === 0) await nextTurn();
    const x = rows[i]!;
    c.uuid(x.customerId);
    pa.float8(x.pAlive);
    e30.float8(x.e30);
    e90.float8(x.e90);
    e365.float8(x.e365);
    clv.int8(round(x.clv));
    lo.int8(round(x.clvLow));
    hi.int8(round(x.clvHigh));
    h.int8(round(x.historical));
    cr.text(x.churnRisk);
    r.int2(x.r);
    f.int2(x.f);
    m.int2(x.m);
    sg.text(x.segment);
    t.text(x.tier);
    at.int8(round(x.lastAt));
  }
  return {
    c: c.done(),
    pa: pa.done(),
    e30: e30.done(),
    e90: e90.done(),
    e365: e365.done(),
    clv: clv.done(),
    lo: lo.done(),
    hi: hi.done(),
    h: h.done(),
    cr: cr.done(),
    r: r.done(),
    f: f.done(),
    m: m.done(),
    s: sg.done(),
    t: t.done(),
    at: at.done(),
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
  /**
   * lock_timeout of each swap try, in ms (default 200): the longest the workspace's readers queue behind it per try.
   * Keep it below deadlock_timeout (1 s): then a deadlock through the swap ends as a timeout (retry, then the copy)
   * instead of cancelling the reader or the scoring transaction (write-scores.integration-test.ts, "deadlock").
   * The one exception is decided in SQL: when every lock others hold on the partition is a VACUUM's or ANALYZE's,
   * a try waits deadlock_timeout longer, so PostgreSQL cancels an autovacuum (migration 20261124109800).
   */
  lockTimeoutMs?: number;
  /** Swap tries before falling back to replacing the rows in place from the staged table (default 5). */
  tries?: number;
  /** When given, filled with the milliseconds of each phase of the staged path (load, index, swap, copy; and "index n" per index build). */
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
  // One statement per index (the last one also ANALYZEs the table), so none runs long. Each build's
  // time is reported too ("index 0" is the primary key; the last includes the ANALYZE).
  for (let n = 0, total = 1; n < total; n++) {
    const at = Date.now();
    const [built] = await tx.$queryRaw<{ total: number }[]>`SELECT vl_scores_stage_index(${workspaceId}::uuid, ${n}::int) AS total`;
    total = built?.total ?? 0;
    if (opts.phases) opts.phases[`index ${n}`] = Date.now() - at;
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

type Batch = Awaited<ReturnType<typeof encode>>;

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
      SELECT ${workspaceId}::uuid, unnest(${b.c}::uuid[]), ${runId}::uuid, unnest(${b.pa}::float8[]), unnest(${b.e30}::float8[]),
             unnest(${b.e90}::float8[]), unnest(${b.e365}::float8[]), unnest(${b.clv}::bigint[]), unnest(${b.lo}::bigint[]),
             unnest(${b.hi}::bigint[]), unnest(${b.h}::bigint[]), unnest(${b.cr}::text[]), unnest(${b.r}::smallint[]),
             unnest(${b.f}::smallint[]), unnest(${b.m}::smallint[]), unnest(${b.s}::text[]), unnest(${b.t}::text[]), ${scoredAt},
             timestamptz 'epoch' + unnest(${b.at}::bigint[]) * interval '1 millisecond'
      ${onConflict}`;
}

/**
 * Set-based: one statement per 20,000-row batch, each column one binary array, expanded by one unnest
 * per column in the select list (they run in lockstep; a multi-argument unnest in FROM materialised each
 * array in a tuplestore first and took 2.5× the server time: migration 20261124109200_scores_load_srf,
 * which does the same in the staged load). Measured at
 * 1M rows into an unindexed table (BENCHMARKS.md, "Session 6: writing 1M scores"): text array literals
 * 13.2 s, against 39.9 s for one jsonb_to_recordset document per batch (parsing JSON objects row by row
 * was most of the write's transport); binary arrays since session 8. The next batch is encoded while
 * the server takes the current one.
 */
async function writeScores(rows: ScoreRow[], send: (b: Batch) => PromiseLike<number>): Promise<void> {
  // At most two statements are handed over at a time: the one the server is running and the next,
  // queued in the driver, which sends it the moment the first completes — the server does not wait
  // for Node between batches. Prisma's query promises are lazy: .then() (here by Promise.resolve)
  // starts the statement, but it reaches the socket only after a few turns of the event loop, so
  // encoding synchronously right after it had held the send back until the next batch was encoded
  // (measured: a 200 ms query + 200 ms of encoding took 400 ms, 200 ms after yielding once); encode
  // yields every YIELD_ROWS rows.
  let running: Promise<number> | null = null;
  for (let i = 0; i < rows.length; i += BATCH) {
    const batch = await encode(rows, i, Math.min(i + BATCH, rows.length));
    const sent = Promise.resolve(send(batch));
    // Its failure surfaces when it is awaited below; until then it must not count as unhandled.
    sent.catch(() => undefined);
    if (running) await running;
    running = sent;
    await nextTurn();
  }
  if (running) await running;
}
