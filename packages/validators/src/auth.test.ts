import { describe, expect, it } from "vitest";
import { z } from "zod";
import { roleAtLeast, ZSignUp } from "./auth.ts";
import { parseEnv } from "./env.ts";
import { ZWorkspaceSettings } from "./workspace.ts";

describe("auth schemas", () => {
  it("normalises emails and requires a workspace name unless joining by invitation", () => {
    const ok = ZSignUp.parse({ name: " Ada ", email: " Ada@Example.COM ", password: "x".repeat(12), workspaceName: "Shop" });
    expect(ok).toMatchObject({ name: "Ada", email: "ada@example.com" });
    const r = ZSignUp.safeParse({ name: "Ada", email: "ada@example.com", password: "x".repeat(12) });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]).toMatchObject({ path: ["workspaceName"], message: "Name your workspace" });
    expect(ZSignUp.safeParse({ name: "Ada", email: "ada@example.com", password: "x".repeat(12), inviteToken: "t".repeat(43) }).success).toBe(true);
  });

  it("rejects short and overlong passwords with a message", () => {
    expect(ZSignUp.safeParse({ name: "A", email: "a@example.com", password: "short", workspaceName: "S" }).error?.issues[0]?.message).toBe(
      "Password must be at least 12 characters",
    );
    expect(ZSignUp.safeParse({ name: "A", email: "a@example.com", password: "x".repeat(129), workspaceName: "S" }).success).toBe(false);
  });

  it("orders roles OWNER > ADMIN > MEMBER > VIEWER", () => {
    expect(roleAtLeast("OWNER", "ADMIN")).toBe(true);
    expect(roleAtLeast("ADMIN", "ADMIN")).toBe(true);
    expect(roleAtLeast("MEMBER", "ADMIN")).toBe(false);
    expect(roleAtLeast("VIEWER", "VIEWER")).toBe(true);
  });

  it("checks time zones and margin rates in workspace settings", () => {
    const base = { workspaceId: "7f3a4c1e-9b2d-4e8f-a6b5-0c1d2e3f4a5b", name: "Shop" };
    expect(ZWorkspaceSettings.safeParse({ ...base, timezone: "Europe/Paris", marginRate: 0.3 }).success).toBe(true);
    expect(ZWorkspaceSettings.safeParse({ ...base, timezone: "Mars/Olympus", marginRate: 0.3 }).error?.issues[0]?.message).toBe("Unknown time zone");
    expect(ZWorkspaceSettings.safeParse({ ...base, timezone: "UTC", marginRate: 1.5 }).success).toBe(false);
  });

  it("reports every bad setting in one message", () => {
    const schema = z.object({ A: z.string({ error: "A is required" }), B: z.coerce.number().int("B must be an integer") });
    expect(() => parseEnv(schema, { B: "1.5" })).toThrow(/A: A is required[\s\S]*B: B must be an integer/);
    expect(parseEnv(schema, { A: "x", B: "2" })).toEqual({ A: "x", B: 2 });
  });
});
