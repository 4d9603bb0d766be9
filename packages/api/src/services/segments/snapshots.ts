import type { Tx } from "@valuelens/db";
import { readTierSettings } from "./tier-settings.ts";

/**
 * Snapshot of one successful recompute's segments, called at the end of the recompute inside its
 * scoring transaction (so the snapshot and the scores commit together). ONE set-based statement:
 * a single scan of customer_scores grouped by GROUPING SETS into RFM segments, value tiers, RFM grid
 * cells (r,f) and the workspace total (one hashed pass, PostgreSQL's MixedAggregate) — never per row.
 * Revenue is the customer's net revenue as the scoring statement copied it from the customer summary
 * into historical_clv_minor in this same transaction (joining customers again cost 5× the time at
 * 1M customers and ran into the app role's 30 s statement timeout under load; see BENCHMARKS.md).
 * The tiering value range is predicted CLV, or historical value when the run had no predictions
 * (small-data mode). The total row's meta records the tier rule applied.
 * The Segments page reads these rows, never customer_scores.
 */
export async function writeSegmentSnapshots(tx: Tx, workspaceId: string, runId: string): Promise<void> {
  const rule = await readTierSettings(tx, workspaceId);
  await tx.$executeRaw`
    INSERT INTO segment_snapshots (workspace_id, model_run_id, kind, key, customers, revenue_minor, historical_clv_sum_minor,
                                   predicted_clv_sum_minor, p_alive_sum, min_value_minor, max_value_minor, meta)
    SELECT ${workspaceId}::uuid, ${runId}::uuid, g.kind, g.key, g.customers, g.revenue_minor, g.historical_clv_sum_minor,
           g.predicted_clv_sum_minor, g.p_alive_sum, g.min_value_minor, g.max_value_minor,
           CASE WHEN g.kind = 'total'
                THEN jsonb_build_object('tierRule', ${JSON.stringify(rule)}::jsonb,
                                        'basis', CASE WHEN g.predicted_clv_sum_minor IS NULL THEN 'historical' ELSE 'predicted' END)
                ELSE '{}'::jsonb END
      FROM (SELECT CASE WHEN GROUPING(s.rfm_segment) = 0 THEN 'rfm' WHEN GROUPING(s.value_tier) = 0 THEN 'tier'
                        WHEN GROUPING(s.rfm_r) = 0 THEN 'rfm_cell' ELSE 'total' END AS kind,
                   CASE WHEN GROUPING(s.rfm_segment) = 0 THEN s.rfm_segment WHEN GROUPING(s.value_tier) = 0 THEN s.value_tier
                        WHEN GROUPING(s.rfm_r) = 0 THEN s.rfm_r || ',' || s.rfm_f ELSE 'all' END AS key,
                   count(*)::int AS customers,
                   coalesce(sum(s.historical_clv_minor), 0)::bigint AS revenue_minor,
                   coalesce(sum(s.historical_clv_minor), 0)::bigint AS historical_clv_sum_minor,
                   sum(s.predicted_clv_minor)::bigint AS predicted_clv_sum_minor,
                   sum(s.p_alive) AS p_alive_sum,
                   min(coalesce(s.predicted_clv_minor, s.historical_clv_minor)) AS min_value_minor,
                   max(coalesce(s.predicted_clv_minor, s.historical_clv_minor)) AS max_value_minor
              FROM customer_scores s
             WHERE s.workspace_id = ${workspaceId}::uuid
             GROUP BY GROUPING SETS ((s.rfm_segment), (s.value_tier), (s.rfm_r, s.rfm_f), ())) g`;
}

export type SnapshotKind = "rfm" | "tier" | "rfm_cell" | "total";

/** The fields of a scored customer the snapshot sums (run-recompute.ts ScoreRow has them). */
export interface SnapshotInput {
  segment: string;
  tier: string;
  r: number;
  f: number;
  /** As stored: whole minor units (write-scores.ts rounds; null or non-finite → NULL). */
  historical: number;
  clv: number | null;
  pAlive: number | null;
}

interface Acc {
  customers: number;
  historical: bigint;
  predicted: bigint | null;
  pAlive: number | null;
  min: bigint | null;
  max: bigint | null;
}

const whole = (v: number | null): bigint | null => (v === null || !Number.isFinite(v) ? null : BigInt(Math.round(v)));

/**
 * The same rows as writeSegmentSnapshots' GROUPING SETS statement, computed from the scores the run is
 * about to write instead of scanning them after (at 1M customers that scan took 3.7 s, holding the
 * workspace's swapped-in score partition locked until commit). Sums are exact (bigint); p_alive_sum may
 * differ from PostgreSQL's in the last bits (summation order). Tested against the SQL statement.
 */
export function segmentSnapshotRows(rows: readonly SnapshotInput[]): { kind: SnapshotKind; key: string; acc: Acc }[] {
  const groups = new Map<string, { kind: SnapshotKind; key: string; acc: Acc }>();
  const add = (kind: SnapshotKind, key: string, r: SnapshotInput, hist: bigint, pred: bigint | null, value: bigint) => {
    const id = `${kind}\u0000${key}`;
    let g = groups.get(id);
    if (!g) groups.set(id, (g = { kind, key, acc: { customers: 0, historical: 0n, predicted: null, pAlive: null, min: null, max: null } }));
    const a = g.acc;
    a.customers++;
    a.historical += hist;
    if (pred !== null) a.predicted = (a.predicted ?? 0n) + pred;
    if (r.pAlive !== null && Number.isFinite(r.pAlive)) a.pAlive = (a.pAlive ?? 0) + r.pAlive;
    if (a.min === null || value < a.min) a.min = value;
    if (a.max === null || value > a.max) a.max = value;
  };
  for (const r of rows) {
    const hist = whole(r.historical) ?? 0n;
    const pred = whole(r.clv);
    const value = pred ?? hist;
    add("rfm", r.segment, r, hist, pred, value);
    add("tier", r.tier, r, hist, pred, value);
    add("rfm_cell", `${r.r},${r.f}`, r, hist, pred, value);
    add("total", "all", r, hist, pred, value);
  }
  if (!groups.has("total\u0000all")) groups.set("total\u0000all", { kind: "total", key: "all", acc: { customers: 0, historical: 0n, predicted: null, pAlive: null, min: null, max: null } });
  return [...groups.values()];
}

/** Writes segmentSnapshotRows(rows) for the run, with the total row's meta as writeSegmentSnapshots writes it. */
export async function writeSegmentSnapshotRows(tx: Tx, workspaceId: string, runId: string, rows: readonly SnapshotInput[]): Promise<void> {
  const rule = await readTierSettings(tx, workspaceId);
  const out = segmentSnapshotRows(rows).map(({ kind, key, acc }) => ({
    kind,
    key,
    customers: acc.customers,
    historical: acc.historical.toString(),
    predicted: acc.predicted?.toString() ?? null,
    p_alive: acc.pAlive,
    min_v: acc.min?.toString() ?? null,
    max_v: acc.max?.toString() ?? null,
  }));
  await tx.$executeRaw`
    INSERT INTO segment_snapshots (workspace_id, model_run_id, kind, key, customers, revenue_minor, historical_clv_sum_minor,
                                   predicted_clv_sum_minor, p_alive_sum, min_value_minor, max_value_minor, meta)
    SELECT ${workspaceId}::uuid, ${runId}::uuid, x.kind, x.key, x.customers, x.historical, x.historical, x.predicted, x.p_alive, x.min_v, x.max_v,
           CASE WHEN x.kind = 'total'
                THEN jsonb_build_object('tierRule', ${JSON.stringify(rule)}::jsonb,
                                        'basis', CASE WHEN x.predicted IS NULL THEN 'historical' ELSE 'predicted' END)
                ELSE '{}'::jsonb END
      FROM jsonb_to_recordset(${JSON.stringify(out)}::jsonb)
        AS x(kind text, key text, customers int, historical bigint, predicted bigint, p_alive float8, min_v bigint, max_v bigint)`;
}
