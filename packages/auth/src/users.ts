import { getDb, setWorkspaceInTx, slugify, withTenant, type Tx } from "@valuelens/db";
import type { TRole, TSignUp } from "@valuelens/validators";
import { AuthError } from "./errors.ts";
import { dummyHash, hashPassword, verifyPassword } from "./password.ts";
import { clearAttempts, countRecent, recordAttempt, SIGN_IN_LIMITS, SIGN_UP_LIMITS } from "./rate-limit.ts";
import { hashToken } from "./tokens.ts";

export interface SessionUser {
  id: string;
  email: string;
  name: string | null;
  sessionVersion: number;
}

export type AuthenticateResult =
  | { ok: true; user: SessionUser }
  | { ok: false; reason: "invalid" | "rate_limited" };

/**
 * Checks an email/password pair. The rate limiter runs before any hashing, so a flood of guesses
 * costs a count query, not 37 ms of Argon2 each (T-DOS-1). Unknown emails still pay one hash so
 * response time does not reveal which accounts exist.
 */
export async function authenticate(email: string, password: string, ip: string): Promise<AuthenticateResult> {
  const { prisma } = getDb();
  const accountKey = `signin:acct:${email}`;
  const ipKey = `signin:ip:${ip}`;
  const [acct, byIp] = await Promise.all([
    countRecent(prisma, accountKey, SIGN_IN_LIMITS.windowMinutes),
    countRecent(prisma, ipKey, SIGN_IN_LIMITS.windowMinutes),
  ]);
  if (acct >= SIGN_IN_LIMITS.perAccount || byIp >= SIGN_IN_LIMITS.perIp) return { ok: false, reason: "rate_limited" };

  const user = await prisma.user.findUnique({
    where: { email },
    select: { id: true, email: true, name: true, passwordHash: true, sessionVersion: true },
  });
  const ok = user?.passwordHash ? await verifyPassword(user.passwordHash, password) : (await verifyPassword(await dummyHash(), password), false);
  if (!user || !ok) {
    await recordAttempt(prisma, [accountKey, ipKey]);
    return { ok: false, reason: "invalid" };
  }
  await clearAttempts(prisma, accountKey);
  return { ok: true, user: { id: user.id, email: user.email, name: user.name, sessionVersion: user.sessionVersion } };
}

/** The user behind a session, if the session is still valid (sessionVersion not bumped since). */
export async function loadSessionUser(userId: string, sessionVersion: number): Promise<SessionUser | null> {
  const { prisma } = getDb();
  const u = await prisma.user.findUnique({
    where: { id: userId },
    select: { id: true, email: true, name: true, sessionVersion: true },
  });
  if (!u || u.sessionVersion !== sessionVersion) return null;
  return u;
}

/** Invalidate every session of a user (sign out everywhere). */
export async function bumpSessionVersion(userId: string): Promise<void> {
  const { prisma } = getDb();
  await prisma.user.update({ where: { id: userId }, data: { sessionVersion: { increment: 1 } }, select: { id: true } });
}

interface InvitationRow {
  workspaceId: string;
  id: string;
  email: string;
  role: TRole;
  expiresAt: Date;
  acceptedAt: Date | null;
  revokedAt: Date | null;
}

async function findOpenInvitation(tx: Tx, token: string): Promise<InvitationRow> {
  const inv = await tx.invitation.findFirst({
    where: { tokenHash: hashToken(token) },
    select: { workspaceId: true, id: true, email: true, role: true, expiresAt: true, acceptedAt: true, revokedAt: true },
  });
  if (!inv || inv.acceptedAt || inv.revokedAt || inv.expiresAt < new Date()) {
    throw new AuthError("INVALID_INVITE", "This invitation link is invalid, expired or already used.");
  }
  return inv;
}

/** Joins the invitation's workspace in the caller's transaction (token GUC already set). */
async function acceptInTx(tx: Tx, token: string, user: { id: string; email: string }): Promise<{ workspaceId: string; role: TRole }> {
  const inv = await findOpenInvitation(tx, token);
  if (inv.email !== user.email) {
    throw new AuthError("INVITE_EMAIL_MISMATCH", `This invitation was sent to ${inv.email}; sign in with that address to accept it.`);
  }
  await tx.invitation.update({
    where: { workspaceId_id: { workspaceId: inv.workspaceId, id: inv.id } },
    data: { acceptedAt: new Date() },
    select: { id: true },
  });
  // The token proved access: act in the invitation's workspace for the rest of this transaction.
  await setWorkspaceInTx(tx, inv.workspaceId);
  await tx.membership.upsert({
    where: { workspaceId_userId: { workspaceId: inv.workspaceId, userId: user.id } },
    create: { workspaceId: inv.workspaceId, userId: user.id, role: inv.role },
    update: {},
    select: { role: true },
  });
  await tx.auditLog.create({
    data: { workspaceId: inv.workspaceId, actorUserId: user.id, action: "invitation.accepted", target: inv.email, details: { role: inv.role } },
    select: { id: true },
  });
  return { workspaceId: inv.workspaceId, role: inv.role };
}

/** Peek at an invitation (for the accept page): workspace name, email, role. */
export async function describeInvitation(token: string): Promise<{ workspaceName: string; email: string; role: TRole } | null> {
  const { prisma } = getDb();
  try {
    return await withTenant(prisma, { inviteTokenHash: hashToken(token) }, async (tx) => {
      const inv = await findOpenInvitation(tx, token);
      await setWorkspaceInTx(tx, inv.workspaceId);
      const ws = await tx.workspace.findUnique({ where: { id: inv.workspaceId }, select: { name: true } });
      return { workspaceName: ws?.name ?? "a workspace", email: inv.email, role: inv.role };
    });
  } catch (e) {
    if (e instanceof AuthError) return null;
    throw e;
  }
}

export async function acceptInvitation(token: string, user: { id: string; email: string }): Promise<{ workspaceId: string; role: TRole }> {
  const { prisma } = getDb();
  return withTenant(prisma, { userId: user.id, inviteTokenHash: hashToken(token) }, (tx) => acceptInTx(tx, token, user));
}

/** Creates a workspace owned by the user, in the caller's tenant transaction. */
export async function createWorkspaceInTx(
  tx: Tx,
  input: { name: string; currency?: string; ownerId: string; id?: string },
): Promise<{ id: string; slug: string }> {
  const id = input.id ?? crypto.randomUUID();
  await setWorkspaceInTx(tx, id);
  const ws = await tx.workspace.create({
    data: { id, name: input.name, slug: slugify(input.name), currency: input.currency ?? "USD" },
    select: { id: true, slug: true },
  });
  await tx.membership.create({ data: { workspaceId: id, userId: input.ownerId, role: "OWNER" }, select: { role: true } });
  await tx.workspaceStats.create({ data: { workspaceId: id }, select: { workspaceId: true } });
  await tx.auditLog.create({
    data: { workspaceId: id, actorUserId: input.ownerId, action: "workspace.created", target: input.name },
    select: { id: true },
  });
  return ws;
}

/**
 * Sign-up: a user with an Argon2id password hash, then either a new workspace they own or the
 * workspace of the invitation they came from. One transaction: no user without a workspace.
 */
export async function registerUser(input: TSignUp, ip: string): Promise<{ user: SessionUser; workspaceId: string }> {
  const { prisma } = getDb();
  const ipKey = `signup:ip:${ip}`;
  if ((await countRecent(prisma, ipKey, SIGN_UP_LIMITS.windowMinutes)) >= SIGN_UP_LIMITS.perIp) {
    throw new AuthError("RATE_LIMITED", "Too many sign-ups from this network. Try again later.");
  }
  await recordAttempt(prisma, [ipKey]);
  const passwordHash = await hashPassword(input.password);
  const existing = await prisma.user.findUnique({ where: { email: input.email }, select: { id: true } });
  if (existing) throw new AuthError("EMAIL_TAKEN", "An account with this email already exists. Sign in instead.");
  return withTenant(prisma, { inviteTokenHash: input.inviteToken ? hashToken(input.inviteToken) : null }, async (tx) => {
    const user = await tx.user.create({
      data: { email: input.email, name: input.name, passwordHash },
      select: { id: true, email: true, name: true, sessionVersion: true },
    });
    await tx.$executeRaw`SELECT set_config('app.current_user', ${user.id}, true)`;
    if (input.inviteToken) {
      const { workspaceId } = await acceptInTx(tx, input.inviteToken, user);
      return { user, workspaceId };
    }
    const ws = await createWorkspaceInTx(tx, { name: input.workspaceName ?? `${input.name}'s workspace`, ownerId: user.id });
    return { user, workspaceId: ws.id };
  });
}
