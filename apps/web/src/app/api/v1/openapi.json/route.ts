import { v1 } from "~/lib/api-v1";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/** GET /api/v1/openapi.json: the OpenAPI 3.1 description (public). */
const h = v1({ GET: "openapi" });
export const GET = h.GET;
export const POST = h.POST;
export const PUT = h.PUT;
export const PATCH = h.PATCH;
export const DELETE = h.DELETE;
