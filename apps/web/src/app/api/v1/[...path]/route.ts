import { v1 } from "~/lib/api-v1";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/** Anything else under /api/v1: 404 in the API error shape. */
const h = v1({ GET: "notFound", POST: "notFound", PUT: "notFound", PATCH: "notFound", DELETE: "notFound" });
export const GET = h.GET;
export const POST = h.POST;
export const PUT = h.PUT;
export const PATCH = h.PATCH;
export const DELETE = h.DELETE;
