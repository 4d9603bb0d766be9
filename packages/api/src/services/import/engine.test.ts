import { describe, expect, it } from "vitest";
import { BATCH_ROWS, CHUNK_ROWS, chunkRowsFor, pgCode } from "./engine.ts";

describe("pgCode (which batch failures are retried)", () => {
  it("reads the SQLSTATE from Prisma's meta or message", () => {
    expect(pgCode({ meta: { code: "40P01" } })).toBe("40P01");
    expect(pgCode(new Error("Raw query failed. Code: `57014`. Message: `canceling statement due to statement timeout`"))).toBe("57014");
    expect(pgCode(new Error("something else"))).toBeNull();
    expect(pgCode(null)).toBeNull();
  });
});

describe("chunkRowsFor (rows per import transaction)", () => {
  it("uses full chunks for large files and smaller ones (never below a batch) for small files", () => {
    expect(chunkRowsFor(51 * 1024 ** 2)).toBe(CHUNK_ROWS); // 1,000,000 orders
    expect(chunkRowsFor(1024 ** 3)).toBe(CHUNK_ROWS);
    expect(chunkRowsFor(100)).toBe(BATCH_ROWS);
    const mid = chunkRowsFor(8 * 1024 ** 2); // ~160,000 rows → ~20 chunks
    expect(mid).toBeGreaterThan(BATCH_ROWS);
    expect(mid).toBeLessThan(CHUNK_ROWS);
  });
});

