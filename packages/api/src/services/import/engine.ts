import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { beginBulkSummariesDeferred, deferBulkSummaries, deferredBounds, flushDeferredRange, withWorkspace, type PrismaClient, type Tx } from "@valuelens/db";
import { ZColumnMapping, ZImportOptions, type TImportKind, type TImportOptions } from "@valuelens/validators";
import { z } from "zod";
import { log, logError } from "../../log.ts";
import { onWorkspaceDataChanged } from "../data-changed.ts";
import { ChunkDecoder, detectEncoding, type DetectedEncoding } from "./decode.ts";
import { autoMap, checkMapping, normaliseHeader } from "./mapping.ts";
import { CsvParser, sniffDelimiter, type Delimiter, type ParseEvent } from "./parser.ts";
import { KeySet } from "./key-set.ts";
import { RowValidator } from "./rows.ts";
import { writeBatch, type BatchItem } from "./writer.ts";

/** Rows per transaction for campaigns and spend (small files; per-statement triggers are fine). */
export const BATCH_ROWS = 5_000;
/**
 * Rows per transaction for orders and customers. Each orders chunk is one transaction in
 * bulk-summaries mode: the order writes put the changed customers on the workspace's durable
 * deferred list; their summaries, rollups and customer_months/weeks are refreshed once per import,
 * set-based, after the last chunk (flushDeferred; measured in BENCHMARKS.md "CSV import"). At most
 * CHUNK_WRITERS + 1 chunks are in memory: those being written while the next is parsed and validated — so this
 * bounds an import's memory whatever the file size (with 50,000 a 1M-row import needed more than
 * a 256 MiB heap: the rows, their raw text and the JSON parameter, each twice).
 */
export const CHUNK_ROWS = 20_000;
/**
 * Chunk size for a file: CHUNK_ROWS for large files, smaller for small ones so that the progress bar
 * (committed rows) moves at least ~20 times per import; never below BATCH_ROWS. Rows are estimated at
 * ~50 bytes (a typical orders export; a wrong guess only changes how often progress moves).
 */
export function chunkRowsFor(fileBytes: number): number {
  return Math.min(CHUNK_ROWS, Math.max(BATCH_ROWS, Math.ceil(fileBytes / 50 / 20)));
}
/**
 * Chunk transactions of an orders or customers import written at the same time, each on its own
 * connection: one PostgreSQL backend per chunk runs on its own core while Node parses and
 * validates the next chunk (BENCHMARKS.md "CSV import", session 8). Chunks never share a key (the
 * in-file duplicate check keeps the first occurrence only), so they do not wait on each other's
 * rows; they meet only on the job's and the workspace's row at their very end, in the same order.
 */
export const CHUNK_WRITERS = 2;
/** Customers refreshed per transaction when an import's deferred summaries are flushed. */
export const FLUSH_CUSTOMERS = 25_000;
/** Flush transactions run at the same time (disjoint customer ranges; migration 20261124108300). */
export const FLUSH_WRITERS = 2;
/** Parsed rows between two yields to the event loop, so a finished chunk write is followed up at once. */
const YIELD_ROWS = 1_000;
const FLUSH_STATEMENT_TIMEOUT = "600s";
/** The running importer stamps import_jobs.heartbeat_at this often (any process's sweep reads it). */
export const HEARTBEAT_MS = 10_000;
const MAX_ATTEMPTS = 5;
const BATCH_STATEMENT_TIMEOUT = "120s";
/** deadlock_detected, serialization_failure, query_canceled (statement timeout), lock_not_available, unique_violation. */
// unique_violation: an order inserted by a concurrent writer after the chunk read the stored rows
// (writer.ts ordersWriteSql); the retry reads it as stored.
const RETRYABLE = new Set(["40P01", "40001", "57014", "55P03", "P2028", "23505"]);
/** Whether a failed chunk (or flush) transaction with this SQLSTATE is retried. */
export function isRetryable(code: string): boolean {
  return RETRYABLE.has(code);
}

/** The PostgreSQL SQLSTATE of an error thrown through Prisma (raw queries report it in meta or the message). */
export function pgCode(e: unknown): string | null {
  if (typeof e !== "object" || e === null) return null;
  const meta = (e as { meta?: { code?: unknown } }).meta;
  if (meta && typeof meta.code === "string" && /^[0-9A-Z]{5}$/.test(meta.code)) return meta.code;
  const m = /Code: `([0-9A-Z]{5})`/.exec(e instanceof Error ? e.message : "");
  return m?.[1] ?? null;
}
/**
 * Failures before a batch's transaction did anything (a saturated machine: the pool or the server
 * did not hand out a connection in time), safe to retry like the SQLSTATEs above.
 */
function transientCode(e: unknown): string | null {
  if (typeof e !== "object" || e === null) return null;
  if ((e as { code?: unknown }).code === "P2028") return "P2028";
  const msg = e instanceof Error ? e.message : "";
  return /Unable to start a transaction in the given time|timeout exceeded when trying to connect/i.test(msg) ? "P2028" : null;
}
const SAMPLE_BYTES = 64 * 1024;

/** What a job stores in import_jobs.mapping: the columns as mapped and the options used. */
export const ZStoredMapping = z.object({
  columns: ZColumnMapping.optional(),
  headers: z.array(z.string()).optional(),
  options: ZImportOptions,
  encoding: z.string().optional(),
  delimiter: z.string().optional(),
});
export type TStoredMapping = z.infer<typeof ZStoredMapping>;

export interface ImportOutcome {
  status: "COMPLETED" | "FAILED" | "CANCELLED";
  rows: number;
  created: number;
  updated: number;
  unchanged: number;
  rejected: number;
  error: string | null;
  encoding: string | null;
  delimiter: Delimiter | null;
  /**
   * Where the database time went: the upserts (summed over chunks), and the one summary refresh
   * after the last chunk (customersRefreshed customers).
   */
  timing: { writeMs: number; summaryMs: number; customersRefreshed: number };
}

interface Rejection {
  line: number;
  column: string | null;
  reason: string;
  raw: string;
}

class ImportFailure extends Error {}
class Cancelled extends Error {}

/** Jobs running in this process (a sweep never fails these). */
const running = new Set<string>();
export function isRunningHere(jobId: string): boolean {
  return running.has(jobId);
}
/** Ids of the jobs this process is running now. */
export function runningHere(): ReadonlySet<string> {
  return running;
}

/**
 * Runs one import job from a file already on disk: stream → decode → parse → validate → batched
 * upserts, one transaction per batch that also records the batch's rejections and the job's progress
 * (so committed progress and committed data always agree). Never throws: the outcome is stored on the job.
 * opts.writers: chunk transactions and flush slices at a time for orders and customers (default
 * CHUNK_WRITERS / FLUSH_WRITERS; 1 writes one at a time, as before session 8).
 */
export async function runImportJob(
  prisma: PrismaClient,
  workspaceId: string,
  jobId: string,
  filePath: string,
  opts: { now?: Date; batchRows?: number; writers?: number } = {},
): Promise<ImportOutcome> {
  running.add(jobId);
  let heartbeat: NodeJS.Timeout | null = null;
  const started = Date.now();
  const out: ImportOutcome = {
    status: "COMPLETED",
    rows: 0,
    created: 0,
    updated: 0,
    unchanged: 0,
    rejected: 0,
    error: null,
    encoding: null,
    delimiter: null,
    timing: { writeMs: 0, summaryMs: 0, customersRefreshed: 0 },
  };
  try {
    const job = await withWorkspace(prisma, workspaceId, async (tx) => {
      const j = await tx.importJob.findUnique({
        where: { workspaceId_id: { workspaceId, id: jobId } },
        select: { kind: true, mapping: true, status: true, cancelRequestedAt: true },
      });
      if (!j) throw new ImportFailure("import job not found");
      if (j.status !== "QUEUED") throw new ImportFailure(`import job is ${j.status}, not QUEUED`);
      const size = (await stat(filePath)).size;
      await tx.importJob.update({
        where: { workspaceId_id: { workspaceId, id: jobId } },
        data: { status: "RUNNING", startedAt: new Date(), bytesTotal: BigInt(size) },
        select: { id: true },
      });
      await stampHeartbeat(tx, workspaceId, jobId);
      return j;
    });
    const stored = ZStoredMapping.parse(job.mapping);
    // Liveness for other processes' sweeps (service.ts failInterruptedImports): a job whose heartbeat
    // is older than STALE_AFTER_MS is taken as dead. Stamped from its own short transaction.
    heartbeat = setInterval(() => {
      void withWorkspace(prisma, workspaceId, (tx) => stampHeartbeat(tx, workspaceId, jobId)).catch((e: unknown) =>
        logError("import.heartbeat_failed", { workspaceId, jobId, error: e }),
      );
    }, HEARTBEAT_MS);
    heartbeat.unref();
    await streamFile(prisma, workspaceId, jobId, job.kind, stored, filePath, out, opts);
  } catch (e) {
    if (e instanceof Cancelled) out.status = "CANCELLED";
    else {
      out.status = "FAILED";
      out.error = e instanceof ImportFailure ? e.message : "internal error";
      if (!(e instanceof ImportFailure)) logError("import.failed", { workspaceId, jobId, error: e });
    }
  }
  // Whatever the outcome, the committed chunks' customers are brought up to date now (a failure
  // here leaves them on the deferred list for the next import or the sweep; the data stays).
  try {
    const t = performance.now();
    out.timing.customersRefreshed += await flushDeferred(prisma, workspaceId, { workspaceId, jobId }, opts.writers);
    out.timing.summaryMs += performance.now() - t;
  } catch (e) {
    logError("import.summaries_deferred", { workspaceId, jobId, error: e });
    if (out.status === "COMPLETED") {
      out.status = "FAILED";
      out.error = "the rows were imported, but the customer summaries could not be brought up to date yet; they are refreshed by the next import or when the import list is opened";
    }
  } finally {
    if (heartbeat) clearInterval(heartbeat);
    running.delete(jobId);
  }
  if (out.status === "COMPLETED" && out.created + out.updated + out.unchanged + out.rejected !== out.rows) {
    out.status = "FAILED";
    out.error = `count invariant broken: ${out.created} + ${out.updated} + ${out.unchanged} + ${out.rejected} ≠ ${out.rows}`;
  }
  await withWorkspace(prisma, workspaceId, (tx) =>
    tx.importJob.update({
      where: { workspaceId_id: { workspaceId, id: jobId } },
      data: { status: out.status, error: out.error, finishedAt: new Date() },
      select: { id: true },
    }),
  ).catch((e: unknown) => logError("import.finish_failed", { workspaceId, jobId, error: e }));
  const ms = Date.now() - started;
  log("import.finished", {
    workspaceId,
    jobId,
    status: out.status,
    rows: out.rows,
    ms,
    rowsPerSecond: ms > 0 ? Math.round((out.rows * 1000) / ms) : null,
    writeMs: Math.round(out.timing.writeMs),
    summaryMs: Math.round(out.timing.summaryMs),
  });
  return out;
}

async function streamFile(
  prisma: PrismaClient,
  workspaceId: string,
  jobId: string,
  kind: TImportKind,
  stored: TStoredMapping,
  filePath: string,
  out: ImportOutcome,
  opts: { now?: Date; batchRows?: number; writers?: number },
): Promise<void> {
  const bulk = kind === "ORDERS" || kind === "CUSTOMERS";
  const writers = bulk ? Math.max(1, opts.writers ?? CHUNK_WRITERS) : 1;
  // The rows in memory stay what two chunks of CHUNK_ROWS were (writers + 1 chunks, see CHUNK_ROWS):
  // with three chunks of 20,000 a 1M import no longer fitted a 256 MiB V8 old space (BENCHMARKS.md, session 8).
  const batchRows =
    opts.batchRows ?? (bulk ? Math.max(BATCH_ROWS, Math.floor((chunkRowsFor((await stat(filePath)).size) * 2) / (writers + 1))) : BATCH_ROWS);
  const options: TImportOptions = stored.options;
  const stream = createReadStream(filePath, { highWaterMark: 1024 * 1024 });
  let det: DetectedEncoding | null = null as DetectedEncoding | null;
  let decoder: ChunkDecoder | null = null;
  let parser: CsvParser | null = null;
  let head = new Uint8Array(0);
  let headers: string[] | null = null;
  let validator: RowValidator | null = null;
  let columnOf: (field: string) => string | null = () => null;
  const seen = new KeySet();
  let batch: BatchItem[] = [];
  let rejections: Rejection[] = [];
  let bytes = 0;

  // The batches being written (at most `writers`, each its own transaction and connection):
  // parsing and validating the next batch overlaps with them, so Node and PostgreSQL work at the
  // same time. The first failure is kept and thrown at the next flush or at the end; no new batch
  // starts after it.
  const inflight = new Set<Promise<void>>();
  let failed = null as { error: unknown } | null;
  const throwIfFailed = () => {
    if (failed) throw failed.error;
  };
  const flush = async () => {
    throwIfFailed();
    if (batch.length === 0 && rejections.length === 0) return;
    const items = batch;
    const rej = rejections;
    const raws = rawOf;
    const bytesAt = bytes;
    batch = [];
    rejections = [];
    rawOf = new Map();
    while (inflight.size >= writers) {
      await Promise.race(inflight);
      throwIfFailed();
    }
    const p: Promise<void> = writeWithRetry(items, rej, raws, bytesAt)
      .catch((e: unknown) => {
        failed ??= { error: e };
      })
      .finally(() => inflight.delete(p));
    inflight.add(p);
  };
  const drain = async () => {
    await Promise.all(inflight);
    throwIfFailed();
  };
  // A batch is one transaction, so a failed attempt leaves nothing behind and can simply be retried:
  // deadlocks and serialization failures (e.g. against a concurrent recompute) and statement timeouts
  // on a loaded machine are retried with backoff before the import gives up.
  const writeWithRetry = async (items: BatchItem[], rej: Rejection[], raws: Map<number, string>, bytesAt: number) => {
    for (let attempt = 1; ; attempt++) {
      try {
        await writeOne(items, rej, raws, bytesAt);
        return;
      } catch (e) {
        const code = pgCode(e) ?? transientCode(e);
        if (attempt >= MAX_ATTEMPTS || !code || !isRetryable(code)) throw e;
        log("import.batch_retry", { workspaceId, jobId, attempt, code });
        await new Promise((r) => setTimeout(r, 200 * 2 ** attempt + Math.random() * 200));
      }
    }
  };
  const writeOne = async (items: BatchItem[], rej: Rejection[], raws: Map<number, string>, bytesAt: number) => {
    await withWorkspace(
      prisma,
      workspaceId,
      async (tx) => {
        // The app role's 30 s guard is for requests; one import batch (with its summary triggers) may
        // need longer on a busy machine.
        await tx.$executeRawUnsafe(`SET LOCAL statement_timeout = '${BATCH_STATEMENT_TIMEOUT}'`);
        const j = await tx.importJob.findUnique({ where: { workspaceId_id: { workspaceId, id: jobId } }, select: { cancelRequestedAt: true } });
        if (j?.cancelRequestedAt) throw new Cancelled();
        // Orders: the changed customers are recorded, not refreshed: the order triggers put them on
        // the workspace's durable deferred list, committed with the chunk and refreshed once after
        // the last chunk (flushDeferred). deferBulkSummaries then moves anything still pending.
        if (kind === "ORDERS") await beginBulkSummariesDeferred(tx, workspaceId);
        const t0 = performance.now();
        const w = await writeBatch(tx, workspaceId, items, { mapped: (f) => validator?.mapped(f) ?? false, unknownCustomers: options.unknownCustomers });
        if (kind === "ORDERS") await deferBulkSummaries(tx, workspaceId);
        out.timing.writeMs += performance.now() - t0;
        const all = [...rej, ...w.rejected.map((r) => ({ ...r, column: r.column ? (columnOf(r.column) ?? r.column) : null, raw: raws.get(r.line) ?? "" }))];
        await insertRejections(tx, workspaceId, jobId, all);
        const n = items.length + rej.length;
        // Counters add up whatever order concurrent chunks commit in; the byte position only moves forward.
        await tx.$executeRaw`UPDATE import_jobs
            SET rows_total = rows_total + ${n}::int, rows_created = rows_created + ${w.created}::int,
                rows_updated = rows_updated + ${w.updated}::int, rows_unchanged = rows_unchanged + ${w.unchanged}::int,
                rows_rejected = rows_rejected + ${all.length}::int,
                bytes_processed = greatest(bytes_processed, ${BigInt(bytesAt)}::bigint)
          WHERE workspace_id = ${workspaceId}::uuid AND id = ${jobId}::uuid`;
        if (w.created + w.updated + w.customersCreated > 0) await onWorkspaceDataChanged(tx, workspaceId);
        out.rows += n;
        out.created += w.created;
        out.updated += w.updated;
        out.unchanged += w.unchanged;
        out.rejected += all.length;
      },
      { timeoutMs: 300_000 },
    );
  };
  // Raw text of the rows of the current batch (for writer-side rejections such as unknown customers).
  let rawOf = new Map<number, string>();

  let sinceYield = 0;
  const handle = async (events: ParseEvent[]) => {
    for (const e of events) {
      // Parsing a 1 MiB read is ~20,000 rows of synchronous work: let a chunk transaction's next
      // round trip go out in between, so its connection does not sit idle waiting for this loop.
      if (++sinceYield >= YIELD_ROWS) {
        sinceYield = 0;
        await new Promise<void>((r) => setImmediate(r));
      }
      if (headers === null) {
        if (e.kind === "error") throw new ImportFailure(`the header row (line ${e.line}) cannot be read: ${e.reason}`);
        headers = e.fields.map((h) => h.trim());
        const mapping = stored.columns ?? autoMap(kind, headers);
        const check = checkMapping(kind, headers, mapping, { deriveOrderIds: options.deriveOrderIds });
        if (!check.ok) throw new ImportFailure(check.reason);
        validator = new RowValidator(kind, headers, mapping, options, opts.now ?? new Date());
        const h = headers;
        columnOf = (field) => {
          const i = mapping.indexOf(field);
          return i >= 0 ? (h[i] ?? null) : null;
        };
        parser!.expectFields = headers.length;
        await withWorkspace(prisma, workspaceId, async (tx) => {
          await tx.importJob.update({
            where: { workspaceId_id: { workspaceId, id: jobId } },
            data: { mapping: { ...stored, columns: mapping, headers: h, encoding: det?.label, delimiter: out.delimiter ?? undefined } },
            select: { id: true },
          });
          // Remembered for the next import of this kind (by normalised header name).
          const columns = Object.fromEntries(h.map((name, i) => [normaliseHeader(name), mapping[i] ?? "ignore"]));
          const { delimiter: _d, ...savedOptions } = options;
          await tx.importMapping.upsert({
            where: { workspaceId_kind: { workspaceId, kind } },
            create: { workspaceId, kind, columns, options: savedOptions },
            update: { columns, options: savedOptions },
            select: { kind: true },
          });
        });
        continue;
      }
      if (e.kind === "error") {
        rejections.push({ line: e.line, column: null, reason: e.reason, raw: e.raw });
      } else {
        const r = validator!.validate(e.fields, e.line);
        if (!r.ok) rejections.push({ line: e.line, column: r.error.column, reason: r.error.reason, raw: e.raw });
        else if (!seen.add(r.key)) {
          rejections.push({ line: e.line, column: columnOf(kind === "CAMPAIGN_SPEND" ? "day" : "external_id"), reason: "duplicate: the same key appears earlier in this file (the first one is imported)", raw: e.raw });
        } else {
          batch.push({ line: e.line, row: r.row });
          rawOf.set(e.line, e.raw);
        }
      }
      if (batch.length + rejections.length >= batchRows) await flush();
    }
  };

  const start = (sample: Uint8Array): [CsvParser, ChunkDecoder] => {
    const d = detectEncoding(sample);
    det = d;
    out.encoding = d.label;
    const delimiter: Delimiter = options.delimiter ?? sniffDelimiter(new ChunkDecoder(d).write(sample.subarray(0, SAMPLE_BYTES)));
    out.delimiter = delimiter;
    return [new CsvParser({ delimiter }), new ChunkDecoder(d)];
  };

  try {
    await readAll();
    await flush();
  } finally {
    // Never leave a batch being written behind a failure elsewhere (the job's final status is
    // written after this returns, so it cannot race a commit).
    await Promise.all(inflight);
  }
  await drain();

  async function readAll(): Promise<void> {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      if (!parser) {
        // Collect a sample for encoding and delimiter detection first.
        const merged = new Uint8Array(head.length + chunk.length);
        merged.set(head);
        merged.set(chunk, head.length);
        head = merged;
        if (head.length < SAMPLE_BYTES) continue;
        [parser, decoder] = start(head);
        await handle(parser.push(decoder.write(head)));
        head = new Uint8Array(0);
        continue;
      }
      await handle(parser.push(decoder!.write(chunk)));
    }
    if (!parser || !decoder) {
      if (head.length === 0) throw new ImportFailure("the file is empty");
      [parser, decoder] = start(head);
      await handle(parser.push(decoder.write(head)));
    }
    await handle(parser.push(decoder.end()));
    await handle(parser.end());
    if (headers === null) throw new ImportFailure("the file is empty (no header row)");
  }
}

/**
 * Refreshes the workspace's deferred customers (summaries, customer_months/weeks, rollups, stats):
 * cuts the deferred list into slices of FLUSH_CUSTOMERS by customer id and refreshes them,
 * FLUSH_WRITERS transactions at a time (disjoint slices; migration 20261124108300), until none is
 * left; returns how many. Each slice is retried like a chunk; after a failure no new slice starts.
 */
export async function flushDeferred(
  prisma: PrismaClient,
  workspaceId: string,
  logCtx: Record<string, unknown> = {},
  writers: number = FLUSH_WRITERS,
  slice: number = FLUSH_CUSTOMERS,
): Promise<number> {
  let total = 0;
  for (;;) {
    const bounds = await withWorkspace(prisma, workspaceId, (tx) => deferredBounds(tx, workspaceId, slice));
    const ranges: [string | null, string | null][] = [...bounds, null].map((upto, i) => [i === 0 ? null : bounds[i - 1]!, upto]);
    let next = 0;
    let failed = null as { error: unknown } | null;
    let n = 0;
    const worker = async () => {
      while (!failed && next < ranges.length) {
        const [after, upto] = ranges[next++]!;
        try {
          // Not `n += await …`: that reads n before the await and loses the other worker's slices.
          const taken = await flushRange(prisma, workspaceId, after, upto, logCtx);
          n += taken;
        } catch (e) {
          failed ??= { error: e };
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(writers, ranges.length)) }, worker));
    if (failed) throw failed.error;
    if (n === 0) return total;
    total += n;
  }
}

async function flushRange(prisma: PrismaClient, workspaceId: string, after: string | null, upto: string | null, logCtx: Record<string, unknown>): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await withWorkspace(
        prisma,
        workspaceId,
        async (tx) => {
          await tx.$executeRawUnsafe(`SET LOCAL statement_timeout = '${FLUSH_STATEMENT_TIMEOUT}'`);
          const refreshed = await flushDeferredRange(tx, workspaceId, after, upto);
          // The summaries a recompute reads change here, not in the chunks: mark the workspace stale in
          // this transaction, so a recompute that read before this commit does not clear the mark for it.
          if (refreshed > 0) await onWorkspaceDataChanged(tx, workspaceId);
          return refreshed;
        },
        { timeoutMs: 900_000 },
      );
    } catch (e) {
      const code = pgCode(e) ?? transientCode(e);
      if (attempt >= MAX_ATTEMPTS || !code || !isRetryable(code)) throw e;
      log("import.flush_retry", { ...logCtx, attempt, code });
      await new Promise((r) => setTimeout(r, 200 * 2 ** attempt + Math.random() * 200));
    }
  }
}

async function stampHeartbeat(tx: Tx, workspaceId: string, jobId: string): Promise<void> {
  await tx.$executeRaw`UPDATE import_jobs SET heartbeat_at = now()
    WHERE workspace_id = ${workspaceId}::uuid AND id = ${jobId}::uuid AND status IN ('QUEUED', 'RUNNING')`;
}

async function insertRejections(tx: Tx, workspaceId: string, jobId: string, rows: Rejection[]): Promise<void> {
  if (rows.length === 0) return;
  const json = JSON.stringify(rows.map((r) => ({ line: r.line, column: r.column, reason: r.reason.slice(0, 1000), raw: r.raw })));
  await tx.$executeRawUnsafe(
    `INSERT INTO import_rejections (workspace_id, import_job_id, line, "column", reason, raw)
       SELECT $2::uuid, $3::uuid, x.line, x."column", x.reason, x.raw
         FROM jsonb_to_recordset($1::jsonb) AS x(line int, "column" text, reason text, raw text)
     ON CONFLICT DO NOTHING`,
    json,
    workspaceId,
    jobId,
  );
}
