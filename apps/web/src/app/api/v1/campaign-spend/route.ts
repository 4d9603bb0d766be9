import { v1 } from "~/lib/api-v1";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/** POST /api/v1/campaign-spend: upsert daily spend (write scope). */
const h = v1({ POST: "campaignSpend.upsert" });
export const GET = h.GET;
export const POST = h.POST;
export const PUT = h.PUT;
export const PATCH = h.PATCH;
export const DELETE = h.DELETE;
