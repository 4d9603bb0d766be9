/**
 * The retention rollups' full rebuild alone (what a full run does after any write: refreshDerived's second
 * connection, retention-rollups.ts mode "full"), timed on an existing large workspace as the app role (RLS in
 * force), each run in its own REPEATABLE READ tenant transaction, with `force` so every row is rebuilt.
 * After each run it prints a fingerprint of the rows written (count + sum of a hash of every row), so two
 * implementations can be compared on the same data: BENCH_REFRESH_MODULE=<path> times another implementation
 * first (e.g. the previous commit's retention-rollups.ts saved next to this file), then the current one.
 *
 *   BENCH_PG_DIR=/tmp/vl-rt10-pg BENCH_PG_PORT=5462 flock /tmp/vl/bench.lock \
 *     pnpm --filter @valuelens/api exec tsx bench/retention-refresh-bench.ts [slug] [--runs=N]
 *   --write=N: before each refresh, write N orders through the trigger path (scale-1m.ts's step 3: the first N
 *     customers by id, September 2025) and refresh without `force` — the delta after a small write (mode
 *     "delta"; the first refresh of a workspace without state is "full"). Not with BENCH_REFRESH_MODULE.
 * slug defaults to apps/worker/bench/scale-1m.ts's 1M workspace, bench-1000000. Each refresh logs its
 * `retention_rollups.refreshed` line (per-statement ms in `steps`); a summary with the load average follows.
 */
import { cpus, loadavg, totalmem } from "node:os";
import { withWorkspace, type Tx } from "@valuelens/db";
import { openBenchDb } from "./bench-db.ts";
import type * as RollupsModule from "../src/services/retention-rollups.ts";

const args = process.argv.slice(2);
const slug = args.find((a) => !a.startsWith("-")) ?? "bench-1000000";
const runs = Number(args.find((a) => a.startsWith("--runs="))?.slice("--runs=".length) ?? 1);
const other = process.env.BENCH_REFRESH_MODULE;
const write = Number(args.find((a) => a.startsWith("--write="))?.slice("--write=".length) ?? 0);
if (write > 0 && other) throw new Error("--write times the current implementation only (its state must describe its own rows)");

const say = (event: string, data: Record<string, unknown> = {}) => console.log(JSON.stringify({ event, ...data }));
const load = () => loadavg().map((x) => Math.round(x * 100) / 100);

const db = await openBenchDb(2);
const { appDb } = db;
const results: { impl: string; s: number; ok: boolean; rows: number; print: string; load: number[]; mode?: string; changed?: number | null; writeMs?: number }[] = [];
try {
  const ws = await db.workspaceId(slug);
  const inWs = <T>(fn: (tx: Tx) => Promise<T>) => withWorkspace(appDb.prisma, ws, fn, { timeoutMs: 30 * 60_000, isolationLevel: "RepeatableRead" });
  const [run] = await inWs((tx) =>
    tx.$queryRaw<{ id: string }[]>`
      SELECT id::text FROM model_runs WHERE workspace_id = ${ws}::uuid AND status = 'succeeded' AND NOT coalesce(totals ? 'incremental', false)
       ORDER BY finished_at DESC NULLS LAST, started_at DESC LIMIT 1`,
  );
  if (!run) throw new Error("no succeeded full run: run apps/worker/bench/scale-1m.ts first");
  const impls: [string, typeof RollupsModule.refreshRetentionRollups][] = [];
  if (other) impls.push([other, ((await import(other)) as typeof RollupsModule).refreshRetentionRollups]);
  impls.push(["current", (await import("../src/services/retention-rollups.ts")).refreshRetentionRollups]);
  say("start", { workspaceId: ws, runId: run.id, load: load() });
  for (let i = 0; i < runs; i++)
    for (const [impl, refresh] of impls) {
      let writeMs: number | undefined;
      if (write > 0) {
        const t0 = performance.now();
        await withWorkspace(appDb.prisma, ws, async (tx) => {
          await tx.$executeRawUnsafe(`SET LOCAL statement_timeout = 0`);
          await tx.$executeRaw`
            INSERT INTO orders (workspace_id, id, external_id, customer_id, ordered_at, amount_minor, currency, created_at, updated_at)
            SELECT ${ws}::uuid, gen_random_uuid(), 'new-' || gen_random_uuid(), c.id, timestamptz '2025-09-01 00:00:00+00' + (random() * 20) * interval '1 day',
                   (1000 + random() * 9000)::bigint, 'USD', now(), now()
              FROM (SELECT id FROM customers WHERE workspace_id = ${ws}::uuid ORDER BY id LIMIT ${write}) c`;
        }, { timeoutMs: 30 * 60_000 });
        writeMs = Math.round(performance.now() - t0);
      }
      let report: { mode: string; changed: number | null } | undefined;
      const l0 = load();
      const t = performance.now();
      const ok = await inWs((tx) => refresh(tx, ws, run.id, { force: write === 0, report: (r: { mode: string; changed: number | null }) => (report = r) }));
      const s = Math.round(performance.now() - t) / 1000;
      // Every row's text (without the workspace id) hashed and summed: equal sums and counts = the same rows (up to 64-bit collisions).
      const [p] = await inWs((tx) =>
        tx.$queryRaw<{ n: number; h: string }[]>`
          SELECT count(*)::int AS n, coalesce(sum(hashtextextended(row(kind, grain, split, grp, w, c0, k, customers, revenue_minor, margin_minor, gaps, gap_seconds)::text, 0)::numeric), 0)::text AS h
            FROM retention_rollups WHERE workspace_id = ${ws}::uuid`,
      );
      const r = { impl, s, ok, rows: p?.n ?? 0, print: p?.h ?? "", load: [...l0, ...load()], mode: report?.mode, changed: report?.changed, writeMs };
      results.push(r);
      say("refreshed", r);
    }
  say("summary", { machine: `${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`, results });
} finally {
  await db.close();
}
