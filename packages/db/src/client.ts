import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaClient } from "./generated/prisma/client.ts";
import { dbEnv } from "./env.ts";
import { openingBatch } from "./tenant.ts";

export type { PrismaClient };

export interface DbHandle {
  prisma: PrismaClient;
  pool: pg.Pool;
  close(): Promise<void>;
}

type LogFn = (event: string, fields: Record<string, unknown>) => void;

type QueryConfig = { text?: unknown; name?: unknown; values?: unknown[] };
type BatchResult = { fields: { name: string }[]; rows: unknown[] };

/**
 * A pool connection that sends a tenant transaction's opening statements with its BEGIN (withTenant's
 * OpeningBatch): `BEGIN; SELECT set_config(…); <first read>` as one simple-protocol query, values
 * inlined with pg's escapeLiteral — one round trip where a request paid three (BEGIN, settings,
 * membership). Every other query, and a BEGIN outside withTenant, is sent unchanged.
 */
class TenantClient extends pg.Client {
  override query(...args: unknown[]): never {
    const config = args[0] as QueryConfig | undefined;
    const batch = openingBatch();
    if (batch && !batch.sent && config && typeof config === "object" && config.text === "BEGIN" && !config.name && !config.values?.length) {
      batch.sent = true;
      const sql = `BEGIN;\n${batch.sql((v) => pg.escapeLiteral(v))}`;
      const p = (super.query as (c: QueryConfig) => Promise<BatchResult | BatchResult[]>)({ ...config, text: sql, values: [] });
      return p.then((res) => {
        // [BEGIN, settings, first read?]; the adapter asked for array rows (rowMode "array").
        const read = Array.isArray(res) ? res[2] : undefined;
        if (read) batch.rows = read.rows.map((r) => Object.fromEntries(read.fields.map((f, i) => [f.name, (r as unknown[])[i]])));
        return Array.isArray(res) ? res[0] : res;
      }) as never;
    }
    return (super.query as (...a: unknown[]) => never)(...args);
  }
}

/**
 * A Prisma client over a node-postgres pool. Pool errors (a backend killed, the server restarting)
 * are logged instead of crashing the process (SECURITY-NOTES 0.7); queries fail fast and the pool
 * reconnects on the next checkout.
 */
export function createDb(url: string, opts: { max?: number; log?: LogFn; statementTimeoutMs?: number } = {}): DbHandle {
  const pool = new pg.Pool({
    Client: TenantClient,
    connectionString: url,
    max: opts.max ?? 10,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    // Tenant transactions start with a plain BEGIN and rely on the session's default isolation
    // (withTenant): pinned here, in the connection's start-up packet, so a server configured with
    // another default cannot change it, and no request pays a SET TRANSACTION round trip. A URL that
    // brings its own `options` keeps them and is then responsible for the isolation level.
    ...(new URL(url).searchParams.has("options") ? {} : { options: "-c default_transaction_isolation=read\\ committed" }),
    ...(opts.statementTimeoutMs ? { statement_timeout: opts.statementTimeoutMs } : {}),
  });
  pool.on("error", (err) => opts.log?.("db.pool_error", { message: err.message }));
  const adapter = new PrismaPg(pool);
  const prisma = new PrismaClient({ adapter });
  return {
    prisma,
    pool,
    async close() {
      await prisma.$disconnect();
      await pool.end().catch(() => undefined);
    },
  };
}

let shared: DbHandle | undefined;

/** The process-wide app connection (DATABASE_URL), created on first use. */
export function getDb(log?: LogFn): DbHandle {
  if (!shared) {
    const env = dbEnv();
    shared = createDb(env.DATABASE_URL, { max: env.DATABASE_POOL_MAX, ...(log ? { log } : {}) });
  }
  return shared;
}

export async function closeDb(): Promise<void> {
  const s = shared;
  shared = undefined;
  await s?.close();
}
