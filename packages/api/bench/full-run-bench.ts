/**
 * One full recompute at scale as after a write (issue 9, "full rebuild and recompute ≤ 60 s"): the workspace
 * is marked written first (metrics_stale_at set, so data_version moves), so the derived parts are rebuilt and
 * the holdout check and model comparison computed again, as after the repair rebuild of scale-1m.ts — without
 * the rebuild itself or scale-1m's fast run / 10k-order write. A full fit from scratch moves every customer's
 * predicted values, so the facts copy rewrites every row, as in the whole run.
 *
 *   BENCH_PG_DIR=/tmp/vl-bench-pg BENCH_PG_PORT=5460 flock /tmp/vl/bench.lock \
 *     pnpm --filter @valuelens/api exec tsx bench/full-run-bench.ts [slug] [--rounds=2]
 * slug defaults to bench-1000000. Prints the run's own log lines (scoring phases, calibration read, derived
 * phases) and per round: the whole run, scores visible (the scoring transaction), the derived phase, the load.
 */
import { cpus, loadavg, totalmem } from "node:os";
import { openBenchDb } from "./bench-db.ts";
import { recomputeWorkspace } from "../src/services/recompute/run-recompute.ts";

const args = process.argv.slice(2);
const slug = args.find((a) => !a.startsWith("-")) ?? "bench-1000000";
const rounds = Number(args.find((a) => a.startsWith("--rounds="))?.slice("--rounds=".length) ?? 2);

const say = (event: string, data: Record<string, unknown> = {}) => console.log(JSON.stringify({ event, ...data }));
const load = () => loadavg().map((x) => Math.round(x * 100) / 100);

const db = await openBenchDb(4);
const results: Record<string, unknown>[] = [];
try {
  const ws = await db.workspaceId(slug);
  for (let i = 0; i < rounds; i++) {
    // As after any write: the trigger moves data_version, so nothing derived counts as current.
    await db.superDb.prisma.$executeRaw`UPDATE workspaces SET metrics_stale_at = now() WHERE id = ${ws}::uuid`;
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
