/**
 * Ingestion API (issue 4) against a real PostgreSQL, through the same HTTP-level handler the Next.js
 * route files call: API keys (tRPC, roles, shown once, hashed, revocable, audit-logged), auth and
 * scopes, the one error shape, partial batches with per-record errors, upsert semantics shared with
 * the CSV import, Idempotency-Key (replay, different body, concurrent duplicates), rate limits,
 * body limits, a 10,000-record batch, read endpoints, and isolation between workspaces.
 */
import { getDb, withWorkspace } from "@valuelens/db";
import { TRPCError } from "@trpc/server";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { apiV1Route, handleApiRequest, type ApiHandlerOptions, type ApiRouteName } from "../src/services/ingest/index.ts";
import { addCustomers, join, signUp, type Actor } from "./harness.ts";

const NOW = new Date("2026-11-20T00:00:00Z");
let a: Actor & { workspaceId: string };
let b: Actor & { workspaceId: string };
let keyA = ""; // read + write
let keyB = "";
let readOnlyA = "";
let writeOnlyA = "";

function route(method: string, path: string): { route: ApiRouteName; params: Record<string, string> } {
  const p = path.split("?")[0]!;
  if (p === "/api/v1/metrics") return { route: "metrics.get", params: {} };
  if (p === "/api/v1/orders") return { route: "orders.upsert", params: {} };
  if (p === "/api/v1/campaigns") return { route: "campaigns.upsert", params: {} };
  if (p === "/api/v1/campaign-spend") return { route: "campaignSpend.upsert", params: {} };
  if (p === "/api/v1/customers") return { route: method === "POST" ? "customers.upsert" : "customers.list", params: {} };
  if (p === "/api/v1/segments") return { route: "segments.list", params: {} };
  const sm = /^\/api\/v1\/segments\/([^/]+)\/members$/.exec(p);
  if (sm) return { route: "segments.members", params: { segmentId: sm[1]! } };
  const m = /^\/api\/v1\/customers\/([^/]+)$/.exec(p);
  if (m) return { route: "customers.get", params: { externalId: decodeURIComponent(m[1]!) } };
  if (p === "/api/v1/openapi.json") return { route: "openapi", params: {} };
  return { route: "notFound", params: {} };
}

interface CallOpts {
  key?: string | null;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
  opts?: ApiHandlerOptions;
}
async function call(method: string, path: string, o: CallOpts = {}) {
  const headers: Record<string, string> = { ...(o.key ? { authorization: `Bearer ${o.key}` } : {}), ...o.headers };
  let body: string | undefined;
  if (o.rawBody !== undefined) body = o.rawBody;
  else if (o.body !== undefined) {
    body = JSON.stringify(o.body);
    headers["content-type"] ??= "application/json";
  }
  const req = new Request(`http://api.test${path}`, { method, headers, body });
  const r = route(method, path);
  const res = await handleApiRequest(req, r.route, r.params, { ip: "203.0.113.9", now: NOW, ...o.opts });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: JSON.parse(text) as Record<string, unknown> & { error?: { code: string; message: string; requestId: string; details?: { index?: number; field: string | null; reason: string }[] } } };
}

function orders(n: number, prefix: string, extra: (i: number) => Record<string, unknown> = () => ({})) {
  return Array.from({ length: n }, (_, i) => ({
    external_id: `${prefix}-o${i}`,
    customer_external_id: `${prefix}-c${i % 50}`,
    ordered_at: `2025-0${1 + (i % 9)}-1${i % 10}T10:00:00Z`,
    amount: `${10 + (i % 90)}.50`,
    currency: "USD",
    ...extra(i),
  }));
}

const countOrders = (ws: string, prefix: string) =>
  withWorkspace(getDb().prisma, ws, (tx) => tx.order.count({ where: { workspaceId: ws, externalId: { startsWith: prefix } } }));

function expectErrorShape(j: { error?: { code: string; message: string; requestId: string } }, code: string) {
  expect(j.error, JSON.stringify(j)).toBeDefined();
  expect(j.error!.code).toBe(code);
  expect(j.error!.message.length).toBeGreaterThan(5);
  expect(j.error!.requestId).toMatch(/^[\w.-]{8,}$/);
}

beforeAll(async () => {
  a = await signUp("ingestA", "Ingest A");
  b = await signUp("ingestB", "CANARY-B Ingest");
  await addCustomers(b.workspaceId, "CANARY-B");
  keyA = (await a.caller.apiKeys.create({ workspaceId: a.workspaceId, name: "Shop sync", scopes: ["read", "write"] })).key;
  keyB = (await b.caller.apiKeys.create({ workspaceId: b.workspaceId, name: "B sync", scopes: ["write", "read"] })).key;
  readOnlyA = (await a.caller.apiKeys.create({ workspaceId: a.workspaceId, name: "Dashboards", scopes: ["read"] })).key;
  writeOnlyA = (await a.caller.apiKeys.create({ workspaceId: a.workspaceId, name: "Writer", scopes: ["write"] })).key;
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe("API keys (tRPC)", () => {
  it("shows the key once, stores only a hash, lists name/prefix/scopes/creator/last use, audit-logs create and revoke", async () => {
    const created = await a.caller.apiKeys.create({ workspaceId: a.workspaceId, name: "  Temp key ", scopes: ["write", "read", "write"] });
    expect(created.key).toMatch(/^vl_[a-z0-9]{8}_[0-9A-Za-z]{43}$/);
    expect(created.name).toBe("Temp key");
    expect(created.scopes).toEqual(["read", "write"]);
    // 43 base62 characters carry log2(62^43) ≈ 256 bits; the secret comes from 32 CSPRNG bytes.
    expect(43 * Math.log2(62)).toBeGreaterThan(255.9);
    const secret = created.key.split("_")[2]!;
    const list = await a.caller.apiKeys.list({ workspaceId: a.workspaceId });
    const row = list.find((k) => k.id === created.id)!;
    expect(row).toMatchObject({ name: "Temp key", scopes: ["read", "write"], lastUsedAt: null, revokedAt: null });
    expect(row.displayPrefix).toBe(created.key.slice(0, 12) + "…");
    expect(row.createdBy?.id).toBe(a.user.id);
    expect(JSON.stringify(list)).not.toContain(secret);
    const stored = await withWorkspace(getDb().prisma, a.workspaceId, (tx) =>
      tx.$queryRaw<{ t: string }[]>`SELECT k::text AS t FROM api_keys k WHERE workspace_id = ${a.workspaceId}::uuid`,
    );
    expect(stored.map((s) => s.t).join("\n")).not.toContain(secret);

    // Used once → last used is set; a second use within the minute does not write again.
    expect((await call("GET", "/api/v1/metrics", { key: created.key })).status).toBe(200);
    const used1 = (await a.caller.apiKeys.list({ workspaceId: a.workspaceId })).find((k) => k.id === created.id)!.lastUsedAt;
    expect(used1).not.toBeNull();
    await call("GET", "/api/v1/metrics", { key: created.key });
    const used2 = (await a.caller.apiKeys.list({ workspaceId: a.workspaceId })).find((k) => k.id === created.id)!.lastUsedAt;
    expect(used2?.getTime()).toBe(used1!.getTime());

    await a.caller.apiKeys.revoke({ workspaceId: a.workspaceId, keyId: created.id });
    await a.caller.apiKeys.revoke({ workspaceId: a.workspaceId, keyId: created.id }); // idempotent
    const after = (await a.caller.apiKeys.list({ workspaceId: a.workspaceId })).find((k) => k.id === created.id)!;
    expect(after.revokedAt).not.toBeNull();
    const audit = await withWorkspace(getDb().prisma, a.workspaceId, (tx) =>
      tx.auditLog.findMany({ where: { workspaceId: a.workspaceId, target: created.id }, select: { action: true, details: true, actorUserId: true } }),
    );
    expect(audit.map((x) => x.action).sort()).toEqual(["api_key.created", "api_key.revoked"]);
    expect(JSON.stringify(audit)).not.toContain(secret);
    expect(audit.every((x) => x.actorUserId === a.user.id)).toBe(true);

    const r = await call("GET", "/api/v1/metrics", { key: created.key });
    expect(r.status).toBe(401);
    expectErrorShape(r.json, "unauthorized");
    expect(r.json.error!.message).toMatch(/revoked/);
  });

  it("lets admins manage keys and refuses members and viewers on the server", async () => {
    const admin = await join(a, a.workspaceId, "keyAdmin", "ADMIN");
    const member = await join(a, a.workspaceId, "keyMember", "MEMBER");
    const viewer = await join(a, a.workspaceId, "keyViewer", "VIEWER");
    const k = await admin.caller.apiKeys.create({ workspaceId: a.workspaceId, name: "By admin", scopes: ["read"] });
    expect(k.key).toMatch(/^vl_/);
    for (const who of [member, viewer]) {
      for (const attempt of [
        () => who.caller.apiKeys.create({ workspaceId: a.workspaceId, name: "Nope", scopes: ["write"] }),
        () => who.caller.apiKeys.list({ workspaceId: a.workspaceId }),
        () => who.caller.apiKeys.revoke({ workspaceId: a.workspaceId, keyId: k.id }),
      ]) {
        const e = await attempt().catch((x: unknown) => x);
        expect(e).toBeInstanceOf(TRPCError);
        expect((e as TRPCError).code).toBe("FORBIDDEN");
      }
    }
    await expect(a.caller.apiKeys.create({ workspaceId: a.workspaceId, name: "", scopes: ["read"] })).rejects.toThrow();
    await expect(a.caller.apiKeys.create({ workspaceId: a.workspaceId, name: "x", scopes: [] })).rejects.toThrow();
    await expect(a.caller.apiKeys.create({ workspaceId: a.workspaceId, name: "x", scopes: ["admin" as "read"] })).rejects.toThrow();
  });
});

describe("authentication, scopes and the error shape", () => {
  it("answers 401 for missing, malformed, unknown keys and refuses keys in the URL", async () => {
    const none = await call("GET", "/api/v1/metrics");
    expect(none.status).toBe(401);
    expectErrorShape(none.json, "unauthorized");
    expect(none.headers.get("www-authenticate")).toMatch(/^Bearer/);
    const basic = await call("GET", "/api/v1/metrics", { headers: { authorization: "Basic Zm9vOmJhcg==" } });
    expect(basic.status).toBe(401);
    const malformed = await call("GET", "/api/v1/metrics", { key: "vl_nope" });
    expect(malformed.status).toBe(401);
    // Right prefix, wrong secret.
    const forged = keyA.slice(0, 12) + "_" + "A".repeat(43);
    const f = await call("GET", "/api/v1/metrics", { key: forged });
    expect(f.status).toBe(401);
    expectErrorShape(f.json, "unauthorized");
    const q = await call("GET", `/api/v1/metrics?api_key=${keyA}`, { key: keyA });
    expect(q.status).toBe(400);
    expectErrorShape(q.json, "validation_failed");
  });

  it("needs write for POST and read for GET (403 otherwise)", async () => {
    const w = await call("POST", "/api/v1/orders", { key: readOnlyA, body: { records: [] } });
    expect(w.status).toBe(403);
    expectErrorShape(w.json, "forbidden");
    expect(w.json.error!.message).toContain('"write"');
    const r = await call("GET", "/api/v1/metrics", { key: writeOnlyA });
    expect(r.status).toBe(403);
    expectErrorShape(r.json, "forbidden");
    expect((await call("GET", "/api/v1/metrics", { key: readOnlyA })).status).toBe(200);
    expect((await call("POST", "/api/v1/orders", { key: writeOnlyA, body: { records: [] } })).status).toBe(200);
  });

  it("uses the one error shape for bad bodies, media types, sizes, unknown endpoints and methods", async () => {
    const ct = await call("POST", "/api/v1/orders", { key: keyA, rawBody: '{"records":[]}', headers: { "content-type": "text/plain" } });
    expect(ct.status).toBe(415);
    expectErrorShape(ct.json, "unsupported_media_type");
    const bad = await call("POST", "/api/v1/orders", { key: keyA, rawBody: '{"records":[', headers: { "content-type": "application/json" } });
    expect(bad.status).toBe(400);
    expectErrorShape(bad.json, "invalid_json");
    const shape = await call("POST", "/api/v1/orders", { key: keyA, body: { rows: [] } });
    expect(shape.status).toBe(400);
    expectErrorShape(shape.json, "validation_failed");
    expect(shape.json.error!.details!.length).toBeGreaterThan(0);
    const tooMany = await call("POST", "/api/v1/orders", { key: keyA, body: { records: Array.from({ length: 10_001 }, () => ({})) } });
    expect(tooMany.status).toBe(400);
    expect(tooMany.json.error!.details![0]!.field).toBe("records");
    const big = await call("POST", "/api/v1/orders", { key: keyA, body: { records: orders(50, "big") }, opts: { maxBodyBytes: 2048 } });
    expect(big.status).toBe(413);
    expectErrorShape(big.json, "payload_too_large");
    const tz = await call("POST", "/api/v1/orders", { key: keyA, body: { records: [], options: { timeZone: "Mars/Olympus" } } });
    expect(tz.status).toBe(400);
    expect(tz.json.error!.details![0]!.field).toBe("options.timeZone");
    const nf = await call("GET", "/api/v1/nothing-here", { key: keyA });
    expect(nf.status).toBe(404);
    expectErrorShape(nf.json, "not_found");
    const handlers = apiV1Route({ POST: "orders.upsert" }, () => "203.0.113.9");
    const res = await handlers.DELETE(new Request("http://api.test/api/v1/orders", { method: "DELETE" }), { params: Promise.resolve({}) });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("POST");
    expectErrorShape((await res.json()) as { error: { code: string; message: string; requestId: string } }, "method_not_allowed");
  });

  it("logs one JSON line per request without key material", async () => {
    const lines: string[] = [];
    const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    await call("POST", "/api/v1/orders", { key: keyA, body: { records: orders(2, "logline") }, headers: { "idempotency-key": "log-1", "x-request-id": "req-log-0001" } });
    await call("GET", "/api/v1/metrics", { key: "vl_abcdefgh_" + "Z".repeat(43) });
    spy.mockRestore();
    const events = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((e) => e.event === "api.request");
    expect(events).toHaveLength(2);
    expect(events[0]).toMatchObject({ requestId: "req-log-0001", method: "POST", route: "orders.upsert", status: 200, workspaceId: a.workspaceId, records: 2, created: 2 });
    expect(events[0]!.keyId).toMatch(/^[0-9a-f-]{36}$/);
    expect(events[1]).toMatchObject({ status: 401, errorCode: "unauthorized", keyId: null });
    const all = lines.join("\n");
    expect(all).not.toContain(keyA.split("_")[2]!);
    expect(all).not.toContain("Z".repeat(43));
    expect(all.toLowerCase()).not.toContain("bearer");
  });
});

describe("upserts: partial batches, field semantics, stale flag", () => {
  it("applies the valid records of a batch and reports each rejected one with index, field and reason", async () => {
    const recs: unknown[] = orders(6, "part");
    recs[1] = { ...(recs[1] as object), amount: "-5.00" };
    recs[2] = { ...(recs[2] as object), ordered_at: "2031-01-01" }; // after NOW: future
    recs[3] = { ...(recs[3] as object), currency: "XYZ" };
    recs.push("not an object");
    recs.push({ ...(recs[0] as object) }); // duplicate of index 0
    recs.push({ external_id: "part-x", customer_external_id: "part-c0", ordered_at: "2025-01-01", amount: "1", colour: "red" });
    recs.push({ external_id: "part-y", ordered_at: "2025-01-01", amount: "1,234.56" }); // no customer
    recs.push({ external_id: "part-z", customer_external_id: "part-c1", ordered_at: "2025-01-01" }); // no amount
    const r = await call("POST", "/api/v1/orders", { key: keyA, body: { records: recs } });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ received: 11, created: 3, updated: 0, unchanged: 0, rejected: 8 });
    const errs = r.json.errors as { index: number; field: string | null; reason: string }[];
    expect(errs.map((e) => [e.index, e.field])).toEqual([
      [1, "amount"],
      [2, "ordered_at"],
      [3, "currency"],
      [6, null],
      [7, "external_id"],
      [8, "colour"],
      [9, "customer_email"],
      [10, "amount"],
    ]);
    expect(errs[1]!.reason).toMatch(/future/);
    expect(errs[4]!.reason).toMatch(/duplicate.*index 0/);
    expect(errs[5]!.reason).toMatch(/unknown field/);
    expect(errs[7]!.reason).toMatch(/required/);
    expect(await countOrders(a.workspaceId, "part-")).toBe(3);
    const ws = await withWorkspace(getDb().prisma, a.workspaceId, (tx) => tx.workspace.findUniqueOrThrow({ where: { id: a.workspaceId }, select: { metricsStaleAt: true } }));
    expect(ws.metricsStaleAt).not.toBeNull();
  });

  it("upserts by external id: same batch again is unchanged, a changed record is updated; absent fields are kept, null clears", async () => {
    const base = [
      { external_id: "sem-1", email: "Sem1@Example.com", name: "Sem One", acquisition_channel: "email", attributes: { plan: "pro", seats: 3 } },
      { external_id: "sem-2", email: "sem2@example.com", name: "Sem Two" },
    ];
    const first = await call("POST", "/api/v1/customers", { key: keyA, body: { records: base } });
    expect(first.json).toMatchObject({ created: 2, updated: 0, unchanged: 0, rejected: 0 });
    const again = await call("POST", "/api/v1/customers", { key: keyA, body: { records: base } });
    expect(again.json).toMatchObject({ created: 0, updated: 0, unchanged: 2, rejected: 0 });
    // sem-1: only the name is sent → email and channel stay; sem-2: name null → cleared.
    const third = await call("POST", "/api/v1/customers", { key: keyA, body: { records: [{ external_id: "sem-1", name: "Sem Uno" }, { external_id: "sem-2", name: null }] } });
    expect(third.json).toMatchObject({ created: 0, updated: 2, unchanged: 0, rejected: 0 });
    const got = await call("GET", "/api/v1/customers/sem-1", { key: keyA });
    expect(got.status).toBe(200);
    expect(got.json.data).toMatchObject({ externalId: "sem-1", email: "sem1@example.com", name: "Sem Uno", acquisitionChannel: "email", attributes: { plan: "pro", seats: "3" } });
    const two = await call("GET", "/api/v1/customers/sem-2", { key: keyA });
    expect(two.json.data).toMatchObject({ name: null, email: "sem2@example.com" });
  });

  it("upserts campaigns and spend with the CSV rules (unknown campaign rejected, day in the time zone)", async () => {
    const c = await call("POST", "/api/v1/campaigns", { key: keyA, body: { records: [{ external_id: "cmp-1", name: "Spring", channel: "email", starts_at: "2025-03-01" }, { external_id: "cmp-2", name: "", channel: "x" }] } });
    expect(c.json).toMatchObject({ created: 1, rejected: 1 });
    expect((c.json.errors as { field: string }[])[0]!.field).toBe("name");
    const s = await call("POST", "/api/v1/campaign-spend", {
      key: keyA,
      body: {
        records: [
          { campaign_external_id: "cmp-1", day: "2025-03-01T23:30:00Z", amount: 120.5, currency: "USD" },
          { campaign_external_id: "cmp-9", day: "2025-03-01", amount: "5" },
        ],
        options: { timeZone: "Europe/Paris" },
      },
    });
    expect(s.json).toMatchObject({ created: 1, rejected: 1 });
    expect((s.json.errors as { index: number; field: string; reason: string }[])[0]).toMatchObject({ index: 1, field: "campaign_external_id" });
    const day = await withWorkspace(getDb().prisma, a.workspaceId, (tx) =>
      tx.$queryRaw<{ d: string; amt: bigint }[]>`SELECT day::text AS d, amount_minor AS amt FROM campaign_spend WHERE workspace_id = ${a.workspaceId}::uuid`,
    );
    expect(day).toEqual([{ d: "2025-03-02", amt: 12050n }]);
    // A customer attached to a campaign of this workspace.
    const cu = await call("POST", "/api/v1/customers", { key: keyA, body: { records: [{ external_id: "cmp-cust", campaign_external_id: "cmp-1" }, { external_id: "cmp-cust2", campaign_external_id: "nope" }] } });
    expect(cu.json).toMatchObject({ created: 1, rejected: 1 });
  });

  it("rejects orders of unknown customers when asked, creates them by default", async () => {
    const rej = await call("POST", "/api/v1/orders", { key: keyA, body: { records: [{ external_id: "unk-1", customer_external_id: "ghost", ordered_at: "2025-01-01", amount: "3" }], options: { unknownCustomers: "reject" } } });
    expect(rej.json).toMatchObject({ created: 0, rejected: 1, customersCreated: 0 });
    const cre = await call("POST", "/api/v1/orders", { key: keyA, body: { records: [{ external_id: "unk-1", customer_email: "Ghost@Example.com", ordered_at: "2025-01-01", amount: "3" }] } });
    expect(cre.json).toMatchObject({ created: 1, rejected: 0, customersCreated: 1 });
  });
});

describe("Idempotency-Key", () => {
  it("replays a retry without applying it again; a different body with the same key is 422", async () => {
    const body = { records: orders(20, "idem") };
    const first = await call("POST", "/api/v1/orders", { key: keyA, body, headers: { "idempotency-key": "idem-key-1" } });
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({ created: 20 });
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    const retry = await call("POST", "/api/v1/orders", { key: keyA, body, headers: { "idempotency-key": "idem-key-1" } });
    expect(retry.status).toBe(200);
    expect(retry.json).toEqual(first.json); // created: 20 again, not unchanged: 20 → it was not re-applied
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    const other = await call("POST", "/api/v1/orders", { key: keyA, body: { records: orders(21, "idem") }, headers: { "idempotency-key": "idem-key-1" } });
    expect(other.status).toBe(422);
    expectErrorShape(other.json, "idempotency_key_reused");
    const otherPath = await call("POST", "/api/v1/customers", { key: keyA, body, headers: { "idempotency-key": "idem-key-1" } });
    expect(otherPath.status).toBe(422);
    expect(await countOrders(a.workspaceId, "idem-")).toBe(20);
    // The same key string in another workspace is another key (scoped per workspace and API key).
    const inB = await call("POST", "/api/v1/orders", { key: keyB, body, headers: { "idempotency-key": "idem-key-1" } });
    expect(inB.json).toMatchObject({ created: 20 });
    const bad = await call("POST", "/api/v1/orders", { key: keyA, body, headers: { "idempotency-key": "has space" } });
    expect(bad.status).toBe(400);
    expectErrorShape(bad.json, "invalid_idempotency_key");
  });

  it("applies concurrent requests with the same key exactly once", async () => {
    const body = { records: orders(200, "conc") };
    const rs = await Promise.all(Array.from({ length: 8 }, () => call("POST", "/api/v1/orders", { key: keyA, body, headers: { "idempotency-key": "conc-key" } })));
    expect(rs.map((r) => r.status)).toEqual(Array(8).fill(200));
    for (const r of rs) expect(r).toMatchObject({ json: { created: 200, unchanged: 0 } });
    expect(rs.filter((r) => r.headers.get("idempotent-replayed") === "true")).toHaveLength(7);
    expect(new Set(rs.map((r) => r.json.requestId)).size).toBe(1);
    expect(await countOrders(a.workspaceId, "conc-")).toBe(200);
  });

  it("runs a key again as a new request after 24 hours", async () => {
    const body = { records: orders(3, "ttl") };
    await call("POST", "/api/v1/orders", { key: keyA, body, headers: { "idempotency-key": "ttl-key" } });
    await withWorkspace(getDb().prisma, a.workspaceId, (tx) => tx.$executeRaw`UPDATE api_idempotency SET created_at = now() - interval '25 hours' WHERE workspace_id = ${a.workspaceId}::uuid AND idempotency_key = 'ttl-key'`);
    const again = await call("POST", "/api/v1/orders", { key: keyA, body, headers: { "idempotency-key": "ttl-key" } });
    expect(again.headers.get("idempotent-replayed")).toBeNull();
    expect(again.json).toMatchObject({ created: 0, unchanged: 3 });
  });
});

describe("rate limits", () => {
  it("answers 429 with Retry-After and RateLimit headers past the per-key limit (counted in PostgreSQL)", async () => {
    const k = (await a.caller.apiKeys.create({ workspaceId: a.workspaceId, name: "Limited", scopes: ["read"] })).key;
    const rs = [];
    for (let i = 0; i < 6; i++) rs.push(await call("GET", "/api/v1/metrics", { key: k, opts: { rateLimitPerMinute: 3 } }));
    // Requests 1–3 are within the limit whatever the window; at most one window boundary can fall in 6 quick calls.
    expect(rs.slice(0, 3).map((r) => r.status)).toEqual([200, 200, 200]);
    expect(rs[0]!.headers.get("ratelimit-limit")).toBe("3");
    expect(rs[0]!.headers.get("ratelimit-policy")).toBe("3;w=60");
    const limited = rs.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    expectErrorShape(limited[0]!.json, "rate_limited");
    expect(Number(limited[0]!.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(limited[0]!.headers.get("ratelimit-remaining")).toBe("0");
    // Another key of the same workspace is not affected.
    expect((await call("GET", "/api/v1/metrics", { key: readOnlyA, opts: { rateLimitPerMinute: 3 } })).status).toBe(200);
  });
});

describe("a 10,000-record batch", () => {
  it("applies 10,000 orders in one request and keeps the count invariant", async () => {
    const records = orders(10_000, "tenk");
    const t0 = performance.now();
    const r = await call("POST", "/api/v1/orders", { key: keyA, body: { records } });
    const ms = performance.now() - t0;
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ received: 10_000, created: 10_000, rejected: 0, customersCreated: 50 });
    expect(await countOrders(a.workspaceId, "tenk-")).toBe(10_000);
    console.log(`ingest: 10,000 orders in ${Math.round(ms)} ms (${Math.round((10_000 * 1000) / ms)} records/s, test DB)`);
    const again = await call("POST", "/api/v1/orders", { key: keyA, body: { records } });
    expect(again.json).toMatchObject({ created: 0, updated: 0, unchanged: 10_000 });
  });
});

describe("read endpoints", () => {
  it("serves metrics, a customer with scores, and keyset pages of customers", async () => {
    const m = await call("GET", "/api/v1/metrics", { key: keyA });
    expect(m.status).toBe(200);
    const d = m.json.data as { currency: string; orders: number; revenue: { minor: string }; stale: boolean };
    expect(d.currency).toBe("USD");
    expect(d.orders).toBe(await withWorkspace(getDb().prisma, a.workspaceId, (tx) => tx.order.count({ where: { workspaceId: a.workspaceId, refunded: false } })));
    expect(d.stale).toBe(true);
    expect(m.headers.get("cache-control")).toBe("no-store");
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const p: Awaited<ReturnType<typeof call>> = await call("GET", `/api/v1/customers?limit=17${cursor ? `&cursor=${cursor}` : ""}`, { key: keyA });
      expect(p.status).toBe(200);
      for (const c of p.json.data as { externalId: string }[]) seen.push(c.externalId);
      cursor = p.json.nextCursor as string | null;
      pages++;
    } while (cursor && pages < 100);
    const total = await withWorkspace(getDb().prisma, a.workspaceId, (tx) => tx.customer.count({ where: { workspaceId: a.workspaceId } }));
    expect(seen).toHaveLength(total);
    expect(new Set(seen).size).toBe(total);
    expect([...seen].sort()).toEqual(seen.slice().sort());
    const badCursor = await call("GET", "/api/v1/customers?cursor=zzz", { key: keyA });
    expect(badCursor.status).toBe(400);
    const badLimit = await call("GET", "/api/v1/customers?limit=0", { key: keyA });
    expect(badLimit.status).toBe(400);
    const nf = await call("GET", "/api/v1/customers/does-not-exist", { key: keyA });
    expect(nf.status).toBe(404);
    expectErrorShape(nf.json, "not_found");
  });

  it("lists saved segments and pages through a segment's members; another workspace's segment is 404", async () => {
    const rule = { version: 1, root: { op: "and", conditions: [{ field: "orderCount", op: "gte", value: 1 }] } };
    const seg = await a.caller.segmentRules.create({ workspaceId: a.workspaceId, name: "API buyers", rule });
    const segB = await b.caller.segmentRules.create({ workspaceId: b.workspaceId, name: "CANARY-B buyers", rule });
    const list = await call("GET", "/api/v1/segments", { key: keyA });
    expect(list.status).toBe(200);
    const segs = list.json.data as { id: string; name: string }[];
    expect(segs.map((x) => x.name)).toContain("API buyers");
    expect(JSON.stringify(list.json)).not.toContain("CANARY-B");
    const members: string[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 100; i++) {
      const p: Awaited<ReturnType<typeof call>> = await call("GET", `/api/v1/segments/${seg.id}/members?limit=20${cursor ? `&cursor=${cursor}` : ""}`, { key: keyA });
      expect(p.status).toBe(200);
      for (const c of p.json.data as { externalId: string }[]) members.push(c.externalId);
      cursor = p.json.nextCursor as string | null;
      if (!cursor) break;
    }
    const buyers = await withWorkspace(getDb().prisma, a.workspaceId, (tx) => tx.customer.count({ where: { workspaceId: a.workspaceId, orderCount: { gte: 1 } } }));
    expect(new Set(members).size).toBe(members.length);
    expect(members.length).toBe(buyers);
    const cross = await call("GET", `/api/v1/segments/${segB.id}/members`, { key: keyA });
    expect(cross.status).toBe(404);
    expectErrorShape(cross.json, "not_found");
    expect((await call("GET", "/api/v1/segments/not-a-uuid/members", { key: keyA })).status).toBe(404);
    expect((await call("GET", `/api/v1/segments/${seg.id}/members?cursor=zzz`, { key: keyA })).status).toBe(400);
    expect((await call("GET", "/api/v1/segments", { key: writeOnlyA })).status).toBe(403);
  });

  it("serves an OpenAPI 3.1 document without a key", async () => {
    const r = await call("GET", "/api/v1/openapi.json");
    expect(r.status).toBe(200);
    expect(r.json.openapi).toBe("3.1.0");
    const paths = r.json.paths as Record<string, Record<string, unknown>>;
    expect(Object.keys(paths).sort()).toEqual(["/campaign-spend", "/campaigns", "/customers", "/customers/{externalId}", "/metrics", "/orders", "/segments", "/segments/{segmentId}/members"]);
    const schemas = (r.json.components as { schemas: Record<string, { properties?: Record<string, unknown> }> }).schemas;
    expect(Object.keys(schemas.OrderRecord!.properties!)).toEqual(["external_id", "customer_external_id", "customer_email", "ordered_at", "amount", "currency", "cost", "refunded"]);
  });
});

describe("isolation between workspaces", () => {
  it("never lets a key of A read or write B", async () => {
    const snapshot = () =>
      withWorkspace(getDb().prisma, b.workspaceId, async (tx) => {
        const rows = await tx.$queryRaw<{ n: bigint; h: string | null }[]>`
          SELECT count(*) AS n, md5(string_agg(x::text, ',' ORDER BY x::text)) AS h FROM (
            SELECT c::text AS x FROM customers c UNION ALL SELECT o::text FROM orders o) t`;
        return JSON.stringify(rows, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
      });
    const before = await snapshot();
    // Read B's customer by its external id with A's key.
    const g = await call("GET", "/api/v1/customers/CANARY-B-c0", { key: keyA });
    expect(g.status).toBe(404);
    expect(JSON.stringify(g.json)).not.toContain("canary-b-0@example.com"); // B's data, not the id we sent
    expect(JSON.stringify(g.json)).not.toContain("CANARY-B 0");
    // Write an order for B's customer, and upsert B's customer/order ids, with A's key: lands in A only.
    const w1 = await call("POST", "/api/v1/orders", {
      key: keyA,
      body: { records: [{ external_id: "CANARY-B-o0-0", customer_external_id: "CANARY-B-c0", ordered_at: "2025-01-01", amount: "1" }], options: { unknownCustomers: "reject" } },
    });
    expect(w1.json).toMatchObject({ created: 0, rejected: 1 });
    const w2 = await call("POST", "/api/v1/customers", { key: keyA, body: { records: [{ external_id: "CANARY-B-c1", name: "hijack" }] } });
    expect(w2.json).toMatchObject({ created: 1 }); // a new customer of A with that id, not B's
    const list = await call("GET", "/api/v1/customers?limit=1000", { key: keyA });
    const names = JSON.stringify(list.json);
    expect(names).not.toContain("canary-b-1@example.com");
    const mA = await call("GET", "/api/v1/metrics", { key: keyA });
    const mB = await call("GET", "/api/v1/metrics", { key: keyB });
    expect((mA.json.data as { customers: number }).customers).not.toBe((mB.json.data as { customers: number }).customers);
    expect(await snapshot()).toBe(before);
    // B's key cannot see A's customers either.
    expect((await call("GET", "/api/v1/customers/sem-1", { key: keyB })).status).toBe(404);
    // An A admin cannot revoke B's key through tRPC.
    const bKeys = await b.caller.apiKeys.list({ workspaceId: b.workspaceId });
    const e = await a.caller.apiKeys.revoke({ workspaceId: a.workspaceId, keyId: bKeys[0]!.id }).catch((x: unknown) => x);
    expect((e as TRPCError).code).toBe("NOT_FOUND");
    const e2 = await a.caller.apiKeys.list({ workspaceId: b.workspaceId }).catch((x: unknown) => x);
    expect((e2 as TRPCError).code).toBe("NOT_FOUND");
  });
});
