import { v1 } from "~/lib/api-v1";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/** GET /api/v1/customers/{externalId}: summary and scores (read scope). */
const h = v1({ GET: "customers.get" });
export const GET = h.GET;
export const POST = h.POST;
export const PUT = h.PUT;
export const PATCH = h.PATCH;
export const DELETE = h.DELETE;
