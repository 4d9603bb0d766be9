/**
 * Segment facts (issue 5, preview speed): one narrow row per customer holding every value a segment
 * rule can test — the latest scores, order count, first/last order, acquisition channel and campaign,
 * and the JSON attributes when there are any — written at the end of each recompute, right after the
 * scores (snapshotRuleSegments, in the recompute's second transaction, which reads one snapshot of the
 * committed scores: run-recompute.ts refreshDerived). The live preview scans this one
 * table instead of joining the wide customers rows with customer_scores.
 *
 * The copy is exactly the source tables at the recompute: the fuzz test compares it with them and the
 * rule evaluator. Customers added or changed later are counted from the next recompute on; the
 * preview says "as of" when it reads the copy. `sample` is a fixed pseudo-random bucket 0–99 (a hash
 * of the customer id); buckets 0…k-1 are a k % random sample, for the labelled estimate.
 *
 * The recompute waits for this write (1M rows), so it is kept cheap: the table is UNLOGGED (no WAL),
 * has only its primary key and the (workspace_id, sample) index, a workspace's first copy is written
 * in bucket order (so an estimate's buckets sit on few pages) only on workspaces large enough to be
 * estimated, and later recomputes update the rows in place, only those whose values changed (writeFacts).
 */
import { Prisma, type Tx } from "@valuelens/db";
import { log, logError } from "../../log.ts";
import { builtFrom, dropBuiltKeys, readScorePrints, saveBuiltKeys, unchangedSince, type ScorePrints } from "../recompute/derived-keys.ts";

/** Per-statement limit of the write (the app role's default is 30 s; 1M customers need more on 2 cores). */
const FACTS_STATEMENT_TIMEOUT = "300s";
/** Memory of the bucket sort on large workspaces (the default 4 MB spills 1M rows to disk in many runs). */
const FACTS_WORK_MEM = "256MB";
/** Below this many customers previews are always exact (query.ts), so the rows need no bucket order. */
export const ESTIMATE_FROM_CUSTOMERS = 200_000;

/** The copy's columns after (workspace_id, customer_id), as factsSource names them. */
const FACT_COLUMNS = [
  "sample", "order_count", "rfm_r", "rfm_f", "rfm_m", "predicted_clv_minor", "historical_clv_minor", "p_alive", "expected_purchases_30", "expected_purchases_90",
  "expected_purchases_365", "first_order_at", "last_order_at", "campaign_id", "rfm_segment", "value_tier", "churn_risk", "channel", "attributes",
] as const;

/** Every customer's row of the copy as the source tables hold it now (columns: workspace_id, customer_id, then FACT_COLUMNS). */
function factsSource(workspaceId: string): Prisma.Sql {
  return Prisma.sql`
      SELECT c.workspace_id, c.id AS customer_id, ((hashtext(c.id::text) & 2147483647) % 100)::smallint AS sample, c.order_count, s.rfm_r, s.rfm_f, s.rfm_m,
             s.predicted_clv_minor, s.historical_clv_minor, s.p_alive, s.expected_purchases_30, s.expected_purchases_90, s.expected_purchases_365,
             c.first_order_at, c.last_order_at, c.acquisition_campaign_id AS campaign_id, s.rfm_segment, s.value_tier, s.churn_risk, c.acquisition_channel AS channel,
             CASE WHEN c.attributes = '{}'::jsonb THEN NULL ELSE c.attributes END AS attributes
        FROM customers c LEFT JOIN customer_scores s ON s.workspace_id = c.workspace_id AND s.customer_id = c.id
       WHERE c.workspace_id = ${workspaceId}::uuid`;
}

const COLS = Prisma.raw(FACT_COLUMNS.join(", "));
const row = (alias: string) => Prisma.raw(`ROW(${FACT_COLUMNS.map((c) => `${alias}.${c}`).join(", ")})`);

/**
 * Brings the workspace's rows of the copy to exactly the source rows (factsSource); returns how many
 * customers the copy holds.
 *
 * A workspace without rows (its first copy) gets them inserted in bucket order (on large workspaces).
 * Otherwise ONE MERGE: a row whose values differ from its customer's current ones is updated in place, a new
 * customer's row inserted; a row with the same values is not touched (the sample bucket is compared too, but as a function of the id it never
 * changes); then, only when the copy holds more rows than there are customers, a DELETE of the rows whose
 * customer is gone. Why not DELETE + INSERT of every row, as before (BENCHMARKS.md, session 10): at 1M customers
 * that cost ≈ 24–49 s — the delete, 1M primary-key inserts each checking the deleted twin's heap row,
 * 1M (workspace_id, sample) index inserts and 1M foreign-key trigger calls. An update changes neither
 * key nor sample, so with room on its page (fillfactor 50, migration 20261124109100) it is a HOT update:
 * no index entry, no foreign-key check. Without room (a page whose old versions some long transaction
 * still sees) it is an ordinary update — slower, the same result.
 * "Same values" is record_image_eq: the binary images, so -0 vs 0 or a JSON number 1.0 vs 1 count as
 * changed and the copy stays byte-identical to its source.
 */
async function writeFacts(tx: Tx, workspaceId: string): Promise<number> {
  const [has] = await tx.$queryRaw<{ any: boolean }[]>`SELECT EXISTS (SELECT 1 FROM segment_facts WHERE workspace_id = ${workspaceId}::uuid) AS any`;
  if (!has?.any) {
    // Bucket order only where estimates are made (the trigger-kept customer count decides; a stale count
    // costs a sort or a few more pages read, never a wrong answer).
    const [stats] = await tx.$queryRaw<{ customers: number }[]>`SELECT customers FROM workspace_stats WHERE workspace_id = ${workspaceId}::uuid`;
    const sorted = (stats?.customers ?? 0) >= ESTIMATE_FROM_CUSTOMERS;
    if (sorted) await tx.$executeRawUnsafe(`SET LOCAL work_mem = '${FACTS_WORK_MEM}'`);
    return tx.$executeRaw`
      INSERT INTO segment_facts (workspace_id, customer_id, ${COLS})
      ${factsSource(workspaceId)}
      ${sorted ? Prisma.sql`ORDER BY sample` : Prisma.empty}`;
  }
  // Hash joins of the workspace's rows with its customers and scores (1M each at the largest size).
  await tx.$executeRawUnsafe(`SET LOCAL work_mem = '${FACTS_WORK_MEM}'`);
  await tx.$executeRaw`
    MERGE INTO segment_facts f
    USING (${factsSource(workspaceId)}) n
       ON f.workspace_id = ${workspaceId}::uuid AND f.customer_id = n.customer_id
     WHEN MATCHED AND NOT record_image_eq(${row("f")}, ${row("n")}) THEN
       UPDATE SET ${Prisma.raw(FACT_COLUMNS.map((c) => `${c} = n.${c}`).join(", "))}
     WHEN NOT MATCHED THEN
       INSERT (workspace_id, customer_id, ${COLS}) VALUES (n.workspace_id, n.customer_id, ${Prisma.raw(FACT_COLUMNS.map((c) => `n.${c}`).join(", "))})`;
  // Every customer has its row now, so the copy holds more rows than there are customers exactly when some row's
  // customer is gone. Only then the anti-join that deletes those rows (not MERGE's WHEN NOT MATCHED BY SOURCE,
  // which needs PostgreSQL 17; DATABASE_URL may name any PostgreSQL 15+, README): at 1M customers it hashed every
  // customer and scanned every row of the copy (≈ 2 s, EXPLAIN ANALYZE in BENCHMARKS.md, session 13) to delete
  // nothing in nearly every run, where the two counts take ≈ 0.2 s.
  const [count] = await tx.$queryRaw<{ n: number; customers: number }[]>`
    SELECT (SELECT count(*)::int FROM segment_facts WHERE workspace_id = ${workspaceId}::uuid) AS n,
           (SELECT count(*)::int FROM customers WHERE workspace_id = ${workspaceId}::uuid) AS customers`;
  const n = count?.n ?? 0;
  if (n === (count?.customers ?? 0)) return n;
  const gone = await tx.$executeRaw`
    DELETE FROM segment_facts f
     WHERE f.workspace_id = ${workspaceId}::uuid
       AND NOT EXISTS (SELECT 1 FROM customers c WHERE c.workspace_id = ${workspaceId}::uuid AND c.id = f.customer_id)`;
  return n - gone;
}

export interface FactsState {
  refreshedAt: Date;
  customers: number;
  modelRunId: string | null;
}

/** The copy's state, or null when the workspace has none (no recompute since it was introduced, or the last write failed). */
export async function segmentFactsState(tx: Tx, workspaceId: string): Promise<FactsState | null> {
  const r = await tx.segmentFactsRefresh.findUnique({ where: { workspaceId }, select: { refreshedAt: true, customers: true, modelRunId: true } });
  return r ?? null;
}

export interface FactsRefreshOptions {
  /** The score prints of this transaction's snapshot (the recompute reads them once for every derived part); read here when absent. */
  prints?: ScorePrints;
  /** Rewrite the copy even when nothing it holds changed since it was written (benchmarks, tests). */
  force?: boolean;
}

/**
 * Rewrites the workspace's facts in a savepoint — unless the copy already holds exactly the current values:
 * no write since it was written and the same score values (derived-keys.ts), as after a full recompute
 * of unchanged data; then only its state row moves to this run. On failure the copy is dropped (its state row
 * deleted, so previews read the live tables) and the recompute goes on: returns false.
 */
export async function refreshSegmentFacts(tx: Tx, workspaceId: string, modelRunId: string | null, opts: FactsRefreshOptions = {}): Promise<boolean> {
  const started = Date.now();
  await tx.$executeRawUnsafe("SAVEPOINT vl_segment_facts");
  try {
    await tx.$executeRawUnsafe(`SET LOCAL statement_timeout = '${FACTS_STATEMENT_TIMEOUT}'`);
    const prints = opts.prints ?? (await readScorePrints(tx, workspaceId));
    const state = opts.force ? null : await segmentFactsState(tx, workspaceId);
    if (state && unchangedSince(await builtFrom(tx, workspaceId, "segment_facts"), prints, ["facts"])) {
      await tx.$executeRaw`
        UPDATE segment_facts_refreshes SET model_run_id = ${modelRunId}::uuid, refreshed_at = now(), duration_ms = ${Date.now() - started}
         WHERE workspace_id = ${workspaceId}::uuid`;
      await saveBuiltKeys(tx, workspaceId, "segment_facts", { facts: prints.facts }, modelRunId);
      await tx.$executeRawUnsafe("RELEASE SAVEPOINT vl_segment_facts");
      log("segment_facts.kept", { workspaceId, modelRunId, customers: state.customers, ms: Date.now() - started });
      return true;
    }
    const n = await writeFacts(tx, workspaceId);
    await tx.$executeRaw`
      INSERT INTO segment_facts_refreshes (workspace_id, model_run_id, refreshed_at, customers, duration_ms)
      VALUES (${workspaceId}::uuid, ${modelRunId}::uuid, now(), ${n}, ${Date.now() - started})
      ON CONFLICT (workspace_id) DO UPDATE
         SET model_run_id = EXCLUDED.model_run_id, refreshed_at = EXCLUDED.refreshed_at, customers = EXCLUDED.customers, duration_ms = EXCLUDED.duration_ms`;
    await saveBuiltKeys(tx, workspaceId, "segment_facts", { facts: prints.facts }, modelRunId);
    await tx.$executeRawUnsafe("RELEASE SAVEPOINT vl_segment_facts");
    return true;
  } catch (e) {
    await tx.$executeRawUnsafe("ROLLBACK TO SAVEPOINT vl_segment_facts");
    logError("segment_facts.refresh_failed", { workspaceId, modelRunId, error: e });
    // An out-of-date copy must not answer previews: without a state row they read the live tables.
    await tx.$executeRaw`DELETE FROM segment_facts_refreshes WHERE workspace_id = ${workspaceId}::uuid`;
    await dropBuiltKeys(tx, workspaceId, "segment_facts");
    return false;
  } finally {
    await tx.$executeRawUnsafe("SET LOCAL statement_timeout TO DEFAULT");
    await tx.$executeRawUnsafe("SET LOCAL work_mem TO DEFAULT");
  }
}
