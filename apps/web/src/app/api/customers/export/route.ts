import { logError } from "@valuelens/api";
import { customersCsv, DomainError } from "@valuelens/api/services";
import { ZCustomerExportInput } from "@valuelens/validators";
import { requestContext } from "~/trpc/context";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/**
 * GET /api/customers/export?workspaceId=…&sort=…&dir=…&filters=<json> — the filtered customer list
 * as CSV, streamed (formula-safe cells; members and above).
 */
export async function GET(req: Request): Promise<Response> {
  const q = new URL(req.url).searchParams;
  let filters: unknown = {};
  try {
    filters = JSON.parse(q.get("filters") ?? "{}");
  } catch {
    return Response.json({ error: { message: "filters must be JSON." } }, { status: 400 });
  }
  const parsed = ZCustomerExportInput.safeParse({
    workspaceId: q.get("workspaceId"),
    sort: q.get("sort") ?? undefined,
    dir: q.get("dir") ?? undefined,
    filters,
  });
  if (!parsed.success) {
    return Response.json({ error: { message: "Invalid export request.", issues: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`) } }, { status: 400 });
  }
  const ctx = await requestContext(req.headers);
  if (!ctx.user) return Response.json({ error: { message: "Sign in to continue." } }, { status: 401 });
  const { workspaceId, ...input } = parsed.data;
  const gen = customersCsv(ctx.prisma, ctx.user.id, workspaceId, input);
  let first: IteratorResult<string>;
  try {
    first = await gen.next(); // authorization happens before the first byte
  } catch (e) {
    if (e instanceof DomainError) return Response.json({ error: { message: e.message } }, { status: e.code === "FORBIDDEN" ? 403 : e.code === "BAD_REQUEST" ? 400 : 404 });
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
        logError("customers.export_failed", { error: e });
        c.error(e);
      }
    },
    async cancel() {
      await gen.return(undefined);
    },
  });
  const day = new Date().toISOString().slice(0, 10);
  return new Response(body, {
    headers: {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": `attachment; filename="customers-${day}.csv"`,
      "cache-control": "no-store",
    },
  });
}
