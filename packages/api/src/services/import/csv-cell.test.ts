import fc from "fast-check";
import { toCsvCell } from "@valuelens/validators";
import { describe, expect, it } from "vitest";
import { parseAll } from "./parser.ts";

const DANGER = ["=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠"];

describe("toCsvCell (formula neutralising)", () => {
  it("prefixes every formula trigger, including LF and full-width forms", () => {
    for (const d of DANGER) {
      const cell = toCsvCell(`${d}SUM(A1)`);
      const parsed = parseAll(cell, { delimiter: "," });
      const value = parsed[0]?.kind === "record" ? parsed[0].fields[0] : undefined;
      expect(value, JSON.stringify(d)).toBe(`'${d}SUM(A1)`);
    }
    expect(toCsvCell("plain")).toBe("plain");
    expect(toCsvCell(-5)).toBe("-5");
  });
  it("round-trips through our parser and never starts with a trigger (property)", () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.oneof(fc.constantFrom(...DANGER, '"', ",", " "), fc.string({ minLength: 1, maxLength: 1 })) }), (s) => {
        const cell = toCsvCell(s);
        const ev = parseAll(cell + "\n", { delimiter: ",", maxLinesInField: 1000 });
        const value = ev.length === 0 ? "" : ev[0]!.kind === "record" ? ev[0]!.fields[0]! : "ERROR";
        const expected = /^[=+\-@\t\r\n＝＋－＠]/.test(s) ? `'${s}` : s;
        // Blank (or all line-break) cells read back as no record, which equals an empty value.
        if (ev.length === 0) expect(cell === "" || /^[\r\n]*$/.test(s)).toBe(true);
        else expect(value).toBe(expected);
        expect(DANGER.some((d) => value.startsWith(d))).toBe(false);
      }),
      { numRuns: 10_000 },
    );
  });
});
