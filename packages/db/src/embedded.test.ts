import { describe, expect, it } from "vitest";
import { memorySettings } from "./embedded.ts";

const GiB = 1024 ** 3;
const value = (flags: string[], name: string) => flags.find((f) => f.startsWith(`${name}=`))?.split("=")[1];

describe("embedded PostgreSQL memory settings", () => {
  it("gives shared_buffers a quarter of RAM, between 128 MB and 8 GB", () => {
    expect(value(memorySettings(24 * GiB), "shared_buffers")).toBe("6144MB");
    expect(value(memorySettings(0.25 * GiB), "shared_buffers")).toBe("128MB");
    expect(value(memorySettings(128 * GiB), "shared_buffers")).toBe("8192MB");
    expect(value(memorySettings(24 * GiB), "max_wal_size")).toBe("4GB");
  });

  it("takes an explicit size and refuses a malformed one by name", () => {
    expect(value(memorySettings(24 * GiB, "512MB"), "shared_buffers")).toBe("512MB");
    expect(() => memorySettings(24 * GiB, "lots")).toThrow(/VALUELENS_PG_SHARED_BUFFERS must be a size such as 512MB/);
  });
});
