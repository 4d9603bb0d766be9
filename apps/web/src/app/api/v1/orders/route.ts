import { v1 } from "~/lib/api-v1";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/** POST /api/v1/orders: upsert up to 10,000 orders (write scope). */
const h = v1({ POST: "orders.upsert" });
export const GET = h.GET;
export const POST = h.POST;
export const PUT = h.PUT;
export const PATCH = h.PATCH;
export const DELETE = h.DELETE;
