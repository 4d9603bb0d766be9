import type { Prisma, Tx } from "@valuelens/db";
import type { TPurchaseModel } from "@valuelens/validators";
import { DomainError } from "../domain-error.ts";
import { CHURN_THRESHOLDS, VERDICT_THRESHOLDS } from "../recompute/churn-risk.ts";
import { HOLDOUT_SHARE, MIN_REPEAT_BUYERS } from "../recompute/run-recompute.ts";

const RUN_SELECT = {
  id: true,
  modelKind: true,
  status: true,
  step: true,
  progress: true,
  error: true,
  reason: true,
  params: true,
  standardErrors: true,
  spendParams: true,
  logLikelihood: true,
  converged: true,
  dataCutoff: true,
  customers: true,
  repeatBuyers: true,
  orders: true,
  durationMs: true,
  holdout: true,
  comparison: true,
  totals: true,
  triggeredBy: true,
  startedAt: true,
  finishedAt: true,
} satisfies Prisma.ModelRunSelect;

export type ModelRunDto = Prisma.ModelRunGetPayload<{ select: typeof RUN_SELECT }>;

export interface ModelStatus {
  purchaseModel: string;
  /** The latest successful run (the one whose scores are shown). */
  latest: ModelRunDto | null;
  /** A queued or running run, with its step and progress. */
  active: { id: string; status: string; step: string | null; progress: number; startedAt: Date } | null;
  lastFailure: { id: string; error: string | null; finishedAt: Date | null } | null;
  stale: boolean;
  thresholds: { churn: typeof CHURN_THRESHOLDS; verdict: typeof VERDICT_THRESHOLDS; minRepeatBuyers: number; holdoutShare: number };
}

/** Everything a page needs to say "data as of …", show progress, and render the model card. */
export async function getModelStatus(tx: Tx, workspaceId: string): Promise<ModelStatus> {
  const [ws, latest, active, failed] = [
    await tx.workspace.findUnique({ where: { id: workspaceId }, select: { purchaseModel: true, metricsStaleAt: true } }),
    await tx.modelRun.findFirst({ where: { workspaceId, status: "succeeded" }, orderBy: { finishedAt: "desc" }, select: RUN_SELECT }),
    await tx.modelRun.findFirst({
      where: { workspaceId, status: { in: ["queued", "running"] } },
      orderBy: { startedAt: "desc" },
      select: { id: true, status: true, step: true, progress: true, startedAt: true },
    }),
    await tx.modelRun.findFirst({ where: { workspaceId, status: "failed" }, orderBy: { startedAt: "desc" }, select: { id: true, error: true, finishedAt: true, startedAt: true } }),
  ];
  return {
    purchaseModel: ws?.purchaseModel ?? "bgnbd",
    latest,
    active,
    lastFailure: failed && (!latest?.finishedAt || failed.startedAt > latest.finishedAt) ? { id: failed.id, error: failed.error, finishedAt: failed.finishedAt } : null,
    stale: ws?.metricsStaleAt !== null && ws?.metricsStaleAt !== undefined,
    thresholds: { churn: CHURN_THRESHOLDS, verdict: VERDICT_THRESHOLDS, minRepeatBuyers: MIN_REPEAT_BUYERS, holdoutShare: HOLDOUT_SHARE },
  };
}

export async function listModelRuns(tx: Tx, workspaceId: string, limit: number) {
  return tx.modelRun.findMany({
    where: { workspaceId },
    orderBy: { startedAt: "desc" },
    take: limit,
    select: { id: true, modelKind: true, status: true, reason: true, error: true, customers: true, logLikelihood: true, durationMs: true, triggeredBy: true, startedAt: true, finishedAt: true },
  });
}

/**
 * "Recompute now": a queued run in the ledger (same transaction as the request); the worker's scan
 * picks it up. At most one queued run per workspace — asking again returns the same one.
 */
export async function requestRecompute(tx: Tx, workspaceId: string, triggeredBy: string): Promise<{ runId: string; alreadyQueued: boolean }> {
  const ws = await tx.workspace.findUnique({ where: { id: workspaceId }, select: { purchaseModel: true } });
  if (!ws) throw new DomainError("NOT_FOUND", "Workspace not found.");
  // Serialise concurrent clicks on the workspace row.
  await tx.$executeRaw`SELECT 1 FROM workspaces WHERE id = ${workspaceId}::uuid FOR UPDATE`;
  const queued = await tx.modelRun.findFirst({ where: { workspaceId, status: "queued" }, select: { id: true } });
  if (queued) return { runId: queued.id, alreadyQueued: true };
  const run = await tx.modelRun.create({ data: { workspaceId, modelKind: ws.purchaseModel, status: "queued", step: "queued", triggeredBy }, select: { id: true } });
  return { runId: run.id, alreadyQueued: false };
}

export async function setPurchaseModel(tx: Tx, workspaceId: string, model: TPurchaseModel, actorUserId: string): Promise<{ runId: string }> {
  await tx.workspace.update({ where: { id: workspaceId }, data: { purchaseModel: model } });
  await tx.auditLog.create({ data: { workspaceId, actorUserId, action: "model.set_purchase_model", details: { model } } });
  const r = await requestRecompute(tx, workspaceId, "model-change");
  return { runId: r.runId };
}

export interface PredictionSummary {
  available: boolean;
  reason: string | null;
  currency: string;
  dataCutoff: Date | null;
  fittedAt: Date | null;
  predicted12m: { minor: string; lowMinor: string; highMinor: string } | null;
  equityMinor: string | null;
  atRiskShare: number | null;
  histogram: { fromMinor: string; toMinor: string; customers: number }[];
}

interface Totals {
  predicted12m: { clv: number; low: number; high: number };
  equity: number;
  atRisk: number;
  scored: number;
  histogram: { from: number; to: number; customers: number }[];
}

/** Overview additions, read from the latest run's stored totals (computed by the job; no scan on the page). */
export async function getPredictionSummary(tx: Tx, workspace: { id: string; currency: string }): Promise<PredictionSummary> {
  const run = await tx.modelRun.findFirst({
    where: { workspaceId: workspace.id, status: "succeeded" },
    orderBy: { finishedAt: "desc" },
    select: { reason: true, totals: true, dataCutoff: true, finishedAt: true },
  });
  const t = (run?.totals ?? null) as Totals | null;
  const base = { currency: workspace.currency, dataCutoff: run?.dataCutoff ?? null, fittedAt: run?.finishedAt ?? null };
  if (!run || !t) {
    return {
      ...base,
      available: false,
      reason: run?.reason ?? "Predictions have not been computed yet; the first recompute runs in the background shortly after data arrives.",
      predicted12m: null,
      equityMinor: null,
      atRiskShare: null,
      histogram: [],
    };
  }
  return {
    ...base,
    available: true,
    reason: null,
    predicted12m: { minor: String(t.predicted12m.clv), lowMinor: String(t.predicted12m.low), highMinor: String(t.predicted12m.high) },
    equityMinor: String(t.equity),
    atRiskShare: t.scored > 0 ? t.atRisk / t.scored : null,
    histogram: t.histogram.map((b) => ({ fromMinor: String(b.from), toMinor: String(b.to), customers: b.customers })),
  };
}
