import type { NextAuthResult, Session } from "next-auth";
import { createAuth } from "@valuelens/auth/next";
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

export async function getSession(): Promise<Session | null> {
  return (await get().auth()) as Session | null;
}

export const authHandlers = {
  GET: (req: Request) => get().handlers.GET(req as never),
  POST: (req: Request) => get().handlers.POST(req as never),
};
