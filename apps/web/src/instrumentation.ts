/**
 * Runs once when the Next.js server boots: validates every setting (a bad one stops the server with
 * a message naming it), applies the log level, and closes the database pool on shutdown.
 */
export async function register(): Promise<void> {
  // eslint-disable-next-line no-restricted-properties -- set by Next.js itself, not configuration
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { webEnv } = await import("./env");
  const { apiEnv, setLogLevel, log } = await import("@valuelens/api");
  const { validateDbEnv, shutdownDb } = await import("@valuelens/api/services");
  try {
    const env = webEnv();
    apiEnv();
    validateDbEnv();
    setLogLevel(env.LOG_LEVEL);
  } catch (e) {
    process.stderr.write(`\nValueLens cannot start: ${e instanceof Error ? e.message : String(e)}\n\n`);
    process.exit(1);
  }
  // Under the production server (src/server/main.ts) the server owns shutdown: it drains requests, then
  // closes this pool through the hook; under a plain `next start`/`next dev` this process does it here.
  const { registerShutdownHook } = await import("./server/shutdown-hooks");
  if (!registerShutdownHook(shutdownDb)) {
    for (const sig of ["SIGTERM", "SIGINT"] as const) {
      process.once(sig, () => {
        log("web.shutdown", { signal: sig });
        void shutdownDb().finally(() => process.exit(0));
      });
    }
  }
  log("web.started", { node: process.version });
}
