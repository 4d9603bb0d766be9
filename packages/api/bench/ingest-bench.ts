/**
 * Ingestion API benchmark (issue 4): records/s for 10,000-record batches.
 * Creates a fresh workspace and write key in the database of DATABASE_URL, then sends
 *   1. customers: B batches of 10,000 new customers (POST /api/v1/customers),
 *   2. orders: B batches of 10,000 new orders for those customers (POST /api/v1/orders),
 *   3. the same order batches again (all unchanged),
 *   4. one batch replayed with its Idempotency-Key (answered from the ledger),
 * either over HTTP against a running app (BENCH_URL=http://localhost:3000, the app must use the same
 * database) or straight through the handler (no BENCH_URL). Prints a Markdown table.
 *   eval "$(pnpm -s db:env)"; pnpm --filter @valuelens/api exec tsx bench/ingest-bench.ts [batches]
 *   BENCH_URL=http://localhost:3204 … tsx bench/ingest-bench.ts 5
 */
import { cpus, totalmem } from "node:os";
import { createDb, dbEnv, withTenant, withWorkspace } from "@valuelens/db";
import { generateApiKey } from "../src/services/api-keys.ts";
import { handleApiRequest, type ApiRouteName } from "../src/services/ingest/index.ts";

const BASE = process.env.BENCH_URL ?? null;
const BATCHES = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 5);
const SIZE = 10_000;
const db = createDb(dbEnv().DATABASE_URL);
const prisma = db.prisma;
const workspaceId = crypto.randomUUID();
await withTenant(prisma, { workspaceId }, (tx) =>
  tx.workspace.create({ data: { id: workspaceId, name: `Ingest bench ${new Date().toISOString()}`, slug: `ingest-bench-${workspaceId.slice(0, 8)}` }, select: { id: true } }),
);
const g = generateApiKey();
await withWorkspace(prisma, workspaceId, (tx) =>
  tx.apiKey.create({ data: { workspaceId, name: "bench", prefix: g.prefix, secretHash: g.secretHash, scopes: ["read", "write"] }, select: { id: true } }),
);

const ROUTES: Record<string, ApiRouteName> = { "/api/v1/customers": "customers.upsert", "/api/v1/orders": "orders.upsert" };
async function post(path: string, body: string, idem?: string): Promise<{ status: number; json: Record<string, unknown>; replayed: boolean }> {
  const headers: Record<string, string> = { authorization: `Bearer ${g.key}`, "content-type": "application/json", ...(idem ? { "idempotency-key": idem } : {}) };
  const res = BASE
    ? await fetch(`${BASE}${path}`, { method: "POST", headers, body })
    : await handleApiRequest(new Request(`http://bench.local${path}`, { method: "POST", headers, body }), ROUTES[path]!, {}, { prisma, ip: "127.0.0.1", rateLimitPerMinute: 100_000 });
  return { status: res.status, json: (await res.json()) as Record<string, unknown>, replayed: res.headers.get("idempotent-replayed") === "true" };
}

const day0 = Date.UTC(2024, 0, 1);
const customers = (b: number) =>
  JSON.stringify({ records: Array.from({ length: SIZE }, (_, i) => ({ external_id: `c${b * SIZE + i}`, email: `c${b * SIZE + i}@example.com`, name: `Customer ${b * SIZE + i}`, signed_up_at: new Date(day0 + (i % 300) * 86_400_000).toISOString() })) });
const orders = (b: number) =>
  JSON.stringify({
    records: Array.from({ length: SIZE }, (_, i) => {
      const n = b * SIZE + i;
      const cents = (n % 500) * 100 + 199;
      return { external_id: `o${n}`, customer_external_id: `c${(n * 7919) % (BATCHES * SIZE)}`, ordered_at: new Date(day0 + ((n * 13) % 600) * 86_400_000 + (n % 86_400) * 1000).toISOString(), amount: `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, "0")}`, currency: "USD" };
    }),
  });

interface Phase {
  name: string;
  records: number;
  ms: number;
  batchMs: number[];
  counts: string;
}
const phases: Phase[] = [];
let peakRss = 0;
const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);

async function phase(name: string, path: string, make: (b: number) => string, idem?: (b: number) => string): Promise<void> {
  const batchMs: number[] = [];
  const tot = { created: 0, updated: 0, unchanged: 0, rejected: 0, replayed: 0 };
  const bodies = Array.from({ length: BATCHES }, (_, b) => make(b)); // built before timing
  const t0 = performance.now();
  for (let b = 0; b < BATCHES; b++) {
    const t = performance.now();
    const r = await post(path, bodies[b]!, idem?.(b));
    batchMs.push(performance.now() - t);
    if (r.status !== 200) throw new Error(`${name} batch ${b}: HTTP ${r.status} ${JSON.stringify(r.json).slice(0, 300)}`);
    for (const k of ["created", "updated", "unchanged", "rejected"] as const) tot[k] += Number(r.json[k] ?? 0);
    if (r.replayed) tot.replayed++;
  }
  phases.push({
    name,
    records: BATCHES * SIZE,
    ms: performance.now() - t0,
    batchMs,
    counts: `created ${tot.created}, updated ${tot.updated}, unchanged ${tot.unchanged}, rejected ${tot.rejected}${tot.replayed ? `, replayed ${tot.replayed}/${BATCHES}` : ""}`,
  });
}

await phase("customers, new", "/api/v1/customers", customers);
await phase("orders, new (idempotency key each)", "/api/v1/orders", orders, (b) => `bench-${workspaceId}-${b}`);
await phase("orders, same batches again (unchanged)", "/api/v1/orders", orders);
await phase("orders, retried with the same Idempotency-Key (replay)", "/api/v1/orders", orders, (b) => `bench-${workspaceId}-${b}`);
clearInterval(rssTimer);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const lines = [
  `Mode: ${BASE ? `HTTP against ${BASE} (next start, production build)` : "handler in-process (handleApiRequest, no HTTP)"}; ${BATCHES} batches × ${SIZE.toLocaleString("en-US")} records; ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}.`,
  "",
  "| Phase | Records | Time | Records/s | Batch median / max | Counts |",
  "|---|---:|---:|---:|---:|---|",
  ...phases.map(
    (p) =>
      `| ${p.name} | ${p.records.toLocaleString("en-US")} | ${(p.ms / 1000).toFixed(1)} s | ${Math.round((p.records * 1000) / p.ms).toLocaleString("en-US")} | ${(median(p.batchMs) / 1000).toFixed(2)} s / ${(Math.max(...p.batchMs) / 1000).toFixed(2)} s | ${p.counts} |`,
  ),
  "",
  `Peak RSS of the bench process: ${Math.round(peakRss / 2 ** 20)} MiB${BASE ? " (client only)" : " (client and handler)"}.`,
];
console.log(lines.join("\n"));
await db.close?.();
process.exit(0);
