import { createHash, randomBytes, randomInt, timingSafeEqual } from "node:crypto";
import { withTenant, type PrismaClient, type Tx } from "@valuelens/db";
import type { TApiKeyScope } from "@valuelens/validators";
import { DomainError } from "./domain-error.ts";

/**
 * Workspace API keys: `vl_<prefix>_<secret>`.
 * - prefix: 8 chars [a-z0-9], public, unique; shown in the list and used to find the key row.
 * - secret: 43 base62 chars = 32 bytes from the CSPRNG (256 bits), shown once at creation.
 * The database stores only SHA-256(secret). A fast hash is right here, unlike for passwords: with
 * 256 bits of entropy there is nothing to brute-force offline, and a slow KDF (argon2 ≈ 37 ms) on
 * every API request would be a CPU denial-of-service lever. The comparison is constant-time.
 */
const KEY_RE = /^vl_([a-z0-9]{8})_([0-9A-Za-z]{43})$/;
const B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const PREFIX_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789";
const MAX_ACTIVE_KEYS = 50;

function base62(bytes: Buffer, len: number): string {
  let n = BigInt("0x" + bytes.toString("hex"));
  let out = "";
  while (n > 0n) {
    out = B62[Number(n % 62n)]! + out;
    n /= 62n;
  }
  return out.padStart(len, "0");
}

export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret, "utf8").digest("hex");
}

/** A new key (plaintext) with its prefix and stored hash. */
export function generateApiKey(): { key: string; prefix: string; secretHash: string } {
  let prefix = "";
  for (let i = 0; i < 8; i++) prefix += PREFIX_CHARS[randomInt(PREFIX_CHARS.length)]!;
  const secret = base62(randomBytes(32), 43);
  return { key: `vl_${prefix}_${secret}`, prefix, secretHash: hashSecret(secret) };
}

export function parseApiKey(token: string): { prefix: string; secret: string } | null {
  const m = KEY_RE.exec(token);
  return m ? { prefix: m[1]!, secret: m[2]! } : null;
}

export interface ApiKeyDto {
  id: string;
  name: string;
  /** What the UI shows: `vl_<prefix>_…`. */
  displayPrefix: string;
  scopes: TApiKeyScope[];
  createdBy: { id: string; name: string | null; email: string } | null;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

const asScopes = (s: string[]): TApiKeyScope[] => s.filter((x): x is TApiKeyScope => x === "read" || x === "write");

export async function listApiKeys(tx: Tx, workspaceId: string): Promise<ApiKeyDto[]> {
  const keys = await tx.apiKey.findMany({
    where: { workspaceId },
    select: { id: true, name: true, prefix: true, scopes: true, createdById: true, createdAt: true, lastUsedAt: true, revokedAt: true },
    orderBy: [{ createdAt: "desc" }, { id: "asc" }],
    take: 500,
  });
  const ids = [...new Set(keys.flatMap((k) => (k.createdById ? [k.createdById] : [])))];
  const users = ids.length ? await tx.user.findMany({ where: { id: { in: ids } }, select: { id: true, name: true, email: true } }) : [];
  const byId = new Map(users.map((u) => [u.id, u]));
  return keys.map((k) => ({
    id: k.id,
    name: k.name,
    displayPrefix: `vl_${k.prefix}_…`,
    scopes: asScopes(k.scopes),
    createdBy: k.createdById ? (byId.get(k.createdById) ?? null) : null,
    createdAt: k.createdAt,
    lastUsedAt: k.lastUsedAt,
    revokedAt: k.revokedAt,
  }));
}

/** Creates a key; the plaintext is in this return value only (never stored, never logged). */
export async function createApiKey(
  tx: Tx,
  actorId: string,
  workspaceId: string,
  input: { name: string; scopes: TApiKeyScope[] },
): Promise<{ id: string; name: string; displayPrefix: string; scopes: TApiKeyScope[]; key: string }> {
  const active = await tx.apiKey.count({ where: { workspaceId, revokedAt: null } });
  if (active >= MAX_ACTIVE_KEYS) throw new DomainError("PRECONDITION_FAILED", `A workspace can have at most ${MAX_ACTIVE_KEYS} active keys; revoke one first.`);
  for (let attempt = 1; ; attempt++) {
    const g = generateApiKey();
    // ON CONFLICT DO NOTHING, not a caught unique violation: an error would abort the transaction.
    // The prefix is unique across workspaces (it finds the key before the workspace is known); a
    // clash (about 1 in 2.8e12 per pair of keys) just draws again.
    const rows = await tx.$queryRaw<{ id: string }[]>`
      INSERT INTO api_keys (workspace_id, name, prefix, secret_hash, scopes, created_by_id)
      VALUES (${workspaceId}::uuid, ${input.name}, ${g.prefix}, ${g.secretHash}, ${input.scopes}::text[], ${actorId}::uuid)
      ON CONFLICT (prefix) DO NOTHING
      RETURNING id::text`;
    const row = rows[0];
    if (!row) {
      if (attempt >= 5) throw new Error("could not draw a unique API key prefix");
      continue;
    }
    await tx.auditLog.create({
      data: { workspaceId, actorUserId: actorId, action: "api_key.created", target: row.id, details: { name: input.name, prefix: g.prefix, scopes: input.scopes } },
      select: { id: true },
    });
    return { id: row.id, name: input.name, displayPrefix: `vl_${g.prefix}_…`, scopes: input.scopes, key: g.key };
  }
}

export async function revokeApiKey(tx: Tx, actorId: string, workspaceId: string, keyId: string): Promise<void> {
  const k = await tx.apiKey.findUnique({ where: { workspaceId_id: { workspaceId, id: keyId } }, select: { revokedAt: true, prefix: true, name: true } });
  if (!k) throw new DomainError("NOT_FOUND", "API key not found.");
  if (k.revokedAt) return;
  await tx.apiKey.update({ where: { workspaceId_id: { workspaceId, id: keyId } }, data: { revokedAt: new Date() }, select: { id: true } });
  await tx.auditLog.create({
    data: { workspaceId, actorUserId: actorId, action: "api_key.revoked", target: keyId, details: { name: k.name, prefix: k.prefix } },
    select: { id: true },
  });
}

export type KeyCheck =
  | { ok: true; key: { id: string; workspaceId: string; scopes: TApiKeyScope[] } }
  | { ok: false; reason: "malformed" | "unknown" | "revoked" };

/**
 * Finds and checks a presented key inside `tx`, a tenant transaction opened with the key's prefix
 * (the `key_by_prefix` RLS policy lets exactly that row be read before the workspace is known).
 */
export async function checkApiKey(tx: Tx, token: string): Promise<KeyCheck> {
  const p = parseApiKey(token);
  if (!p) return { ok: false, reason: "malformed" };
  const row = await tx.apiKey.findUnique({ where: { prefix: p.prefix }, select: { id: true, workspaceId: true, secretHash: true, scopes: true, revokedAt: true } });
  const presented = Buffer.from(hashSecret(p.secret), "hex");
  // Compare even when no row matched, so a hit and a miss take the same time.
  const stored = Buffer.from(row?.secretHash ?? "0".repeat(64), "hex");
  const match = stored.length === presented.length && timingSafeEqual(stored, presented) && row !== null;
  if (!match || !row) return { ok: false, reason: "unknown" };
  if (row.revokedAt) return { ok: false, reason: "revoked" };
  return { ok: true, key: { id: row.id, workspaceId: row.workspaceId, scopes: asScopes(row.scopes) } };
}

/** Convenience for callers without an open transaction. */
export function checkApiKeyStandalone(prisma: PrismaClient, token: string): Promise<KeyCheck> {
  const p = parseApiKey(token);
  if (!p) return Promise.resolve({ ok: false, reason: "malformed" });
  return withTenant(prisma, { apiKeyPrefix: p.prefix }, (tx) => checkApiKey(tx, token));
}
