import { Prisma, type Tx } from "@valuelens/db";

export interface ScoreRow {
  customerId: string;
  pAlive: number | null;
  e30: number | null;
  e90: number | null;
  e365: number | null;
  clv: number | null;
  clvLow: number | null;
  clvHigh: number | null;
  churnRisk: string | null;
  r: number;
  f: number;
  m: number;
  segment: string;
  tier: string;
  /** The stored summary's revenue (minor units, an exact integer below 2^53) and last order instant (epoch ms). */
  historical: number;
  lastAt: number;
}

const BATCH = 20_000;

const round = (v: number | null): string | null => (v === null || !Number.isFinite(v) ? null : String(Math.round(v)));

/**
 * Replaces the workspace's scores with one run's, inside the caller's transaction (readers see the
 * old set or the new one, never half). Set-based like db/bulk.ts: one INSERT … SELECT FROM
 * jsonb_to_recordset per batch. Historical CLV and the last order come from the summaries the run
 * read (same transaction snapshot), so no batch re-reads customers (measured: the per-batch join
 * was a third of the write at 1M customers).
 */
export async function replaceScores(tx: Tx, workspaceId: string, runId: string, rows: ScoreRow[], scoredAt: Date): Promise<void> {
  await tx.$executeRaw`DELETE FROM customer_scores WHERE workspace_id = ${workspaceId}::uuid`;
  await writeScores(tx, workspaceId, runId, rows, scoredAt, false);
}

/** Inserts the rows, replacing any stored scores of the same customers (incremental refresh). */
export async function upsertScores(tx: Tx, workspaceId: string, runId: string, rows: ScoreRow[], scoredAt: Date): Promise<void> {
  await writeScores(tx, workspaceId, runId, rows, scoredAt, true);
}

async function writeScores(tx: Tx, workspaceId: string, runId: string, rows: ScoreRow[], scoredAt: Date, upsert: boolean): Promise<void> {
  const onConflict = upsert
    ? Prisma.sql`ON CONFLICT (workspace_id, customer_id) DO UPDATE SET
        model_run_id = EXCLUDED.model_run_id, p_alive = EXCLUDED.p_alive, expected_purchases_30 = EXCLUDED.expected_purchases_30,
        expected_purchases_90 = EXCLUDED.expected_purchases_90, expected_purchases_365 = EXCLUDED.expected_purchases_365,
        predicted_clv_minor = EXCLUDED.predicted_clv_minor, predicted_clv_low_minor = EXCLUDED.predicted_clv_low_minor,
        predicted_clv_high_minor = EXCLUDED.predicted_clv_high_minor, historical_clv_minor = EXCLUDED.historical_clv_minor,
        churn_risk = EXCLUDED.churn_risk, rfm_r = EXCLUDED.rfm_r, rfm_f = EXCLUDED.rfm_f, rfm_m = EXCLUDED.rfm_m,
        rfm_segment = EXCLUDED.rfm_segment, value_tier = EXCLUDED.value_tier, scored_at = EXCLUDED.scored_at, last_order_at = EXCLUDED.last_order_at`
    : Prisma.empty;
  for (let i = 0; i < rows.length; i += BATCH) {
    const json = JSON.stringify(
      rows.slice(i, i + BATCH).map((r) => ({
        c: r.customerId,
        pa: r.pAlive,
        e30: r.e30,
        e90: r.e90,
        e365: r.e365,
        clv: round(r.clv),
        lo: round(r.clvLow),
        hi: round(r.clvHigh),
        h: round(r.historical),
        cr: r.churnRisk,
        r: r.r,
        f: r.f,
        m: r.m,
        s: r.segment,
        t: r.tier,
        at: r.lastAt,
      })),
    );
    await tx.$executeRaw`
      INSERT INTO customer_scores (workspace_id, customer_id, model_run_id, p_alive, expected_purchases_30, expected_purchases_90,
             expected_purchases_365, predicted_clv_minor, predicted_clv_low_minor, predicted_clv_high_minor, historical_clv_minor,
             churn_risk, rfm_r, rfm_f, rfm_m, rfm_segment, value_tier, scored_at, last_order_at)
      SELECT ${workspaceId}::uuid, x.c, ${runId}::uuid, x.pa, x.e30, x.e90, x.e365, x.clv, x.lo, x.hi, x.h,
             x.cr, x.r, x.f, x.m, x.s, x.t, ${scoredAt}, timestamptz 'epoch' + x.at * interval '1 millisecond'
        FROM jsonb_to_recordset(${json}::jsonb) AS x(c uuid, pa float8, e30 float8, e90 float8, e365 float8, clv bigint, lo bigint,
             hi bigint, h bigint, cr text, r smallint, f smallint, m smallint, s text, t text, at bigint)
      ${onConflict}`;
  }
}
