import { RFM_SEGMENTS } from "@valuelens/clv-core";
import type { Tx } from "@valuelens/db";
import { parseTierSettings, type TTierSettings } from "@valuelens/validators";
import { readTierSettings, sameTierSettings } from "./tier-settings.ts";
import type { SnapshotKind } from "./snapshots.ts";

/** The recompute a set of figures belongs to. */
export interface SnapshotRun {
  runId: string;
  finishedAt: Date | null;
  dataCutoff: Date | null;
  /** False in small-data mode: predicted CLV and P(alive) are empty, `reason` says why. */
  predictions: boolean;
  reason: string | null;
}

export interface SegmentFigures {
  customers: number;
  /** Share of the run's customers (0–1). */
  customerShare: number;
  revenueMinor: string;
  /** Share of the run's total revenue (0–1; null when the total is not positive). */
  revenueShare: number | null;
  avgHistoricalClvMinor: string | null;
  avgPredictedClvMinor: string | null;
  predictedClvSumMinor: string | null;
  /** Share of the run's total predicted CLV (0–1). */
  predictedShare: number | null;
  avgPAlive: number | null;
}

export interface SegmentChange {
  /** The previous recompute's figures for the same group (zero when it had none). */
  previousCustomers: number;
  previousCustomerShare: number;
  deltaCustomers: number;
  /** Percentage points of all customers (e.g. 0.012 = +1.2 pp). */
  deltaShare: number;
}

export interface RfmCell extends SegmentFigures {
  r: number;
  f: number;
  change: SegmentChange | null;
}

export interface RfmSegmentRow extends SegmentFigures {
  segment: string;
  change: SegmentChange | null;
}

export interface RfmOverview {
  currency: string;
  current: SnapshotRun | null;
  previous: SnapshotRun | null;
  totals: { customers: number; revenueMinor: string; historicalClvSumMinor: string; predictedClvSumMinor: string | null } | null;
  /** All 25 cells, r = 5…1 (rows), f = 1…5 (columns); empty cells have zero customers. */
  cells: RfmCell[];
  /** Every named segment in the standard order, including empty ones. */
  segments: RfmSegmentRow[];
}

export type TierName = "high" | "medium" | "low";

export interface TierRow extends SegmentFigures {
  tier: TierName;
  /** Lowest and highest tiering value among the tier's customers (minor units). */
  minValueMinor: string | null;
  maxValueMinor: string | null;
  change: SegmentChange | null;
}

export interface TierOverview {
  currency: string;
  current: SnapshotRun | null;
  previous: SnapshotRun | null;
  /** The thresholds now configured. */
  settings: TTierSettings;
  /** The thresholds the shown figures were computed with (null before the first snapshot). */
  appliedSettings: TTierSettings | null;
  /** Settings changed since the figures were computed: a recompute is queued or running. */
  pendingRecompute: boolean;
  /** What tiers rank: predicted CLV, or historical value when the run had no predictions. */
  basis: "predicted" | "historical" | null;
  tiers: TierRow[];
}

interface SnapRow {
  model_run_id: string;
  kind: SnapshotKind;
  key: string;
  customers: number;
  revenue_minor: bigint;
  historical_clv_sum_minor: bigint;
  predicted_clv_sum_minor: bigint | null;
  p_alive_sum: number | null;
  min_value_minor: bigint | null;
  max_value_minor: bigint | null;
  meta: unknown;
}

/** Rounded bigint average (half away from zero) as a string. */
function avgMinor(sum: bigint | null, n: number): string | null {
  if (sum === null || n === 0) return null;
  const d = BigInt(n);
  const q = (2n * sum + (sum >= 0n ? d : -d)) / (2n * d);
  return q.toString();
}

const share = (part: bigint | null, whole: bigint | null): number | null => (part === null || whole === null || whole <= 0n ? null : Number(part) / Number(whole));

interface Latest {
  current: SnapshotRun | null;
  previous: SnapshotRun | null;
  total: SnapRow | null;
  prevTotal: SnapRow | null;
  rows: SnapRow[];
}

/**
 * The latest two snapshotted recomputes and their rows of the given kinds: two index lookups
 * (latest 'total' rows, then the runs' rows by primary-key prefix) and one model_runs lookup —
 * a few dozen rows whatever the number of customers.
 */
async function latestSnapshots(tx: Tx, workspaceId: string, kinds: SnapshotKind[]): Promise<Latest> {
  const totals = await tx.$queryRaw<SnapRow[]>`
    SELECT model_run_id::text, kind, key, customers, revenue_minor, historical_clv_sum_minor, predicted_clv_sum_minor, p_alive_sum,
           min_value_minor, max_value_minor, meta
      FROM segment_snapshots
     WHERE workspace_id = ${workspaceId}::uuid AND kind = 'total'
     ORDER BY created_at DESC
     LIMIT 2`;
  const [total, prevTotal] = totals;
  if (!total) return { current: null, previous: null, total: null, prevTotal: null, rows: [] };
  const ids = totals.map((t) => t.model_run_id);
  const [rows, runs] = await Promise.all([
    tx.$queryRaw<SnapRow[]>`
      SELECT model_run_id::text, kind, key, customers, revenue_minor, historical_clv_sum_minor, predicted_clv_sum_minor, p_alive_sum,
             min_value_minor, max_value_minor, meta
        FROM segment_snapshots
       WHERE workspace_id = ${workspaceId}::uuid AND model_run_id = ANY(${ids}::uuid[]) AND kind = ANY(${kinds}::text[])`,
    tx.modelRun.findMany({ where: { workspaceId, id: { in: ids } }, select: { id: true, finishedAt: true, dataCutoff: true, reason: true } }),
  ]);
  const runOf = (t: SnapRow | undefined): SnapshotRun | null => {
    if (!t) return null;
    const r = runs.find((x) => x.id === t.model_run_id);
    return { runId: t.model_run_id, finishedAt: r?.finishedAt ?? null, dataCutoff: r?.dataCutoff ?? null, predictions: t.predicted_clv_sum_minor !== null, reason: r?.reason ?? null };
  };
  return { current: runOf(total), previous: runOf(prevTotal), total, prevTotal: prevTotal ?? null, rows };
}

function figures(row: SnapRow | undefined, total: SnapRow): SegmentFigures {
  const n = row?.customers ?? 0;
  const pred = row ? row.predicted_clv_sum_minor : null;
  return {
    customers: n,
    customerShare: total.customers > 0 ? n / total.customers : 0,
    revenueMinor: (row?.revenue_minor ?? 0n).toString(),
    revenueShare: share(row?.revenue_minor ?? 0n, total.revenue_minor),
    avgHistoricalClvMinor: avgMinor(row?.historical_clv_sum_minor ?? null, n),
    avgPredictedClvMinor: avgMinor(pred, n),
    predictedClvSumMinor: total.predicted_clv_sum_minor === null ? null : (pred ?? 0n).toString(),
    predictedShare: total.predicted_clv_sum_minor === null ? null : share(pred ?? 0n, total.predicted_clv_sum_minor),
    avgPAlive: row && row.p_alive_sum !== null && n > 0 ? row.p_alive_sum / n : null,
  };
}

function change(cur: SnapRow | undefined, prev: SnapRow | undefined, total: SnapRow, prevTotal: SnapRow | null): SegmentChange | null {
  if (!prevTotal) return null;
  const c = cur?.customers ?? 0;
  const p = prev?.customers ?? 0;
  const shareNow = total.customers > 0 ? c / total.customers : 0;
  const sharePrev = prevTotal.customers > 0 ? p / prevTotal.customers : 0;
  return { previousCustomers: p, previousCustomerShare: sharePrev, deltaCustomers: c - p, deltaShare: shareNow - sharePrev };
}

function pick(l: Latest, kind: SnapshotKind, key: string): { cur: SnapRow | undefined; prev: SnapRow | undefined } {
  const cur = l.rows.find((r) => r.model_run_id === l.current?.runId && r.kind === kind && r.key === key);
  const prev = l.previous ? l.rows.find((r) => r.model_run_id === l.previous?.runId && r.kind === kind && r.key === key) : undefined;
  return { cur, prev };
}

/** RFM map and named segments of the latest recompute, compared with the one before. */
export async function getRfmOverview(tx: Tx, workspace: { id: string; currency: string }): Promise<RfmOverview> {
  const l = await latestSnapshots(tx, workspace.id, ["rfm", "rfm_cell"]);
  const base = { currency: workspace.currency, current: l.current, previous: l.previous };
  if (!l.total) return { ...base, totals: null, cells: [], segments: [] };
  const total = l.total;
  const cells: RfmCell[] = [];
  for (let r = 5; r >= 1; r--) {
    for (let f = 1; f <= 5; f++) {
      const { cur, prev } = pick(l, "rfm_cell", `${r},${f}`);
      cells.push({ r, f, ...figures(cur, total), change: change(cur, prev, total, l.prevTotal) });
    }
  }
  const known = new Set<string>(RFM_SEGMENTS);
  // Standard segments in their usual order, then any other key a future scoring scheme may write.
  const extra = l.rows.filter((x) => x.kind === "rfm" && x.model_run_id === l.current?.runId && !known.has(x.key)).map((x) => x.key);
  const segments: RfmSegmentRow[] = [...RFM_SEGMENTS, ...extra].map((segment) => {
    const { cur, prev } = pick(l, "rfm", segment);
    return { segment, ...figures(cur, total), change: change(cur, prev, total, l.prevTotal) };
  });
  return {
    ...base,
    totals: {
      customers: total.customers,
      revenueMinor: total.revenue_minor.toString(),
      historicalClvSumMinor: total.historical_clv_sum_minor.toString(),
      predictedClvSumMinor: total.predicted_clv_sum_minor?.toString() ?? null,
    },
    cells,
    segments,
  };
}

/** Value tiers of the latest recompute, the configured thresholds and whether the figures follow them yet. */
export async function getTierOverview(tx: Tx, workspace: { id: string; currency: string }): Promise<TierOverview> {
  const [l, settings] = await Promise.all([latestSnapshots(tx, workspace.id, ["tier"]), readTierSettings(tx, workspace.id)]);
  const meta = (l.total?.meta ?? null) as { tierRule?: unknown; basis?: unknown } | null;
  const applied = meta ? parseTierSettings(meta.tierRule) : null;
  const basis: TierOverview["basis"] = meta?.basis === "predicted" ? "predicted" : meta?.basis === "historical" ? "historical" : null;
  const base = {
    currency: workspace.currency,
    current: l.current,
    previous: l.previous,
    settings,
    appliedSettings: applied,
    pendingRecompute: applied !== null && !sameTierSettings(applied, settings),
    basis,
  };
  if (!l.total) return { ...base, tiers: [] };
  const total = l.total;
  const tiers = (["high", "medium", "low"] as const).map((tier): TierRow => {
    const { cur, prev } = pick(l, "tier", tier);
    return {
      tier,
      ...figures(cur, total),
      minValueMinor: cur?.min_value_minor?.toString() ?? null,
      maxValueMinor: cur?.max_value_minor?.toString() ?? null,
      change: change(cur, prev, total, l.prevTotal),
    };
  });
  return { ...base, tiers };
}
