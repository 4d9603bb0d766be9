import { headers } from "next/headers";
import { createContext, type SessionClaims } from "@valuelens/api";
import { clientIp } from "@valuelens/auth/next";
import { getSession } from "~/auth";

export async function sessionClaims(): Promise<SessionClaims | null> {
  const session = await getSession();
  const u = session?.user;
  return u?.id ? { userId: u.id, sessionVersion: u.sessionVersion } : null;
}

/** The tRPC context for this request (server components and the HTTP handler share it). */
export async function requestContext(reqHeaders?: Headers) {
  const h = reqHeaders ?? (await headers());
  return createContext({ claims: await sessionClaims(), ip: clientIp(h), requestId: h.get("x-request-id") ?? undefined });
}
