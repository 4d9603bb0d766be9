/**
 * Checks that two running apps on the same database answer /api/trpc alike: e.g. the production entry
 * (src/server/main.ts, /api/trpc answered directly) against plain `next start` (every request through
 * the Next.js route). Signs in on each as the demo owner and the demo viewer, sends the same requests —
 * reads, a batch, mutations refused by origin / content type / role / input, no or a tampered session,
 * an over-long batch, paths and methods left to Next.js — and compares status, body and every response
 * header except the per-connection ones (date, connection, keep-alive, transfer-encoding, content-length).
 * Bodies are compared decoded. Content-Encoding may differ on a body under 1 KiB only: Next.js streams a
 * route's body, so its compression middleware gzips even a tiny one; the direct handler writes the body
 * in one piece, and the same middleware leaves one under its 1 KiB threshold uncompressed.
 *
 *   pnpm exec tsx scripts/trpc-parity.ts http://localhost:3952 http://localhost:3951
 * Exit code 1 and the differences listed when they differ.
 */
import http from "node:http";
import { gunzipSync, inflateSync } from "node:zlib";

const [a, b] = process.argv.slice(2);
if (!a || !b) throw new Error("usage: tsx scripts/trpc-parity.ts <base url A> <base url B>");
const OWNER = { email: "demo@valuelens.local", password: process.env.DEMO_PASSWORD ?? "valuelens-demo" };
const VIEWER = { email: "viewer@valuelens.local", password: OWNER.password };
const PER_CONNECTION = new Set(["date", "connection", "keep-alive", "transfer-encoding", "content-length"]);

interface Res {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
}

function send(base: string, method: string, p: string, headers: Record<string, string> = {}, body?: string): Promise<Res> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}${p}`, { method, headers: { ...headers, ...(body !== undefined ? { "content-length": String(Buffer.byteLength(body)) } : {}) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const raw = Buffer.concat(chunks);
        const enc = res.headers["content-encoding"];
        const data = enc === "gzip" ? gunzipSync(raw) : enc === "deflate" ? inflateSync(raw) : raw;
        resolve({ status: res.statusCode ?? 0, body: data.toString("utf8"), headers: res.headers });
      });
    });
    req.on("error", reject);
    req.end(body);
  });
}

async function signIn(base: string, who: { email: string; password: string }): Promise<string> {
  const csrf = await send(base, "GET", "/api/auth/csrf");
  const jar = (csrf.headers["set-cookie"] ?? []).map((c) => c.split(";")[0]!).join("; ");
  const { csrfToken } = JSON.parse(csrf.body) as { csrfToken: string };
  const form = new URLSearchParams({ csrfToken, email: who.email, password: who.password, callbackUrl: base }).toString();
  const res = await send(base, "POST", "/api/auth/callback/credentials", { cookie: jar, "content-type": "application/x-www-form-urlencoded" }, form);
  const session = (res.headers["set-cookie"] ?? []).map((c) => c.split(";")[0]!).find((c) => /session-token=/.test(c));
  if (!session) throw new Error(`sign-in as ${who.email} on ${base} failed: HTTP ${res.status}`);
  return session;
}

const q = (input: unknown) => `?batch=1&input=${encodeURIComponent(JSON.stringify({ 0: { json: input } }))}`;

async function cases(base: string) {
  const owner = await signIn(base, OWNER);
  const viewer = await signIn(base, VIEWER);
  const list = await send(base, "GET", "/api/trpc/workspace.list?batch=1&input=%7B%7D", { cookie: owner });
  const ws = (JSON.parse(list.body) as [{ result: { data: { json: { id: string; slug: string }[] } } }])[0].result.data.json.find((w) => w.slug === "demo");
  if (!ws) throw new Error(`no demo workspace on ${base}`);
  const origin = new URL(base).origin;
  const json = { "content-type": "application/json" };
  const settings = JSON.stringify({ 0: { json: { workspaceId: ws.id, name: "" } } });
  const tampered = owner.slice(0, -4) + (owner.endsWith("AAAA") ? "BBBB" : "AAAA");
  const listInput = { workspaceId: ws.id, limit: 25, cursor: null, sort: "predictedClv", dir: "desc", filters: {} };
  return [
    ["workspace.list, owner", "GET", "/api/trpc/workspace.list?batch=1&input=%7B%7D", { cookie: owner }],
    ["workspace.list, not signed in", "GET", "/api/trpc/workspace.list?batch=1&input=%7B%7D", {}],
    ["workspace.list, tampered session", "GET", "/api/trpc/workspace.list?batch=1&input=%7B%7D", { cookie: tampered }],
    ["customers.list page 1", "GET", `/api/trpc/customers.list${q(listInput)}`, { cookie: owner }],
    ["customers.list, viewer", "GET", `/api/trpc/customers.list${q(listInput)}`, { cookie: viewer }],
    ["customers.list, bad input", "GET", `/api/trpc/customers.list${q({ ...listInput, limit: 100000 })}`, { cookie: owner }],
    ["customers.list, gzip accepted", "GET", `/api/trpc/customers.list${q(listInput)}`, { cookie: owner, "accept-encoding": "gzip, deflate, br, zstd" }],
    ["workspace.list, gzip accepted (small body)", "GET", "/api/trpc/workspace.list?batch=1&input=%7B%7D", { cookie: owner, "accept-encoding": "gzip, deflate, br" }],
    ["batch of two", "GET", `/api/trpc/customers.filterOptions,model.status?batch=1&input=${encodeURIComponent(JSON.stringify({ 0: { json: { workspaceId: ws.id } }, 1: { json: { workspaceId: ws.id } } }))}`, { cookie: owner }],
    ["batch of 21", "GET", `/api/trpc/${Array.from({ length: 21 }, () => "workspace.list").join(",")}?batch=1`, { cookie: owner }],
    ["unknown procedure", "GET", "/api/trpc/nope.nothing?batch=1&input=%7B%7D", { cookie: owner }],
    ["non-batched GET", "GET", "/api/trpc/workspace.list", { cookie: owner }],
    ["mutation, cross origin", "POST", "/api/trpc/workspace.updateSettings?batch=1", { cookie: owner, origin: "https://evil.example", ...json }, settings],
    ["mutation, origin http://n", "POST", "/api/trpc/workspace.updateSettings?batch=1", { cookie: owner, origin: "http://n", ...json }, settings],
    ["mutation, origin localhost", "POST", "/api/trpc/workspace.updateSettings?batch=1", { cookie: owner, origin: origin.replace("127.0.0.1", "localhost"), ...json }, settings],
    ["mutation, text/plain", "POST", "/api/trpc/workspace.updateSettings?batch=1", { cookie: owner, origin, "content-type": "text/plain" }, settings],
    ["mutation, same origin, invalid input", "POST", "/api/trpc/workspace.updateSettings?batch=1", { cookie: owner, origin, ...json }, settings],
    ["mutation, no origin, invalid input", "POST", "/api/trpc/workspace.updateSettings?batch=1", { cookie: owner, ...json }, settings],
    ["mutation, viewer (role)", "POST", "/api/trpc/workspace.updateSettings?batch=1", { cookie: viewer, origin, ...json }, JSON.stringify({ 0: { json: { workspaceId: ws.id, name: "Renamed by a viewer" } } })],
    ["mutation, malformed JSON", "POST", "/api/trpc/workspace.updateSettings?batch=1", { cookie: owner, origin, ...json }, "{not json"],
    ["query sent as POST", "POST", "/api/trpc/workspace.list?batch=1", { cookie: owner, origin, ...json }, "{}"],
    ["HEAD (left to Next.js)", "HEAD", "/api/trpc/workspace.list?batch=1&input=%7B%7D", { cookie: owner }],
    ["OPTIONS (left to Next.js)", "OPTIONS", "/api/trpc/workspace.list", {}],
    ["PUT (left to Next.js)", "PUT", "/api/trpc/workspace.list", { ...json }, "{}"],
    ["/api/trpc (left to Next.js)", "GET", "/api/trpc", {}],
    ["nested path (left to Next.js)", "GET", "/api/trpc/a/b", {}],
    ["trailing slash (left to Next.js)", "GET", "/api/trpc/workspace.list/", {}],
  ] as [string, string, string, Record<string, string>, string?][];
}

const [ca, cb] = await Promise.all([cases(a), cases(b)]);
let diffs = 0;
for (const [i, [name, method, p, headers, body]] of ca.entries()) {
  const other = cb[i]!;
  const [ra, rb] = [await send(a, method, p, headers, body), await send(b, other[1], other[2], other[3], other[4])];
  const problems: string[] = [];
  if (ra.status !== rb.status) problems.push(`status ${ra.status} vs ${rb.status}`);
  if (ra.body !== rb.body) problems.push(`body differs:\n      A ${ra.body.slice(0, 300)}\n      B ${rb.body.slice(0, 300)}`);
  for (const k of new Set([...Object.keys(ra.headers), ...Object.keys(rb.headers)])) {
    if (PER_CONNECTION.has(k)) continue;
    if (k === "content-encoding" && Buffer.byteLength(ra.body) < 1024) continue;
    const [va, vb] = [JSON.stringify(ra.headers[k] ?? null), JSON.stringify(rb.headers[k] ?? null)];
    if (va !== vb) problems.push(`header ${k}: ${va} vs ${vb}`);
  }
  if (problems.length) diffs++;
  console.log(`${problems.length ? "DIFF" : "same"}  ${method} ${name} → ${ra.status}${problems.length ? "\n    " + problems.join("\n    ") : ""}`);
}
console.log(`\n${ca.length - diffs} of ${ca.length} requests answered alike (status, body, headers).`);
process.exit(diffs ? 1 : 0);
