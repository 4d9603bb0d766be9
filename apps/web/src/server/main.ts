/**
 * The production web server (`pnpm start` / `./valuelens start` run it through scripts/start.ts with
 * `node --import tsx`; it replaces `next start`). One process, one port:
 * - `/api/trpc/*` (GET/POST) is answered by the tRPC handler directly (src/server/trpc-node.ts): the
 *   same handler, checks and headers as the Next.js route, without Next.js's routing per request;
 * - everything else — pages, assets, Auth.js, /api/health, the other API routes — goes to Next.js,
 *   running in this process as a custom server (`next({ dev: false })`), unchanged.
 * Settings are validated before anything starts (a bad one stops the server with a message naming it);
 * SIGTERM/SIGINT stop accepting connections, let in-flight requests finish (WEB_SHUTDOWN_GRACE_SECONDS),
 * close both database pools (this copy of the api and Next.js's bundled one), then exit 0.
 */
// First, as `next start` does: Next.js's process set-up (AsyncLocalStorage on globalThis, which
// next/headers captures when it is first loaded — by the tRPC handler's imports below).
import "next/dist/server/node-environment";
import http from "node:http";
import path from "node:path";
import next from "next";
import { apiEnv, log, logError, setLogLevel } from "@valuelens/api";
import { shutdownDb, validateDbEnv } from "@valuelens/api/services";
import { webEnv } from "~/env";
import { serverEnv } from "./env";
import { takeShutdownOwnership } from "./shutdown-hooks";
import { compileHeaderRules, isDirectTrpcRequest, type HeaderRule } from "./routing";
import { nextCompression, serveTrpc } from "./trpc-node";

const webDir = path.resolve(import.meta.dirname, "../..");

function fail(message: string): never {
  process.stderr.write(`\nValueLens cannot start: ${message}\n\n`);
  process.exit(1);
}

let env: ReturnType<typeof serverEnv>;
try {
  env = serverEnv();
  setLogLevel(webEnv().LOG_LEVEL);
  apiEnv();
  validateDbEnv();
} catch (e) {
  fail(e instanceof Error ? e.message : String(e));
}

// The response headers next.config.ts gives a path (the rules Next.js applies to everything else).
let trpcHeaders: (pathname: string) => [string, string][];
let compress: ReturnType<typeof nextCompression>;
try {
  const { default: config } = await import("../../next.config.ts");
  trpcHeaders = compileHeaderRules(((await config.headers?.()) ?? []) as HeaderRule[]);
  compress = nextCompression(config.compress !== false);
} catch (e) {
  fail(e instanceof Error ? e.message : String(e));
}

const shutdownHooks = takeShutdownOwnership();
let inFlight = 0;
let stopping = false;
const server = http.createServer();
// Listens on every interface, as `next start` without --hostname did (HOSTNAME is deliberately not read:
// container runtimes export it as the container's name).
const app = next({ dev: false, dir: webDir, port: env.PORT, hostname: "localhost", httpServer: server });
// The origin Next.js resolves a route's request URL against under a custom server (its fetchHostname and port).
const base = `http://localhost:${env.PORT}`;

try {
  await app.prepare();
} catch (e) {
  fail(`Next.js could not load the production build in ${webDir}: ${e instanceof Error ? e.message : String(e)} (run \`pnpm build\`; ./valuelens start does it for you).`);
}
const nextHandler = app.getRequestHandler();

server.on("request", (req: http.IncomingMessage, res: http.ServerResponse) => {
  inFlight++;
  res.once("close", () => {
    inFlight--;
    // While stopping, a keep-alive connection is closed as soon as its response is out.
    if (stopping) server.closeIdleConnections();
  });
  if (isDirectTrpcRequest(req)) {
    void serveTrpc(req, res, base, trpcHeaders, compress);
    return;
  }
  nextHandler(req, res).catch((e: unknown) => {
    logError("web.request_failed", { path: req.url?.split("?")[0], message: e instanceof Error ? e.message : String(e) });
    if (!res.headersSent) {
      res.statusCode = 500;
      res.end("Internal Server Error");
    } else res.destroy();
  });
});

server.once("error", (e: NodeJS.ErrnoException) => {
  if (e.code === "EADDRINUSE") fail(`port ${env.PORT} is already in use: stop what is listening there or set PORT to a free port.`);
  if (e.code === "EACCES") fail(`no permission to listen on port ${env.PORT}: use a port above 1023 (PORT).`);
  fail(`the web server could not listen on port ${env.PORT}: ${e.message}`);
});
server.listen(env.PORT, () => {
  log("web.listening", { port: env.PORT, trpc: "direct" });
});

async function stop(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log("web.shutdown", { signal, inFlight });
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const graceMs = env.WEB_SHUTDOWN_GRACE_SECONDS * 1000;
  const timer = new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), graceMs).unref());
  if ((await Promise.race([closed, timer])) === "timeout") {
    log("web.shutdown_forced", { inFlight, graceSeconds: env.WEB_SHUTDOWN_GRACE_SECONDS });
    server.closeAllConnections();
  }
  // Next.js's bundled api (instrumentation.ts) registered its pool's close here; then this copy's.
  for (const hook of shutdownHooks) await hook().catch((e: unknown) => logError("web.shutdown_hook_failed", { message: e instanceof Error ? e.message : String(e) }));
  await shutdownDb().catch(() => undefined);
  log("web.stopped", {});
  process.exit(0);
}
for (const sig of ["SIGTERM", "SIGINT"] as const) process.on(sig, () => void stop(sig));
