/**
 * Saved rule segments: list, read, create / update / delete (admins and owners; the procedures check
 * the role, the service re-checks it so jobs and routes cannot skip it), each change audited with the
 * rule before and after, and a snapshot taken when saved so the history chart starts at once.
 */
import { Prisma, type Tx } from "@valuelens/db";
import { roleAtLeast, RULE_VERSION, type TRole, type TSegmentRule } from "@valuelens/validators";
import { DomainError } from "../domain-error.ts";
import { previewRule, storedRule, type RulePreview } from "./query.ts";
import { snapshotRuleSegments } from "./snapshots.ts";

export interface RuleSegmentSummary {
  id: string;
  name: string;
  description: string;
  ownerId: string | null;
  ownerName: string | null;
  ruleVersion: number;
  createdAt: Date;
  updatedAt: Date;
  /** The latest snapshot (after the last recompute or save), null before the first. */
  latest: { takenAt: Date; customers: number; predictedClvSumMinor: string; historicalClvSumMinor: string; pAliveAvg: number | null } | null;
}

export interface RuleSegmentDetail extends RuleSegmentSummary {
  rule: TSegmentRule;
}

async function ownerNames(tx: Tx, workspaceId: string, ids: string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  // Through the membership: a former member's name is not shown (nor read).
  const ms = await tx.membership.findMany({ where: { workspaceId, userId: { in: ids } }, select: { userId: true, user: { select: { name: true, email: true } } } });
  return new Map(ms.map((m) => [m.userId, m.user.name ?? m.user.email]));
}

async function latestSnapshots(tx: Tx, workspaceId: string, segmentIds: string[]) {
  if (segmentIds.length === 0) return new Map<string, RuleSegmentSummary["latest"]>();
  const rows = await tx.$queryRaw<{ segment_id: string; taken_at: Date; customers: number; pred: string; hist: string; pa: number | null }[]>`
    SELECT DISTINCT ON (segment_id) segment_id::text, taken_at, customers, predicted_clv_sum_minor::text AS pred, historical_clv_sum_minor::text AS hist, p_alive_avg AS pa
      FROM rule_segment_snapshots
     WHERE workspace_id = ${workspaceId}::uuid AND segment_id IN (${Prisma.join(segmentIds.map((id) => Prisma.sql`${id}::uuid`))})
     ORDER BY segment_id, taken_at DESC, id DESC`;
  return new Map(rows.map((r) => [r.segment_id, { takenAt: r.taken_at, customers: r.customers, predictedClvSumMinor: r.pred, historicalClvSumMinor: r.hist, pAliveAvg: r.pa }]));
}

const SELECT = { id: true, name: true, description: true, ownerId: true, ruleVersion: true, createdAt: true, updatedAt: true, rule: true } as const;

export async function listRuleSegments(tx: Tx, workspaceId: string): Promise<RuleSegmentSummary[]> {
  const rows = await tx.ruleSegment.findMany({ where: { workspaceId }, select: SELECT, orderBy: { name: "asc" }, take: 500 });
  const [names, latest] = await Promise.all([
    ownerNames(tx, workspaceId, [...new Set(rows.flatMap((r) => (r.ownerId ? [r.ownerId] : [])))]),
    latestSnapshots(tx, workspaceId, rows.map((r) => r.id)),
  ]);
  return rows.map(({ rule: _rule, ...r }) => ({ ...r, ownerName: r.ownerId ? (names.get(r.ownerId) ?? null) : null, latest: latest.get(r.id) ?? null }));
}

export async function loadRuleSegment(tx: Tx, workspaceId: string, segmentId: string) {
  const row = await tx.ruleSegment.findUnique({ where: { workspaceId_id: { workspaceId, id: segmentId } }, select: SELECT });
  if (!row) throw new DomainError("NOT_FOUND", "Segment not found.");
  return row;
}

export async function getRuleSegment(tx: Tx, workspaceId: string, segmentId: string): Promise<RuleSegmentDetail> {
  const row = await loadRuleSegment(tx, workspaceId, segmentId);
  const [names, latest] = await Promise.all([ownerNames(tx, workspaceId, row.ownerId ? [row.ownerId] : []), latestSnapshots(tx, workspaceId, [row.id])]);
  const { rule, ...rest } = row;
  return { ...rest, rule: storedRule(rule, row.name), ownerName: row.ownerId ? (names.get(row.ownerId) ?? null) : null, latest: latest.get(row.id) ?? null };
}

/** The saved segment's members now: count, value and a sample (same as the builder's preview). */
export async function ruleSegmentStats(tx: Tx, workspaceId: string, segmentId: string): Promise<RulePreview> {
  const row = await loadRuleSegment(tx, workspaceId, segmentId);
  return previewRule(tx, workspaceId, storedRule(row.rule, row.name));
}

function assertEditor(role: TRole): void {
  if (!roleAtLeast(role, "ADMIN")) throw new DomainError("FORBIDDEN", `Creating and editing segments needs the ADMIN role or higher; you are ${role}.`);
}

async function assertNameFree(tx: Tx, workspaceId: string, name: string, exceptId?: string): Promise<void> {
  const clash = await tx.$queryRaw<{ name: string }[]>`
    SELECT name FROM rule_segments WHERE workspace_id = ${workspaceId}::uuid AND lower(name) = lower(${name})
       ${exceptId ? Prisma.sql`AND id <> ${exceptId}::uuid` : Prisma.empty} LIMIT 1`;
  if (clash[0]) throw new DomainError("CONFLICT", `A segment named "${clash[0].name}" already exists in this workspace; pick another name.`);
}

/** Snapshot right after a save; a slow rule is cut off (and skipped) rather than failing the save. */
async function snapshotAfterSave(tx: Tx, workspaceId: string, segmentId: string, reason: "created" | "updated"): Promise<void> {
  await tx.$executeRawUnsafe("SET LOCAL statement_timeout = 15000");
  await snapshotRuleSegments(tx, workspaceId, { reason, segmentId });
  await tx.$executeRawUnsafe("SET LOCAL statement_timeout TO DEFAULT");
}

const auditRule = (r: { name: string; description: string; rule: unknown }) => ({ name: r.name, description: r.description, rule: r.rule });

export async function createRuleSegment(
  tx: Tx,
  actor: { id: string; role: TRole },
  workspaceId: string,
  input: { name: string; description: string; rule: TSegmentRule },
): Promise<{ id: string }> {
  assertEditor(actor.role);
  await assertNameFree(tx, workspaceId, input.name);
  const row = await tx.ruleSegment.create({
    data: { workspaceId, name: input.name, description: input.description, ownerId: actor.id, rule: input.rule as unknown as Prisma.InputJsonValue, ruleVersion: RULE_VERSION },
    select: { id: true },
  });
  await tx.auditLog.create({
    data: { workspaceId, actorUserId: actor.id, action: "rule_segment.created", target: row.id, details: { before: null, after: auditRule(input) } as unknown as Prisma.InputJsonValue },
    select: { id: true },
  });
  await snapshotAfterSave(tx, workspaceId, row.id, "created");
  return row;
}

export async function updateRuleSegment(
  tx: Tx,
  actor: { id: string; role: TRole },
  workspaceId: string,
  input: { segmentId: string; name: string; description: string; rule: TSegmentRule },
): Promise<void> {
  assertEditor(actor.role);
  const before = await loadRuleSegment(tx, workspaceId, input.segmentId);
  await assertNameFree(tx, workspaceId, input.name, input.segmentId);
  await tx.ruleSegment.update({
    where: { workspaceId_id: { workspaceId, id: input.segmentId } },
    data: { name: input.name, description: input.description, rule: input.rule as unknown as Prisma.InputJsonValue, ruleVersion: RULE_VERSION },
    select: { id: true },
  });
  await tx.auditLog.create({
    data: {
      workspaceId, actorUserId: actor.id, action: "rule_segment.updated", target: input.segmentId,
      details: { before: auditRule(before), after: auditRule(input) } as unknown as Prisma.InputJsonValue,
    },
    select: { id: true },
  });
  if (JSON.stringify(before.rule) !== JSON.stringify(input.rule)) await snapshotAfterSave(tx, workspaceId, input.segmentId, "updated");
}

export async function deleteRuleSegment(tx: Tx, actor: { id: string; role: TRole }, workspaceId: string, segmentId: string): Promise<void> {
  assertEditor(actor.role);
  const before = await loadRuleSegment(tx, workspaceId, segmentId);
  await tx.ruleSegment.delete({ where: { workspaceId_id: { workspaceId, id: segmentId } }, select: { id: true } });
  await tx.auditLog.create({
    data: { workspaceId, actorUserId: actor.id, action: "rule_segment.deleted", target: segmentId, details: { before: auditRule(before), after: null } as unknown as Prisma.InputJsonValue },
    select: { id: true },
  });
}
