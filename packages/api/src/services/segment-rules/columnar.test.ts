import { describe, expect, it } from "vitest";
import { cachedFactColumns, clearFactColumns, MAX_CACHED_ROWS, rememberFactColumns, type FactColumns } from "./columnar.ts";

/** Columns of n rows as far as the cache looks at them (it never reads the arrays). */
function fake(workspaceId: string, refreshedAt: number, n: number): FactColumns {
  return { workspaceId, refreshedAt, n, ids: new Uint8Array(0), num: {} as FactColumns["num"], instants: {} as FactColumns["instants"], dict: {} as FactColumns["dict"], attributes: new Map(), attributesTruncated: false, bytes: 0 };
}

describe("in-memory preview columns cache", () => {
  it("answers only for the copy it holds, keeps one copy per workspace and drops the least recently used past the row cap", () => {
    clearFactColumns();
    const third = Math.floor(MAX_CACHED_ROWS / 3);
    rememberFactColumns(fake("a", 1, third));
    rememberFactColumns(fake("b", 1, third));
    expect(cachedFactColumns("a", new Date(1))?.n).toBe(third);
    expect(cachedFactColumns("a", new Date(2))).toBeNull(); // a newer copy exists in the database: not this one
    // A new copy of a replaces the old one.
    rememberFactColumns(fake("a", 2, third));
    expect(cachedFactColumns("a", new Date(1))).toBeNull();
    expect(cachedFactColumns("a", new Date(2))?.n).toBe(third);
    // b was used last before a: c pushes the total over the cap and b (least recently used) goes.
    cachedFactColumns("b", new Date(1));
    cachedFactColumns("a", new Date(2));
    rememberFactColumns(fake("c", 1, third + 10));
    expect(cachedFactColumns("b", new Date(1))).toBeNull();
    expect(cachedFactColumns("a", new Date(2))).not.toBeNull();
    expect(cachedFactColumns("c", new Date(1))).not.toBeNull();
    // A workspace larger than the whole cap is never held (its previews stay in SQL).
    rememberFactColumns(fake("huge", 1, MAX_CACHED_ROWS + 1));
    expect(cachedFactColumns("huge", new Date(1))).toBeNull();
    expect(cachedFactColumns("a", new Date(2))).not.toBeNull();
    clearFactColumns();
  });
});
