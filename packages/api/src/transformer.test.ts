import fc from "fast-check";
import superjson from "superjson";
import { describe, expect, it } from "vitest";
import { fastSerialize, serializeOutput } from "./transformer.ts";

/** The payload as text, or the error superjson throws (it refuses __proto__/constructor/prototype keys). */
const out = (f: () => unknown) => {
  try {
    return JSON.stringify(f());
  } catch (e) {
    return `throws ${e instanceof Error ? e.message : String(e)}`;
  }
};
const same = (v: unknown) => expect(out(() => serializeOutput(v))).toBe(out(() => superjson.serialize(v)));

/** JSON-ish values with Dates (valid and invalid), awkward keys and numbers, and now and then something only superjson handles. */
const key = fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom("a.b", "a\\b", "", "0", "10", "__proto__", "constructor", "prototype", "toString", "v", "values"));
const leaf = fc.oneof(
  fc.string(),
  fc.boolean(),
  fc.constant(null),
  fc.double(),
  fc.integer(),
  fc.constantFrom(0, -0, NaN, Infinity, -Infinity),
  fc.date({ noInvalidDate: false }),
  fc.constantFrom<unknown>(undefined, 10n, new Map([["k", 1]]), new Set([1]), /x/g, new Error("e"), Object.create(null) as object),
);
const value = fc.letrec((tie) => ({
  v: fc.oneof({ depthSize: "small", withCrossShrink: true }, leaf, tie("arr"), tie("obj")),
  arr: fc.array(tie("v"), { maxLength: 5 }),
  obj: fc.dictionary(key, tie("v"), { maxKeys: 5 }),
})).v;

describe("response serializer (superjson-compatible fast path)", () => {
  it("gives exactly superjson's payload for any value", () => {
    let fast = 0;
    fc.assert(
      fc.property(value, (v) => {
        same(v);
        if (fastSerialize(v) !== null) fast++;
      }),
      { numRuns: 3000 },
    );
    expect(fast).toBeGreaterThan(300); // the fast path itself was exercised, not only the fallback
  });

  it("gives exactly superjson's payload for shared and repeated references, and deserializes alike", () => {
    const d = new Date("2026-01-02T03:04:05.678Z");
    const o = { k: 1 };
    for (const v of [[d, d], { a: o, b: o }, [o, [o]], { rows: [{ at: d }, { at: new Date(d) }] }, d, new Date(NaN), "x", 1, null, undefined, [], {}]) {
      same(v);
      expect(superjson.deserialize(serializeOutput(v))).toEqual(superjson.deserialize(superjson.serialize(v)));
    }
  });

  it("takes the fast path for a Customers page (rows with dates, money as strings, nulls)", () => {
    const row = (i: number) => ({
      id: `00000000-0000-4000-8000-00000000000${i}`,
      externalId: `c-${i}`,
      email: i % 2 ? `u${i}@example.com` : null,
      orders: i,
      firstOrderAt: new Date(Date.UTC(2024, 0, i + 1)),
      lastOrderAt: i % 3 ? new Date(Date.UTC(2025, 5, i + 1)) : null,
      historicalClvMinor: String(1000 * i),
      pAlive: i / 10,
      addedAt: new Date(Date.UTC(2023, 1, 1)),
    });
    const page = { rows: Array.from({ length: 25 }, (_, i) => row(i)), nextCursor: { v: "123", id: "x" } };
    const fast = fastSerialize(page);
    expect(fast).not.toBeNull();
    expect(JSON.stringify(fast)).toBe(JSON.stringify(superjson.serialize(page)));
    expect(superjson.deserialize(fast!)).toEqual(page);
  });
});
