import { hashToken, newToken } from "@valuelens/auth";
import type { Tx } from "@valuelens/db";
import { ROLE_RANK, type TRole } from "@valuelens/validators";
import { apiEnv } from "../env.ts";
import { DomainError } from "./domain-error.ts";
import { sendMail } from "./mailer.ts";

const INVITE_TTL_DAYS = 7;

export async function listMembers(tx: Tx, workspaceId: string) {
  const [members, invitations] = await Promise.all([
    tx.membership.findMany({
      where: { workspaceId },
      select: { role: true, createdAt: true, user: { select: { id: true, email: true, name: true } } },
      orderBy: { createdAt: "asc" },
    }),
    tx.invitation.findMany({
      where: { workspaceId, acceptedAt: null, revokedAt: null, expiresAt: { gt: new Date() } },
      select: { id: true, email: true, role: true, expiresAt: true, createdAt: true },
      orderBy: { createdAt: "desc" },
    }),
  ]);
  return {
    members: members.map((m) => ({ userId: m.user.id, email: m.user.email, name: m.user.name, role: m.role, since: m.createdAt })),
    invitations,
  };
}

/** Only an OWNER may hand out OWNER; nobody can grant more than they have. */
function assertCanGrant(actorRole: TRole, role: TRole): void {
  if (ROLE_RANK[role] > ROLE_RANK[actorRole]) {
    throw new DomainError("FORBIDDEN", `A ${actorRole} cannot grant the ${role} role.`);
  }
}

export async function inviteMember(
  tx: Tx,
  actor: { id: string; role: TRole; name: string | null; email: string },
  workspace: { id: string; name: string },
  input: { email: string; role: TRole },
): Promise<{ invitationId: string; link: string; emailed: boolean }> {
  assertCanGrant(actor.role, input.role);
  const already = await tx.membership.findFirst({
    where: { workspaceId: workspace.id, user: { email: input.email } },
    select: { userId: true },
  });
  if (already) throw new DomainError("CONFLICT", `${input.email} is already a member of this workspace.`);
  // A new invitation to the same address replaces the open one.
  await tx.invitation.updateMany({
    where: { workspaceId: workspace.id, email: input.email, acceptedAt: null, revokedAt: null },
    data: { revokedAt: new Date() },
  });
  const token = newToken();
  const inv = await tx.invitation.create({
    data: {
      workspaceId: workspace.id,
      email: input.email,
      role: input.role,
      tokenHash: hashToken(token),
      invitedById: actor.id,
      expiresAt: new Date(Date.now() + INVITE_TTL_DAYS * 86_400_000),
    },
    select: { id: true },
  });
  const link = `${apiEnv().APP_URL}/invite/${token}`;
  await tx.auditLog.create({
    data: { workspaceId: workspace.id, actorUserId: actor.id, action: "invitation.created", target: input.email, details: { role: input.role } },
    select: { id: true },
  });
  const emailed = await sendMail({
    to: input.email,
    subject: `${actor.name ?? actor.email} invited you to ${workspace.name} on ValueLens`,
    text: `You have been invited to join ${workspace.name} on ValueLens as ${input.role}.\n\nAccept: ${link}\n\nThe link expires in ${INVITE_TTL_DAYS} days.`,
  }).catch(() => false);
  return { invitationId: inv.id, link, emailed };
}

export async function revokeInvitation(tx: Tx, actorId: string, workspaceId: string, invitationId: string): Promise<void> {
  const res = await tx.invitation.updateMany({
    where: { workspaceId, id: invitationId, acceptedAt: null, revokedAt: null },
    data: { revokedAt: new Date() },
  });
  if (res.count === 0) throw new DomainError("NOT_FOUND", "Invitation not found.");
  await tx.auditLog.create({ data: { workspaceId, actorUserId: actorId, action: "invitation.revoked", target: invitationId }, select: { id: true } });
}

async function ownersCount(tx: Tx, workspaceId: string): Promise<number> {
  return tx.membership.count({ where: { workspaceId, role: "OWNER" } });
}

export async function changeMemberRole(
  tx: Tx,
  actor: { id: string; role: TRole },
  workspaceId: string,
  input: { userId: string; role: TRole },
): Promise<void> {
  const target = await tx.membership.findUnique({
    where: { workspaceId_userId: { workspaceId, userId: input.userId } },
    select: { role: true },
  });
  if (!target) throw new DomainError("NOT_FOUND", "Member not found.");
  assertCanGrant(actor.role, input.role);
  assertCanGrant(actor.role, target.role);
  if (target.role === "OWNER" && input.role !== "OWNER" && (await ownersCount(tx, workspaceId)) <= 1) {
    throw new DomainError("PRECONDITION_FAILED", "A workspace needs at least one owner. Make someone else owner first.");
  }
  await tx.membership.update({
    where: { workspaceId_userId: { workspaceId, userId: input.userId } },
    data: { role: input.role },
    select: { role: true },
  });
  await tx.auditLog.create({
    data: { workspaceId, actorUserId: actor.id, action: "member.role_changed", target: input.userId, details: { from: target.role, to: input.role } },
    select: { id: true },
  });
}

export async function removeMember(tx: Tx, actor: { id: string; role: TRole }, workspaceId: string, userId: string): Promise<void> {
  const target = await tx.membership.findUnique({ where: { workspaceId_userId: { workspaceId, userId } }, select: { role: true } });
  if (!target) throw new DomainError("NOT_FOUND", "Member not found.");
  if (userId !== actor.id) assertCanGrant(actor.role, target.role);
  if (target.role === "OWNER" && (await ownersCount(tx, workspaceId)) <= 1) {
    throw new DomainError("PRECONDITION_FAILED", "The last owner cannot leave the workspace.");
  }
  await tx.membership.delete({ where: { workspaceId_userId: { workspaceId, userId } }, select: { role: true } });
  await tx.auditLog.create({ data: { workspaceId, actorUserId: actor.id, action: "member.removed", target: userId }, select: { id: true } });
}
