import type pg from "pg";

/**
 * Connection settings parsed from a postgres:// URL, as separate fields.
 *
 * Trap 3: pg (and so adapter-pg) lets `connectionString` override `database`, so a pool for the
 * shadow database built from `{ connectionString, database }` silently connects to the MAIN
 * database. Every pool this tool opens is therefore built from these explicit fields.
 */
export interface PgConnectionConfig {
  host: string;
  port: number;
  user: string;
  password: string | undefined;
  database: string;
  ssl: pg.PoolConfig["ssl"];
  /** Prisma's `?schema=` parameter (defaults to "public"). */
  schema: string | undefined;
}

export function parseDatabaseUrl(url: string): PgConnectionConfig {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error("The database URL is not a valid URL (expected postgresql://user:password@host:port/database).");
  }
  if (parsed.protocol !== "postgres:" && parsed.protocol !== "postgresql:") {
    throw new Error(`Unsupported database URL protocol "${parsed.protocol}" (expected postgresql://).`);
  }
  const params = parsed.searchParams;
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ""));
  const sslmode = params.get("sslmode");
  let ssl: pg.PoolConfig["ssl"] = undefined;
  if (sslmode === "require" || sslmode === "prefer" || sslmode === "no-verify") {
    ssl = { rejectUnauthorized: false };
  } else if (sslmode === "verify-ca" || sslmode === "verify-full") {
    ssl = { rejectUnauthorized: true };
  } else if (params.get("ssl") === "true") {
    ssl = true;
  }
  const hostParam = params.get("host"); // unix socket directory, e.g. ?host=/var/run/postgresql
  return {
    host: hostParam ?? (decodeURIComponent(parsed.hostname.replace(/^\[|\]$/g, "")) || "localhost"),
    port: parsed.port ? Number(parsed.port) : 5432,
    user: decodeURIComponent(parsed.username) || "postgres",
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    database: database || "postgres",
    ssl,
    schema: params.get("schema") ?? undefined,
  };
}

export function poolConfig(config: PgConnectionConfig, database: string, max: number): pg.PoolConfig {
  return {
    host: config.host,
    port: config.port,
    user: config.user,
    password: config.password,
    database,
    ssl: config.ssl,
    max,
    idleTimeoutMillis: 10_000,
    application_name: "valuelens-migrate",
  };
}

/** Quote an identifier for SQL. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
