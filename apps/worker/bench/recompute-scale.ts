/**
 * Benchmark: recompute time on a generated workspace of N customers (demo generator, ~2.8 orders per
 * customer). Creates a fresh workspace, loads it with the set-based seed writers, then times a full
 * recompute (fit + holdout + 3-model comparison + score + write) and a fast refresh.
 * Usage: eval "$(pnpm -s db:env)"; pnpm --filter @valuelens/worker exec tsx bench/recompute-scale.ts [customers]
 */
import { randomUUID } from "node:crypto";
import { closeDb, getDb, withWorkspace } from "@valuelens/db";
import { generateDemoData, writeDemoData } from "@valuelens/db/seed";
import { recomputeWorkspace } from "@valuelens/api/recompute";

const customers = Number(process.argv[2] ?? 100_000);
const { prisma } = getDb();
const id = randomUUID();
await withWorkspace(prisma, id, (tx) => tx.$executeRaw`INSERT INTO workspaces (id, name, slug, updated_at) VALUES (${id}::uuid, ${"Bench " + customers}, ${"bench-" + id.slice(0, 8)}, now())`);
const t0 = Date.now();
const data = generateDemoData({ seed: 3, customers });
const tGen = Date.now();
const written = await writeDemoData(prisma, id, data, () => undefined);
const tLoad = Date.now();
const full = await recomputeWorkspace(prisma, id, { triggeredBy: "bench" });
const tFull = Date.now();
const fast = await recomputeWorkspace(prisma, id, { triggeredBy: "bench", mode: "fast" });
const tFast = Date.now();
console.log(
  JSON.stringify({
    workspaceId: id,
    customers: written.customers,
    orders: written.orders,
    generateMs: tGen - t0,
    loadMs: tLoad - tGen,
    fullRecomputeMs: tFull - tLoad,
    fastRefreshMs: tFast - tFull,
    full: full.status,
    fast: fast.status,
  }),
);
await closeDb();
