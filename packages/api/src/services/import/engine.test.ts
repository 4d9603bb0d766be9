import { describe, expect, it } from "vitest";
import { pgCode } from "./engine.ts";

describe("pgCode (which batch failures are retried)", () => {
  it("reads the SQLSTATE from Prisma's meta or message", () => {
    expect(pgCode({ meta: { code: "40P01" } })).toBe("40P01");
    expect(pgCode(new Error("Raw query failed. Code: `57014`. Message: `canceling statement due to statement timeout`"))).toBe("57014");
    expect(pgCode(new Error("something else"))).toBeNull();
    expect(pgCode(null)).toBeNull();
  });
});
