import { ClvAbortedError, fitGammaGamma, rfmScores, scoreCustomers, valueTiers, type GammaGammaModel, type PurchaseModel } from "@valuelens/clv-core";
import { detachedFromTenant, Prisma, withWorkspace, type PrismaClient, type Tx } from "@valuelens/db";
import { log, logError } from "../../log.ts";
import { CLV_OPTIONS, predictedFields } from "./churn-risk.ts";
import { claimRun, failRun, ledgerExec, setProgress } from "./ledger.ts";
import { readSummaries, type CalibrationColumns, type SummaryColumns } from "./summaries.ts";
import { boundaryNote, compareModels, FIT_BUDGET_MS, readHoldoutCalibration, fitPurchase, isPurchaseModel, MIN_REPEAT_BUYERS, PURCHASE_MODELS, type ComparisonRow, type HoldoutResult, type PurchaseModelName } from "./compare-models.ts";
import { replaceScores, type ScoreRow } from "./write-scores.ts";
import { planIncremental, refreshIncrementally } from "./refresh-incremental.ts";
import { scoringState } from "./incremental.ts";
import { readScorePrints } from "./derived-keys.ts";
import { PartQueue, type PartRecord } from "./derived-lanes.ts";
import { snapshotRuleSegments } from "../segment-rules/snapshots.ts"; // rule segments (issue 5)
import { refreshCampaignStats } from "../campaigns/refresh-campaign-stats.ts"; // campaign roi (issue 6)
import { refreshRetentionRollups } from "../retention-rollups.ts"; // retention (issue 7)
import { readTierRule, readTierSettings, tierRuleOf, writeSegmentSnapshotRows } from "../segments/index.ts";

export { compareModels, COMPARISON_SAMPLE_MAX, FIT_BUDGET_MS, fitPurchase, isPurchaseModel, MIN_REPEAT_BUYERS, PURCHASE_MODELS, type HoldoutResult, type PurchaseModelName } from "./compare-models.ts";

/** Per-statement limit inside a recompute (see recomputeWorkspace). */
const RECOMPUTE_STATEMENT_TIMEOUT = "600s";

/** Share of the history window held out for validation. */
export const HOLDOUT_SHARE = 0.25;
const HISTOGRAM_BINS = 20;

/** Gamma-Gamma on repeat buyers with a positive mean spend (net refunds can make it ≤ 0). */
export function fitSpend(s: Pick<SummaryColumns, "frequency" | "monetaryValue">): GammaGammaModel {
  const f = Float64Array.from(s.frequency, (x, i) => (s.monetaryValue[i]! > 0 ? x : 0));
  return fitGammaGamma({ frequency: f, monetaryValue: s.monetaryValue });
}

export interface RecomputeOptions {
  triggeredBy?: string;
  /** Skip the Pareto/NBD + MBG/NBD comparison (faster; tests). */
  compare?: boolean;
  /**
   * "fast" (refresh after data writes): reuse the holdout check and model comparison of the latest
   * full run of the same model if it is under 24 h old, and warm-start the fit from its parameters.
   * "full" (default: nightly, manual, first run): everything.
   * "incremental" (after data writes): rescore only the customers whose summary changed since the
   * last run, with its models (refresh-incremental.ts); falls back to "fast" when that is not sound.
   */
  mode?: "full" | "fast" | "incremental";
  timeoutMs?: number;
  /** Override the fit time budgets (tests; see FIT_BUDGET_MS). */
  fitBudgetMs?: { primary: number; comparison: number };
  /** Override HOLDOUT_SAMPLE_MAX (tests). */
  holdoutSampleMax?: number;
  /** Override COMPARISON_SAMPLE_MAX (tests). */
  comparisonSampleMax?: number;
  /**
   * false: return right after the scoring transaction commits, without the derived summaries of a full
   * run (benchmarks timing the scoring transaction alone; the next full run refreshes them). Default true.
   */
  derived?: boolean;
}

export type RecomputeOutcome =
  | { status: "locked" }
  | { status: "succeeded"; runId: string; predictions: boolean; customers: number; durationMs: number }
  | { status: "failed"; runId: string; error: string };

/**
 * Recompute one workspace: read summaries → fit → holdout → compare → score → write scores and the
 * segment snapshots, all inside one tenant transaction holding pg_try_advisory_xact_lock(hashtext(workspace)),
 * so a concurrent run (a retried or duplicated job, another worker) exits at once as a no-op and scores
 * are replaced atomically. Then, for a full run, the derived summaries in a second transaction
 * (refreshDerived) before returning. Progress goes to the ModelRun row through separate short
 * transactions (ledger.ts).
 */
export async function recomputeWorkspace(prisma: PrismaClient, workspaceId: string, opts: RecomputeOptions = {}): Promise<RecomputeOutcome> {
  const started = Date.now();
  let runId: string | null = null;
  // The calibration read started beside the fit (startCalibrationRead): the run does not return while it
  // still holds a connection, also when the scoring transaction failed or the check was not needed after all.
  let sideRead: Promise<unknown> | null = null;
  try {
    const out = await withWorkspace(
      prisma,
      workspaceId,
      async (tx) => {
        const [lock] = await tx.$queryRaw<{ ok: boolean }[]>`SELECT pg_try_advisory_xact_lock(hashtext(${workspaceId})) AS ok`;
        if (!lock?.ok) {
          log("recompute.locked", { workspaceId });
          return { status: "locked" } as const;
        }
        // A background job, not a request: the app role's 30 s per-statement guard (for pages) would
        // cancel a 1M-customer summary read on a loaded machine. The run's own timeout still bounds it.
        const longStatements = () => tx.$executeRawUnsafe(`SET LOCAL statement_timeout = '${RECOMPUTE_STATEMENT_TIMEOUT}'`);
        await longStatements();
        const ws = await tx.workspace.findUnique({ where: { id: workspaceId }, select: { purchaseModel: true } });
        if (!ws) throw new Error("workspace not found");
        const kind: PurchaseModelName = isPurchaseModel(ws.purchaseModel) ? ws.purchaseModel : "bgnbd";
        const runStart = new Date();
        // The stale mark as this run finds it, read before any data: only this mark may be cleared after
        // the run (a write that commits later leaves a different one: another refresh follows).
        const [mark] = await tx.$queryRaw<{ at: Date | null }[]>`SELECT metrics_stale_at AS at FROM workspaces WHERE id = ${workspaceId}::uuid`;
        const staleSeen = mark?.at ?? null;
        const plan = opts.mode === "incremental" ? await planIncremental(tx, workspaceId, kind) : null;
        const id = await claimRun(prisma, workspaceId, kind, opts.triggeredBy ?? "manual");
        runId = id;
        // Phase timings (ms) for the log and benchmarks: each step's time runs until the next step starts.
        const phases: Record<string, number> = {};
        let phase = "start";
        let phaseAt = Date.now();
        const progress = (step: string, pct: number) => {
          const now = Date.now();
          phases[phase] = (phases[phase] ?? 0) + now - phaseAt;
          phase = step.replace(/ \(.*\)$/, "");
          phaseAt = now;
          return setProgress(prisma, workspaceId, id, step, pct);
        };

        if (plan) {
          const r = await refreshIncrementally(tx, workspaceId, id, plan, runStart, progress);
          const durationMs = Date.now() - started;
          await tx.modelRun.update({
            where: { workspaceId_id: { workspaceId, id } },
            data: { ...r.update, status: "succeeded", step: "done", progress: 100, finishedAt: new Date(), durationMs },
          });
          phases[phase] = (phases[phase] ?? 0) + Date.now() - phaseAt;
          log("recompute.done", { workspaceId, runId: id, mode: "incremental", customers: r.rescored, predictions: true, durationMs, phases });
          return { status: "succeeded", runId: id, predictions: true, customers: r.rescored, durationMs, runStart, staleSeen, derived: false, check: null } as const;
        }

        await progress("reading summaries", 5);
        // Exported with the read: the holdout check's calibration read imports it (see startCalibrationRead).
        const s = await readSummaries(tx, workspaceId, undefined, { exportSnapshot: true });
        const n = s.ids.length;
        const rfm = n > 0 ? rfmScores({ recency: s.daysSinceLast, frequency: s.frequency, monetary: s.revenue }) : null;

        let reason: string | null = null;
        if (n === 0) reason = "No customer has an order yet. Import orders to see predictions.";
        else if (s.repeatBuyers < MIN_REPEAT_BUYERS)
          reason = `Only ${s.repeatBuyers} customers have bought on more than one day; the models need at least ${MIN_REPEAT_BUYERS} repeat buyers. Historical values and RFM segments are shown meanwhile.`;

        const update: Prisma.ModelRunUpdateInput = {
          customers: n,
          repeatBuyers: s.repeatBuyers,
          orders: s.orders,
          dataCutoff: s.cutoff,
          reason,
        };
        let rows: ScoreRow[];
        // The holdout check and model comparison, run by refreshDerived in its own transaction.
        let check: DeferredCheck | null = null;

        if (reason === null) {
          const prev =
            opts.mode === "fast" || opts.mode === "incremental"
              ? await tx.modelRun.findFirst({
                  where: { workspaceId, status: "succeeded", modelKind: kind, params: { not: Prisma.AnyNull }, finishedAt: { gte: new Date(Date.now() - 86_400_000) } },
                  orderBy: { finishedAt: "desc" },
                  select: { id: true, params: true, holdout: true, comparison: true },
                })
              : null;
          const reuse = prev && checkDone(prev.holdout) && prev.comparison ? prev : null;

          const budgets = opts.fitBudgetMs ?? FIT_BUDGET_MS;
          const holdoutDays = Math.max(1, Math.round((s.cutoffDay - s.firstDay) * HOLDOUT_SHARE));
          // The holdout check's calibration read (one scan of the workspace's orders: 5.7–7.6 s at 1M) starts
          // now on its own connection, in the snapshot the summaries were read in, so PostgreSQL reads while
          // this process fits and scores on its one core; its result waits for the derived phase.
          const side = reuse ? null : startCalibrationRead(prisma, workspaceId, s, holdoutDays, opts);
          const calibration = side?.result ?? null;
          sideRead = calibration;
          // The fit holds this process's thread: the read's transaction must have sent its statement before it starts.
          await side?.sent;

          await progress("fitting " + kind, 20);
          let model: PurchaseModel;
          try {
            model = fitPurchase(kind, s, (prev?.params ?? undefined) as Record<string, number> | undefined, budgets.primary);
          } catch (e) {
            if (e instanceof ClvAbortedError)
              throw new Error(`The ${kind} model did not finish fitting within ${Math.round(budgets.primary / 1000)} s on this data; choose BG/NBD on the Model page.`);
            throw e;
          }
          const spend = fitSpend(s);

          if (!reuse) {
            // Holdout: calibrate on all but the last HOLDOUT_SHARE of the history window, and the model
            // comparison — after the scores commit, in the derived transaction (refreshDerived): the
            // scores do not need them, and at 1M customers they took a quarter of the scoring transaction.
            const checkOpts = {
              kinds: opts.compare === false ? [kind] : PURCHASE_MODELS,
              budgets,
              ...(opts.holdoutSampleMax !== undefined ? { holdoutSampleMax: opts.holdoutSampleMax } : {}),
              ...(opts.comparisonSampleMax !== undefined ? { comparisonSampleMax: opts.comparisonSampleMax } : {}),
            };
            check = {
              run: async (t) => {
                // Read beside the fit when the snapshot could be exported; otherwise here, in the derived snapshot.
                const cal = calibration ? await calibration : null;
                if (cal && !cal.ok) throw cal.error;
                return compareModels(t, workspaceId, s, kind, model, holdoutDays, { ...checkOpts, ...(cal ? { calibration: cal.value } : {}) });
              },
              key: JSON.stringify({ kind, holdoutDays, ...checkOpts }),
            };
          }

          await progress("scoring customers", 45);
          const sc = scoreCustomers({ purchaseModel: model, spendModel: spend, ...s }, CLV_OPTIONS);
          const clv = sc.clv!;
          const tierSettings = await readTierSettings(tx, workspaceId);
          const tiers = valueTiers(clv, tierRuleOf(tierSettings));
          rows = s.ids.map((cid, i) => ({
            customerId: cid,
            ...predictedFields(sc, i),
            r: rfm!.r[i]!,
            f: rfm!.f[i]!,
            m: rfm!.m[i]!,
            segment: rfm!.segment[i]!,
            tier: tiers[i]!,
            historical: s.revenue[i]!,
            lastAt: s.lastAt[i]!,
          }));
          let atRisk = 0;
          for (const r of rows) if (r.churnRisk === "high") atRisk++;
          const historical = s.revenue.reduce((a, b) => a + b, 0);
          Object.assign(update, {
            params: model.params as unknown as Prisma.InputJsonValue,
            standardErrors: model.standardErrors as unknown as Prisma.InputJsonValue,
            spendParams: { params: spend.params, standardErrors: spend.standardErrors } as unknown as Prisma.InputJsonValue,
            logLikelihood: model.logLikelihood,
            converged: model.converged,
            holdout: (reuse ? { ...(reuse.holdout as object), reusedFromRun: reuse.id } : HOLDOUT_PENDING) as unknown as Prisma.InputJsonValue,
            comparison: (reuse ? reuse.comparison : []) as unknown as Prisma.InputJsonValue,
            totals: {
              // Why the fit reports converged = false when it stopped at a limit of its parameters (shown on the model card).
              fitNote: boundaryNote(model),
              predicted12m: { clv: Math.round(sc.total!.clv), low: Math.round(sc.total!.low), high: Math.round(sc.total!.high) },
              historical: Math.round(historical),
              equity: Math.round(historical + sc.total!.clv),
              atRisk,
              scored: n,
              histogram: histogram(clv),
              // What an incremental refresh needs to score changed customers like this run (incremental.ts).
              scoring: scoringState(id, runStart, model, spend, s, clv, tierSettings),
            } as unknown as Prisma.InputJsonValue,
          });
        } else {
          // Small-data mode: historical values and RFM only; tiers by historical value.
          const tiers = n > 0 ? valueTiers(s.revenue, await readTierRule(tx, workspaceId)) : [];
          rows = s.ids.map((cid, i) => ({
            customerId: cid,
            pAlive: null,
            e30: null,
            e90: null,
            e365: null,
            clv: null,
            clvLow: null,
            clvHigh: null,
            churnRisk: null,
            r: rfm!.r[i]!,
            f: rfm!.f[i]!,
            m: rfm!.m[i]!,
            segment: rfm!.segment[i]!,
            tier: tiers[i]!,
            historical: s.revenue[i]!,
            lastAt: s.lastAt[i]!,
          }));
        }

        // The Segments page reads only these snapshots, so they commit with the scores. Summed from the rows
        // before they are written: no scan of the new scores, and no time spent while the swapped-in score
        // partition is locked (a scan after the write took 3.7 s at 1M customers).
        await progress("segment snapshots", 60);
        await writeSegmentSnapshotRows(tx, workspaceId, id, rows);
        await progress("writing scores", 65);
        const writePhases: Record<string, number> = {};
        const written = await replaceScores(tx, workspaceId, id, rows, runStart, { phases: writePhases });
        const durationMs = Date.now() - started;
        await tx.modelRun.update({
          where: { workspaceId_id: { workspaceId, id } },
          data: { ...update, status: "succeeded", step: "done", progress: 100, finishedAt: new Date(), durationMs },
        });
        phases[phase] = (phases[phase] ?? 0) + Date.now() - phaseAt;
        log("recompute.done", { workspaceId, runId: id, customers: n, predictions: reason === null, durationMs, phases, scoresWritten: written, writePhases });
        return { status: "succeeded", runId: id, predictions: reason === null, customers: n, durationMs, runStart, staleSeen, derived: true, check } as const;
      },
      { timeoutMs: opts.timeoutMs ?? 30 * 60_000 },
    );
    if (out.status === "succeeded") {
      // After commit, in its own short transaction: clearing the flag inside the scoring transaction
      // took the workspace row while the score inserts held key-share locks on customers, and an
      // import batch (workspace row, then customers FOR UPDATE) could deadlock with it. Only the mark
      // the run saw before reading is cleared: a write committed after that read — even one whose
      // transaction (and so its now() mark) began before the run, like an import's final flush — leaves
      // a different mark, so the workspace stays stale and another refresh follows.
      if (out.staleSeen)
        await ledgerExec(prisma, workspaceId, (p) => p.$executeRaw`UPDATE workspaces SET metrics_stale_at = NULL WHERE id = ${workspaceId}::uuid AND metrics_stale_at = ${out.staleSeen}`);
      const { runStart: _runStart, staleSeen: _staleSeen, derived, check, ...rest } = out;
      if (derived && opts.derived !== false) await refreshDerived(prisma, workspaceId, rest.runId, opts.timeoutMs ?? 30 * 60_000, check);
      return rest;
    }
    return out;
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    logError("recompute.failed", { workspaceId, runId, error: e });
    if (runId) {
      await failRun(prisma, workspaceId, runId, msg, Date.now() - started).catch(() => undefined);
      return { status: "failed", runId, error: msg };
    }
    throw e;
  } finally {
    await sideRead; // settles, never rejects
  }
}

/**
 * What a full run computes after its scores committed, in a second transaction: the holdout check and
 * model comparison, campaign rollups, retention rollups, the rule-segment facts copy and history.
 * Predictions are visible as soon as they are written; at 1M customers these steps took ≈ 3 of the
 * run's 6 minutes. Until they land, each page keeps what it did before: the Campaigns page the
 * previous rollups with their time, rule previews the previous facts copy "as of" its time, the
 * Retention page its order-only rollups (score-dependent rows live: rollupsFor), the Model page
 * "being computed".
 * REPEATABLE READ: every statement reads one snapshot (the committed scores and the data as they were
 * then), as the single scoring transaction used to; a second connection imports the same snapshot, and the
 * parts (campaign rollups, retention rollups, rule segments, the holdout check) run on whichever of the two is
 * free (derived-lanes.ts); each connection commits what it ran, the first (holding the lock) after the second.
 * The workspace's advisory lock is taken again; if
 * another job holds it (an incremental refresh, a newer run), this waits for it and tries again; when a
 * newer full run has succeeded meanwhile, this is skipped — that run refreshes them. Each step runs in its own savepoint and logs its own failure; nothing here fails the run.
 */
export async function refreshDerived(
  prisma: PrismaClient,
  workspaceId: string,
  runId: string,
  timeoutMs: number,
  check: DeferredCheck | null = null,
): Promise<"done" | "locked" | "superseded" | "failed"> {
  const started = Date.now();
  const phases: Record<string, number> = {};
  /** Each part's connection and duration (derived-lanes.ts). */
  const parts: Record<string, PartRecord> = {};
  const timed = async <T>(name: string, step: () => Promise<T>): Promise<T> => {
    const t = Date.now();
    try {
      return await step();
    } finally {
      phases[name] = Date.now() - t;
    }
  };
  try {
    let done: "done" | "locked" | "superseded" = "locked";
    for (let attempt = 0; attempt < DERIVED_LOCK_ATTEMPTS && done === "locked"; attempt++) {
      // Another job of the workspace holds the lock (an incremental refresh after new data, or a newer
      // full run): wait until it is free in a short READ COMMITTED transaction, then try again — the
      // REPEATABLE READ snapshot must be taken after that job committed, so the wait cannot be in it.
      if (attempt > 0)
        await withWorkspace(prisma, workspaceId, async (tx) => {
          await tx.$executeRawUnsafe(`SET LOCAL statement_timeout = '${RECOMPUTE_STATEMENT_TIMEOUT}'`);
          await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${workspaceId}))`;
        }, { timeoutMs });
      done = await derivedTransaction();
    }
    log("recompute.derived_" + done, { workspaceId, runId, durationMs: Date.now() - started, phases, parts });
    return done;
  } catch (e) {
    logError("recompute.derived_failed", { workspaceId, runId, durationMs: Date.now() - started, phases, parts, error: e });
    return "failed";
  }

  function derivedTransaction() {
    return withWorkspace(
      prisma,
      workspaceId,
      async (tx) => {
        const [lock] = await tx.$queryRaw<{ ok: boolean }[]>`SELECT pg_try_advisory_xact_lock(hashtext(${workspaceId})) AS ok`;
        if (!lock?.ok) return "locked" as const;
        // Superseded only by a newer full run (it writes its own); an incremental refresh writes none.
        const [latest] = await tx.$queryRaw<{ id: string; triggered_by: string }[]>`
          SELECT id::text, triggered_by FROM model_runs WHERE workspace_id = ${workspaceId}::uuid AND status = 'succeeded'
             AND NOT coalesce(totals ? 'incremental', false)
           ORDER BY finished_at DESC NULLS LAST, started_at DESC LIMIT 1`;
        if (latest?.id !== runId) return "superseded" as const;
        const limit = (t: Tx) => t.$executeRawUnsafe(`SET LOCAL statement_timeout = '${RECOMPUTE_STATEMENT_TIMEOUT}'`);
        await limit(tx);
        // The second connection imports this transaction's snapshot: the same data, the other core. It commits
        // on its own; this transaction stays open (holding the lock) until it has finished.
        const [snap] = await tx.$queryRaw<{ id: string }[]>`SELECT pg_export_snapshot() AS id`;
        // Fingerprints of the scores the parts read, once for all (same snapshot on both connections): a part
        // whose data and score values did not change since it was built is kept (derived-keys.ts). Read on
        // this connection while the second one starts the campaign rollups, which need them only to tell
        // "predicted" from "kept" (no write since they were built) and for their key at the end.
        const prints = timed("score prints", () => readScorePrints(tx, workspaceId));
        // Longest expected first (1M, after a write: retention 21.5–22.5 s, campaigns 7.5, facts copy and rule
        // history 7.1, holdout check 5.6, BENCHMARKS.md), each part on whichever connection is free
        // (derived-lanes.ts). The holdout check (model fits, Node CPU) last: while it holds this process's thread
        // the other connection's statement keeps PostgreSQL busy (the fits yield between models,
        // compare-models.ts, so that connection sends its next statement in between). Each part sets its
        // statement limit, and each of the three rollups resets it to the role's default after.
        const queue = new PartQueue<Tx>([
          { name: "campaign rollups", run: async (t) => (await limit(t), refreshCampaignStats(t, workspaceId, runId, { prints })) }, // campaign roi (issue 6)
          // The nightly run rebuilds them from scratch where a delta would do (retention-rollups.ts, `rebase`).
          { name: "retention rollups", run: async (t) => (await limit(t), refreshRetentionRollups(t, workspaceId, runId, { prints: await prints, rebase: latest.triggered_by === "nightly" })) }, // retention (issue 7)
          // rule segments (issue 5): the facts copy, then each saved segment's history point measured on it.
          { name: "rule segments", run: async (t) => (await limit(t), snapshotRuleSegments(t, workspaceId, { reason: "recompute", modelRunId: runId, prints: await prints })) },
          ...(check ? [{ name: "holdout and comparison", run: async (t: Tx) => (await limit(t), writeCheck(t, workspaceId, runId, check)) }] : []),
        ], (part, r) => log("recompute.derived_part", { workspaceId, runId, part, ...r }));
        const second = detachedFromTenant(() =>
          withWorkspace(prisma, workspaceId, (tx2) => queue.drain(tx2, "second"), { timeoutMs, isolationLevel: "RepeatableRead", snapshot: snap!.id }),
        ).catch((e: unknown) => {
          // What it had done is rolled back (each part's rows and key: the next full run rebuilds them); what it
          // had not started is left in the queue for this connection.
          const lost = Object.entries(queue.record).filter(([, r]) => r.lane === "second").map(([name]) => name);
          logError("recompute.derived_second_failed", { workspaceId, runId, lost, error: e });
        });
        try {
          await prints;
          await queue.drain(tx, "first");
        } catch (e) {
          queue.stop();
          throw e;
        } finally {
          await second;
          Object.assign(parts, queue.record);
        }
        return "done" as const;
      },
      { timeoutMs, isolationLevel: "RepeatableRead" },
    );
  }
}

/** A result held for later, or why it could not be had (never a rejected promise left unobserved). */
type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/**
 * The holdout check's calibration read, started beside the scoring transaction: a REPEATABLE READ
 * transaction on another connection that imports the snapshot `s` was read in (readSummaries'
 * `exportSnapshot`; the scoring transaction, which exported it, is still open), so the calibration
 * orders are exactly the data of the summaries. null when there is no snapshot to import (then the
 * check reads them in the derived phase, as before). A failure is held as the result: the check then
 * stores "unavailable" with its reason and the scores stand.
 */
export function startCalibrationRead(
  prisma: PrismaClient,
  workspaceId: string,
  s: SummaryColumns,
  holdoutDays: number,
  opts: Pick<RecomputeOptions, "holdoutSampleMax" | "timeoutMs"> = {},
): { result: Promise<Settled<CalibrationColumns>>; sent: Promise<void> } | null {
  const snapshot = s.snapshot;
  if (!snapshot) return null;
  const started = Date.now();
  let markSent!: () => void;
  const sent = new Promise<void>((resolve) => (markSent = resolve));
  const result = detachedFromTenant(() =>
    withWorkspace(
      prisma,
      workspaceId,
      async (tx) => {
        await tx.$executeRawUnsafe(`SET LOCAL statement_timeout = '${RECOMPUTE_STATEMENT_TIMEOUT}'`);
        // Its two hash aggregates (per customer and day, then per customer) spilled ≈ 115 MB to disk at 1M with the default 4 MB.
        await tx.$executeRawUnsafe(`SET LOCAL work_mem = '${CALIBRATION_WORK_MEM}'`);
        const reading = readHoldoutCalibration(tx, workspaceId, s, holdoutDays, opts.holdoutSampleMax !== undefined ? { holdoutSampleMax: opts.holdoutSampleMax } : {});
        // The statement goes out within the driver's next turns of the event loop.
        setImmediate(markSent);
        return reading;
      },
      { isolationLevel: "RepeatableRead", snapshot, timeoutMs: opts.timeoutMs ?? 30 * 60_000 },
    ),
  ).finally(markSent).then(
    (value): Settled<CalibrationColumns> => {
      log("recompute.calibration_read", { workspaceId, customers: value.frequency.length, durationMs: Date.now() - started });
      return { ok: true, value };
    },
    (error: unknown): Settled<CalibrationColumns> => {
      logError("recompute.calibration_read_failed", { workspaceId, durationMs: Date.now() - started, error });
      return { ok: false, error };
    },
  );
  return { result, sent };
}

/** work_mem of the calibration read beside the fit (see startCalibrationRead). */
const CALIBRATION_WORK_MEM = "64MB";

/** How often refreshDerived waits for another job of the workspace before it gives up ("locked"). */
const DERIVED_LOCK_ATTEMPTS = 4;

/** What a full run stores as its holdout check until refreshDerived has computed it. */
const HOLDOUT_PENDING = { pending: "The holdout check and the model comparison run right after the scores are written." } as const;

/** A holdout check that is done (computed, reused or unavailable), not one still pending. */
function checkDone(holdout: unknown): boolean {
  return typeof holdout === "object" && holdout !== null && !("pending" in holdout);
}

/** The holdout check + model comparison of a full run, deferred to its derived transaction. */
interface DeferredCheck {
  /** Takes the calibration data read beside the scoring transaction (or reads it in `tx`), then fits. */
  run: (tx: Tx) => Promise<{ holdout: HoldoutResult | null; comparison: ComparisonRow[] }>;
  /** What the result depends on besides the data: model, holdout length, compared models, samples, budgets. */
  key: string;
}

/**
 * Computes the deferred holdout check and comparison and stores them on the run. A failure is stored
 * as the check's reason (the scores stand; the Model page says the check is unavailable and why).
 */
async function writeCheck(tx: Tx, workspaceId: string, runId: string, check: DeferredCheck): Promise<void> {
  let holdout: object;
  let comparison: ComparisonRow[] = [];
  // The same check over the same data gives the same result (seeded samples, deterministic fits): a full run
  // over data no write has touched since an earlier run's check takes that check (at 1M customers ≈ 21 s).
  // The data key only when no write is pending in this snapshot: the run's summaries (read in its scoring
  // transaction) and this snapshot's calibration orders then come from the same data — a write after the
  // run read them leaves the stale mark set (the run clears only the mark it saw).
  const [cur] = await tx.$queryRaw<{ data_key: string | null }[]>`
    SELECT CASE WHEN w.metrics_stale_at IS NULL
                THEN w.data_version::text || '/' || coalesce((SELECT st.updated_at::text FROM workspace_stats st WHERE st.workspace_id = w.id), '') END AS data_key
      FROM workspaces w WHERE w.id = ${workspaceId}::uuid`;
  const checkKey = cur?.data_key ? `${check.key}@${cur.data_key}` : null;
  if (checkKey) {
    const [same] = await tx.$queryRaw<{ id: string; holdout: Record<string, unknown>; comparison: ComparisonRow[] }[]>`
      SELECT id::text, holdout, comparison FROM model_runs
       WHERE workspace_id = ${workspaceId}::uuid AND status = 'succeeded' AND id <> ${runId}::uuid
         AND holdout ->> 'checkKey' = ${checkKey} AND NOT holdout ? 'reusedFromRun'
       ORDER BY finished_at DESC NULLS LAST LIMIT 1`;
    if (same) {
      await tx.modelRun.update({
        where: { workspaceId_id: { workspaceId, id: runId } },
        data: { holdout: { ...same.holdout, sameDataAs: same.holdout.sameDataAs ?? same.id } as Prisma.InputJsonValue, comparison: same.comparison as unknown as Prisma.InputJsonValue },
        select: { id: true },
      });
      log("recompute.check_same_data", { workspaceId, runId, from: same.id });
      return;
    }
  }
  await tx.$executeRawUnsafe("SAVEPOINT vl_holdout_check");
  try {
    const r = await check.run(tx);
    holdout = r.holdout ?? { unavailable: `Fewer than ${MIN_REPEAT_BUYERS} repeat buyers before the holdout period.` };
    // Only a computed result is offered to later runs (a failure below is not).
    if (checkKey) holdout = { ...holdout, checkKey };
    comparison = r.comparison;
    await tx.$executeRawUnsafe("RELEASE SAVEPOINT vl_holdout_check");
  } catch (e) {
    await tx.$executeRawUnsafe("ROLLBACK TO SAVEPOINT vl_holdout_check");
    logError("recompute.holdout_failed", { workspaceId, runId, error: e });
    holdout = { unavailable: `The holdout check failed: ${(e instanceof Error ? e.message : String(e)).slice(0, 300)}` };
  }
  await tx.modelRun.update({
    where: { workspaceId_id: { workspaceId, id: runId } },
    data: { holdout: holdout as Prisma.InputJsonValue, comparison: comparison as unknown as Prisma.InputJsonValue },
    select: { id: true },
  });
}

/** Equal-width histogram of predicted CLV (minor units), stored on the run for the Overview. */
function histogram(values: ArrayLike<number>): { from: number; to: number; customers: number }[] {
  const sorted = Float64Array.from(values).sort();
  if (sorted.length === 0) return [];
  // Clip the long tail at the 99th percentile so the bins stay readable; the last bin is open-ended.
  const lo = Math.max(0, sorted[0]!);
  const hi = sorted[Math.floor(0.99 * (sorted.length - 1))]!;
  const width = Math.max(1, (hi - lo) / HISTOGRAM_BINS);
  const bins = Array.from({ length: HISTOGRAM_BINS }, (_, i) => ({ from: Math.round(lo + i * width), to: Math.round(lo + (i + 1) * width), customers: 0 }));
  for (const v of sorted) {
    const b = Math.min(HISTOGRAM_BINS - 1, Math.max(0, Math.floor((v - lo) / width)));
    bins[b]!.customers++;
  }
  return bins;
}
