import { headers } from "next/headers";
import { createContext, type SessionClaims } from "@valuelens/api";
import { clientIp } from "@valuelens/auth/next";
import { readSessionClaims } from "~/auth";

/** Who is signed in, from the session cookie (the database re-checks the session version per request). */
export async function sessionClaims(reqHeaders?: Headers): Promise<SessionClaims | null> {
  return readSessionClaims(reqHeaders ?? (await headers()));
}

/** The tRPC context for this request (server components and the HTTP handler share it). */
export async function requestContext(reqHeaders?: Headers) {
  const h = reqHeaders ?? (await headers());
  return createContext({ claims: await sessionClaims(h), ip: clientIp(h), requestId: h.get("x-request-id") ?? undefined });
}
