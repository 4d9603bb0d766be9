import type { IncomingMessage, ServerResponse } from "node:http";
import { createRequire } from "node:module";
import { logError } from "@valuelens/api";
import { handleTrpc } from "~/trpc/http";
import { BodyTooLarge, MAX_TRPC_BODY_BYTES, readBody } from "./body";

/**
 * `/api/trpc/<procedures>` answered straight from Node's HTTP server, without Next.js's routing
 * (≈ a quarter of a request's CPU under load, BENCHMARKS.md "Session 8"/"Session 9" of the Customers
 * page). What a request sees is what the Next.js route (`app/api/trpc/[trpc]/route.ts`) gave it:
 * - the same handler (`handleTrpc`: batch-size, origin and content-type checks, the session cookie
 *   decoded by requestContext, the per-procedure session check, cache-control: no-store, error logs);
 * - the request headers as Next.js hands them to a route: `x-forwarded-for` set to the peer address
 *   when the client sent none (clientIp reads it), everything else as received;
 * - the response headers next.config.ts's `headers()` sets on a matching path (the security headers),
 *   under the handler's own headers, exactly as Next.js layers them.
 * The proxy (src/proxy.ts) never ran for /api/* (its matcher excludes it), so nothing is skipped there.
 * Which requests come here: src/server/routing.ts (isDirectTrpcRequest).
 */
/** The Vary Next.js sets on an app route's response (base-server.js setVaryHeader), before the route's own. */
const NEXT_VARY = "rsc, next-router-state-tree, next-router-prefetch, next-router-segment-prefetch";

type Middleware = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;

/** Next.js's compression middleware (next/dist/compiled/compression, the one its router server uses), or null when next.config.ts turns compression off. */
export function nextCompression(enabled: boolean): Middleware | null {
  if (!enabled) return null;
  const compression = createRequire(import.meta.url)("next/dist/compiled/compression") as () => Middleware;
  return compression();
}

/** The request as a fetch Request, with the headers a Next.js route handler would see. */
async function toRequest(req: IncomingMessage, res: ServerResponse, base: string): Promise<Request> {
  const headers = new Headers();
  for (const [key, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) headers.append(key, v);
    else headers.append(key, value);
  }
  // Next.js: req.headers['x-forwarded-for'] ??= socket.remoteAddress (base-server.js), before any route.
  if (!headers.has("x-forwarded-for") && req.socket.remoteAddress) headers.set("x-forwarded-for", req.socket.remoteAddress);
  const controller = new AbortController();
  res.once("close", () => {
    if (!res.writableFinished) controller.abort();
  });
  const body = req.method === "POST" ? await readBody(req, MAX_TRPC_BODY_BYTES) : null;
  return new Request(new URL(req.url!, base), { method: req.method, headers, body, signal: controller.signal });
}

/**
 * Serves one /api/trpc request. `base` is the origin the request URL is resolved against (Next.js's
 * own under a custom server: http://localhost:<port>); `headersFor` gives next.config.ts's headers for a path.
 */
export async function serveTrpc(
  req: IncomingMessage,
  res: ServerResponse,
  base: string,
  headersFor: (pathname: string) => [string, string][],
  compress: Middleware | null,
): Promise<void> {
  const securityHeaders = headersFor((req.url ?? "/").split("?")[0]!);
  try {
    const response = await handleTrpc(await toRequest(req, res, base));
    const body = Buffer.from(await response.arrayBuffer());
    res.statusCode = response.status;
    for (const [k, v] of securityHeaders) res.setHeader(k, v);
    // Next.js's app-route Vary, then the handler's own (appended, as Next.js does).
    res.appendHeader("vary", NEXT_VARY);
    response.headers.forEach((v, k) => {
      if (k === "vary") res.appendHeader("vary", v);
      else if (k !== "set-cookie") res.setHeader(k, v);
    });
    const cookies = response.headers.getSetCookie();
    if (cookies.length > 0) res.setHeader("set-cookie", cookies);
    // Next.js's own compression middleware (gzip/deflate when accepted and the body is ≥ 1 KiB; adds
    // Vary: Accept-Encoding), as next start applies it to every response unless next.config sets compress: false.
    compress?.(req, res, () => undefined);
    res.end(body);
  } catch (e) {
    if (e instanceof BodyTooLarge) {
      res.setHeader("connection", "close");
      return sendError(res, 413, `Request body too large (over ${MAX_TRPC_BODY_BYTES} bytes).`, securityHeaders);
    }
    logError("web.trpc_request_failed", { message: e instanceof Error ? e.message : String(e) });
    if (res.headersSent) {
      res.destroy();
      return;
    }
    sendError(res, 500, "Internal server error.", securityHeaders);
  }
}

/** An error in the JSON shape the handler's own refusals use, with the path's security headers. */
function sendError(res: ServerResponse, status: number, message: string, securityHeaders: [string, string][]): void {
  res.statusCode = status;
  for (const [k, v] of securityHeaders) res.setHeader(k, v);
  res.setHeader("content-type", "application/json");
  res.setHeader("cache-control", "no-store");
  res.end(JSON.stringify({ error: { message } }));
}
