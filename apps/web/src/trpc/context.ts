import { headers } from "next/headers";
import { createContext, type SessionClaims } from "@valuelens/api";
import { clientIp } from "@valuelens/auth/next";
import { readSessionClaims } from "~/auth";

/** Who is signed in, from the session cookie (the database re-checks the session version per request). */
export async function sessionClaims(reqHeaders?: Headers): Promise<SessionClaims | null> {
  return readSessionClaims(reqHeaders ?? (await headers()));
}

/**
 * The tRPC context for this request (server components, route handlers and the tRPC HTTP handler
 * share it). `checkSessionInProcedure` (the tRPC handler): each procedure checks the session against
 * the database itself — a workspace procedure with its membership, in one round trip.
 */
export async function requestContext(reqHeaders?: Headers, opts: { checkSessionInProcedure?: boolean } = {}) {
  const h = reqHeaders ?? (await headers());
  return createContext({
    claims: await sessionClaims(h),
    ip: clientIp(h),
    requestId: h.get("x-request-id") ?? undefined,
    checkSessionInProcedure: opts.checkSessionInProcedure === true,
  });
}
