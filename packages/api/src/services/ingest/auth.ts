import { setWorkspaceInTx, withTenant, type PrismaClient } from "@valuelens/db";
import type { TApiKeyScope } from "@valuelens/validators";
import { checkApiKey, parseApiKey } from "../api-keys.ts";
import { ApiError } from "./errors.ts";

export interface ApiPrincipal {
  keyId: string;
  workspace: { id: string; currency: string; timezone: string };
  scopes: TApiKeyScope[];
  rate: RateState;
}

export interface RateState {
  limit: number;
  remaining: number;
  /** Seconds until the window resets. */
  resetSeconds: number;
  windowSeconds: number;
  limited: boolean;
}

export const RATE_WINDOW_SECONDS = 60;
/** Failed key checks per client IP per minute before 429 (online guessing, SECURITY-NOTES T-API-3). */
export const FAILED_AUTH_PER_IP = 100;

/** "Authorization: Bearer vl_…" → the token; keys in the query string are refused by the caller. */
export function bearerToken(header: string | null): string | null {
  if (!header) return null;
  const m = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  return m ? m[1]! : null;
}

/**
 * One short transaction per request: find the key by its prefix (RLS policy key_by_prefix), check the
 * secret in constant time, then — now inside the key's workspace — count the request in the key's
 * fixed window (one upserted row per key, so every web process shares the limit) and refresh
 * last_used_at at most once a minute (no write per request). Throws ApiError 401 / 429.
 */
export async function authenticate(prisma: PrismaClient, authorization: string | null, ip: string, limitPerMinute: number): Promise<ApiPrincipal> {
  const token = bearerToken(authorization);
  if (!token) {
    throw new ApiError("unauthorized", authorization ? 'The Authorization header must be "Bearer <API key>".' : "Missing API key: send Authorization: Bearer <API key>.", undefined, {
      "www-authenticate": 'Bearer realm="valuelens"',
    });
  }
  const parsed = parseApiKey(token);
  const res = parsed
    ? await withTenant(prisma, { apiKeyPrefix: parsed.prefix }, async (tx) => {
        const c = await checkApiKey(tx, token);
        if (!c.ok) return c;
        const workspaceId = c.key.workspaceId;
        await setWorkspaceInTx(tx, workspaceId);
        const ws = await tx.workspace.findUnique({ where: { id: workspaceId }, select: { id: true, currency: true, timezone: true } });
        if (!ws) return { ok: false as const, reason: "unknown" as const };
        const rows = await tx.$queryRaw<{ count: number; reset_in: number }[]>`
          INSERT INTO api_rate_limits AS r (workspace_id, api_key_id, window_start, count)
          VALUES (${workspaceId}::uuid, ${c.key.id}::uuid,
                  to_timestamp(floor(extract(epoch FROM clock_timestamp()) / ${RATE_WINDOW_SECONDS}) * ${RATE_WINDOW_SECONDS}), 1)
          ON CONFLICT (workspace_id, api_key_id) DO UPDATE
            SET count = CASE WHEN r.window_start = EXCLUDED.window_start THEN r.count + 1 ELSE 1 END,
                window_start = EXCLUDED.window_start
          RETURNING r.count, extract(epoch FROM (r.window_start + make_interval(secs => ${RATE_WINDOW_SECONDS}) - clock_timestamp()))::float8 AS reset_in`;
        await tx.$executeRaw`
          UPDATE api_keys SET last_used_at = now()
           WHERE workspace_id = ${workspaceId}::uuid AND id = ${c.key.id}::uuid
             AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`;
        const count = Number(rows[0]?.count ?? 1);
        const rate: RateState = {
          limit: limitPerMinute,
          remaining: Math.max(0, limitPerMinute - count),
          resetSeconds: Math.max(1, Math.ceil(rows[0]?.reset_in ?? RATE_WINDOW_SECONDS)),
          windowSeconds: RATE_WINDOW_SECONDS,
          limited: count > limitPerMinute,
        };
        return { ok: true as const, principal: { keyId: c.key.id, workspace: ws, scopes: c.key.scopes, rate } };
      })
    : ({ ok: false, reason: "malformed" } as const);
  if (res.ok) return res.principal;
  // Count failures per client IP (global table of the sign-in limiter) and slow down guessing.
  const key = `api-key:${ip}`;
  await prisma.signInAttempt.create({ data: { key }, select: { id: true } });
  const recent = await prisma.signInAttempt.count({ where: { key, createdAt: { gte: new Date(Date.now() - 60_000) } } });
  if (recent > FAILED_AUTH_PER_IP) {
    throw new ApiError("rate_limited", "Too many requests with invalid API keys from this address; wait a minute.", undefined, { "retry-after": "60" });
  }
  const message =
    res.reason === "revoked" ? "This API key has been revoked." : res.reason === "malformed" ? "The API key is malformed (expected vl_<prefix>_<secret>)." : "Invalid API key.";
  throw new ApiError("unauthorized", message, undefined, { "www-authenticate": 'Bearer realm="valuelens", error="invalid_token"' });
}

export function rateHeaders(r: RateState): Record<string, string> {
  return {
    "ratelimit-limit": String(r.limit),
    "ratelimit-remaining": String(r.remaining),
    "ratelimit-reset": String(r.resetSeconds),
    "ratelimit-policy": `${r.limit};w=${r.windowSeconds}`,
  };
}
