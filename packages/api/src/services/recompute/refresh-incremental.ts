/**
 * The incremental refresh run (see incremental.ts for why and what it keeps exact): plan it from
 * the latest succeeded run, then rescore the changed customers inside the recompute's transaction.
 */
import { scoreCustomers } from "@valuelens/clv-core";
import { Prisma, type Tx } from "@valuelens/db";
import { readTierSettings } from "../segments/index.ts";
import { sameTierSettings } from "../segments/tier-settings.ts";
import { CLV_OPTIONS, predictedFields } from "./churn-risk.ts";
import {
  adjustTotals,
  dropScoresWithoutOrders,
  INCREMENTAL_MARGIN_MS,
  INCREMENTAL_MAX_AGE_MS,
  INCREMENTAL_MAX_SHARE,
  INCREMENTAL_MIN_CUSTOMERS,
  readOldScores,
  readScoringState,
  readTotals,
  rfmOf,
  tierUnder,
  type ScoringState,
} from "./incremental.ts";
import { changedSql, readSummaries } from "./summaries.ts";
import { upsertScores, type ScoreRow } from "./write-scores.ts";

const BASE_SELECT = {
  id: true,
  startedAt: true,
  modelKind: true,
  params: true,
  standardErrors: true,
  spendParams: true,
  logLikelihood: true,
  converged: true,
  holdout: true,
  comparison: true,
  totals: true,
  customers: true,
  repeatBuyers: true,
  orders: true,
  dataCutoff: true,
} as const;

type BaseRun = Prisma.ModelRunGetPayload<{ select: typeof BASE_SELECT }>;

export interface IncrementalPlan {
  base: BaseRun;
  state: ScoringState;
  totals: NonNullable<ReturnType<typeof readTotals>>;
  since: Date;
  changed: number;
}

/**
 * An incremental refresh is sound when the latest succeeded run scored with predictions, with the
 * workspace's current model and tier rule, from a fit under INCREMENTAL_MAX_AGE_MS old, no
 * "Recompute now" is queued, and at most max(INCREMENTAL_MIN_CUSTOMERS, 5 % of the scored
 * customers) changed since. Otherwise null: the caller runs a full ("fast") recompute.
 */
export async function planIncremental(tx: Tx, workspaceId: string, kind: string, now = Date.now()): Promise<IncrementalPlan | null> {
  const [queued, base] = await Promise.all([
    tx.modelRun.findFirst({ where: { workspaceId, status: "queued" }, select: { id: true } }),
    tx.modelRun.findFirst({ where: { workspaceId, status: "succeeded" }, orderBy: { finishedAt: "desc" }, select: BASE_SELECT }),
  ]);
  if (queued || !base || base.modelKind !== kind) return null;
  const state = readScoringState(base.totals);
  const totals = readTotals(base.totals);
  if (!state || !totals || now - Date.parse(state.fittedAt) > INCREMENTAL_MAX_AGE_MS) return null;
  if (!sameTierSettings(state.tierSettings, await readTierSettings(tx, workspaceId))) return null;
  const since = new Date(base.startedAt.getTime() - INCREMENTAL_MARGIN_MS);
  const cap = Math.max(INCREMENTAL_MIN_CUSTOMERS, Math.floor(INCREMENTAL_MAX_SHARE * totals.scored));
  // Counted through the (workspace_id, summary_updated_at) index, stopping past the cap.
  const [c] = await tx.$queryRaw<{ n: bigint }[]>`
    SELECT count(*) AS n
      FROM (SELECT 1 FROM customers c
             WHERE c.workspace_id = ${workspaceId}::uuid AND c.purchase_days > 0 AND ${changedSql(workspaceId, { since, after: base.startedAt })}
             LIMIT ${cap + 1}) x`;
  const changed = Number(c?.n ?? 0);
  if (changed > cap) return null;
  return { base, state, totals, since, changed };
}

export interface IncrementalResult {
  rescored: number;
  update: Prisma.ModelRunUpdateInput;
}

export async function refreshIncrementally(
  tx: Tx,
  workspaceId: string,
  runId: string,
  plan: IncrementalPlan,
  runStart: Date,
  progress: (step: string, pct: number) => Promise<void>,
): Promise<IncrementalResult> {
  const { base, state } = plan;
  await progress("reading changed customers", 10);
  const s = await readSummaries(tx, workspaceId, { since: plan.since, after: base.startedAt, cutoffDay: state.cutoffDay });
  const n = s.ids.length;
  const dropped = await dropScoresWithoutOrders(tx, workspaceId, plan.since);
  const old = await readOldScores(tx, workspaceId, s.ids);

  await progress("scoring changed customers", 40);
  const rows: ScoreRow[] = [];
  if (n > 0) {
    const sc = scoreCustomers({ purchaseModel: state.purchase, spendModel: state.spend, ...s }, CLV_OPTIONS);
    for (let i = 0; i < n; i++) {
      const rfm = rfmOf(state, s.daysSinceLast[i]!, s.frequency[i]!, s.revenue[i]!);
      const predicted = predictedFields(sc, i);
      rows.push({
        customerId: s.ids[i]!,
        ...predicted,
        r: rfm.r,
        f: rfm.f,
        m: rfm.m,
        segment: rfm.segment,
        tier: tierUnder(state, predicted.clv),
        historical: s.revenue[i]!,
        lastAt: s.lastAt[i]!,
      });
    }
  }
  await progress("writing scores", 80);
  await upsertScores(tx, workspaceId, runId, rows, runStart);

  const totals = adjustTotals(
    plan.totals,
    [...dropped, ...old],
    rows.map((r) => ({ clv: r.clv ?? 0, historical: r.historical, atRisk: r.churnRisk === "high" })),
  );
  const cutoffDay = Math.max(state.cutoffDay, n > 0 ? s.cutoffDay : state.cutoffDay);
  const dataCutoff = s.cutoff && (!base.dataCutoff || s.cutoff > base.dataCutoff) ? s.cutoff : base.dataCutoff;
  const json = (v: unknown) => (v === null ? Prisma.DbNull : (v as Prisma.InputJsonValue));
  return {
    rescored: n,
    update: {
      // The models are the base run's: the Model page shows the same fit, holdout check and comparison.
      params: json(base.params),
      standardErrors: json(base.standardErrors),
      spendParams: json(base.spendParams),
      logLikelihood: base.logLikelihood,
      converged: base.converged,
      holdout: json(base.holdout),
      comparison: json(base.comparison),
      customers: base.customers,
      repeatBuyers: base.repeatBuyers,
      orders: base.orders,
      dataCutoff,
      reason: null,
      totals: {
        ...totals,
        // The base fit's note when it stopped at a limit of its parameters (run-recompute.ts).
        fitNote: fitNoteOf(base.totals),
        scoring: { ...state, cutoffDay },
        incremental: { baseRunId: base.id, fittedRunId: state.fittedRunId, fittedAt: state.fittedAt, rescored: n, removed: dropped.length },
      } as unknown as Prisma.InputJsonValue,
    },
  };
}

function fitNoteOf(totals: unknown): string | null {
  const note = typeof totals === "object" && totals !== null ? (totals as { fitNote?: unknown }).fitNote : null;
  return typeof note === "string" ? note : null;
}
