import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { KeySet } from "./key-set.ts";

describe("KeySet (duplicate keys in an import file)", () => {
  it("answers exactly like a Set for random keys, across growth", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 12 }), { maxLength: 400 }), (keys) => {
        const ks = new KeySet(4);
        const ref = new Set<string>();
        for (const k of keys) {
          expect(ks.add(k)).toBe(!ref.has(k));
          ref.add(k);
        }
        expect(ks.size).toBe(ref.size);
      }),
      { numRuns: 300 },
    );
  });

  it("keeps 1,000,000 distinct order ids apart (no fingerprint collision) and finds every repeat", () => {
    const ks = new KeySet();
    let added = 0;
    for (let i = 0; i < 1_000_000; i++) if (ks.add(`o${i}`)) added++;
    expect(added).toBe(1_000_000);
    let repeats = 0;
    for (let i = 0; i < 1_000_000; i += 997) if (!ks.add(`o${i}`)) repeats++;
    expect(repeats).toBe(Math.ceil(1_000_000 / 997));
    expect(ks.size).toBe(1_000_000);
    // Near-identical keys (one character apart, different lengths, non-ASCII) are distinct.
    expect(ks.add("o1000000é")).toBe(true);
    expect(ks.add("o1000000e")).toBe(true);
    expect(ks.add("")).toBe(true);
    expect(ks.add("")).toBe(false);
  });
});
