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
  ip: string;
  requestId: string;
}

/** Builds the request context from whatever session the transport resolved (Auth.js in the web app). */
export async function createContext(opts: { claims: SessionClaims | null; ip: string; requestId?: string }): Promise<Context> {
  const { prisma } = getDb();
  const user = opts.claims ? await loadSessionUser(opts.claims.userId, opts.claims.sessionVersion) : null;
  return { prisma, user, ip: opts.ip, requestId: opts.requestId ?? crypto.randomUUID() };
}
