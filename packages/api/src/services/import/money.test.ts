import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { minorDigits, parseMoney } from "./money.ts";

const ok = (s: string, c = "USD") => {
  const r = parseMoney(s, c);
  return r.ok ? r.minor : r.reason;
};

describe("parseMoney", () => {
  it("parses exact minor units per currency", () => {
    expect(ok("12.34")).toBe(1234n);
    expect(ok("12")).toBe(1200n);
    expect(ok("12.5")).toBe(1250n);
    expect(ok("0.1")).toBe(10n);
    expect(ok("10.500")).toBe(1050n);
    expect(ok("1500", "JPY")).toBe(1500n);
    expect(ok("1.234", "KWD")).toBe(1234n);
    expect(ok("90071992547409.93")).toBe(9007199254740993n); // beyond float precision
    expect(minorDigits("JPY")).toBe(0);
  });
  it("the fast path for plain amounts agrees with exact decimal arithmetic", () => {
    expect(ok("10.")).toBe(1000n);
    expect(ok("007.05")).toBe(705n);
    expect(ok("999999999999.99")).toBe(99999999999999n);
    expect(ok("9999999999999.99")).toBe(999999999999999n);
    expect(ok("1.2345", "CLF")).toBe(12345n);
    expect(ok("12.345")).toMatch(/more than 2 decimal places/);
    expect(ok("1.5", "JPY")).toMatch(/more than 0 decimal places/);
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 17n }), fc.constantFrom("USD", "JPY", "KWD", "CLF"), (minor, c) => {
        const d = minorDigits(c);
        const t = minor.toString().padStart(d + 1, "0");
        const text = d === 0 ? t : `${t.slice(0, -d)}.${t.slice(-d)}`;
        expect(ok(text, c)).toBe(minor);
      }),
      { seed: 4, numRuns: 500 },
    );
  });
  it("rejects negatives, separators, symbols and junk with reasons", () => {
    expect(ok("-5")).toMatch(/negative/);
    expect(ok("(5.00)")).toMatch(/parentheses/);
    expect(ok("1,234.56")).toMatch(/thousands/);
    expect(ok("1 234")).toMatch(/thousands/);
    expect(ok("$12.00")).toMatch(/currency symbol/);
    expect(ok("12 EUR")).toMatch(/currency/);
    expect(ok("12,50")).toMatch(/decimal comma/);
    expect(ok("abc")).toMatch(/./);
    expect(ok("")).toMatch(/empty/);
    expect(ok("1.5", "JPY")).toMatch(/decimal places/);
    expect(ok("1.234")).toMatch(/decimal places/);
    expect(ok("1e5")).toMatch(/not a number/);
  });
  it("round-trips any integer amount of cents (property)", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 17n }), (cents) => {
        const s = `${cents / 100n}.${(cents % 100n).toString().padStart(2, "0")}`;
        expect(parseMoney(s, "USD")).toEqual({ ok: true, minor: cents });
      }),
      { numRuns: 2000 },
    );
  });
  it("never throws on arbitrary text (property)", () => {
    fc.assert(fc.property(fc.string(), (s) => void parseMoney(s, "USD")), { numRuns: 5000 });
  });
});
