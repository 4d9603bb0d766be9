import { checkHealth } from "@valuelens/api/services";

export const dynamic = "force-dynamic";

/** Liveness and readiness: 200 when the database answers, 503 otherwise. */
export async function GET(): Promise<Response> {
  const h = await checkHealth();
  return Response.json(h, { status: h.status === "ok" ? 200 : 503, headers: { "cache-control": "no-store" } });
}
