/**
 * Segments — rule preview benchmark (issue 5). In a fresh bench workspace owned by a new user, writes
 * N customers (default 1,000,000) with channels, campaigns and JSON attributes, and their
 * customer_scores rows, set-based with generate_series (deterministic pseudo-random values), then
 * times the live preview (segmentRules.preview through the real tRPC caller: session → membership →
 * tenant transaction with RLS → compile → count/sums → top-10 sample) for a set of representative
 * rules, sequentially; p50 / p95 / max per rule shape, plus EXPLAIN of the count query's plan.
 * Needs DATABASE_URL (a throwaway database: the bench workspace is left in place).
 *   eval "$(pnpm -s db:env)"; pnpm --filter @valuelens/api exec tsx bench/segment-rules-bench.ts [customers] [iterations]
 * --generate-only: only write the workspace (and its segment_facts); BENCH_REUSE=<workspaceId>,<userId>,<email>
 * (printed by a generating run) times previews on it later; --refresh=K also rewrites segment_facts K
 * times first (what each recompute does; the copy already in place, as in steady state) and times it.
 * The previews of a large workspace are answered from in-memory columns of segment_facts once a
 * background load has filled them (columnar.ts): the bench times that load, then the previews (both
 * calls exact from memory). --cold first times the builder's first call before the load (SQL: the
 * labelled estimate on the copy), what an admin sees until the columns are in memory.
 */
import { loadavg } from "node:os";
import { createDb, dbEnv, withWorkspace } from "@valuelens/db";
import { checkSegmentRule, formatRuleIssues, type TSegmentRule } from "@valuelens/validators";
import { createCaller } from "../src/root.ts";
import { clearFactColumns, loadAndCacheFactColumns } from "../src/services/segment-rules/columnar.ts";
import { refreshSegmentFacts } from "../src/services/segment-rules/facts.ts";
import { previewRule } from "../src/services/segment-rules/query.ts";
import { benchOwner } from "./bench-owner.ts";
import { insertSyntheticScores } from "./synthetic-scores.ts";

const args = process.argv.slice(2).filter((a) => !a.startsWith("--"));
const N = Number(args[0] ?? 1_000_000);
const ITER = Number(args[1] ?? 20);
/** Only generate the workspace (and its facts), to time previews later with BENCH_REUSE on a quieter machine. */
const GENERATE_ONLY = process.argv.includes("--generate-only");
const db = createDb(dbEnv().DATABASE_URL, { max: 4 });
const prisma = db.prisma;

const { user, workspaceId, reused: reuse } = await benchOwner({ name: "Rule bench", emailPrefix: "rule-bench", workspaceName: `Rule bench ${Date.now().toString(36)}`, ip: "192.0.2.11" });
const caller = createCaller({ prisma, user, ip: "192.0.2.11", requestId: crypto.randomUUID() });
const secs = (t: number) => ((performance.now() - t) / 1000).toFixed(1);
const load0 = loadavg();

let t = performance.now();
let tCustomers = "—";
let tScores = "—";
let tFacts = "—";
if (!reuse) {
  const campaigns = await withWorkspace(prisma, workspaceId, async (tx) => {
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) ids.push((await tx.campaign.create({ data: { workspaceId, externalId: `k${i}`, name: `Campaign ${i}`, channel: "paid" }, select: { id: true } })).id);
    return ids;
  });
  await withWorkspace(
    prisma,
    workspaceId,
    async (tx) => {
      await tx.$executeRawUnsafe("SET LOCAL statement_timeout = 0"); // the app role's default limit is for requests, not bulk setup
      return tx.$executeRaw`
    INSERT INTO customers (workspace_id, external_id, email, order_count, purchase_days, first_order_at, last_order_at, revenue_minor,
                           acquisition_channel, acquisition_campaign_id, attributes)
    SELECT ${workspaceId}::uuid, 'c' || i, 'c' || i || '@example.com', 1 + (i % 7), 1 + (i % 7),
           timestamptz '2023-01-01' + ((i * 37) % 700) * interval '1 day', timestamptz '2025-01-01' + ((i * 13) % 330) * interval '1 day',
           1000 + ((i::bigint * 7919) % 250000),
           (ARRAY['email','referral','paid social','affiliate','organic','search'])[1 + (i % 6)],
           CASE WHEN i % 3 = 0 THEN (${campaigns}::uuid[])[1 + (i % 8)] END,
           jsonb_build_object('plan', (ARRAY['free','pro','team','enterprise'])[1 + (i % 4)], 'seats', (i % 50)::text,
                              'loyalty_member', (i % 5 = 0), 'country', (ARRAY['US','DE','FR','GB','JP','BR'])[1 + (i % 6)])
      FROM generate_series(1, ${N}::int) AS i`;
    },
    { timeoutMs: 30 * 60_000 },
  );
  tCustomers = secs(t);
  t = performance.now();
  const run = await withWorkspace(prisma, workspaceId, (tx) =>
    tx.modelRun.create({ data: { workspaceId, modelKind: "bgnbd", status: "succeeded", step: "done", progress: 100, finishedAt: new Date(), customers: N }, select: { id: true } }),
  );
  await withWorkspace(
    prisma,
    workspaceId,
    async (tx) => {
      await tx.$executeRawUnsafe("SET LOCAL statement_timeout = 0");
      return insertSyntheticScores(tx, workspaceId, run.id, { unscoredEveryNth: 20 });
    },
    { timeoutMs: 30 * 60_000 },
  );
  tScores = secs(t);
  await withWorkspace(prisma, workspaceId, async (tx) => { await tx.$executeRawUnsafe("SET LOCAL statement_timeout = 0"); await tx.$executeRawUnsafe("ANALYZE customer_scores"); }, { timeoutMs: 10 * 60_000 });
  await withWorkspace(prisma, workspaceId, async (tx) => { await tx.$executeRawUnsafe("SET LOCAL statement_timeout = 0"); await tx.$executeRawUnsafe("ANALYZE customers"); }, { timeoutMs: 10 * 60_000 });
  // What the recompute writes right after the scores (snapshotRuleSegments → refreshSegmentFacts).
  t = performance.now();
  const ok = await withWorkspace(prisma, workspaceId, (tx) => refreshSegmentFacts(tx, workspaceId, run.id), { timeoutMs: 30 * 60_000 });
  if (!ok) throw new Error("writing segment_facts failed (see the log line above)");
  tFacts = secs(t);
  console.error(`customers ${tCustomers} s, scores ${tScores} s, segment_facts ${tFacts} s`);
  if (GENERATE_ONLY) {
    await db.close();
    process.exit(0);
  }
}

// Steady-state rewrites of the copy (DELETE + INSERT over the previous one), as each recompute does.
const REFRESHES = Number(process.argv.find((a) => a.startsWith("--refresh="))?.slice("--refresh=".length) ?? 0);
const refreshTimes: number[] = [];
for (let i = 0; i < REFRESHES; i++) {
  const s = performance.now();
  const ok = await withWorkspace(prisma, workspaceId, (tx) => refreshSegmentFacts(tx, workspaceId, null), { timeoutMs: 30 * 60_000 });
  if (!ok) throw new Error("writing segment_facts failed (see the log line above)");
  refreshTimes.push(performance.now() - s);
  console.error(`segment_facts rewrite ${i + 1}: ${((performance.now() - s) / 1000).toFixed(1)} s (load ${loadavg()[0]!.toFixed(1)})`);
}

const c = (field: string, op: string, value?: unknown) => (value === undefined ? { field, op } : { field, op, value });
const and = (...conditions: unknown[]) => ({ op: "and", conditions });
const or = (...conditions: unknown[]) => ({ op: "or", conditions });
const RULES: [string, unknown][] = [
  ["value tier = high", and(c("valueTier", "eq", "high"))],
  ["predicted CLV > 5,000.00 (top ~1 %)", and(c("predictedClv", "gt", "500000"))],
  ["P(alive) < 0.3 and historical CLV ≥ 1,000.00", and(c("pAlive", "lt", 0.3), c("historicalClv", "gte", "100000"))],
  ["RFM segment in (Champions, Loyal)", and(c("rfmSegment", "in", ["Champions", "Loyal"]))],
  ["channel = referral", and(c("channel", "eq", "referral"))],
  ["last order in the last 90 days", and(c("lastOrderDate", "withinDays", 90))],
  ["two groups: (tier high and orders ≥ 3) or (referral and P(alive) ≥ 0.6)", or(and(c("valueTier", "eq", "high"), c("orderCount", "gte", 3)), and(c("channel", "eq", "referral"), c("pAlive", "gte", 0.6)))],
  ["attribute plan = pro and seats (number) ≥ 25", and({ field: "attribute", key: "plan", type: "text", op: "eq", value: "pro" }, { field: "attribute", key: "seats", type: "number", op: "gte", value: 25 })],
  ["attribute country contains \"e\" or loyalty_member = true", or({ field: "attribute", key: "country", type: "text", op: "contains", value: "e" }, { field: "attribute", key: "loyalty_member", type: "boolean", op: "eq", value: true })],
  ["predicted CLV is not set (no score row or no prediction)", and(c("predictedClv", "isNotSet"))],
];

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};

type Preview = Awaited<ReturnType<typeof caller.segmentRules.preview>>;
/** ITER timed calls after 2 warm-ups; a call stopped by the 5 s guard is reported and the rule skipped. */
async function timeCalls(rule: TSegmentRule, exact: boolean): Promise<{ times: number[]; res: Preview | null; refused: string }> {
  const times: number[] = [];
  let res: Preview | null = null;
  let refused = "";
  for (let i = 0; i < ITER + 2 && !refused; i++) {
    const s = performance.now();
    try {
      res = await caller.segmentRules.preview({ workspaceId, rule, exact });
    } catch (e) {
      refused = e instanceof Error ? e.message.slice(0, 60) : String(e);
    }
    if (i >= 2 && !refused) times.push(performance.now() - s);
  }
  return { times, res, refused };
}
const cell = (t: { times: number[]; refused: string }) =>
  t.refused ? `stopped: ${t.refused}… | | ` : `${pct(t.times, 50).toFixed(0)} | **${pct(t.times, 95).toFixed(0)}** | ${Math.max(...t.times).toFixed(0)}`;

const checkedRules: [string, TSegmentRule][] = RULES.map(([label, root]) => {
  const checked = checkSegmentRule({ version: 1, root });
  if (!checked.ok) throw new Error(`${label}: ${formatRuleIssues(checked.issues)}`);
  return [label, checked.rule];
});

// Before the columns are in memory: the builder's first call answers in SQL (the labelled estimate on the copy).
const COLD = process.argv.includes("--cold");
const coldOut: string[] = [];
const allCold: number[] = [];
if (COLD) {
  clearFactColumns();
  for (const [label, rule] of checkedRules) {
    const times: number[] = [];
    let res: Awaited<ReturnType<typeof previewRule>> | null = null;
    for (let i = 0; i < ITER + 2; i++) {
      const s = performance.now();
      res = await withWorkspace(prisma, workspaceId, (tx) => previewRule(tx, workspaceId, rule, { allowEstimate: true }));
      if (i >= 2) times.push(performance.now() - s);
    }
    allCold.push(...times);
    coldOut.push(`| ${label} | ${res?.estimate ? `≈ ${res.customers.toLocaleString("en-US")} ± ${res.estimate.marginCustomers.toLocaleString("en-US")}` : `${res?.customers.toLocaleString("en-US")} (exact)`} | ${pct(times, 50).toFixed(0)} | **${pct(times, 95).toFixed(0)}** | ${Math.max(...times).toFixed(0)} |`);
    console.error(coldOut[coldOut.length - 1]);
  }
}

// What the first preview starts in the background: the columns of the copy, loaded into this process.
t = performance.now();
const loadAvg = loadavg()[0]!;
const cols = await withWorkspace(prisma, workspaceId, (tx) => loadAndCacheFactColumns(tx, workspaceId), { timeoutMs: 10 * 60_000 });
const tLoad = secs(t);
console.error(`columns loaded in ${tLoad} s (load ${loadAvg.toFixed(1)} → ${loadavg()[0]!.toFixed(1)}): ${cols?.n} rows, ${Math.round((cols?.bytes ?? 0) / 1e6)} MB`);

const out: string[] = [];
const allFirst: number[] = [];
const allExact: number[] = [];
for (const [label, rule] of checkedRules) {
  // What the builder asks first (an estimate on a workspace this size), then the exact count it asks right after.
  const first = await timeCalls(rule, false);
  const exact = await timeCalls(rule, true);
  allFirst.push(...first.times);
  allExact.push(...exact.times);
  const e = first.res?.estimate;
  const estimate = first.res && e ? `≈ ${first.res.customers.toLocaleString("en-US")} ± ${e.marginCustomers.toLocaleString("en-US")}` : first.res ? `${first.res.customers.toLocaleString("en-US")} (exact)` : "—";
  // An exact first answer on a workspace this size comes from the in-memory columns; an estimate means SQL.
  const plan = first.res && !first.res.estimate ? "in memory" : "SQL (columns not used)";
  out.push(`| ${label} | ${exact.res ? exact.res.customers.toLocaleString("en-US") : "—"} | ${estimate} | ${cell(first)} | ${cell(exact)} | ${plan} |`);
  console.error(out[out.length - 1]);
}
const load1 = loadavg();
console.log(`
Command: \`eval "$(pnpm -s db:env)"; pnpm --filter @valuelens/api exec tsx bench/segment-rules-bench.ts ${N} ${ITER}\`${reuse ? " (BENCH_REUSE: data generated by an earlier run)" : ""}
Date: ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC. Machine: 2 cores, 24 GiB, Node ${process.version}.
Load average (1/5/15 min) at start ${load0.map((x) => x.toFixed(1)).join(" / ")}, at end ${load1.map((x) => x.toFixed(1)).join(" / ")} (shared machine).
In-memory columns of the copy loaded in ${tLoad} s (${cols?.n.toLocaleString("en-US")} rows, ${Math.round((cols?.bytes ?? 0) / 1e6)} MB of typed arrays).
${refreshTimes.length ? `segment_facts rewritten over the previous copy (refreshSegmentFacts, what each recompute runs): ${refreshTimes.map((t) => `${(t / 1000).toFixed(1)} s`).join(", ")}.\n` : ""}${reuse ? "" : `Setup: ${N.toLocaleString("en-US")} customers in ${tCustomers} s, their scores (95 %; 5 % without a score row) in ${tScores} s, set-based; segment_facts written in ${tFacts} s.\n`}Each rule: ${ITER} timed calls after 2 warm-ups, sequential, through the tRPC caller (membership check, RLS transaction, count + sums, top-10 sample):
first \`segmentRules.preview({ exact: false })\` (what the builder shows first: an estimate on a workspace this size), then \`exact: true\` (the exact count it asks for right after).

| Rule | Members (exact) | First answer | first p50 ms | first p95 ms | first max ms | exact p50 ms | exact p95 ms | exact max ms | Answered |
|---|---|---|---|---|---|---|---|---|---|
${out.join("\n")}
${COLD ? `
Before the columns are loaded (\`--cold\`: the builder's first call, SQL estimate on segment_facts, ${ITER} timed calls after 2 warm-ups):

| Rule | First answer | p50 ms | p95 ms | max ms |
|---|---|---|---|---|
${coldOut.join("\n")}

Cold first answers together: p50 ${pct(allCold, 50).toFixed(0)} ms, p95 ${pct(allCold, 95).toFixed(0)} ms over ${allCold.length} calls.
` : ""}
All rules together: first answer p50 ${pct(allFirst, 50).toFixed(0)} ms, p95 ${pct(allFirst, 95).toFixed(0)} ms over ${allFirst.length} calls; exact p50 ${allExact.length ? pct(allExact, 50).toFixed(0) : "—"} ms, p95 ${allExact.length ? pct(allExact, 95).toFixed(0) : "—"} ms over ${allExact.length} calls.`);
await db.close();
process.exit(0);
