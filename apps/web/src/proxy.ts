import { NextResponse, type NextRequest } from "next/server";

/**
 * Security headers with a per-request CSP nonce ('strict-dynamic'): Next.js's inline bootstrap
 * scripts carry the nonce, anything injected does not (SECURITY-NOTES T-HDR-1).
 */
export function proxy(request: NextRequest) {
  const nonce = btoa(crypto.randomUUID());
  // eslint-disable-next-line no-restricted-properties -- NODE_ENV is inlined at build time
  const dev = process.env.NODE_ENV !== "production";
  const csp = [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${dev ? " 'unsafe-eval'" : ""}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
  const headers = new Headers(request.headers);
  headers.set("x-nonce", nonce);
  headers.set("content-security-policy", csp);
  const res = NextResponse.next({ request: { headers } });
  res.headers.set("content-security-policy", csp);
  if (request.nextUrl.protocol === "https:") res.headers.set("strict-transport-security", "max-age=31536000; includeSubDomains");
  return res;
}

export const config = {
  matcher: [{ source: "/((?!api|_next/static|_next/image|icon.svg).*)", missing: [{ type: "header", key: "next-router-prefetch" }] }],
};
