/**
 * What each derived part of a full recompute (retention rollups, campaign rollups, the rule previews'
 * segment_facts copy) was built from, so the derived phase (run-recompute.ts refreshDerived) rebuilds
 * only what changed (issue 9: at 1M customers the three took ≈ 200 CPU-seconds per full run, also
 * when nothing they read had changed since the previous run).
 *
 * A part depends on the workspace's data (customers, customer_months / customer_weeks, which only the
 * summary triggers and the repair rebuild write) and on some columns of customer_scores:
 * - data key: workspaces.data_version (moved by every write that marks the metrics stale; never
 *   cleared, migration 20261124108600_derived_refresh_keys) and workspace_stats.updated_at (moved by
 *   the summary triggers and the repair rebuild). Both equal to the key stored with the part's rows =
 *   no write since the rows were built.
 * - score prints: per group of score columns, the count of score rows and the exact sum of a 64-bit hash
 *   (hash_record_extended) of each customer's (id, values) row. Equal prints = the same values for the
 *   same customers, except for a hash-sum coincidence (for a change to go unnoticed, the changed rows'
 *   64-bit hashes would have to sum to exactly the old ones').
 * The key is written in the same savepoint as the part's rows (saveBuiltKeys), so it always describes the
 * rows present; a part whose refresh failed keeps its previous rows and previous key.
 */
import type { Tx } from "@valuelens/db";

export type DerivedPart = "retention" | "campaigns" | "segment_facts";

/** Fingerprints of the score columns the parts read (see the module comment). */
export interface ScorePrints {
  /** rfm_segment, value_tier: the retention page's segment and tier splits. */
  classes: string;
  /** predicted CLV with its range and the expected purchases: forecasts (retention, campaigns). */
  pred: string;
  /** every score column segment_facts copies. */
  facts: string;
}

// hash_record_extended hashes each column with its type's own hash (no text conversion: a third of the time of
// hashing the row text, ≈ 0.5 s per print at 1M rows); a NULL column and an empty string hash differently.
const PRINT = (cols: string) => `count(*)::text || ':' || coalesce(sum(hash_record_extended((s.customer_id, ${cols}), 0)::numeric), 0)::text`;

/** The prints of the workspace's current scores: one scan of its customer_scores (≈ 2 s at 1M customers). */
export async function readScorePrints(tx: Tx, workspaceId: string): Promise<ScorePrints> {
  const [r] = await tx.$queryRawUnsafe<ScorePrints[]>(
    `SELECT ${PRINT("s.rfm_segment, s.value_tier")} AS classes,
            ${PRINT("s.predicted_clv_minor, s.predicted_clv_low_minor, s.predicted_clv_high_minor, s.expected_purchases_30, s.expected_purchases_90, s.expected_purchases_365")} AS pred,
            ${PRINT(
              "s.rfm_r, s.rfm_f, s.rfm_m, s.predicted_clv_minor, s.historical_clv_minor, s.p_alive, s.expected_purchases_30, s.expected_purchases_90, s.expected_purchases_365, s.rfm_segment, s.value_tier, s.churn_risk",
            )} AS facts
       FROM customer_scores s WHERE s.workspace_id = $1::uuid`,
    workspaceId,
  );
  if (!r) throw new Error(`score prints: no result for workspace ${workspaceId}`);
  return r;
}

export interface BuiltFrom {
  /** No write since the part's rows were built (same data key). */
  dataSame: boolean;
  prints: Partial<ScorePrints>;
}

/** What the part's current rows were built from, or null when unknown (never built with a key, or dropped). */
export async function builtFrom(tx: Tx, workspaceId: string, part: DerivedPart): Promise<BuiltFrom | null> {
  const [r] = await tx.$queryRawUnsafe<{ data_same: boolean; prints: Partial<ScorePrints> }[]>(
    `SELECT (k.data_version = w.data_version AND k.stats_updated_at IS NOT DISTINCT FROM st.updated_at) AS data_same, k.prints
       FROM derived_refresh_keys k JOIN workspaces w ON w.id = k.workspace_id
       LEFT JOIN workspace_stats st ON st.workspace_id = k.workspace_id
      WHERE k.workspace_id = $1::uuid AND k.part = $2`,
    workspaceId,
    part,
  );
  return r ? { dataSame: r.data_same, prints: r.prints } : null;
}

/** True when the part's rows were built from the current data and these prints. */
export function unchangedSince(built: BuiltFrom | null, prints: ScorePrints, needs: readonly (keyof ScorePrints)[]): boolean {
  return built !== null && built.dataSame && needs.every((k) => built.prints[k] === prints[k]);
}

/** Record that the part's rows now describe the current data (this transaction's snapshot) and these prints. */
export async function saveBuiltKeys(tx: Tx, workspaceId: string, part: DerivedPart, prints: Partial<ScorePrints>, modelRunId: string | null): Promise<void> {
  await tx.$executeRawUnsafe(
    `INSERT INTO derived_refresh_keys (workspace_id, part, data_version, stats_updated_at, prints, model_run_id, built_at)
     SELECT w.id, $2, w.data_version, (SELECT st.updated_at FROM workspace_stats st WHERE st.workspace_id = w.id), $3::jsonb, $4::uuid, now()
       FROM workspaces w WHERE w.id = $1::uuid
     ON CONFLICT (workspace_id, part) DO UPDATE SET data_version = EXCLUDED.data_version, stats_updated_at = EXCLUDED.stats_updated_at,
       prints = EXCLUDED.prints, model_run_id = EXCLUDED.model_run_id, built_at = EXCLUDED.built_at`,
    workspaceId,
    part,
    JSON.stringify(prints),
    modelRunId,
  );
}

/** Forget the part's key (its rows were written some other way): the next full run rebuilds them. */
export async function dropBuiltKeys(tx: Tx, workspaceId: string, part: DerivedPart): Promise<void> {
  await tx.$executeRawUnsafe(`DELETE FROM derived_refresh_keys WHERE workspace_id = $1::uuid AND part = $2`, workspaceId, part);
}
