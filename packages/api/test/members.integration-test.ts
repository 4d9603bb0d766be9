import { describe, expect, it } from "vitest";
import { signUp, uniqueEmail } from "./harness.ts";

describe("invitations", () => {
  it("lets an existing, signed-in user accept an invitation sent to their address, once", async () => {
    const owner = await signUp("inv-owner", "Inviting Co");
    const guest = await signUp("inv-guest", "Guest's own");
    const inv = await owner.caller.workspace.invite({ workspaceId: owner.workspaceId, email: guest.user.email, role: "MEMBER" });
    expect(inv.emailed).toBe(false); // no SMTP in tests: the link is returned for the UI
    const token = inv.link.split("/invite/")[1]!;
    expect(await guest.caller.auth.describeInvite({ token })).toEqual({ workspaceName: "Inviting Co", email: guest.user.email, role: "MEMBER" });
    await expect(guest.caller.auth.acceptInvite({ token })).resolves.toEqual({ workspaceId: owner.workspaceId, role: "MEMBER" });
    const list = await guest.caller.workspace.list();
    expect(list.map((w) => [w.id, w.role])).toContainEqual([owner.workspaceId, "MEMBER"]);
    // A used link is dead.
    await expect(guest.caller.auth.acceptInvite({ token })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    expect(await guest.caller.auth.describeInvite({ token })).toBeNull();
    const audit = await owner.caller.workspace.auditLog({ workspaceId: owner.workspaceId, limit: 10 });
    expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(["invitation.created", "invitation.accepted"]));
  });

  it("kills revoked invitations and replaces an open one when re-inviting the same address", async () => {
    const owner = await signUp("inv-owner2");
    const email = uniqueEmail("inv-target");
    const first = await owner.caller.workspace.invite({ workspaceId: owner.workspaceId, email, role: "VIEWER" });
    const second = await owner.caller.workspace.invite({ workspaceId: owner.workspaceId, email, role: "ADMIN" });
    expect(await owner.caller.auth.describeInvite({ token: first.link.split("/invite/")[1]! })).toBeNull();
    expect(await owner.caller.auth.describeInvite({ token: second.link.split("/invite/")[1]! })).toMatchObject({ role: "ADMIN" });
    await owner.caller.workspace.revokeInvite({ workspaceId: owner.workspaceId, invitationId: second.invitationId });
    expect(await owner.caller.auth.describeInvite({ token: second.link.split("/invite/")[1]! })).toBeNull();
    const m = await owner.caller.workspace.members({ workspaceId: owner.workspaceId });
    expect(m.invitations).toEqual([]);
  });

  it("refuses inviting someone who is already a member", async () => {
    const owner = await signUp("inv-owner3");
    await expect(owner.caller.workspace.invite({ workspaceId: owner.workspaceId, email: owner.user.email, role: "MEMBER" })).rejects.toMatchObject({ code: "CONFLICT" });
  });
});
