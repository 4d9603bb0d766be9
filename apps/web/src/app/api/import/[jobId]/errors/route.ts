import { rejectionReportCsv } from "@valuelens/api/services";
import { ZUuid } from "@valuelens/validators";
import { csvDownload } from "~/lib/csv-response";
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
  return csvDownload(rejectionReportCsv(ctx.prisma, ctx.user.id, workspaceId, jobId), `import-${jobId}-errors.csv`, "import.report_failed");
}
