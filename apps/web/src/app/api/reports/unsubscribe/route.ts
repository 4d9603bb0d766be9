import { TRPCError } from "@trpc/server";
import { createCaller } from "@valuelens/api";
import { requestContext } from "~/trpc/context";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

const noStore = { "cache-control": "no-store" };

/**
 * RFC 8058 one-click unsubscribe: the URL in each report's List-Unsubscribe header. Mail clients
 * POST `List-Unsubscribe=One-Click` to it without cookies; the signed, expiring token in the query
 * is the credential. Idempotent: a repeated POST answers 200 again.
 */
export async function POST(req: Request): Promise<Response> {
  const token = new URL(req.url).searchParams.get("t") ?? "";
  const body = await req.text().catch(() => "");
  if (new URLSearchParams(body).get("List-Unsubscribe") !== "One-Click") {
    return Response.json({ error: { message: "Expected the body List-Unsubscribe=One-Click (RFC 8058)." } }, { status: 400, headers: noStore });
  }
  try {
    const caller = createCaller(await requestContext(req.headers));
    const r = await caller.reports.unsubscribe({ token });
    return Response.json({ ok: true, email: r.email, report: r.report }, { status: 200, headers: noStore });
  } catch (e) {
    if (e instanceof TRPCError && (e.code === "BAD_REQUEST" || e.code === "NOT_FOUND")) {
      return Response.json({ error: { message: e.message } }, { status: e.code === "NOT_FOUND" ? 404 : 400, headers: noStore });
    }
    throw e;
  }
}

/** A browser that opens the header's URL gets the confirmation page: a GET never unsubscribes (link scanners follow links). */
export function GET(req: Request): Response {
  const url = new URL(req.url);
  return Response.redirect(new URL(`/unsubscribe?t=${encodeURIComponent(url.searchParams.get("t") ?? "")}`, url), 303);
}
