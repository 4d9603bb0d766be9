/**
 * `pnpm start`: serves the production build on http://localhost:3000 with the embedded PostgreSQL
 * under .data/ (or DATABASE_URL), migrated and seeded with the demo workspace on first run.
 * Stops cleanly on Ctrl-C / SIGTERM: the web server first, then the database.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { checkAppRole, createDb } from "@valuelens/db";
import { DEMO_PASSWORD, DEMO_USERS, seedDemoWorkspace } from "@valuelens/db/seed";
import { ensureAuthSecret, loadDotEnv, prepareDatabase, ROOT, say } from "./runtime.ts";

loadDotEnv();
const dataDir = path.resolve(ROOT, process.env.VALUELENS_DATA_DIR ?? ".data");
const port = Number(process.env.PORT ?? 3000);
const pgPort = Number(process.env.VALUELENS_PG_PORT ?? 5433);
process.env.APP_URL ??= `http://localhost:${port}`;
process.env.NODE_ENV = "production";

const children: ChildProcess[] = [];
let stopping = false;
let stopDb: (() => Promise<void>) | null = null;

async function shutdown(code: number): Promise<never> {
  if (stopping) process.exit(code);
  stopping = true;
  say("app.stopping", { code });
  await Promise.all(
    children.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null) return resolve();
          c.once("exit", () => resolve());
          c.kill("SIGTERM");
          setTimeout(() => {
            c.kill("SIGKILL");
            resolve();
          }, 10_000).unref();
        }),
    ),
  );
  await stopDb?.().catch(() => undefined);
  say("app.stopped");
  process.exit(code);
}
process.on("SIGINT", () => void shutdown(0));
process.on("SIGTERM", () => void shutdown(0));

try {
  const distDir = process.env.NEXT_DIST_DIR ?? ".next";
  if (!existsSync(path.join(ROOT, "apps/web", distDir, "BUILD_ID"))) {
    throw new Error(`No production build found in apps/web/${distDir}: run \`pnpm build\` first (./valuelens start does it for you).`);
  }
  ensureAuthSecret(dataDir);
  const db = await prepareDatabase({ dataDir, port: pgPort });
  if (db.embedded) stopDb = () => db.embedded!.stop();

  const handle = createDb(db.appUrl);
  try {
    const role = await checkAppRole(handle.prisma);
    if (role.superuser || role.bypassRls || role.ownsTenantTables) {
      say("security.warning", {
        message: `The app connects as "${role.role}", which can bypass row-level security (superuser, BYPASSRLS or table owner). Point DATABASE_URL at a dedicated non-owner role; see README "Using your own PostgreSQL".`,
      });
    }
    if (process.env.SEED_DEMO !== "false") {
      const end = new Date();
      end.setUTCHours(0, 0, 0, 0);
      const start = new Date(Date.UTC(end.getUTCFullYear() - 2, end.getUTCMonth() - 1, 1));
      const t0 = Date.now();
      const seeded = await seedDemoWorkspace(handle.prisma, { start, end: new Date(end.getTime() - 1) });
      say(seeded.created ? "seed.created" : "seed.present", { customers: seeded.customers, orders: seeded.orders, ms: Date.now() - t0 });
    }
  } finally {
    await handle.close();
  }

  // The web server (apps/web/src/server/main.ts): Next.js as a custom server for pages and routes, and
  // /api/trpc answered directly (same handler and checks, without Next.js's per-request routing).
  const web = spawn(process.execPath, ["--import", "tsx", "src/server/main.ts"], {
    cwd: path.join(ROOT, "apps/web"),
    env: { ...process.env, PORT: String(port) },
    stdio: "inherit",
  });
  children.push(web);
  web.on("exit", (code) => {
    if (!stopping) {
      say("app.web_exited", { code });
      void shutdown(code ?? 1);
    }
  });
  // The background worker (apps/worker): recompute jobs on a pg-boss queue; stopped with the web server.
  const worker = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], { cwd: path.join(ROOT, "apps/worker"), env: process.env, stdio: "inherit" });
  children.push(worker);
  worker.on("exit", (code) => {
    if (!stopping) say("app.worker_exited", { code });
  });
  say("app.ready", { url: process.env.APP_URL });
  process.stdout.write(
    `\n  ValueLens is starting on ${process.env.APP_URL}\n` +
      (process.env.SEED_DEMO !== "false"
        ? `  Demo sign-in: ${DEMO_USERS.map((u) => `${u.email} (${u.role.toLowerCase()})`).join(", ")} — password "${DEMO_PASSWORD}"\n`
        : "") +
      `  Stop with Ctrl-C.\n\n`,
  );
} catch (err) {
  process.stderr.write(`\nValueLens could not start:\n  ${err instanceof Error ? err.message : String(err)}\n\n`);
  await shutdown(1);
}
