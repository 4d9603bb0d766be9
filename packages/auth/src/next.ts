import NextAuth, { CredentialsSignin, type NextAuthResult } from "next-auth";
import Credentials from "next-auth/providers/credentials";
import { ZSignIn } from "@valuelens/validators";
import { authenticate } from "./users.ts";

class RateLimited extends CredentialsSignin {
  override code = "rate_limited";
}

/** Client IP as seen by our server; behind a proxy the proxy's X-Forwarded-For entry (last hop). */
export function clientIp(headers: Headers): string {
  const fwd = headers.get("x-forwarded-for");
  if (fwd) {
    const parts = fwd.split(",").map((s) => s.trim()).filter(Boolean);
    const last = parts[parts.length - 1];
    if (last) return last;
  }
  return headers.get("x-real-ip") ?? "unknown";
}

declare module "next-auth" {
  interface User {
    sessionVersion?: number;
  }
  interface Session {
    user: { id: string; email: string; name?: string | null; sessionVersion: number };
  }
}

export interface AuthOptions {
  secret: string;
  secureCookies: boolean;
  log: (event: string, fields: Record<string, unknown>) => void;
}

/**
 * Auth.js with email + password. Credentials sign-in forces JWT sessions, so the token carries the
 * user's sessionVersion and every request re-checks it against the database (tRPC context), which
 * makes sign-out-everywhere and password changes effective immediately (SECURITY-NOTES 5.7).
 */
export function createAuth(opts: AuthOptions): NextAuthResult {
  return NextAuth({
    trustHost: true,
    secret: opts.secret,
    useSecureCookies: opts.secureCookies,
    session: { strategy: "jwt", maxAge: 8 * 60 * 60, updateAge: 15 * 60 },
    pages: { signIn: "/sign-in" },
    providers: [
      Credentials({
        credentials: { email: { label: "Email", type: "email" }, password: { label: "Password", type: "password" } },
        async authorize(raw, request) {
          const parsed = ZSignIn.safeParse(raw);
          if (!parsed.success) return null;
          const ip = clientIp(request.headers);
          const res = await authenticate(parsed.data.email, parsed.data.password, ip);
          if (!res.ok) {
            opts.log("auth.sign_in_failed", { reason: res.reason, ip });
            if (res.reason === "rate_limited") throw new RateLimited();
            return null;
          }
          opts.log("auth.sign_in", { userId: res.user.id, ip });
          return { id: res.user.id, email: res.user.email, name: res.user.name, sessionVersion: res.user.sessionVersion };
        },
      }),
    ],
    callbacks: {
      jwt({ token, user }) {
        if (user?.id) {
          token.uid = user.id;
          token.sv = user.sessionVersion ?? 1;
        }
        return token;
      },
      session({ session, token }) {
        const uid = typeof token.uid === "string" ? token.uid : "";
        const sv = typeof token.sv === "number" ? token.sv : -1;
        session.user = { ...session.user, id: uid, email: session.user?.email ?? "", sessionVersion: sv };
        return session;
      },
    },
    logger: {
      // Wrong passwords are expected traffic, already logged above; keep the log for real errors.
      // The error class name is minified in production builds, so test `type`.
      error(error) {
        const type = (error as { type?: string }).type;
        if (type === "CredentialsSignin") return;
        opts.log("auth.error", { type: type ?? "unknown", message: error.message });
      },
      warn(code) {
        opts.log("auth.warn", { code });
      },
    },
  });
}

export { createSessionReader, type SessionClaimsOf } from "./session-reader.ts";
