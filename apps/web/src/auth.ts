import type { NextAuthResult } from "next-auth";
import { createAuth, createSessionReader, type SessionClaimsOf } from "@valuelens/auth/next";
import { log } from "@valuelens/api/log";
import { webEnv } from "./env";

// Created on first use so `next build` never needs runtime secrets.
let instance: NextAuthResult | undefined;
function get(): NextAuthResult {
  instance ??= createAuth({
    secret: webEnv().AUTH_SECRET,
    secureCookies: webEnv().APP_URL.startsWith("https://"),
    log,
  });
  return instance;
}

let reader: ((h: Headers) => Promise<SessionClaimsOf | null>) | undefined;
/** The session's user id and version from the request's cookie, decrypted once per token (see createSessionReader). */
export function readSessionClaims(h: Headers): Promise<SessionClaimsOf | null> {
  reader ??= createSessionReader({ secret: webEnv().AUTH_SECRET, secureCookies: webEnv().APP_URL.startsWith("https://") });
  return reader(h);
}

export const authHandlers = {
  GET: (req: Request) => get().handlers.GET(req as never),
  POST: (req: Request) => get().handlers.POST(req as never),
};
