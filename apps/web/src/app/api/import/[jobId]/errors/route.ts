import { logError } from "@valuelens/api";
import { DomainError, rejectionReportCsv } from "@valuelens/api/services";
import { ZUuid } from "@valuelens/validators";
import { requestContext } from "~/trpc/context";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/** GET /api/import/<jobId>/errors?workspaceId=… — the rejected rows as CSV (formula-safe cells). */
export async function GET(req: Request, { params }: { params: Promise<{ jobId: string }> }): Promise<Response> {
  const { jobId } = await params;
  const workspaceId = new URL(req.url).searchParams.get("workspaceId");
  const ids = ZUuid.safeParse(jobId).success && ZUuid.safeParse(workspaceId).success;
  if (!ids || !workspaceId) return Response.json({ error: { message: "Bad job or workspace id." } }, { status: 400 });
  const ctx = await requestContext(req.headers);
  if (!ctx.user) return Response.json({ error: { message: "Sign in to continue." } }, { status: 401 });
  const gen = rejectionReportCsv(ctx.prisma, ctx.user.id, workspaceId, jobId);
  let first: IteratorResult<string>;
  try {
    first = await gen.next(); // authorization happens before the first chunk
  } catch (e) {
    if (e instanceof DomainError) return Response.json({ error: { message: e.message } }, { status: e.code === "FORBIDDEN" ? 403 : 404 });
    throw e;
  }
  const enc = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      if (!first.done) c.enqueue(enc.encode("\uFEFF" + first.value));
    },
    async pull(c) {
      try {
        const n = await gen.next();
        if (n.done) c.close();
        else c.enqueue(enc.encode(n.value));
      } catch (e) {
        logError("import.report_failed", { error: e });
        c.error(e);
      }
    },
  });
  return new Response(body, {
    headers: {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": `attachment; filename="import-${jobId}-errors.csv"`,
      "cache-control": "no-store",
    },
  });
}
