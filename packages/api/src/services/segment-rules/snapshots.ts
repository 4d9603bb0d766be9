/**
 * Rule segment history: the size and value of every saved segment, written at the end of each
 * successful full recompute (in its second transaction, after the scores committed: run-recompute.ts
 * refreshDerived) and when a rule is saved.
 * Each segment is measured inside its own savepoint: one failing or cancelled rule is logged and
 * skipped, never failing the recompute or the save.
 * At a recompute this first rewrites segment_facts (the previews' narrow copy of every rule-able
 * value, facts.ts) from the scores just written, and measures the segments on it.
 */
import type { Tx } from "@valuelens/db";
import { log } from "../../log.ts";
import { DomainError } from "../domain-error.ts";
import { refreshSegmentFacts } from "./facts.ts";
import type { ScorePrints } from "../recompute/derived-keys.ts";
import { ruleAggregates, ruleContext, storedRule } from "./query.ts";

export async function snapshotRuleSegments(
  tx: Tx,
  workspaceId: string,
  opts: { reason: "recompute" | "created" | "updated"; modelRunId?: string; segmentId?: string; prints?: ScorePrints },
): Promise<{ written: number; skipped: number }> {
  const facts =
    opts.reason === "recompute" ? await refreshSegmentFacts(tx, workspaceId, opts.modelRunId ?? null, opts.prints ? { prints: opts.prints } : {}) : false;
  const segments = await tx.ruleSegment.findMany({
    where: { workspaceId, ...(opts.segmentId ? { id: opts.segmentId } : {}) },
    select: { id: true, name: true, rule: true },
  });
  if (segments.length === 0) return { written: 0, skipped: 0 };
  const ctx = await ruleContext(tx, workspaceId);
  const takenAt = new Date();
  let written = 0;
  let skipped = 0;
  for (const seg of segments) {
    await tx.$executeRawUnsafe("SAVEPOINT rule_segment_snapshot");
    try {
      const agg = await ruleAggregates(tx, workspaceId, storedRule(seg.rule, seg.name), ctx, facts ? "facts" : "live");
      await tx.ruleSegmentSnapshot.create({
        data: {
          workspaceId,
          segmentId: seg.id,
          modelRunId: opts.modelRunId ?? null,
          reason: opts.reason,
          takenAt,
          customers: agg.customers,
          predictedClvSumMinor: BigInt(agg.predictedClvSumMinor),
          historicalClvSumMinor: BigInt(agg.historicalClvSumMinor),
          pAliveAvg: agg.pAliveAvg,
        },
        select: { id: true },
      });
      await tx.$executeRawUnsafe("RELEASE SAVEPOINT rule_segment_snapshot");
      written++;
    } catch (e) {
      await tx.$executeRawUnsafe("ROLLBACK TO SAVEPOINT rule_segment_snapshot");
      skipped++;
      log("rule_segment.snapshot_skipped", { workspaceId, segmentId: seg.id, error: e instanceof Error ? e.message : String(e) });
    }
  }
  return { written, skipped };
}

export interface RuleSegmentHistoryPoint {
  takenAt: Date;
  reason: string;
  customers: number;
  predictedClvSumMinor: string;
  historicalClvSumMinor: string;
  pAliveAvg: number | null;
}

/** The latest `limit` snapshots of a segment, oldest first (for the chart). */
export async function ruleSegmentHistory(tx: Tx, workspaceId: string, segmentId: string, limit: number): Promise<RuleSegmentHistoryPoint[]> {
  const exists = await tx.ruleSegment.findUnique({ where: { workspaceId_id: { workspaceId, id: segmentId } }, select: { id: true } });
  if (!exists) throw new DomainError("NOT_FOUND", "Segment not found.");
  const rows = await tx.ruleSegmentSnapshot.findMany({
    where: { workspaceId, segmentId },
    orderBy: [{ takenAt: "desc" }, { id: "desc" }],
    take: limit,
    select: { takenAt: true, reason: true, customers: true, predictedClvSumMinor: true, historicalClvSumMinor: true, pAliveAvg: true },
  });
  return rows.reverse().map((r) => ({ ...r, predictedClvSumMinor: r.predictedClvSumMinor.toString(), historicalClvSumMinor: r.historicalClvSumMinor.toString() }));
}
