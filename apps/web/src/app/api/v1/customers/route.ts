import { v1 } from "~/lib/api-v1";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/** POST /api/v1/customers (upsert, write scope); GET /api/v1/customers?cursor=&limit= (read scope). */
const h = v1({ POST: "customers.upsert", GET: "customers.list" });
export const GET = h.GET;
export const POST = h.POST;
export const PUT = h.PUT;
export const PATCH = h.PATCH;
export const DELETE = h.DELETE;
