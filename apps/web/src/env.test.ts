import { afterEach, describe, expect, it, vi } from "vitest";

const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
  vi.resetModules();
});

describe("web settings", () => {
  it("names a missing or malformed variable", async () => {
    delete process.env.AUTH_SECRET;
    process.env.APP_URL = "not a url";
    const { webEnv } = await import("./env");
    expect(() => webEnv()).toThrow(/AUTH_SECRET is required[\s\S]*APP_URL must be the public URL/);
  });

  it("accepts a complete configuration and applies defaults", async () => {
    process.env.AUTH_SECRET = "x".repeat(32);
    delete process.env.APP_URL;
    const { webEnv } = await import("./env");
    expect(webEnv()).toMatchObject({ APP_URL: "http://localhost:3000", LOG_LEVEL: "info" });
  });
});
