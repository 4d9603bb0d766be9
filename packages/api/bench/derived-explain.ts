/**
 * EXPLAIN (ANALYZE, BUFFERS) of every writing statement of the derived phase's first-connection parts at scale
 * (issue 9): the campaign rollups' full rebuild and the rule previews' facts copy after a refit (every scored
 * customer's predicted CLV moved by +1 minor unit first, as derived-parts-bench.ts does), all in ONE transaction
 * that is rolled back (the workspace is left as it was). Prints each statement's plan with its time.
 *
 *   BENCH_PG_DIR=/tmp/vl-bench-pg BENCH_PG_PORT=5460 flock /tmp/vl/bench.lock \
 *     pnpm --filter @valuelens/api exec tsx bench/derived-explain.ts [slug] [--only=campaigns,facts]
 */
import { Prisma, withWorkspace, type Tx } from "@valuelens/db";
import { openBenchDb } from "./bench-db.ts";
import { refreshCampaignStats } from "../src/services/campaigns/refresh-campaign-stats.ts";
import { refreshSegmentFacts } from "../src/services/segment-rules/facts.ts";

const args = process.argv.slice(2);
const slug = args.find((a) => !a.startsWith("-")) ?? "bench-1000000";
const only = args.find((a) => a.startsWith("--only="))?.slice("--only=".length).split(",") ?? ["campaigns", "facts"];
const WRITES = /^\s*(WITH|INSERT|UPDATE|DELETE|MERGE)\b/i;

/** tx whose writing $executeRaw statements run under EXPLAIN (ANALYZE, BUFFERS) (same effects), plans printed. */
function explaining(tx: Tx, label: string): Tx {
  const run = async (q: Prisma.Sql): Promise<number> => {
    if (!WRITES.test(q.text)) return tx.$executeRaw(q);
    const t = performance.now();
    const rows = await tx.$queryRawUnsafe<{ "QUERY PLAN": string }[]>("EXPLAIN (ANALYZE, BUFFERS) " + q.text, ...q.values);
    console.log(`--- ${label} (${Math.round(performance.now() - t)} ms): ${q.text.replace(/\s+/g, " ").slice(0, 160)}`);
    for (const r of rows) console.log(r["QUERY PLAN"]);
    return 0;
  };
  return new Proxy(tx, {
    get(target, prop, receiver) {
      if (prop === "$executeRaw")
        return (first: TemplateStringsArray | Prisma.Sql, ...values: unknown[]) => run(first instanceof Prisma.Sql ? first : Prisma.sql(first, ...values));
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

class Rollback extends Error {}
const db = await openBenchDb(1);
try {
  const ws = await db.workspaceId(slug);
  await withWorkspace(
    db.appDb.prisma,
    ws,
    async (tx) => {
      await tx.$executeRawUnsafe("SET LOCAL statement_timeout = 0");
      if (only.includes("campaigns")) {
        const t = performance.now();
        await refreshCampaignStats(explaining(tx, "campaigns"), ws, null, { force: true });
        console.log(`=== campaigns ${Math.round(performance.now() - t)} ms`);
      }
      if (only.includes("facts")) {
        await tx.$executeRawUnsafe("SET LOCAL statement_timeout = 0");
        const moved = await tx.$executeRawUnsafe(
          `UPDATE customer_scores SET predicted_clv_minor = predicted_clv_minor + 1 WHERE workspace_id = $1::uuid AND predicted_clv_minor IS NOT NULL`,
          ws,
        );
        console.log(`=== moved ${moved} scores`);
        const t = performance.now();
        await refreshSegmentFacts(explaining(tx, "facts"), ws, null, { force: true });
        console.log(`=== facts ${Math.round(performance.now() - t)} ms`);
      }
      throw new Rollback();
    },
    { timeoutMs: 30 * 60_000 },
  ).catch((e: unknown) => {
    if (!(e instanceof Rollback)) throw e;
  });
} finally {
  await db.close();
}
