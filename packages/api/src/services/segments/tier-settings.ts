import type { TierRule } from "@valuelens/clv-core";
import { Prisma, type Tx } from "@valuelens/db";
import { DEFAULT_TIER_SETTINGS, parseTierSettings, type TTierSettings } from "@valuelens/validators";
import { DomainError } from "../domain-error.ts";
import { requestRecompute } from "../predictions/model-card.ts";

/** Stored settings → the clv-core rule the recompute applies (amounts in minor units). */
export function tierRuleOf(s: TTierSettings): TierRule {
  return s.by === "amount" ? { by: "amount", high: Number(s.highMinor), medium: Number(s.mediumMinor) } : { by: "percentile", high: s.high, medium: s.medium };
}

export async function readTierSettings(tx: Tx, workspaceId: string): Promise<TTierSettings> {
  const ws = await tx.workspace.findUnique({ where: { id: workspaceId }, select: { tierSettings: true } });
  if (!ws) throw new DomainError("NOT_FOUND", "Workspace not found.");
  return parseTierSettings(ws.tierSettings);
}

/** The value-tier rule of a workspace, read by the recompute inside its transaction. */
export async function readTierRule(tx: Tx, workspaceId: string): Promise<TierRule> {
  return tierRuleOf(await readTierSettings(tx, workspaceId));
}

export function sameTierSettings(a: TTierSettings, b: TTierSettings): boolean {
  if (a.by === "amount" && b.by === "amount") return BigInt(a.highMinor) === BigInt(b.highMinor) && BigInt(a.mediumMinor) === BigInt(b.mediumMinor);
  if (a.by === "percentile" && b.by === "percentile") return a.high === b.high && a.medium === b.medium;
  return false;
}

/**
 * Sets (or, with null, resets) the workspace's value-tier thresholds, writes the audit log and
 * queues a recompute so the stored tiers follow (the role floor, ADMIN, is the procedure's). An
 * unchanged setting is a no-op: no audit entry, no recompute.
 */
export async function updateTierSettings(
  tx: Tx,
  workspaceId: string,
  settings: TTierSettings | null,
  actorUserId: string,
): Promise<{ settings: TTierSettings; changed: boolean; runId: string | null }> {
  // Serialise concurrent edits on the workspace row (read-modify-write of the audit "before").
  await tx.$executeRaw`SELECT 1 FROM workspaces WHERE id = ${workspaceId}::uuid FOR UPDATE`;
  const before = await readTierSettings(tx, workspaceId);
  const after = settings ?? DEFAULT_TIER_SETTINGS;
  if (sameTierSettings(before, after)) return { settings: before, changed: false, runId: null };
  await tx.workspace.update({
    where: { id: workspaceId },
    data: { tierSettings: settings === null ? Prisma.DbNull : (settings as unknown as Prisma.InputJsonValue) },
    select: { id: true },
  });
  await tx.auditLog.create({
    data: { workspaceId, actorUserId, action: "segments.update_tier_settings", target: "value_tiers", details: { before, after } as unknown as Prisma.InputJsonValue },
  });
  const run = await requestRecompute(tx, workspaceId, "tier-settings");
  return { settings: after, changed: true, runId: run.runId };
}
