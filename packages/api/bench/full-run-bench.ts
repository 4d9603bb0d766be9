/**
 * Full recomputes at scale, each right after a write (issue 9, "full rebuild and recompute ≤ 60 s"): before
 * each round --write=N (default 10,000) orders for existing customers go in through the trigger path, as in
 * scale-1m.ts's step 3, so data_version moves (the derived parts are rebuilt, the holdout check and model
 * comparison computed again) and the refit moves every customer's predicted values (the facts copy updates
 * every row) — the whole run of scale-1m.ts without its rebuild, fast run and incremental refresh.
 *
 *   BENCH_PG_DIR=/tmp/vl-bench-pg BENCH_PG_PORT=5460 flock /tmp/vl/bench.lock \
 *     pnpm --filter @valuelens/api exec tsx bench/full-run-bench.ts [slug] [--rounds=2] [--write=10000]
 * slug defaults to bench-1000000. Prints the run's own log lines (scoring phases, calibration read, derived
 * phases) and per round: the whole run, scores visible (the scoring transaction), the derived phase, the load.
 */
import { cpus, loadavg, totalmem } from "node:os";
import { withWorkspace } from "@valuelens/db";
import { openBenchDb } from "./bench-db.ts";
import { recomputeWorkspace } from "../src/services/recompute/run-recompute.ts";

const args = process.argv.slice(2);
const slug = args.find((a) => !a.startsWith("-")) ?? "bench-1000000";
const rounds = Number(args.find((a) => a.startsWith("--rounds="))?.slice("--rounds=".length) ?? 2);
const write = Number(args.find((a) => a.startsWith("--write="))?.slice("--write=".length) ?? 10_000);

const say = (event: string, data: Record<string, unknown> = {}) => console.log(JSON.stringify({ event, ...data }));
const load = () => loadavg().map((x) => Math.round(x * 100) / 100);

const db = await openBenchDb(4);
const results: Record<string, unknown>[] = [];
try {
  const ws = await db.workspaceId(slug);
  for (let i = 0; i < rounds; i++) {
    // A write first, as scale-1m.ts's step 3 (10,000 orders for existing customers through the trigger path):
    // data_version moves, so nothing derived counts as current, and the refit moves every predicted value.
    const w0 = performance.now();
    await withWorkspace(
      db.appDb.prisma,
      ws,
      async (tx) => {
        await tx.$executeRawUnsafe(`SET LOCAL statement_timeout = 0`);
        await tx.$executeRaw`
          INSERT INTO orders (workspace_id, id, external_id, customer_id, ordered_at, amount_minor, currency, created_at, updated_at)
          SELECT ${ws}::uuid, gen_random_uuid(), 'fullrun-' || gen_random_uuid(), c.id, timestamptz '2025-09-01 00:00:00+00' + (random() * 20) * interval '1 day',
                 (1000 + random() * 9000)::bigint, 'USD', now(), now()
            FROM (SELECT id FROM customers WHERE workspace_id = ${ws}::uuid ORDER BY id LIMIT ${write} OFFSET ${i * write}) c`;
      },
      { timeoutMs: 30 * 60_000 },
    );
    say("write", { orders: write, ms: Math.round(performance.now() - w0) });
    const l0 = load();
    const t = performance.now();
    const out = await recomputeWorkspace(db.appDb.prisma, ws, { triggeredBy: "bench", timeoutMs: 60 * 60_000 });
    const s = (performance.now() - t) / 1000;
    const visible = out.status === "succeeded" ? out.durationMs / 1000 : null;
    const r = { round: i + 1, status: out.status, wholeS: Math.round(s * 10) / 10, scoresVisibleS: visible, derivedS: visible === null ? null : Math.round((s - visible) * 10) / 10, loadBefore: l0, loadAfter: load() };
    say("round", r);
    results.push(r);
  }
  say("summary", { machine: `${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`, results });
} finally {
  await db.close();
}
