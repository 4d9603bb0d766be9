import type { ReadableStream as NodeReadableStream } from "node:stream/web";
import { log, logError } from "@valuelens/api";
import { DomainError, startImportUpload } from "@valuelens/api/services";
import { ZImportUploadParams } from "@valuelens/validators";
import { webEnv } from "~/env";
import { requestContext } from "~/trpc/context";

export const runtime = "nodejs";
// The body is streamed to disk: never parsed, never buffered here.
export const dynamic = "force-dynamic";

const STATUS: Record<DomainError["code"], number> = {
  NOT_FOUND: 404,
  FORBIDDEN: 403,
  CONFLICT: 409,
  BAD_REQUEST: 400,
  TOO_MANY_REQUESTS: 429,
  PRECONDITION_FAILED: 412,
};

function reject(status: number, message: string): Response {
  return Response.json({ error: { message } }, { status, headers: { "cache-control": "no-store" } });
}

/**
 * POST /api/import?params=<JSON of ZImportUploadParams> with the raw file as the body.
 * Same session as tRPC; the service checks ADMIN in the workspace. Returns { jobId } once the file is
 * on disk; the import itself runs in the background of this server process.
 */
export async function POST(req: Request): Promise<Response> {
  const url = new URL(req.url);
  const origin = req.headers.get("origin");
  const allowed = new Set([new URL(webEnv().APP_URL).origin, url.origin]);
  if (origin && !allowed.has(origin)) return reject(403, "Cross-origin request refused.");
  const ctx = await requestContext(req.headers);
  if (!ctx.user) return reject(401, "Sign in to continue.");
  let raw: unknown;
  try {
    raw = JSON.parse(url.searchParams.get("params") ?? "null");
  } catch {
    return reject(400, "params must be JSON.");
  }
  const parsed = ZImportUploadParams.safeParse(raw);
  if (!parsed.success) return reject(400, parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
  if (!req.body) return reject(400, "The file is empty.");
  try {
    const { jobId } = await startImportUpload(ctx.prisma, ctx.user.id, parsed.data, req.body as unknown as NodeReadableStream<Uint8Array>);
    log("import.upload_accepted", { workspaceId: parsed.data.workspaceId, jobId, userId: ctx.user.id, requestId: ctx.requestId });
    return Response.json({ jobId }, { status: 202, headers: { "cache-control": "no-store" } });
  } catch (e) {
    if (e instanceof DomainError) return reject(STATUS[e.code], e.message);
    logError("import.upload_failed", { error: e, requestId: ctx.requestId });
    return reject(500, "The upload failed.");
  }
}
