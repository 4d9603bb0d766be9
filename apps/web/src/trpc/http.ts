import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { appRouter, logError } from "@valuelens/api";
import { webEnv } from "~/env";
import { requestContext } from "~/trpc/context";

/** At most this many procedures in one batched HTTP call (T-DOS-2). */
export const MAX_TRPC_BATCH = 20;

function reject(status: number, message: string): Response {
  return Response.json({ error: { message } }, { status, headers: { "cache-control": "no-store" } });
}

/**
 * The tRPC HTTP endpoint (`/api/trpc/<procedure>[,<procedure>…]`), framework-neutral: the Next.js route
 * (`app/api/trpc/[trpc]/route.ts`, used by `next dev`) and the production server (`src/server/main.ts`,
 * which answers these requests without going through Next.js) both call this one function, so the
 * checks, the session decoding and the context are the same on both paths.
 */
export async function handleTrpc(req: Request): Promise<Response> {
  const url = new URL(req.url);
  const procs = decodeURIComponent(url.pathname.replace(/^\/api\/trpc\/?/, "")).split(",");
  if (procs.length > MAX_TRPC_BATCH) return reject(400, `Too many procedures in one batch (${procs.length} > ${MAX_TRPC_BATCH}).`);
  if (req.method === "POST") {
    // CSRF defence for cookie-authenticated mutations: same origin and a JSON body only.
    const origin = req.headers.get("origin");
    const allowed = new Set([new URL(webEnv().APP_URL).origin, url.origin]);
    if (origin && !allowed.has(origin)) return reject(403, "Cross-origin request refused.");
    const ct = req.headers.get("content-type") ?? "";
    if (!ct.startsWith("application/json")) return reject(415, "Send application/json.");
  }
  return fetchRequestHandler({
    endpoint: "/api/trpc",
    req,
    router: appRouter,
    createContext: () => requestContext(req.headers, { checkSessionInProcedure: true }),
    responseMeta: () => ({ headers: new Headers({ "cache-control": "no-store" }) }),
    onError: ({ error, path }) => {
      if (error.code === "INTERNAL_SERVER_ERROR") logError("trpc.http_error", { path, message: error.message });
    },
  });
}
