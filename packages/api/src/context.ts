import { getDb, type PrismaClient } from "@valuelens/db";
import { loadSessionUser, type SessionUser } from "@valuelens/auth";

export interface SessionClaims {
  userId: string;
  sessionVersion: number;
}

export interface Context {
  prisma: PrismaClient;
  /** The signed-in user, re-validated against the database on every request. */
  user: SessionUser | null;
  /**
   * The session's claims when their database check was left to the procedure (createContext with
   * `checkSessionInProcedure`): a user-scoped procedure checks them first thing, a workspace procedure
   * in its tenant transaction's first round trip (with the membership). Null once `user` is set.
   */
  uncheckedClaims?: SessionClaims | null;
  ip: string;
  requestId: string;
}

/**
 * Builds the request context from whatever session the transport resolved (Auth.js in the web app).
 * By default the session is checked against the database here; with `checkSessionInProcedure` (the
 * tRPC HTTP handler) each procedure checks it instead — the same check, one round trip fewer for a
 * workspace procedure, none for a public one.
 */
export async function createContext(opts: { claims: SessionClaims | null; ip: string; requestId?: string; checkSessionInProcedure?: boolean }): Promise<Context> {
  const { prisma } = getDb();
  const requestId = opts.requestId ?? crypto.randomUUID();
  if (opts.checkSessionInProcedure) return { prisma, user: null, uncheckedClaims: opts.claims, ip: opts.ip, requestId };
  const user = opts.claims ? await loadSessionUser(opts.claims.userId, opts.claims.sessionVersion) : null;
  return { prisma, user, uncheckedClaims: null, ip: opts.ip, requestId };
}
