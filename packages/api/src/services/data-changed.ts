import type { Tx } from "@valuelens/db";

/**
 * Called in the same transaction as any write of customers, orders, campaigns or spend (imports,
 * API). Marks the workspace's metrics stale; the recompute queue hooks in here.
 */
export async function onWorkspaceDataChanged(tx: Tx, workspaceId: string): Promise<void> {
  await tx.$executeRaw`UPDATE workspaces SET metrics_stale_at = now() WHERE id = ${workspaceId}::uuid`;
}
