import { beginBulkSummaries, flushBulkSummaries, getDb, withWorkspace, type PrismaClient } from "@valuelens/db";
import type { TApiKeyScope, TImportKind } from "@valuelens/validators";
import { apiEnv } from "../../env.ts";
import { log, logError } from "../../log.ts";
import { onWorkspaceDataChanged } from "../data-changed.ts";
import { DomainError } from "../domain-error.ts";
import { isValidTimeZone } from "../import/dates.ts";
import { pgCode } from "../import/engine.ts";
import { isKnownCurrency } from "../import/money.ts";
import { authenticate, rateHeaders, type ApiPrincipal } from "./auth.ts";
import { ApiError, type ApiErrorDetail } from "./errors.ts";
import { checkIdempotencyKey, claimIdempotencyKey, peekIdempotencyKey, requestHash, storeResponse, sweepExpired } from "./idempotency.ts";
import { openApiDocument } from "./openapi.ts";
import { listCustomersPage, readCustomer, readMetrics, readSegmentMembers, readSegments } from "./read.ts";
import { applyRecords, validateRecords, type IngestResult } from "./records.ts";
import { ZIngestRequest } from "./schemas.ts";

/** Every endpoint of /api/v1: the scope it needs and, for writes, what it upserts. */
export const API_ROUTES = {
  "customers.upsert": { scope: "write", kind: "CUSTOMERS" },
  "orders.upsert": { scope: "write", kind: "ORDERS" },
  "campaigns.upsert": { scope: "write", kind: "CAMPAIGNS" },
  "campaignSpend.upsert": { scope: "write", kind: "CAMPAIGN_SPEND" },
  "metrics.get": { scope: "read" },
  "customers.list": { scope: "read" },
  "customers.get": { scope: "read" },
  "segments.list": { scope: "read" },
  "segments.members": { scope: "read" },
  openapi: { scope: null },
  notFound: { scope: null },
} as const satisfies Record<string, { scope: TApiKeyScope | null; kind?: TImportKind }>;
export type ApiRouteName = keyof typeof API_ROUTES;

export interface ApiHandlerOptions {
  prisma?: PrismaClient;
  /** Client address (for failed-key throttling and logs); the web app passes its trusted client IP. */
  ip?: string;
  rateLimitPerMinute?: number;
  maxBodyBytes?: number;
  now?: Date;
}

const MAX_ATTEMPTS = 4;
// 23505: a record inserted by a concurrent request after this one read the stored rows (the
// writers insert new keys without ON CONFLICT, import/writer.ts); the retry reads it as stored.
const RETRYABLE = new Set(["40P01", "40001", "55P03", "23505"]);
const WRITE_TX_TIMEOUT_MS = 120_000;
const BULK_SUMMARIES_FROM = 500;

interface Outcome {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  logFields?: Record<string, unknown>;
}

function json(status: number, body: unknown, requestId: string, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", "x-request-id": requestId, ...headers },
  });
}

async function readBody(req: Request, max: number): Promise<Uint8Array> {
  const tooLarge = () => new ApiError("payload_too_large", `The request body is larger than ${max} bytes; send at most 10,000 records per request, or split the batch.`);
  const cl = req.headers.get("content-length");
  if (cl !== null && Number(cl) > max) throw tooLarge();
  if (!req.body) return new Uint8Array(0);
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let n = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    n += value.byteLength;
    if (n > max) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  const out = new Uint8Array(n);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.byteLength;
  }
  return out;
}

function issuesToDetails(issues: readonly { path: readonly PropertyKey[]; message: string }[]): ApiErrorDetail[] {
  return issues.slice(0, 100).map((i) => ({ field: i.path.map(String).join(".") || null, reason: i.message }));
}

async function withRetry<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      const code = pgCode(e);
      if (attempt >= MAX_ATTEMPTS || !code || !RETRYABLE.has(code)) throw e;
      await new Promise((r) => setTimeout(r, 50 * 2 ** attempt + Math.random() * 100));
    }
  }
}

async function handleWrite(req: Request, url: URL, kind: TImportKind, p: ApiPrincipal, prisma: PrismaClient, requestId: string, opts: ApiHandlerOptions): Promise<Outcome> {
  const ct = (req.headers.get("content-type") ?? "").toLowerCase();
  if (!/^application\/([\w.+-]+\+)?json\b/.test(ct)) {
    throw new ApiError("unsupported_media_type", 'Send the body as JSON with "Content-Type: application/json".');
  }
  const idemKey = checkIdempotencyKey(req.headers.get("idempotency-key"));
  const bytes = await readBody(req, opts.maxBodyBytes ?? apiEnv().INGEST_MAX_BODY_BYTES);
  const hash = idemKey ? requestHash(req.method, url.pathname, bytes) : "";
  if (idemKey) {
    const prior = await withWorkspace(prisma, p.workspace.id, (tx) => peekIdempotencyKey(tx, p.workspace.id, p.keyId, idemKey, hash));
    if (prior) {
      const c = prior.body as Partial<IngestResult>;
      return {
        status: prior.status,
        body: prior.body,
        headers: { "idempotent-replayed": "true" },
        logFields: { records: c.received, created: c.created, updated: c.updated, unchanged: c.unchanged, rejected: c.rejected, replayed: true, idempotent: true },
      };
    }
  }
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (e) {
    throw new ApiError("invalid_json", `The body is not valid UTF-8 JSON: ${e instanceof Error ? e.message : "parse error"}.`);
  }
  const env = ZIngestRequest.safeParse(raw);
  if (!env.success) throw new ApiError("validation_failed", 'The body must be { "records": [ … up to 10,000 objects ], "options"?: { … } }.', issuesToDetails(env.error.issues));
  const o = env.data.options;
  const options = {
    timeZone: o?.timeZone ?? p.workspace.timezone,
    dateFormat: o?.dateFormat ?? ("auto" as const),
    defaultCurrency: o?.defaultCurrency ?? p.workspace.currency,
    unknownCustomers: o?.unknownCustomers ?? ("create" as const),
  };
  if (!isValidTimeZone(options.timeZone)) throw new ApiError("validation_failed", `Unknown time zone "${options.timeZone}".`, [{ field: "options.timeZone", reason: "is not an IANA time zone" }]);
  if (!isKnownCurrency(options.defaultCurrency)) throw new ApiError("validation_failed", `Unknown currency "${options.defaultCurrency}".`, [{ field: "options.defaultCurrency", reason: "is not a known ISO 4217 currency" }]);

  const records = env.data.records;
  // Validation is CPU only: done before the transaction so no connection waits on it.
  const validated = validateRecords(kind, records, options, opts.now ?? new Date());
  const ws = p.workspace.id;
  const r = await withRetry(() =>
    withWorkspace(
      prisma,
      ws,
      async (tx) => {
        if (idemKey) {
          const stored = await claimIdempotencyKey(tx, ws, p.keyId, idemKey, hash);
          if (stored) return { replay: true as const, status: stored.status, body: stored.body };
        }
        // Large order batches refresh the summaries once, set-based, like an import chunk (the per-statement
        // triggers are right for small writes); a deferred guard flushes at COMMIT in any case.
        const bulk = kind === "ORDERS" && records.length >= BULK_SUMMARIES_FROM;
        if (bulk) await beginBulkSummaries(tx, ws);
        const result: IngestResult = await applyRecords(tx, ws, validated, records.length, options.unknownCustomers);
        if (bulk) await flushBulkSummaries(tx, ws);
        // Stale flag last: it locks the workspace row, so keep that lock short.
        if (result.created + result.updated + result.customersCreated > 0) await onWorkspaceDataChanged(tx, ws);
        const body = { ...result, requestId };
        if (idemKey) {
          await storeResponse(tx, ws, p.keyId, idemKey, { status: 200, body });
          if (Math.random() < 0.02) await sweepExpired(tx, ws);
        }
        return { replay: false as const, status: 200, body };
      },
      { timeoutMs: WRITE_TX_TIMEOUT_MS },
    ),
  );
  const counts = r.body as Partial<IngestResult>;
  return {
    status: r.status,
    body: r.body,
    headers: r.replay ? { "idempotent-replayed": "true" } : {},
    logFields: {
      records: records.length,
      created: counts.created,
      updated: counts.updated,
      unchanged: counts.unchanged,
      rejected: counts.rejected,
      replayed: r.replay,
      idempotent: idemKey !== null,
    },
  };
}

async function dispatch(req: Request, url: URL, route: ApiRouteName, params: Record<string, string>, prisma: PrismaClient, requestId: string, opts: ApiHandlerOptions, setPrincipal: (p: ApiPrincipal) => void): Promise<Outcome> {
  if (route === "openapi") return { status: 200, body: openApiDocument(url.origin), headers: { "cache-control": "public, max-age=300" } };
  if (route === "notFound") throw new ApiError("not_found", `No endpoint ${req.method} ${url.pathname}. See /api/v1/openapi.json.`);
  for (const k of ["api_key", "apikey", "key", "access_token", "token"]) {
    if (url.searchParams.has(k)) throw new ApiError("validation_failed", "API keys are not accepted in the URL (they end up in logs); send Authorization: Bearer <API key>.", [{ field: k, reason: "not allowed in the query string" }]);
  }
  const p = await authenticate(prisma, req.headers.get("authorization"), opts.ip ?? "unknown", opts.rateLimitPerMinute ?? apiEnv().INGEST_RATE_LIMIT_PER_MINUTE);
  setPrincipal(p);
  if (p.rate.limited) {
    throw new ApiError("rate_limited", `Rate limit of ${p.rate.limit} requests per ${p.rate.windowSeconds} s for this key exceeded; retry after ${p.rate.resetSeconds} s.`, undefined, {
      "retry-after": String(p.rate.resetSeconds),
    });
  }
  const def = API_ROUTES[route];
  if (def.scope && !p.scopes.includes(def.scope)) {
    throw new ApiError("forbidden", `This API key lacks the "${def.scope}" scope needed for ${req.method} ${url.pathname}.`);
  }
  if ("kind" in def) return handleWrite(req, url, def.kind, p, prisma, requestId, opts);
  const ws = p.workspace;
  const data = await withWorkspace(prisma, ws.id, async (tx) => {
    switch (route) {
      case "metrics.get":
        return { data: await readMetrics(tx, ws) };
      case "customers.get":
        return { data: await readCustomer(tx, ws, params.externalId ?? "") };
      case "customers.list":
        return listCustomersPage(tx, ws, url.searchParams);
      case "segments.list":
        return readSegments(tx, ws);
      case "segments.members":
        return readSegmentMembers(tx, ws, params.segmentId ?? "", url.searchParams);
    }
  });
  return { status: 200, body: data };
}

/**
 * The HTTP handler behind every /api/v1 route (the web app's route files only forward to it).
 * Auth, rate limit, scope, body limits, idempotency, the write or read, one error shape, and one
 * structured log line per request (no key material: only the key's id).
 */
export async function handleApiRequest(req: Request, route: ApiRouteName, params: Record<string, string> = {}, opts: ApiHandlerOptions = {}): Promise<Response> {
  const started = performance.now();
  const inId = req.headers.get("x-request-id");
  const requestId = inId && /^[\w.-]{8,100}$/.test(inId) ? inId : crypto.randomUUID();
  const url = new URL(req.url);
  const prisma = opts.prisma ?? getDb().prisma;
  let principal: ApiPrincipal | null = null;
  let res: Response;
  let logFields: Record<string, unknown> = {};
  let errorCode: string | null = null;
  try {
    const out = await dispatch(req, url, route, params, prisma, requestId, opts, (p) => (principal = p));
    logFields = out.logFields ?? {};
    const p = principal as ApiPrincipal | null;
    res = json(out.status, out.body, requestId, { ...(p ? rateHeaders(p.rate) : {}), ...out.headers });
  } catch (e) {
    const p = principal as ApiPrincipal | null;
    const rate = p ? rateHeaders(p.rate) : {};
    let err: ApiError;
    if (e instanceof ApiError) err = e;
    else if (e instanceof DomainError) {
      const code = e.code === "NOT_FOUND" ? "not_found" : e.code === "FORBIDDEN" ? "forbidden" : e.code === "TOO_MANY_REQUESTS" ? "rate_limited" : "validation_failed";
      err = new ApiError(code, e.message);
    } else {
      const msg = e instanceof Error ? e.message : String(e);
      if (/ECONNREFUSED|Connection terminated|timeout exceeded when trying to connect|Can't reach database|Transaction already closed|Unable to start a transaction/i.test(msg)) {
        err = new ApiError("service_unavailable", "The service is busy or the database is unavailable; retry with the same Idempotency-Key.", undefined, { "retry-after": "5" });
      } else {
        err = new ApiError("internal_error", "Something went wrong on our side; nothing was applied. Retry with the same Idempotency-Key.");
      }
      logError("api.error", { requestId, route, error: e });
    }
    errorCode = err.code;
    res = json(err.status, err.body(requestId), requestId, { ...rate, ...err.headers });
  }
  const p = principal as ApiPrincipal | null;
  log("api.request", {
    requestId,
    method: req.method,
    route,
    path: url.pathname,
    status: res.status,
    ms: Math.round(performance.now() - started),
    workspaceId: p?.workspace.id ?? null,
    keyId: p?.keyId ?? null,
    ip: opts.ip ?? null,
    errorCode,
    ...logFields,
  });
  return res;
}

type RouteCtx = { params: Promise<Record<string, string | string[] | undefined>> };
type RouteFn = (req: Request, ctx: RouteCtx) => Promise<Response>;
const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;

/**
 * The exports of one Next.js route file: the mapped methods call the handler; the others answer 405
 * in the API's error shape (Next's own 405 would have an empty body).
 */
export function apiV1Route(routes: Partial<Record<(typeof METHODS)[number], ApiRouteName>>, ipOf: (h: Headers) => string): Record<(typeof METHODS)[number], RouteFn> {
  const allow = Object.keys(routes).join(", ");
  const out = {} as Record<(typeof METHODS)[number], RouteFn>;
  for (const m of METHODS) {
    const route = routes[m];
    out[m] = async (req, ctx) => {
      if (!route) {
        const requestId = crypto.randomUUID();
        const e = new ApiError("method_not_allowed", `${req.method} is not supported here; use ${allow}.`);
        return json(e.status, e.body(requestId), requestId, { allow });
      }
      const raw = ctx?.params ? await ctx.params : {};
      const params: Record<string, string> = {};
      for (const [k, v] of Object.entries(raw)) if (typeof v === "string") params[k] = v;
      return handleApiRequest(req, route, params, { ip: ipOf(req.headers) });
    };
  }
  return out;
}
