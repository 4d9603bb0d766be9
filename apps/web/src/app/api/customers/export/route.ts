import { customersCsv } from "@valuelens/api/services";
import { ZCustomerExportInput } from "@valuelens/validators";
import { csvDownload } from "~/lib/csv-response";
import { requestContext } from "~/trpc/context";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/**
 * GET /api/customers/export?workspaceId=…&view=…&sort=…&dir=…&filters=<json> — the filtered customer list
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
    view: q.get("view") ?? undefined,
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
  return csvDownload(customersCsv(ctx.prisma, ctx.user.id, workspaceId, input), `customers-${new Date().toISOString().slice(0, 10)}.csv`, "customers.export_failed");
}
