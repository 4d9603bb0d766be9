import { createWriteStream } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { withWorkspace, type PrismaClient, type Tx } from "@valuelens/db";
import { toCsvRow, type TImportKind, type TImportUploadParams } from "@valuelens/validators";
import { log } from "../../log.ts";
import { DomainError } from "../domain-error.ts";
import { HEARTBEAT_MS, runImportJob, runningHere } from "./engine.ts";
import { requireRole } from "../membership.ts";

/** Uploads up to 2 GiB (the issue asks for at least 1 GB). */
export const MAX_UPLOAD_BYTES = 2 * 1024 ** 3;

export function uploadDir(): string {
  return join(tmpdir(), "valuelens-uploads");
}

/**
 * A job is dead when its heartbeat (stamped every HEARTBEAT_MS by the process running it, and while
 * its upload streams in) is older than this. Any process may sweep: a live import in another web
 * process or a script keeps its heartbeat fresh and is never marked.
 */
export const STALE_AFTER_MS = 6 * HEARTBEAT_MS;
export const INTERRUPTED_ERROR = "interrupted: the server stopped during the import; re-run the same file to complete it (nothing is duplicated)";

/**
 * An import that was RUNNING (or QUEUED) when its process died can never finish: mark it FAILED
 * ("interrupted"). Its committed batches are consistent (one transaction each, with the job's
 * progress, its rejections and the list of customers whose summaries it deferred; the worker's
 * sweep, failInterruptedImportsEverywhere, refreshes those) and re-running the same file completes
 * the data without duplicates (idempotent upserts). Dead = no heartbeat since `before` (default: now −
 * STALE_AFTER_MS, by the database clock); jobs this process runs are never touched.
 */
export async function failInterruptedImports(tx: Tx, workspaceId: string, before?: Date): Promise<number> {
  const here = [...runningHere()];
  const rows = await tx.$queryRaw<{ id: string }[]>`
    UPDATE import_jobs
       SET status = 'FAILED', error = ${INTERRUPTED_ERROR}, finished_at = now()
     WHERE workspace_id = ${workspaceId}::uuid
       AND status IN ('RUNNING', 'QUEUED')
       AND coalesce(heartbeat_at, started_at, created_at)
           < coalesce(${before ?? null}::timestamptz, now() - make_interval(secs => ${STALE_AFTER_MS / 1000}))
       AND NOT (id::text = ANY(${here}::text[]))
    RETURNING id::text AS id`;
  if (rows.length > 0) log("import.interrupted_marked_failed", { workspaceId, count: rows.length, jobIds: rows.map((r) => r.id) });
  return rows.length;
}

const lastSweep = new Map<string, number>();
/** Sweeps a workspace's dead imports when its import list is read (at most every 10 s per process). */
async function sweepOnce(tx: Tx, workspaceId: string): Promise<void> {
  const now = Date.now();
  if ((lastSweep.get(workspaceId) ?? 0) > now - HEARTBEAT_MS) return;
  await failInterruptedImports(tx, workspaceId);
  lastSweep.set(workspaceId, now);
}

/**
 * The upload: checks the caller is ADMIN+ in the workspace, creates the job (QUEUED), streams the
 * body to disk (never held in memory; capped), then runs the import in the background of this
 * server process — it carries on when the browser tab closes. Returns the job id at once.
 */
export async function startImportUpload(
  prisma: PrismaClient,
  userId: string,
  params: TImportUploadParams,
  body: WebReadableStream<Uint8Array> | Readable,
  opts: { wait?: boolean; now?: Date } = {},
): Promise<{ jobId: string; done?: Promise<unknown> }> {
  const { workspaceId } = params;
  const jobId = await withWorkspace(
    prisma,
    workspaceId,
    async (tx) => {
      await requireRole(tx, workspaceId, userId, "ADMIN");
      await sweepOnce(tx, workspaceId);
      const job = await tx.importJob.create({
        data: { workspaceId, kind: params.kind, fileName: params.fileName, createdById: userId, mapping: { columns: params.mapping, options: params.options } },
        select: { id: true },
      });
      await tx.auditLog.create({ data: { workspaceId, actorUserId: userId, action: "import.started", target: job.id, details: { kind: params.kind, fileName: params.fileName } }, select: { id: true } });
      return job.id;
    },
    { userId },
  );
  const dir = uploadDir();
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, `${jobId}.upload`);
  let size = 0;
  // While the upload streams in (QUEUED), the job's heartbeat says it is alive (a 1 GB upload takes
  // longer than STALE_AFTER_MS).
  let beat = Date.now();
  const limit = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      size += chunk.length;
      if (Date.now() - beat > HEARTBEAT_MS) {
        beat = Date.now();
        void withWorkspace(prisma, workspaceId, (tx) => tx.$executeRaw`UPDATE import_jobs SET heartbeat_at = now() WHERE workspace_id = ${workspaceId}::uuid AND id = ${jobId}::uuid`).catch(
          (e: unknown) => log("import.upload_heartbeat_failed", { workspaceId, jobId, message: e instanceof Error ? e.message : String(e) }),
        );
      }
      if (size > MAX_UPLOAD_BYTES) cb(new DomainError("BAD_REQUEST", `The file is larger than ${MAX_UPLOAD_BYTES / 1024 ** 3} GiB.`));
      else cb(null, chunk);
    },
  });
  try {
    const src = body instanceof Readable ? body : Readable.fromWeb(body);
    await pipeline(src, limit, createWriteStream(path, { mode: 0o600 }));
  } catch (e) {
    await rm(path, { force: true });
    await withWorkspace(prisma, workspaceId, (tx) =>
      tx.importJob.update({
        where: { workspaceId_id: { workspaceId, id: jobId } },
        data: { status: "FAILED", error: e instanceof DomainError ? e.message : "the upload did not complete", finishedAt: new Date() },
        select: { id: true },
      }),
    );
    if (e instanceof DomainError) throw e;
    throw new DomainError("BAD_REQUEST", "The upload did not complete.");
  }
  const done = runImportJob(prisma, workspaceId, jobId, path, { now: opts.now }).finally(() => rm(path, { force: true }));
  if (opts.wait) await done;
  else void done;
  return { jobId, done };
}

const JOB_SELECT = {
  id: true,
  kind: true,
  status: true,
  fileName: true,
  createdById: true,
  rowsTotal: true,
  rowsCreated: true,
  rowsUpdated: true,
  rowsUnchanged: true,
  rowsRejected: true,
  bytesTotal: true,
  bytesProcessed: true,
  error: true,
  mapping: true,
  startedAt: true,
  finishedAt: true,
  createdAt: true,
  cancelRequestedAt: true,
} as const;

export interface ImportJobDto {
  id: string;
  kind: TImportKind;
  status: "QUEUED" | "RUNNING" | "COMPLETED" | "FAILED" | "CANCELLED";
  fileName: string;
  createdBy: string | null;
  rows: number;
  created: number;
  updated: number;
  unchanged: number;
  rejected: number;
  /** created + updated + unchanged + rejected = rows, checked by the import before it completes. */
  invariantHolds: boolean;
  bytesTotal: number;
  bytesProcessed: number;
  rowsPerSecond: number | null;
  etaSeconds: number | null;
  durationMs: number | null;
  error: string | null;
  encoding: string | null;
  delimiter: string | null;
  cancelRequested: boolean;
  startedAt: Date | null;
  finishedAt: Date | null;
  createdAt: Date;
}

type JobRow = {
  id: string;
  kind: TImportKind;
  status: ImportJobDto["status"];
  fileName: string;
  createdById: string | null;
  rowsTotal: number;
  rowsCreated: number;
  rowsUpdated: number;
  rowsUnchanged: number;
  rowsRejected: number;
  bytesTotal: bigint;
  bytesProcessed: bigint;
  error: string | null;
  mapping: unknown;
  startedAt: Date | null;
  finishedAt: Date | null;
  createdAt: Date;
  cancelRequestedAt: Date | null;
};

function toDto(j: JobRow, emails: Map<string, string>, now = Date.now()): ImportJobDto {
  const end = j.finishedAt?.getTime() ?? now;
  const ms = j.startedAt ? end - j.startedAt.getTime() : null;
  const rps = ms && ms > 0 && j.rowsTotal > 0 ? Math.round((j.rowsTotal * 1000) / ms) : null;
  const bytesLeft = Number(j.bytesTotal - j.bytesProcessed);
  const bytesPerMs = ms && ms > 0 ? Number(j.bytesProcessed) / ms : 0;
  const m = (j.mapping ?? {}) as { encoding?: unknown; delimiter?: unknown };
  return {
    id: j.id,
    kind: j.kind,
    status: j.status,
    fileName: j.fileName,
    createdBy: j.createdById ? (emails.get(j.createdById) ?? null) : null,
    rows: j.rowsTotal,
    created: j.rowsCreated,
    updated: j.rowsUpdated,
    unchanged: j.rowsUnchanged,
    rejected: j.rowsRejected,
    invariantHolds: j.rowsCreated + j.rowsUpdated + j.rowsUnchanged + j.rowsRejected === j.rowsTotal,
    bytesTotal: Number(j.bytesTotal),
    bytesProcessed: Number(j.bytesProcessed),
    rowsPerSecond: rps,
    etaSeconds: j.status === "RUNNING" && bytesPerMs > 0 ? Math.round(bytesLeft / bytesPerMs / 1000) : null,
    durationMs: ms,
    error: j.error,
    encoding: typeof m.encoding === "string" ? m.encoding : null,
    delimiter: typeof m.delimiter === "string" ? m.delimiter : null,
    cancelRequested: j.cancelRequestedAt !== null,
    startedAt: j.startedAt,
    finishedAt: j.finishedAt,
    createdAt: j.createdAt,
  };
}

async function emailsOf(tx: Tx, workspaceId: string, ids: (string | null)[]): Promise<Map<string, string>> {
  const want = [...new Set(ids.filter((x): x is string => x !== null))];
  if (want.length === 0) return new Map();
  const ms = await tx.membership.findMany({ where: { workspaceId, userId: { in: want } }, select: { userId: true, user: { select: { email: true } } } });
  return new Map(ms.map((m) => [m.userId, m.user.email]));
}

export async function listImports(tx: Tx, workspaceId: string, limit: number): Promise<ImportJobDto[]> {
  await sweepOnce(tx, workspaceId);
  const jobs = await tx.importJob.findMany({ where: { workspaceId }, select: JOB_SELECT, orderBy: { createdAt: "desc" }, take: limit });
  const emails = await emailsOf(tx, workspaceId, jobs.map((j) => j.createdById));
  return jobs.map((j) => toDto(j, emails));
}

export async function getImport(tx: Tx, workspaceId: string, jobId: string): Promise<ImportJobDto> {
  const j = await tx.importJob.findUnique({ where: { workspaceId_id: { workspaceId, id: jobId } }, select: JOB_SELECT });
  if (!j) throw new DomainError("NOT_FOUND", "Import not found.");
  return toDto(j, await emailsOf(tx, workspaceId, [j.createdById]));
}

/** Asks a running import to stop after its current batch (batches already committed stay). */
export async function cancelImport(tx: Tx, workspaceId: string, jobId: string): Promise<{ status: ImportJobDto["status"] }> {
  const j = await tx.importJob.findUnique({ where: { workspaceId_id: { workspaceId, id: jobId } }, select: { status: true } });
  if (!j) throw new DomainError("NOT_FOUND", "Import not found.");
  if (j.status === "QUEUED" || j.status === "RUNNING") {
    await tx.importJob.update({ where: { workspaceId_id: { workspaceId, id: jobId } }, data: { cancelRequestedAt: new Date() }, select: { id: true } });
  }
  return { status: j.status };
}

export interface RejectionDto {
  line: number;
  column: string | null;
  reason: string;
  raw: string;
}

export async function listRejections(tx: Tx, workspaceId: string, jobId: string, limit: number, afterLine = 0): Promise<RejectionDto[]> {
  const j = await tx.importJob.findUnique({ where: { workspaceId_id: { workspaceId, id: jobId } }, select: { id: true } });
  if (!j) throw new DomainError("NOT_FOUND", "Import not found.");
  return tx.importRejection.findMany({
    where: { workspaceId, importJobId: jobId, line: { gt: afterLine } },
    select: { line: true, column: true, reason: true, raw: true },
    orderBy: { line: "asc" },
    take: limit,
  });
}

/** The error report as CSV (formula-safe cells), produced page by page (constant memory). */
export async function* rejectionReportCsv(prisma: PrismaClient, userId: string, workspaceId: string, jobId: string): AsyncGenerator<string> {
  // Authorize first (and 404 for jobs of other workspaces) before the first byte.
  await withWorkspace(prisma, workspaceId, async (tx) => {
    await requireRole(tx, workspaceId, userId, "MEMBER");
    await listRejections(tx, workspaceId, jobId, 1);
  }, { userId });
  yield toCsvRow(["line", "column", "reason", "raw"]);
  let after = 0;
  for (;;) {
    const page = await withWorkspace(prisma, workspaceId, (tx) => listRejections(tx, workspaceId, jobId, 2_000, after), { userId });
    for (const r of page) yield toCsvRow([r.line, r.column, r.reason, r.raw]);
    if (page.length < 2_000) return;
    after = page[page.length - 1]!.line;
  }
}

/** The mapping used last time for this kind: normalised header → target field. */
export async function getSavedMapping(tx: Tx, workspaceId: string, kind: TImportKind): Promise<{ columns: Record<string, string>; options: Record<string, unknown> } | null> {
  const m = await tx.importMapping.findUnique({ where: { workspaceId_kind: { workspaceId, kind } }, select: { columns: true, options: true } });
  if (!m) return null;
  return { columns: m.columns as Record<string, string>, options: m.options as Record<string, unknown> };
}
