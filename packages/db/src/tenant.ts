import { AsyncLocalStorage } from "node:async_hooks";
import type { PrismaClient } from "./generated/prisma/client.ts";
import type { Prisma } from "./generated/prisma/client.ts";

/** The transactional client handed to tenant-scoped code. Never a global client. */
export type Tx = Prisma.TransactionClient;

export class NestedTenantTransactionError extends Error {
  constructor() {
    super("withWorkspace/withUser cannot be nested: pass the existing transaction (tx) down instead.");
    this.name = "NestedTenantTransactionError";
  }
}

/**
 * Set inside a tenant transaction: `true`, or the transaction's OpeningBatch (sent with its BEGIN).
 * One AsyncLocalStorage for both: on Node 20 every enabled instance adds a property to every async
 * resource (each promise) created afterwards.
 */
const active = new AsyncLocalStorage<true | OpeningBatch>();

export interface TenantScope {
  workspaceId?: string | null;
  userId?: string | null;
  inviteTokenHash?: string | null;
  apiKeyPrefix?: string | null;
}

export interface TenantTxOptions {
  timeoutMs?: number;
  /**
   * Serializable is only needed by a few invariant-heavy writes; most work is READ COMMITTED, the
   * default: then no level is sent, the connection's own default applies (pinned to READ COMMITTED
   * by createDb's start-up options), which saves a `SET TRANSACTION` round trip per request.
   */
  isolationLevel?: "ReadCommitted" | "RepeatableRead" | "Serializable";
  /**
   * A snapshot another open transaction exported (`SELECT pg_export_snapshot()`): imported first, so
   * two transactions read exactly the same data (needs RepeatableRead or Serializable). Lets one job
   * split read-heavy work over two connections (two cores) without mixing data states.
   */
  snapshot?: string;
  /**
   * One read to run right after the RLS settings — sent with BEGIN in the same round trip for a
   * READ COMMITTED transaction — whose rows `fn` receives (e.g. the caller's membership).
   */
  first?: FirstRead;
}

/** pg_export_snapshot()'s id format, e.g. 00000003-0000001B-1 (checked: SET TRANSACTION SNAPSHOT takes no parameter). */
const SNAPSHOT_ID = /^[0-9A-F]{1,16}-[0-9A-F]{1,16}(-[0-9]{1,10})?$/i;

/**
 * A read that a tenant transaction runs first, right after its RLS settings (see TenantTxOptions.first).
 * `sql` refers to its parameters as $1, $2, … (each a text value; cast in the SQL, e.g. `$1::uuid`).
 */
export interface FirstRead {
  sql: string;
  params: readonly string[];
}

/**
 * The statements a tenant transaction sends with its BEGIN, in the same round trip (createDb's pool
 * client rewrites the transaction's `BEGIN` into `BEGIN; <sql>` and stores the first read's rows here).
 * Set only around a READ COMMITTED transaction without a snapshot: a `SET TRANSACTION …` must come
 * before any query, so those keep the separate statements.
 */
export interface OpeningBatch {
  /** The settings and the first read, values inlined as escaped literals (simple-query protocol). */
  sql: (literal: (v: string) => string) => string;
  /** Set by the client once it sent the batch; otherwise withTenant runs the statements itself. */
  sent: boolean;
  /** The first read's rows, when it was sent with the batch. */
  rows?: Record<string, unknown>[];
}
/**
 * The settings and first read of an OpeningBatch, built here rather than inside withTenant: V8 keeps one
 * context per function for all the closures it creates, so a closure made there would hold withTenant's
 * whole scope, including the caller's `fn` and what that holds (an import chunk's 20,000 rows). Async
 * resources created during the transaction (connections, timers) keep the AsyncLocalStorage store, and
 * through it that scope, alive after the transaction ends: a 1M-row import then outgrew a 256 MiB heap
 * (BENCHMARKS.md, CSV import, session 8). This closure holds only the four settings and the read.
 */
function openingSql(settings: readonly string[], first: FirstRead | undefined): OpeningBatch["sql"] {
  return (literal) =>
    `SELECT set_config('app.current_workspace', ${literal(settings[0]!)}, true),
      set_config('app.current_user', ${literal(settings[1]!)}, true),
      set_config('app.invite_token_hash', ${literal(settings[2]!)}, true),
      set_config('app.api_key_prefix', ${literal(settings[3]!)}, true)` + (first ? `;\n${inline(first, literal)}` : "");
}

/** The OpeningBatch of the tenant transaction this code runs in, while its BEGIN is not yet sent. */
export function openingBatch(): OpeningBatch | undefined {
  const store = active.getStore();
  return typeof store === "object" ? store : undefined;
}

/** `$1`, `$2`, … of a FirstRead replaced by its values as literals. */
function inline(read: FirstRead, literal: (v: string) => string): string {
  return read.sql.replace(/\$(\d+)/g, (m, n: string) => {
    const v = read.params[Number(n) - 1];
    if (v === undefined) throw new Error(`First read: no value for ${m}.`);
    return literal(v);
  });
}

/**
 * The one tenant wrapper (SECURITY-NOTES 5.1): an interactive transaction that first sets the
 * row-level-security context with set_config(..., true) — transaction-local, so nothing leaks to the
 * next user of the pooled connection — and then runs `fn` with the transactional client.
 * RLS policies read these settings through NULLIF(current_setting(..., true), '')::uuid.
 *
 * A READ COMMITTED transaction (the default: every request) sends BEGIN, the settings and the
 * optional first read in one round trip (OpeningBatch); `fn` gets the first read's rows.
 */
export async function withTenant<T>(
  prisma: PrismaClient,
  scope: TenantScope,
  fn: (tx: Tx, first: Record<string, unknown>[] | undefined) => Promise<T>,
  opts: TenantTxOptions = {},
): Promise<T> {
  if (active.getStore()) throw new NestedTenantTransactionError();
  const snapshot = opts.snapshot;
  if (snapshot !== undefined) {
    if (!SNAPSHOT_ID.test(snapshot)) throw new Error(`Not a PostgreSQL snapshot id: ${JSON.stringify(snapshot.slice(0, 40))}`);
    if (opts.isolationLevel !== "RepeatableRead" && opts.isolationLevel !== "Serializable")
      throw new Error("Importing a snapshot needs isolationLevel RepeatableRead or Serializable.");
  }
  const settings = [scope.workspaceId, scope.userId, scope.inviteTokenHash, scope.apiKeyPrefix].map((v) => v ?? "");
  const first = opts.first;
  const batch: OpeningBatch | null =
    snapshot === undefined && (opts.isolationLevel === undefined || opts.isolationLevel === "ReadCommitted")
      ? { sent: false, sql: openingSql(settings, first) }
      : null;
  const run = () =>
    prisma.$transaction(
      async (tx) => {
        if (batch?.sent) {
          const rows = batch.rows;
          batch.rows = undefined; // the store outlives the transaction (see openingSql): keep it small
          return fn(tx, first ? rows : undefined);
        }
        if (snapshot !== undefined) await tx.$executeRawUnsafe(`SET TRANSACTION SNAPSHOT '${snapshot}'`);
        await tx.$executeRaw`SELECT
          set_config('app.current_workspace', ${settings[0]}, true),
          set_config('app.current_user', ${settings[1]}, true),
          set_config('app.invite_token_hash', ${settings[2]}, true),
          set_config('app.api_key_prefix', ${settings[3]}, true)`;
        const rows = first ? await tx.$queryRawUnsafe<Record<string, unknown>[]>(first.sql, ...first.params) : undefined;
        return fn(tx, rows);
      },
      {
        ...(opts.isolationLevel && opts.isolationLevel !== "ReadCommitted" ? { isolationLevel: opts.isolationLevel } : {}),
        timeout: opts.timeoutMs ?? 15_000,
        maxWait: 5_000,
      },
    );
  return active.run(batch ?? true, run);
}

/**
 * Runs fn outside the tenant transaction the caller may be in: for work a request starts and does not
 * wait for (a cache fill), which then opens its own withWorkspace on its own connection.
 */
export function detachedFromTenant<T>(fn: () => T): T {
  return active.exit(fn);
}

/** Tenant transaction for one workspace (procedures and jobs). */
export function withWorkspace<T>(
  prisma: PrismaClient,
  workspaceId: string,
  fn: (tx: Tx, first: Record<string, unknown>[] | undefined) => Promise<T>,
  opts: TenantTxOptions & { userId?: string | null } = {},
): Promise<T> {
  return withTenant(prisma, { workspaceId, userId: opts.userId ?? null }, fn, opts);
}

/** Transaction that sees only the rows a user may see across workspaces (their memberships). */
export function withUser<T>(prisma: PrismaClient, userId: string, fn: (tx: Tx) => Promise<T>, opts: TenantTxOptions = {}): Promise<T> {
  return withTenant(prisma, { userId }, fn, opts);
}

/** Switch the workspace inside an open tenant transaction (e.g. after an invite token proved access). */
export async function setWorkspaceInTx(tx: Tx, workspaceId: string): Promise<void> {
  await tx.$executeRaw`SELECT set_config('app.current_workspace', ${workspaceId}, true)`;
}
