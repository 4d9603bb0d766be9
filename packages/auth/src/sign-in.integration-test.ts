import { describe, expect, it } from "vitest";
import { SIGN_IN_LIMITS } from "./rate-limit.ts";
import { authenticate, registerUser } from "./users.ts";

const email = () => `rl-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}@example.com`;

describe("sign-in", () => {
  it("accepts the right password and refuses a wrong one or an unknown account alike", async () => {
    const e = email();
    await registerUser({ name: "R", email: e, password: "correct horse battery staple", workspaceName: "RL" }, "203.0.113.1");
    expect(await authenticate(e, "correct horse battery staple", "203.0.113.2")).toMatchObject({ ok: true, user: { email: e } });
    expect(await authenticate(e, "wrong password!!", "203.0.113.2")).toEqual({ ok: false, reason: "invalid" });
    expect(await authenticate(email(), "whatever password", "203.0.113.2")).toEqual({ ok: false, reason: "invalid" });
  });

  it(`locks an account after ${SIGN_IN_LIMITS.perAccount} failures, even with the right password, from any IP`, async () => {
    const e = email();
    await registerUser({ name: "R", email: e, password: "correct horse battery staple", workspaceName: "RL" }, "203.0.113.3");
    for (let i = 0; i < SIGN_IN_LIMITS.perAccount; i++) {
      expect((await authenticate(e, `wrong ${i} password`, `198.51.100.${i + 1}`)).ok).toBe(false);
    }
    expect(await authenticate(e, "correct horse battery staple", "198.51.100.200")).toEqual({ ok: false, reason: "rate_limited" });
  });

  it(`limits one IP to ${SIGN_IN_LIMITS.perIp} failures across accounts`, async () => {
    const ip = `192.0.2.${Math.floor(Math.random() * 200) + 20}`;
    for (let i = 0; i < SIGN_IN_LIMITS.perIp; i++) await authenticate(email(), "wrong password here", ip);
    const e = email();
    await registerUser({ name: "R", email: e, password: "correct horse battery staple", workspaceName: "RL" }, "203.0.113.9");
    expect(await authenticate(e, "correct horse battery staple", ip)).toEqual({ ok: false, reason: "rate_limited" });
    expect((await authenticate(e, "correct horse battery staple", "203.0.113.10")).ok).toBe(true);
  });

  it("refuses a second account with the same email", async () => {
    const e = email();
    await registerUser({ name: "R", email: e, password: "correct horse battery staple", workspaceName: "RL" }, "203.0.113.11");
    await expect(registerUser({ name: "R", email: e, password: "another long password", workspaceName: "RL2" }, "203.0.113.12")).rejects.toMatchObject({ code: "EMAIL_TAKEN" });
  });
});
