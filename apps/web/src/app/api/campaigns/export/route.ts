import { campaignsCsv } from "@valuelens/api/services";
import { ZCampaignExportInput } from "@valuelens/validators";
import { csvDownload } from "~/lib/csv-response";
import { requestContext } from "~/trpc/context";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/**
 * GET /api/campaigns/export?workspaceId=…&measure=…&horizon=…&fromMonth=…&toMonth=…&campaignIds=a,b —
 * the campaign comparison (or all campaigns) as CSV, formula-safe; viewers and above.
 */
export async function GET(req: Request): Promise<Response> {
  const q = new URL(req.url).searchParams;
  const ids = q.get("campaignIds");
  const parsed = ZCampaignExportInput.safeParse({
    workspaceId: q.get("workspaceId"),
    measure: q.get("measure") ?? undefined,
    horizon: q.get("horizon") ?? undefined,
    fromMonth: q.get("fromMonth") ?? undefined,
    toMonth: q.get("toMonth") ?? undefined,
    campaignIds: ids ? ids.split(",") : undefined,
  });
  if (!parsed.success) {
    return Response.json({ error: { message: "Invalid export request.", issues: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`) } }, { status: 400 });
  }
  const ctx = await requestContext(req.headers);
  if (!ctx.user) return Response.json({ error: { message: "Sign in to continue." } }, { status: 401 });
  const { workspaceId, ...input } = parsed.data;
  return csvDownload(campaignsCsv(ctx.prisma, ctx.user.id, workspaceId, input), `campaigns-${new Date().toISOString().slice(0, 10)}.csv`, "campaigns.export_failed");
}
