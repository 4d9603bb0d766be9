import { createHash } from "node:crypto";
import type { Prisma, Tx } from "@valuelens/db";
import { ApiError } from "./errors.ts";

/** How long a stored response is replayed; after that the same key runs as a new request (like Stripe). */
export const IDEMPOTENCY_TTL_HOURS = 24;
const KEY_RE = /^[\x21-\x7e]{1,255}$/;

export function checkIdempotencyKey(raw: string | null): string | null {
  if (raw === null) return null;
  const k = raw.trim();
  if (!KEY_RE.test(k)) throw new ApiError("invalid_idempotency_key", "Idempotency-Key must be 1–255 visible ASCII characters (a UUID is a good choice).");
  return k;
}

export function requestHash(method: string, path: string, body: Uint8Array): string {
  return createHash("sha256").update(`${method} ${path}\n`).update(body).digest("hex");
}

export interface StoredResponse {
  status: number;
  body: unknown;
}

/**
 * Claims an Idempotency-Key inside the request's write transaction, before anything is applied.
 * - No row: the insert succeeds → returns null and the caller proceeds (and later calls `storeResponse`).
 * - A committed row with the same request hash: returns its stored response (a replay; nothing applied).
 * - Same key, different method/path/body: 422 idempotency_key_reused.
 * A concurrent request with the same key blocks on the primary key until the first one commits (then
 * replays its response) or rolls back (then runs itself): never two applications.
 */
export async function claimIdempotencyKey(tx: Tx, workspaceId: string, keyId: string, idemKey: string, hash: string): Promise<StoredResponse | null> {
  await tx.$executeRaw`
    DELETE FROM api_idempotency
     WHERE workspace_id = ${workspaceId}::uuid AND api_key_id = ${keyId}::uuid AND idempotency_key = ${idemKey}
       AND created_at < now() - make_interval(hours => ${IDEMPOTENCY_TTL_HOURS})`;
  const inserted = await tx.$queryRaw<{ ok: number }[]>`
    INSERT INTO api_idempotency (workspace_id, api_key_id, idempotency_key, request_hash)
    VALUES (${workspaceId}::uuid, ${keyId}::uuid, ${idemKey}, ${hash})
    ON CONFLICT (workspace_id, api_key_id, idempotency_key) DO NOTHING
    RETURNING 1 AS ok`;
  if (inserted.length > 0) return null;
  const row = await tx.apiIdempotency.findUnique({
    where: { workspaceId_apiKeyId_idempotencyKey: { workspaceId, apiKeyId: keyId, idempotencyKey: idemKey } },
    select: { requestHash: true, responseStatus: true, responseBody: true },
  });
  if (!row || row.responseStatus === null) {
    // Cannot happen with committed rows (the response is stored in the claiming transaction).
    throw new ApiError("service_unavailable", "A request with this Idempotency-Key is still being processed; retry shortly.", undefined, { "retry-after": "1" });
  }
  if (row.requestHash !== hash) {
    throw new ApiError(
      "idempotency_key_reused",
      "This Idempotency-Key was already used with a different request (method, path or body). Use a new key for a new request.",
    );
  }
  return { status: row.responseStatus, body: row.responseBody };
}

export async function storeResponse(tx: Tx, workspaceId: string, keyId: string, idemKey: string, res: StoredResponse): Promise<void> {
  await tx.apiIdempotency.update({
    where: { workspaceId_apiKeyId_idempotencyKey: { workspaceId, apiKeyId: keyId, idempotencyKey: idemKey } },
    data: { responseStatus: res.status, responseBody: res.body as Prisma.InputJsonValue },
    select: { workspaceId: true },
  });
}

/** Drops a few expired rows of the workspace now and then (no separate job needed). */
export async function sweepExpired(tx: Tx, workspaceId: string): Promise<void> {
  await tx.$executeRaw`
    DELETE FROM api_idempotency
     WHERE ctid IN (SELECT ctid FROM api_idempotency
                     WHERE workspace_id = ${workspaceId}::uuid AND created_at < now() - make_interval(hours => ${IDEMPOTENCY_TTL_HOURS})
                     LIMIT 500)`;
}

/**
 * A read-only look before any work: a retry of a completed request is answered from the ledger
 * without parsing or validating its records again. `claimIdempotencyKey` in the write transaction
 * remains the guard against concurrent duplicates.
 */
export async function peekIdempotencyKey(tx: Tx, workspaceId: string, keyId: string, idemKey: string, hash: string): Promise<StoredResponse | null> {
  const row = await tx.apiIdempotency.findUnique({
    where: { workspaceId_apiKeyId_idempotencyKey: { workspaceId, apiKeyId: keyId, idempotencyKey: idemKey } },
    select: { requestHash: true, responseStatus: true, responseBody: true, createdAt: true },
  });
  if (!row || row.responseStatus === null || row.createdAt.getTime() < Date.now() - IDEMPOTENCY_TTL_HOURS * 3_600_000) return null;
  if (row.requestHash !== hash) {
    throw new ApiError(
      "idempotency_key_reused",
      "This Idempotency-Key was already used with a different request (method, path or body). Use a new key for a new request.",
    );
  }
  return { status: row.responseStatus, body: row.responseBody };
}
