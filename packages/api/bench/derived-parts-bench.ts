/**
 * The first connection's parts of a full run's derived phase at scale (issue 9), each timed alone after a
 * write (forced: what a full run after any write does): the rule previews' segment_facts copy and the
 * campaign rollups. Nothing else runs beside them (derived-bench.ts times the whole phase, with the
 * retention rollups on a second connection).
 *
 *   BENCH_PG_DIR=/tmp/vl-bench-pg BENCH_PG_PORT=5460 flock /tmp/vl/bench.lock \
 *     pnpm --filter @valuelens/api exec tsx bench/derived-parts-bench.ts [slug] [--only=facts,campaigns] [--rounds=2]
 * facts: every scored customer's predicted CLV moved by +1 minor unit (as a refit moves every score), the copy
 * refreshed; then moved back and refreshed again (the workspace ends as it started). campaigns: a forced full
 * refresh (cohorts, cohort months, key totals). `--old=<module>` times another implementation with the same
 * exports instead (a before figure), inside a transaction that is rolled back.
 */
import { cpus, loadavg, totalmem } from "node:os";
import { withWorkspace, type Tx } from "@valuelens/db";
import { openBenchDb } from "./bench-db.ts";

const args = process.argv.slice(2);
const slug = args.find((a) => !a.startsWith("-")) ?? "bench-1000000";
const only = args.find((a) => a.startsWith("--only="))?.slice("--only=".length).split(",") ?? ["facts", "campaigns"];
const rounds = Number(args.find((a) => a.startsWith("--rounds="))?.slice("--rounds=".length) ?? 2);
const factsModule = args.find((a) => a.startsWith("--old-facts="))?.slice("--old-facts=".length);
const campaignsModule = args.find((a) => a.startsWith("--old-campaigns="))?.slice("--old-campaigns=".length);

type FactsFn = (tx: Tx, ws: string, run: string | null, o: { force: boolean }) => Promise<boolean>;
const { refreshSegmentFacts } = (await import(factsModule ?? "../src/services/segment-rules/facts.ts")) as { refreshSegmentFacts: FactsFn };
const { refreshCampaignStats } = (await import(campaignsModule ?? "../src/services/campaigns/refresh-campaign-stats.ts")) as { refreshCampaignStats: FactsFn };
const rollBack = Boolean(factsModule ?? campaignsModule);

const say = (event: string, data: Record<string, unknown> = {}) => console.log(JSON.stringify({ event, ...data }));
const load = () => loadavg().map((x) => Math.round(x * 100) / 100);

const db = await openBenchDb(2);
const { appDb } = db;
const results: Record<string, { s: number[]; load: number[] }> = {};
class Rollback extends Error {}
try {
  const ws = await db.workspaceId(slug);
  const inWs = <T>(fn: (tx: Tx) => Promise<T>) => withWorkspace(appDb.prisma, ws, fn, { timeoutMs: 30 * 60_000 });
  const [run] = await inWs((tx) =>
    tx.$queryRaw<{ id: string }[]>`
      SELECT id::text FROM model_runs WHERE workspace_id = ${ws}::uuid AND status = 'succeeded' AND NOT coalesce(totals ? 'incremental', false)
       ORDER BY finished_at DESC NULLS LAST, started_at DESC LIMIT 1`,
  );
  if (!run) throw new Error("no succeeded full run");
  const loadBefore = load();
  say("start", { workspaceId: ws, runId: run.id, load: loadBefore, rollBack });
  const movePredicted = (by: number) =>
    inWs(async (tx) => {
      await tx.$executeRawUnsafe("SET LOCAL statement_timeout = 0");
      return tx.$executeRawUnsafe(
        `UPDATE customer_scores SET predicted_clv_minor = predicted_clv_minor + $2 WHERE workspace_id = $1::uuid AND predicted_clv_minor IS NOT NULL`,
        ws,
        by,
      );
    });
  const timed = async (label: string, fn: (tx: Tx) => Promise<boolean>) => {
    const l0 = load();
    const t = performance.now();
    let ok = false;
    try {
      await inWs(async (tx) => {
        ok = await fn(tx);
        if (rollBack) throw new Rollback();
      });
    } catch (e) {
      if (!(e instanceof Rollback)) throw e;
    }
    const s = Math.round(performance.now() - t) / 1000;
    (results[label] ??= { s: [], load: [] }).s.push(s);
    results[label].load.push(...l0, ...load());
    say(label, { s, ok, loadBefore: l0, loadAfter: load() });
    if (!ok) throw new Error(`${label} failed`);
  };
  for (let r = 0; r < rounds; r++) {
    for (const part of only) {
      if (part === "facts") {
        const by = r % 2 === 0 ? 1 : -1;
        say("scores_moved", { by, rows: await movePredicted(by) });
        await timed("segment_facts", (tx) => refreshSegmentFacts(tx, ws, run.id, { force: true }));
      } else if (part === "campaigns") await timed("campaign_rollups", (tx) => refreshCampaignStats(tx, ws, run.id, { force: true }));
      else throw new Error(`unknown part ${part}`);
    }
  }
  if (only.includes("facts") && rounds % 2 === 1) say("scores_moved_back", { rows: await movePredicted(-1) });
  say("summary", { machine: `${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`, loadBefore, loadAfter: load(), results });
} finally {
  await db.close();
}
