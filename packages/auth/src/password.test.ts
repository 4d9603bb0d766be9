import { describe, expect, it } from "vitest";
import { hashPassword, verifyPassword } from "./password.ts";
import { hashToken, newToken } from "./tokens.ts";

describe("passwords and tokens", () => {
  it("hashes with Argon2id at OWASP parameters and verifies", async () => {
    const h = await hashPassword("correct horse battery staple");
    expect(h).toMatch(/^\$argon2id\$v=19\$/);
    expect(h.split("$")[3]?.split(",").sort()).toEqual(["m=19456", "p=1", "t=2"]);
    expect(await verifyPassword(h, "correct horse battery staple")).toBe(true);
    expect(await verifyPassword(h, "correct horse battery stapl")).toBe(false);
    expect(await verifyPassword("not a hash", "x")).toBe(false);
  });

  it("makes 256-bit URL-safe tokens and stores only their SHA-256", () => {
    const t = newToken();
    expect(t).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(hashToken(t)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashToken(t)).not.toContain(t);
  });
});
