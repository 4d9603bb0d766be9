import { registerUser, type SessionUser } from "@valuelens/auth";
import { getDb, withWorkspace } from "@valuelens/db";
import { createCaller } from "../src/root.ts";
import type { Context } from "../src/context.ts";

let n = 0;
/**
 * Where this test file's sign-ups come from: a random private /24 per file (each file runs in its own
 * module context). The sign-up limit per address is real (20 an hour), and with every file counting
 * from the same first address the suite's 35+ files crossed it on that one address.
 */
const NET = `10.${Math.floor(Math.random() * 256)}.${Math.floor(Math.random() * 256)}`;
const NET_INVITES = `10.${Math.floor(Math.random() * 256)}.${Math.floor(Math.random() * 256)}`;
/** A unique address per call, so tests never collide in the shared database. */
export function uniqueEmail(tag: string): string {
  n++;
  return `${tag.toLowerCase()}-${Date.now().toString(36)}-${n}@example.com`;
}

export function ctxFor(user: SessionUser | null): Context {
  return { prisma: getDb().prisma, user, ip: `10.0.0.${(n % 250) + 1}`, requestId: crypto.randomUUID() };
}

export function callerFor(user: SessionUser | null) {
  return createCaller(ctxFor(user));
}

export interface Actor {
  user: SessionUser;
  caller: ReturnType<typeof callerFor>;
}

export async function signUp(tag: string, workspaceName?: string): Promise<Actor & { workspaceId: string }> {
  const { user, workspaceId } = await registerUser(
    { name: tag, email: uniqueEmail(tag), password: "correct horse battery staple", workspaceName: workspaceName ?? `${tag} workspace` },
    `${NET}.${(n % 250) + 1}`,
  );
  return { user, workspaceId, caller: callerFor(user) };
}

/** Adds an existing user to a workspace with a role, through an invitation like the product does. */
export async function join(owner: Actor, workspaceId: string, tag: string, role: "ADMIN" | "MEMBER" | "VIEWER"): Promise<Actor> {
  const email = uniqueEmail(tag);
  const inv = await owner.caller.workspace.invite({ workspaceId, email, role });
  const token = inv.link.split("/invite/")[1]!;
  const { user } = await registerUser({ name: tag, email, password: "correct horse battery staple", inviteToken: token },
    // A different address per call, like signUp: the sign-up limit per network is real and the whole
    // suite invites more users than one address may register in its window.
    `${NET_INVITES}.${(n % 250) + 1}`,
  );
  return { user, caller: callerFor(user) };
}

/** Writes a few customers and orders (with a canary in every text field for leak checks). */
export async function addCustomers(workspaceId: string, canary: string, count = 3): Promise<void> {
  await withWorkspace(getDb().prisma, workspaceId, async (tx) => {
    for (let i = 0; i < count; i++) {
      const c = await tx.customer.create({
        data: { workspaceId, externalId: `${canary}-c${i}`, email: `${canary.toLowerCase()}-${i}@example.com`, name: `${canary} ${i}` },
        select: { id: true },
      });
      await tx.order.createMany({
        data: [0, 40, 95].map((d, j) => ({
          workspaceId,
          externalId: `${canary}-o${i}-${j}`,
          customerId: c.id,
          orderedAt: new Date(Date.UTC(2025, 0, 3 + d + i)),
          amountMinor: BigInt(1000 * (i + 1) + j),
          currency: "USD",
        })),
      });
    }
  });
}
