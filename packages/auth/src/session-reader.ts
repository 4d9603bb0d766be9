import { getToken } from "next-auth/jwt";

export interface SessionClaimsOf {
  userId: string;
  sessionVersion: number;
}

export interface SessionReaderOptions {
  secret: string;
  secureCookies: boolean;
  /** Decoded tokens kept (least recently used dropped first). */
  cacheSize?: number;
  now?: () => number;
}

/**
 * Reads the signed-in user's claims from the Auth.js session cookie of a request, for API calls.
 *
 * Auth.js's `auth()` runs its whole session endpoint per call: builds an internal request, derives
 * the key (HKDF), decrypts the JWE and, for a cookie older than `updateAge`, encrypts a new one —
 * which a tRPC response (and a server component) then drops, since neither can set cookies there.
 * This decrypts the same cookie with the same secret and salt (`getToken`, which checks `exp`) and
 * remembers the result per token string, so a user's burst of requests decrypts once. A remembered
 * token still expires at its own `exp`; the session version in it is re-checked against the database
 * on every request (createContext), so sign-out-everywhere stays immediate. Only the cookie is read
 * (no `Authorization: Bearer` fallback), as with `auth()`.
 */
export function createSessionReader(opts: SessionReaderOptions): (headers: Headers) => Promise<SessionClaimsOf | null> {
  const max = opts.cacheSize ?? 5_000;
  const now = opts.now ?? Date.now;
  const cache = new Map<string, { claims: SessionClaimsOf; expMs: number }>();
  return async (headers) => {
    const cookie = headers.get("cookie");
    if (!cookie) return null;
    const req = { headers: new Headers({ cookie }) };
    const raw = await getToken({ req, secret: opts.secret, secureCookie: opts.secureCookies, raw: true });
    if (!raw) return null;
    const hit = cache.get(raw);
    if (hit) {
      cache.delete(raw);
      if (hit.expMs <= now()) return null;
      cache.set(raw, hit);
      return hit.claims;
    }
    const token = await getToken({ req, secret: opts.secret, secureCookie: opts.secureCookies });
    if (!token || typeof token.uid !== "string" || !token.uid || typeof token.sv !== "number" || typeof token.exp !== "number") return null;
    const entry = { claims: { userId: token.uid, sessionVersion: token.sv }, expMs: token.exp * 1000 };
    if (entry.expMs <= now()) return null;
    cache.set(raw, entry);
    if (cache.size > max) cache.delete(cache.keys().next().value!);
    return entry.claims;
  };
}
