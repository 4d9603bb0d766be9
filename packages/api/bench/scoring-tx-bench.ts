/**
 * Benchmark (issue 9 speed): the full recompute's SCORING TRANSACTION alone at scale — read summaries,
 * fit BG/NBD + Gamma-Gamma, score every customer, segment snapshots, write every score (staged load,
 * index build, partition swap) and commit — the moment after which new scores are visible to every
 * page. It runs `recomputeWorkspace` itself (mode "full", as the app role, RLS in force) with
 * `derived: false`, so the derived summaries that follow a real run (campaign, retention and
 * rule-segment rollups, the holdout check; ≈ 100 s at 1M, timed by apps/worker/bench/scale-1m.ts) are
 * skipped. Each trial commits a real run, as the worker would: the stored scores are replaced by the
 * same values each time (idempotent).
 *
 * Usage (the 1M workspace of apps/worker/bench/scale-1m.ts, slug bench-<N>):
 *   BENCH_PG_DIR=/tmp/vl-bench-pg BENCH_PG_PORT=5460 flock /tmp/vl/bench.lock \
 *     pnpm --filter @valuelens/api exec tsx bench/scoring-tx-bench.ts [customers] [--trials N] [--running]
 * --running: the server is already running on BENCH_PG_PORT (started by hand with the embedded flags);
 * connect with the credentials in BENCH_PG_DIR instead of starting and stopping it.
 * Prints the worker's `recompute.done` log line per trial (its `phases`, ms), then one summary line
 * with the per-trial durations, the machine and the load averages before and after.
 */
import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createDb, type DbHandle } from "@valuelens/db";
import { APP_ROLE, DB_NAME, grantAppRole, OWNER_ROLE, startEmbeddedPostgres } from "@valuelens/db/embedded";
import { deployMigrations } from "@valuelens/db/migrate";
import { recomputeWorkspace } from "../src/services/recompute/run-recompute.ts";

const customers = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 1_000_000);
const trialsArg = process.argv.indexOf("--trials");
const trials = trialsArg > 0 ? Number(process.argv[trialsArg + 1]) : 1;
const running = process.argv.includes("--running");
const dir = process.env.BENCH_PG_DIR ?? "/tmp/vl-bench-pg";
const port = Number(process.env.BENCH_PG_PORT ?? 5460);

const say = (event: string, data: Record<string, unknown> = {}) => console.log(JSON.stringify({ event, ...data }));
const load = () => os.loadavg().map((x) => Math.round(x * 100) / 100);

async function connect(): Promise<{ superUrl: string; ownerUrl: string; appUrl: string; stop: () => Promise<void> }> {
  if (!running) {
    const pg = await startEmbeddedPostgres({ dir, port, persistent: true });
    return { ...pg, superUrl: pg.superUrl.replace(/\/postgres$/, `/${DB_NAME}`) };
  }
  const creds = JSON.parse(readFileSync(path.join(dir, "credentials.json"), "utf8")) as Record<string, string>;
  const u = (user: string, pw: string | undefined) => `postgresql://${user}:${encodeURIComponent(pw ?? "")}@127.0.0.1:${port}/${DB_NAME}`;
  return { superUrl: u("postgres", creds.superPassword), ownerUrl: u(OWNER_ROLE, creds.ownerPassword), appUrl: u(APP_ROLE, creds.appPassword), stop: async () => undefined };
}

const pg = await connect();
await deployMigrations({ ownerUrl: pg.ownerUrl, log: () => undefined });
await grantAppRole(pg.ownerUrl, pg.appUrl);
const superDb: DbHandle = createDb(pg.superUrl, { max: 1 });
const appDb: DbHandle = createDb(pg.appUrl, { max: 4 });
try {
  const slug = `bench-${customers}`;
  const [ws] = await superDb.prisma.$queryRaw<{ id: string }[]>`SELECT id::text FROM workspaces WHERE slug = ${slug}`;
  if (!ws) throw new Error(`No workspace "${slug}" in ${dir}: generate it first with apps/worker/bench/scale-1m.ts ${customers} --generate-only.`);
  const loadBefore = load();
  const durations: number[] = [];
  for (let t = 0; t < trials; t++) {
    const before = load();
    const started = Date.now();
    const out = await recomputeWorkspace(appDb.prisma, ws.id, { triggeredBy: "bench", mode: "full", derived: false, timeoutMs: 60 * 60_000 });
    if (out.status !== "succeeded") throw new Error(`trial ${t + 1}: ${JSON.stringify(out)}`);
    durations.push(out.durationMs);
    say("trial", { trial: t + 1, customers: out.customers, scoresVisibleMs: out.durationMs, wallMs: Date.now() - started, loadBefore: before, loadAfter: load() });
  }
  say("summary", {
    customers,
    machine: `${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
    scoresVisibleMs: durations,
    loadBefore,
    loadAfter: load(),
  });
} finally {
  await superDb.close();
  await appDb.close();
  await pg.stop();
}
