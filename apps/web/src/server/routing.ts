import type { IncomingMessage } from "node:http";
import { getPathMatch } from "next/dist/shared/lib/router/utils/path-match";

/**
 * Which requests the production server answers itself (src/server/trpc-node.ts), and the response
 * headers next.config.ts gives them. Only `GET`/`POST` of `/api/trpc/<one path segment>` — exactly what
 * the Next.js route `app/api/trpc/[trpc]/route.ts` answers with the handler; anything else (another
 * method, `/api/trpc` itself, a nested path, a trailing slash) goes to Next.js as before.
 */
const TRPC_PATH = /^\/api\/trpc\/[^/?#]+(?:\?|$)/;

export function isDirectTrpcRequest(req: Pick<IncomingMessage, "method" | "url">): boolean {
  return (req.method === "GET" || req.method === "POST") && typeof req.url === "string" && TRPC_PATH.test(req.url);
}

export interface HeaderRule {
  source: string;
  headers: { key: string; value: string }[];
  has?: unknown;
  missing?: unknown;
}

/**
 * next.config.ts's `headers()` rules as a function of the path: the response headers Next.js would add
 * to it, in rule order (a later rule's value wins, as in Next.js; matched with Next.js's own path
 * matcher). Rules with `has`/`missing` conditions are refused here, at start-up, rather than ignored:
 * this server does not evaluate them, and a header silently missing from /api/trpc would be worse.
 */
export function compileHeaderRules(rules: HeaderRule[]): (pathname: string) => [string, string][] {
  const compiled = rules.map((rule) => {
    if (rule.has !== undefined || rule.missing !== undefined) {
      throw new Error(`next.config.ts headers(): the rule for "${rule.source}" has has/missing conditions, which src/server/routing.ts does not evaluate for /api/trpc; extend it before adding such a rule.`);
    }
    return { match: getPathMatch(rule.source), headers: rule.headers.map((h) => [h.key, h.value] as [string, string]) };
  });
  return (pathname) => {
    const out = new Map<string, [string, string]>();
    for (const rule of compiled) {
      if (rule.match(pathname) === false) continue;
      for (const h of rule.headers) out.set(h[0].toLowerCase(), h);
    }
    return [...out.values()];
  };
}
