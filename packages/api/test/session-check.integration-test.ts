/**
 * The session check left to the procedure (createContext with `checkSessionInProcedure`, as the tRPC
 * HTTP handler builds it): a workspace procedure re-reads the user's session version with the
 * membership in its tenant transaction's first round trip, a user-scoped one before it runs. Each
 * case must decide exactly as the context-checked path does (SECURITY-NOTES T-AUTH-6, T-ISO-7).
 */
import { describe, expect, it } from "vitest";
import { bumpSessionVersion } from "@valuelens/auth";
import { createContext, type SessionClaims } from "../src/context.ts";
import { createCaller } from "../src/root.ts";
import { join, signUp } from "./harness.ts";

/** A caller whose context, like the HTTP handler's, leaves the session check to each procedure. */
async function httpCaller(claims: SessionClaims | null) {
  return createCaller(await createContext({ claims, ip: "10.9.9.9", checkSessionInProcedure: true }));
}
const claimsOf = (u: { id: string; sessionVersion: number }): SessionClaims => ({ userId: u.id, sessionVersion: u.sessionVersion });

describe("session checked in the procedure", () => {
  it("serves a member with a current session, and the context it gets is the checked user", async () => {
    const owner = await signUp("sc-owner", "Session check Co");
    const c = await httpCaller(claimsOf(owner.user));
    await expect(c.model.status({ workspaceId: owner.workspaceId })).resolves.toBeTruthy();
    await expect(c.auth.me()).resolves.toEqual({ id: owner.user.id, email: owner.user.email, name: owner.user.name });
    // A write records the checked user as its actor.
    const inv = await c.workspace.invite({ workspaceId: owner.workspaceId, email: `sc-${Date.now()}@example.com`, role: "VIEWER" });
    expect(inv.link).toContain("/invite/");
    const log = await owner.caller.workspace.auditLog({ workspaceId: owner.workspaceId, limit: 5 });
    expect(log.find((e) => e.action.includes("invit"))?.actorUserId).toBe(owner.user.id);
  });

  it("refuses a session signed out everywhere on the very next request, workspace and user procedures alike", async () => {
    const owner = await signUp("sc-revoked");
    const c = await httpCaller(claimsOf(owner.user));
    await expect(c.model.status({ workspaceId: owner.workspaceId })).resolves.toBeTruthy();
    await bumpSessionVersion(owner.user.id);
    await expect(c.model.status({ workspaceId: owner.workspaceId })).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    await expect(c.auth.me()).rejects.toMatchObject({ code: "UNAUTHORIZED" });
  });

  it("refuses no session, an unknown user and a malformed user id", async () => {
    const owner = await signUp("sc-anon");
    for (const claims of [null, { userId: crypto.randomUUID(), sessionVersion: 1 }, { userId: "1' OR '1'='1", sessionVersion: 1 }]) {
      const c = await httpCaller(claims);
      await expect(c.model.status({ workspaceId: owner.workspaceId })).rejects.toMatchObject({ code: "UNAUTHORIZED" });
      await expect(c.auth.me()).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    }
  });

  it("hides another workspace (NOT_FOUND) and enforces the role (FORBIDDEN), re-read on every request", async () => {
    const owner = await signUp("sc-a", "A Co");
    const other = await signUp("sc-b", "B Co");
    const member = await join(owner, owner.workspaceId, "sc-member", "ADMIN");
    const c = await httpCaller(claimsOf(member.user));
    await expect(c.model.status({ workspaceId: other.workspaceId })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(c.workspace.auditLog({ workspaceId: owner.workspaceId, limit: 1 })).resolves.toBeTruthy();
    await owner.caller.workspace.changeRole({ workspaceId: owner.workspaceId, userId: member.user.id, role: "VIEWER" });
    await expect(c.workspace.auditLog({ workspaceId: owner.workspaceId, limit: 1 })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(c.model.status({ workspaceId: owner.workspaceId })).resolves.toBeTruthy();
    await owner.caller.workspace.removeMember({ workspaceId: owner.workspaceId, userId: member.user.id });
    await expect(c.model.status({ workspaceId: owner.workspaceId })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});
