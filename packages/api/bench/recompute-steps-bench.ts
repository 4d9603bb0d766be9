/**
 * Recompute steps at scale (issue 9 speed): times, on an existing large workspace, the read, fit and
 * model-comparison steps of a full recompute one by one, as the app role inside a tenant transaction
 * (RLS in force), without writing anything:
 *   read summaries (cold, then warm), fit the primary BG/NBD, Gamma-Gamma, and the holdout + model
 *   comparison with its parts (sample, calibration read, full-data log-likelihoods, calibration fits).
 *
 *   pnpm --filter @valuelens/api exec tsx bench/recompute-steps-bench.ts [slug]
 *   BENCH_PG_DIR (default /tmp/vl-bench-pg), BENCH_PG_PORT (default 5460): the embedded PostgreSQL of
 *   apps/worker/bench/scale-1m.ts; slug defaults to its 1M workspace, bench-1000000.
 * Prints one JSON line per step and a summary with the load average before and after.
 */
import { cpus, loadavg, totalmem } from "node:os";
import { compressRows } from "@valuelens/clv-core";
import { createDb, withWorkspace } from "@valuelens/db";
import { grantAppRole, startEmbeddedPostgres } from "@valuelens/db/embedded";
import { deployMigrations } from "@valuelens/db/migrate";
import { compareModels, fitPurchase, fitSpend, HOLDOUT_SHARE } from "../src/services/recompute/run-recompute.ts";
import { readSummaries } from "../src/services/recompute/summaries.ts";

const slug = process.argv.slice(2).find((a) => !a.startsWith("-")) ?? "bench-1000000";
const dir = process.env.BENCH_PG_DIR ?? "/tmp/vl-bench-pg";
const port = Number(process.env.BENCH_PG_PORT ?? 5460);

const say = (event: string, data: Record<string, unknown> = {}) => console.log(JSON.stringify({ event, ...data }));
const load = () => loadavg().map((x) => Math.round(x * 100) / 100);
const steps: Record<string, number> = {};
async function timed<T>(label: string, fn: () => Promise<T> | T): Promise<T> {
  const t = performance.now();
  const v = await fn();
  const s = Math.round(performance.now() - t) / 1000;
  steps[label] = s;
  say(label, { s });
  return v;
}

const pg = await startEmbeddedPostgres({ dir, port, persistent: true });
await deployMigrations({ ownerUrl: pg.ownerUrl, log: () => undefined });
await grantAppRole(pg.ownerUrl, pg.appUrl);
const superDb = createDb(pg.superUrl.replace(/\/postgres$/, "/valuelens"), { max: 1 });
const appDb = createDb(pg.appUrl, { max: 2 });
try {
  const [ws] = (await superDb.prisma.$queryRaw<{ id: string }[]>`SELECT id::text FROM workspaces WHERE slug = ${slug}`).map((r) => r.id);
  if (!ws) throw new Error(`no workspace with slug ${slug} in ${dir} (generate it with apps/worker/bench/scale-1m.ts --generate-only)`);
  const loadBefore = load();
  say("start", { workspaceId: ws, load: loadBefore });
  await withWorkspace(
    appDb.prisma,
    ws,
    async (tx) => {
      await tx.$executeRawUnsafe(`SET LOCAL statement_timeout = 0`);
      await timed("read_summaries_first", () => readSummaries(tx, ws));
      const s = await timed("read_summaries_again", () => readSummaries(tx, ws));
      const c = await timed("compress_rows", () => compressRows(s));
      say("data", { customers: s.ids.length, repeatBuyers: s.repeatBuyers, orders: s.orders, distinctRows: c.size });
      const model = await timed("fit_bgnbd", () => fitPurchase("bgnbd", s));
      say("bgnbd", { params: model.params, logLikelihood: model.logLikelihood, iterations: model.iterations, converged: model.converged });
      await timed("fit_gamma_gamma", () => fitSpend(s));
      const holdoutDays = Math.max(1, Math.round((s.cutoffDay - s.firstDay) * HOLDOUT_SHARE));
      const parts: Record<string, number> = {};
      const r = await timed("holdout_and_comparison", () => compareModels(tx, ws, s, "bgnbd", model, holdoutDays, { timings: parts }));
      say("comparison_parts", { s: Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, Math.round(v) / 1000])) });
      say("comparison", { rows: r.comparison, holdout: r.holdout && { customers: r.holdout.customers, sampledFrom: r.holdout.sampledFrom, errorPct: r.holdout.errorPct } });
    },
    { timeoutMs: 60 * 60_000 },
  );
  say("summary", {
    machine: `${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
    loadBefore,
    loadAfter: load(),
    steps,
  });
} finally {
  await superDb.close();
  await appDb.close();
  await pg.stop();
}
