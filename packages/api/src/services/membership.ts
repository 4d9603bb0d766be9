import type { Tx } from "@valuelens/db";
import { roleAtLeast, type TRole } from "@valuelens/validators";
import { DomainError } from "./domain-error.ts";

/**
 * For the few HTTP routes that are not tRPC procedures (uploads, downloads): the caller's role in the
 * workspace, read inside its tenant transaction. Non-members get NOT_FOUND, like procedures.
 */
export async function requireRole(tx: Tx, workspaceId: string, userId: string, min: TRole): Promise<TRole> {
  const m = await tx.membership.findUnique({ where: { workspaceId_userId: { workspaceId, userId } }, select: { role: true } });
  if (!m) throw new DomainError("NOT_FOUND", "Workspace not found.");
  if (!roleAtLeast(m.role, min)) throw new DomainError("FORBIDDEN", `This needs the ${min} role or higher; you are ${m.role}.`);
  return m.role;
}
