/**
 * Shared by `pnpm start` and the test command: environment loading, the embedded database, and
 * migrations. Everything here reports clear, actionable errors.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { APP_ROLE, grantAppRole, startEmbeddedPostgres, type EmbeddedDb } from "@valuelens/db/embedded";
import { deployMigrations } from "@valuelens/db/migrate";

export const ROOT = path.resolve(import.meta.dirname, "..");

export function say(event: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(JSON.stringify({ t: new Date().toISOString(), level: "info", event, ...fields }) + "\n");
}

/** Loads `.env` (if present) without overriding variables already set. */
export function loadDotEnv(): void {
  const file = path.join(ROOT, ".env");
  if (existsSync(file)) process.loadEnvFile(file);
}

/** AUTH_SECRET from the environment, or one generated once and kept in .data/ so sessions survive restarts. */
export function ensureAuthSecret(dataDir: string): void {
  if (process.env.AUTH_SECRET) return;
  mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, "auth-secret");
  if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString("base64url"), { mode: 0o600 });
  process.env.AUTH_SECRET = readFileSync(file, "utf8").trim();
}

export interface Database {
  appUrl: string;
  ownerUrl: string;
  embedded: EmbeddedDb | null;
}

/**
 * DATABASE_URL set → use that server (migrations with DATABASE_OWNER_URL, else DATABASE_URL).
 * Otherwise start the embedded PostgreSQL in `dataDir`.
 */
export async function prepareDatabase(opts: { dataDir: string; port: number; persistent?: boolean }): Promise<Database> {
  let db: Database;
  if (process.env.DATABASE_URL) {
    db = { appUrl: process.env.DATABASE_URL, ownerUrl: process.env.DATABASE_OWNER_URL ?? process.env.DATABASE_URL, embedded: null };
    say("db.external", { host: new URL(db.appUrl).host });
  } else {
    const started = Date.now();
    const sharedBuffers = process.env.VALUELENS_PG_SHARED_BUFFERS || undefined;
    const embedded = await startEmbeddedPostgres({ dir: opts.dataDir, port: opts.port, persistent: opts.persistent ?? true, ...(sharedBuffers ? { sharedBuffers } : {}) });
    db = { appUrl: embedded.appUrl, ownerUrl: embedded.ownerUrl, embedded };
    say("db.embedded_started", { dir: opts.dataDir, port: opts.port, appRole: APP_ROLE, ms: Date.now() - started });
  }
  const res = await deployMigrations({ ownerUrl: db.ownerUrl, log: (line) => say("db.migrate", { line }) });
  await grantAppRole(db.ownerUrl, db.appUrl);
  say("db.ready", { migrationsApplied: res.applied.length, migrations: res.total });
  process.env.DATABASE_URL = db.appUrl;
  process.env.DATABASE_OWNER_URL = db.ownerUrl;
  return db;
}
