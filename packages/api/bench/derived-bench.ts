/**
 * The derived phase of a full recompute at scale (issue 9): times run-recompute.ts refreshDerived — score
 * prints, campaign rollups, rule segments (facts copy + history) and, on a second connection sharing the
 * snapshot, the retention rollups — on an existing large workspace, for its latest full run, in the cases
 * derived-keys.ts tells apart (the holdout check is not part of it: it needs the run's in-memory summaries):
 *   1. data changed since the parts were built (data_version moved): every part rebuilt — what every full
 *      run did before derived-keys.ts;
 *   2. nothing changed (a second full run over the same data): every part kept;
 *   3. new predicted values (every scored customer's predicted CLV + 1 minor unit, as a model switch would
 *      move them): retention forecasts, campaign predicted sums and the facts copy rebuilt; then the values
 *      are put back and the same again (so the workspace ends as it started);
 *   4. (--only=tiers) new value tiers for a third of the customers (rotated high → medium → low → high, as a
 *      tier-rule change would move them): the retention segment / tier rows and forecasts and the facts copy
 *      rebuilt, campaign rollups kept; then rotated back (the workspace ends as it started) and the same again;
 *   5. (--only=short-retention) the phase when the retention rollups are short: new predicted values and a write,
 *      the retention rollups then refreshed alone (untimed) so the timed phase only keeps them, while the campaign
 *      rollups and the facts copy rebuild; then the values are put back and the same again.
 *
 *   BENCH_PG_DIR=/tmp/vl-bench-pg BENCH_PG_PORT=5460 flock /tmp/vl/bench.lock \
 *     pnpm --filter @valuelens/api exec tsx bench/derived-bench.ts [slug] [--only=changed,changed,unchanged,predicted,tiers,short-retention]
 * slug defaults to apps/worker/bench/scale-1m.ts's 1M workspace, bench-1000000. Prints each refresh's log
 * lines (per-part and per-statement ms) and a summary with the load average before and after.
 */
import { cpus, loadavg, totalmem } from "node:os";
import { withWorkspace, type Tx } from "@valuelens/db";
import { openBenchDb } from "./bench-db.ts";
import { refreshDerived } from "../src/services/recompute/run-recompute.ts";
import { refreshRetentionRollups } from "../src/services/retention-rollups.ts";

const args = process.argv.slice(2);
const slug = args.find((a) => !a.startsWith("-")) ?? "bench-1000000";
const only = args.find((a) => a.startsWith("--only="))?.slice("--only=".length).split(",") ?? ["changed", "unchanged", "predicted"];

const say = (event: string, data: Record<string, unknown> = {}) => console.log(JSON.stringify({ event, ...data }));
const load = () => loadavg().map((x) => Math.round(x * 100) / 100);

const db = await openBenchDb(4);
const { appDb } = db;
const results: Record<string, { s: number; outcome: string; load: number[] }> = {};
try {
  const ws = await db.workspaceId(slug);
  const inWs = <T>(fn: (tx: Tx) => Promise<T>) => withWorkspace(appDb.prisma, ws, fn, { timeoutMs: 30 * 60_000 });
  // The run refreshDerived works for: the latest succeeded full run (an incremental refresh writes no derived parts).
  const [run] = await inWs((tx) =>
    tx.$queryRaw<{ id: string; customers: number }[]>`
      SELECT id::text, customers FROM model_runs WHERE workspace_id = ${ws}::uuid AND status = 'succeeded' AND NOT coalesce(totals ? 'incremental', false)
       ORDER BY finished_at DESC NULLS LAST, started_at DESC LIMIT 1`,
  );
  if (!run) throw new Error("no succeeded full run: run apps/worker/bench/scale-1m.ts first");
  const loadBefore = load();
  say("start", { workspaceId: ws, runId: run.id, customers: run.customers, load: loadBefore });
  const derived = async (label: string) => {
    const l0 = load();
    const t = performance.now();
    const outcome = await refreshDerived(appDb.prisma, ws, run.id, 30 * 60_000, null);
    const s = Math.round(performance.now() - t) / 1000;
    // The facts copy's own time (its refresh row); the rest of "rule segments" is the segment history.
    const [facts] = await inWs((tx) => tx.$queryRaw<{ ms: number }[]>`SELECT duration_ms AS ms FROM segment_facts_refreshes WHERE workspace_id = ${ws}::uuid`);
    const [rules] = await inWs((tx) => tx.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM rule_segments WHERE workspace_id = ${ws}::uuid`);
    results[label] = { s, outcome, load: [...l0, ...load()] };
    say(label, { s, outcome, factsCopyMs: facts?.ms ?? null, ruleSegments: rules?.n ?? 0, loadBefore: l0, loadAfter: load() });
    if (outcome !== "done") throw new Error(`refreshDerived: ${outcome}`);
  };
  /** One of the bench's own 1M-row updates, without the app role's 30 s statement limit. */
  const update = (sql: string, ...values: unknown[]) =>
    inWs(async (tx) => {
      await tx.$executeRawUnsafe("SET LOCAL statement_timeout = 0");
      return tx.$executeRawUnsafe(sql, ws, ...values);
    });
  /** Predicted CLV of every scored customer moved by `by` minor units (and its range with it). */
  const movePredicted = (by: number) =>
    update(
      `UPDATE customer_scores SET predicted_clv_minor = predicted_clv_minor + $2, predicted_clv_low_minor = predicted_clv_low_minor + $2,
              predicted_clv_high_minor = predicted_clv_high_minor + $2
        WHERE workspace_id = $1::uuid AND predicted_clv_minor IS NOT NULL`,
      by,
    );
  /** Value tier of a third of the scored customers rotated high → medium → low → high (back: the other way). */
  const rotateTiers = (back: boolean) =>
    update(
      `UPDATE customer_scores SET value_tier = CASE value_tier WHEN 'high' THEN '${back ? "low" : "medium"}' WHEN 'medium' THEN '${back ? "high" : "low"}' ELSE '${back ? "medium" : "high"}' END
        WHERE workspace_id = $1::uuid AND value_tier IS NOT NULL AND (hashtext(customer_id::text) % 3) = 0`,
    );

  // In the order given; a case given twice runs twice (the first run after the bench starts the database reads cold buffers).
  for (const [i, scenario] of only.entries()) {
    if (scenario === "changed") {
      // A write's stale mark (then cleared, as a recompute would): data_version moves, every part is rebuilt.
      await inWs(async (tx) => {
        await tx.$executeRaw`UPDATE workspaces SET metrics_stale_at = now() WHERE id = ${ws}::uuid`;
        await tx.$executeRaw`UPDATE workspaces SET metrics_stale_at = NULL WHERE id = ${ws}::uuid`;
      });
      await derived(`${i + 1}_data_changed_everything_rebuilt`);
    } else if (scenario === "unchanged") await derived(`${i + 1}_nothing_changed_everything_kept`);
    else if (scenario === "predicted") {
      say("scores_moved", { rows: await movePredicted(1) });
      await derived(`${i + 1}_new_predicted_values`);
      say("scores_moved_back", { rows: await movePredicted(-1) });
      await derived(`${i + 1}_predicted_values_back`);
    } else if (scenario === "tiers") {
      say("tiers_rotated", { rows: await rotateTiers(false) });
      await derived(`${i + 1}_new_value_tiers`);
      say("tiers_rotated_back", { rows: await rotateTiers(true) });
      await derived(`${i + 1}_value_tiers_back`);
    } else if (scenario === "short-retention") {
      // What the phase does when the retention rollups are short (rt13's goal: after a small write apply only the
      // changed customers): new predicted values and a write, then the retention rollups refreshed on their own
      // first (untimed), so in the timed phase they are only kept; the campaign rollups and the facts copy rebuild.
      for (const [by, label] of [[1, "new_predicted_values"], [-1, "predicted_values_back"]] as const) {
        say("scores_moved", { rows: await movePredicted(by) });
        await inWs(async (tx) => {
          await tx.$executeRaw`UPDATE workspaces SET metrics_stale_at = now() WHERE id = ${ws}::uuid`;
          await tx.$executeRaw`UPDATE workspaces SET metrics_stale_at = NULL WHERE id = ${ws}::uuid`;
        });
        await inWs((tx) => refreshRetentionRollups(tx, ws, run.id));
        await derived(`${i + 1}_short_retention_${label}`);
      }
    } else throw new Error(`unknown case ${scenario}: changed, unchanged, predicted, tiers or short-retention`);
  }
  say("summary", {
    machine: `${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
    loadBefore,
    loadAfter: load(),
    results,
  });
} finally {
  await db.close();
}
