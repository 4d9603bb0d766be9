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

const active = new AsyncLocalStorage<true>();

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
}

/** pg_export_snapshot()'s id format, e.g. 00000003-0000001B-1 (checked: SET TRANSACTION SNAPSHOT takes no parameter). */
const SNAPSHOT_ID = /^[0-9A-F]{1,16}-[0-9A-F]{1,16}(-[0-9]{1,10})?$/i;

/**
 * The one tenant wrapper (SECURITY-NOTES 5.1): an interactive transaction that first sets the
 * row-level-security context with set_config(..., true) — transaction-local, so nothing leaks to the
 * next user of the pooled connection — and then runs `fn` with the transactional client.
 * RLS policies read these settings through NULLIF(current_setting(..., true), '')::uuid.
 */
export async function withTenant<T>(
  prisma: PrismaClient,
  scope: TenantScope,
  fn: (tx: Tx) => Promise<T>,
  opts: TenantTxOptions = {},
): Promise<T> {
  if (active.getStore()) throw new NestedTenantTransactionError();
  const snapshot = opts.snapshot;
  if (snapshot !== undefined) {
    if (!SNAPSHOT_ID.test(snapshot)) throw new Error(`Not a PostgreSQL snapshot id: ${JSON.stringify(snapshot.slice(0, 40))}`);
    if (opts.isolationLevel !== "RepeatableRead" && opts.isolationLevel !== "Serializable")
      throw new Error("Importing a snapshot needs isolationLevel RepeatableRead or Serializable.");
  }
  return active.run(true, () =>
    prisma.$transaction(
      async (tx) => {
        if (snapshot !== undefined) await tx.$executeRawUnsafe(`SET TRANSACTION SNAPSHOT '${snapshot}'`);
        await tx.$executeRaw`SELECT
          set_config('app.current_workspace', ${scope.workspaceId ?? ""}, true),
          set_config('app.current_user', ${scope.userId ?? ""}, true),
          set_config('app.invite_token_hash', ${scope.inviteTokenHash ?? ""}, true),
          set_config('app.api_key_prefix', ${scope.apiKeyPrefix ?? ""}, true)`;
        return fn(tx);
      },
      {
        ...(opts.isolationLevel && opts.isolationLevel !== "ReadCommitted" ? { isolationLevel: opts.isolationLevel } : {}),
        timeout: opts.timeoutMs ?? 15_000,
        maxWait: 5_000,
      },
    ),
  );
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
  fn: (tx: Tx) => Promise<T>,
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
