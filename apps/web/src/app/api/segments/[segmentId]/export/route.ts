import { ruleSegmentCsv } from "@valuelens/api/services";
import { ZUuid } from "@valuelens/validators";
import { csvDownload } from "~/lib/csv-response";
import { requestContext } from "~/trpc/context";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/**
 * GET /api/segments/<segmentId>/export?workspaceId=… — a rule segment's members as CSV, streamed
 * along the customer-id keyset (formula-safe cells; members and above).
 */
export async function GET(req: Request, { params }: { params: Promise<{ segmentId: string }> }): Promise<Response> {
  const { segmentId } = await params;
  const workspaceId = new URL(req.url).searchParams.get("workspaceId");
  if (!ZUuid.safeParse(segmentId).success || !ZUuid.safeParse(workspaceId).success) {
    return Response.json({ error: { message: "Invalid export request: segment and workspace ids are required." } }, { status: 400 });
  }
  const ctx = await requestContext(req.headers);
  if (!ctx.user) return Response.json({ error: { message: "Sign in to continue." } }, { status: 401 });
  return csvDownload(ruleSegmentCsv(ctx.prisma, ctx.user.id, workspaceId!, segmentId), `segment-${segmentId.slice(0, 8)}-${new Date().toISOString().slice(0, 10)}.csv`, "segment.export_failed");
}
