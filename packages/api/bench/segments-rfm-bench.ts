/**
 * Segments — RFM and value tiers benchmark (issue 5). In a fresh bench workspace owned by a new
 * user, writes N customers (default 1,000,000) and their customer_scores rows set-based with
 * generate_series (deterministic pseudo-random RFM scores, predicted/historical CLV, P(alive), tiers),
 * then times:
 *   - the snapshot the recompute writes at its end (writeSegmentSnapshots: one GROUPING SETS scan), twice
 *     so the page has a "previous" run to compare with;
 *   - the page's procedures through the real tRPC caller (session → membership → tenant transaction
 *     with RLS → service): segments.rfmOverview, segments.tiers, and customers.list filtered to an RFM
 *     cell (what a click on the map opens), sequentially and 10 at a time; p50 / p95 / max.
 * Needs DATABASE_URL (a throwaway database: the bench workspace is left in place). Prints a Markdown
 * table row block for BENCHMARKS.md.
 *   eval "$(pnpm -s db:env)"; pnpm --filter @valuelens/api exec tsx bench/segments-rfm-bench.ts [customers] [iterations]
 */
import { loadavg } from "node:os";
import { createDb, dbEnv, withWorkspace } from "@valuelens/db";
import { createCaller } from "../src/root.ts";
import { writeSegmentSnapshots } from "../src/services/segments/index.ts";
import { benchOwner } from "./bench-owner.ts";
import { insertSyntheticScores } from "./synthetic-scores.ts";

const N = Number(process.argv[2] ?? 1_000_000);
const ITER = Number(process.argv[3] ?? 200);
const db = createDb(dbEnv().DATABASE_URL, { max: 12 });
const prisma = db.prisma;

const { user, workspaceId, reused: reuse } = await benchOwner({ name: "Segments bench", emailPrefix: "segments-bench", workspaceName: `Segments bench ${Date.now().toString(36)}`, ip: "192.0.2.10" });
const caller = createCaller({ prisma, user, ip: "192.0.2.10", requestId: crypto.randomUUID() });

const secs = (t: number) => ((performance.now() - t) / 1000).toFixed(1);
const load0 = loadavg()[0]!;
const newRun = (finishedAt: Date) =>
  withWorkspace(prisma, workspaceId, (tx) =>
    tx.modelRun.create({ data: { workspaceId, modelKind: "bgnbd", status: "succeeded", step: "done", progress: 100, finishedAt, customers: N }, select: { id: true } }),
  );
// Setup statements lift the app role's 30 s statement_timeout (SET LOCAL: that transaction only).
const noTimeout = "SET LOCAL statement_timeout = 0";

// 1. Customers and scores, set-based (no per-row round trips); deterministic pseudo-random values from a hash of the id.
let t = performance.now();
let tCustomers = "reused";
let tScores = "reused";
const run1 = await newRun(new Date(Date.now() - 86_400_000));
if (!reuse) {
  await withWorkspace(
    prisma,
    workspaceId,
    async (tx) => {
      await tx.$executeRawUnsafe(noTimeout);
      await tx.$executeRaw`
        INSERT INTO customers (workspace_id, external_id, email, order_count, purchase_days, first_order_at, last_order_at, revenue_minor)
        SELECT ${workspaceId}::uuid, 'c' || i, 'c' || i || '@example.com', 1 + (i % 7), 1 + (i % 7),
               timestamptz '2023-01-01' + ((i * 37) % 700) * interval '1 day', timestamptz '2025-01-01' + ((i * 13) % 330) * interval '1 day',
               1000 + ((i::bigint * 7919) % 250000)
          FROM generate_series(1, ${N}::int) AS i`;
    },
    { timeoutMs: 30 * 60_000 },
  );
  tCustomers = secs(t);
  t = performance.now();
  await withWorkspace(
    prisma,
    workspaceId,
    async (tx) => {
      await tx.$executeRawUnsafe(noTimeout);
      await insertSyntheticScores(tx, workspaceId, run1.id);
    },
    { timeoutMs: 30 * 60_000 },
  );
  tScores = secs(t);
  for (const table of ["customer_scores", "customers"]) {
    await withWorkspace(
      prisma,
      workspaceId,
      async (tx) => {
        await tx.$executeRawUnsafe(noTimeout);
        await tx.$executeRawUnsafe(`ANALYZE ${table}`);
      },
      { timeoutMs: 10 * 60_000 },
    );
  }
}

// 2. The recompute's snapshot (twice: a previous run and the current one).
const snapTimes: number[] = [];
for (const id of [run1.id, null]) {
  const runId = id ?? (await newRun(new Date())).id;
  if (!id) {
    // A second run moves some customers between cells, so the page has changes to show.
    await withWorkspace(prisma, workspaceId, async (tx) => {
      await tx.$executeRawUnsafe(noTimeout);
      await tx.$executeRaw`UPDATE customer_scores SET rfm_r = 1 + (rfm_r % 5) WHERE workspace_id = ${workspaceId}::uuid AND rfm_f = 3`;
    }, { timeoutMs: 30 * 60_000 });
  }
  // Under the app role's own statement_timeout (30 s), like the recompute's transaction.
  t = performance.now();
  await withWorkspace(prisma, workspaceId, (tx) => writeSegmentSnapshots(tx, workspaceId, runId), { timeoutMs: 30 * 60_000 });
  snapTimes.push(performance.now() - t);
}

// 3. Page procedures.
function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)]!;
}
async function measure(name: string, fn: () => Promise<unknown>): Promise<string> {
  for (let i = 0; i < 5; i++) await fn(); // warm-up (connection pool, plan cache)
  const seq: number[] = [];
  for (let i = 0; i < ITER; i++) {
    const s = performance.now();
    await fn();
    seq.push(performance.now() - s);
  }
  const par: number[] = [];
  for (let i = 0; i < ITER / 10; i++) {
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        const s = performance.now();
        await fn();
        par.push(performance.now() - s);
      }),
    );
  }
  const f = (x: number) => x.toFixed(1);
  return `| \`${name}\` | ${f(pct(seq, 0.5))} / **${f(pct(seq, 0.95))}** / ${f(Math.max(...seq))} | ${f(pct(par, 0.5))} / **${f(pct(par, 0.95))}** / ${f(Math.max(...par))} |`;
}

const overview = await caller.segments.rfmOverview({ workspaceId });
if (overview.totals?.customers !== N || !overview.previous) throw new Error(`unexpected overview: ${overview.totals?.customers} customers, previous ${String(overview.previous?.runId)}`);
const rows = [
  await measure("segments.rfmOverview", () => caller.segments.rfmOverview({ workspaceId })),
  await measure("segments.tiers", () => caller.segments.tiers({ workspaceId })),
  await measure("customers.list rfmR=5 rfmF=5 (cell click)", () => caller.customers.list({ workspaceId, sort: "predictedClv", limit: 25, filters: { rfmR: 5, rfmF: 5 } })),
  await measure("customers.list segment=Champions", () => caller.customers.list({ workspaceId, sort: "predictedClv", limit: 25, filters: { segment: "Champions" } })),
];
await db.close();

console.log(`\nSegments — RFM and tiers: ${N.toLocaleString("en-US")} customers, ${ITER} sequential calls and ${ITER} calls 10 at a time per procedure; load average ${load0.toFixed(1)} → ${loadavg()[0]!.toFixed(1)}`);
console.log(`Setup: customers ${tCustomers} s, customer_scores ${tScores} s (generate_series); snapshot at the end of a recompute: ${snapTimes.map((x) => (x / 1000).toFixed(2) + " s").join(", ")}`);
console.log("\n| Procedure | sequential p50 / p95 / max (ms) | 10 concurrent p50 / p95 / max (ms) |\n|---|---|---|");
for (const r of rows) console.log(r);
process.exit(0);
