import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ChunkDecoder, detectEncoding } from "./decode.ts";
import { CsvParser, parseAll, sniffDelimiter, type ParseEvent } from "./parser.ts";

const recs = (ev: ParseEvent[]) => ev.filter((e) => e.kind === "record").map((e) => (e.kind === "record" ? [e.line, ...e.fields] : []));
const errs = (ev: ParseEvent[]) => ev.filter((e) => e.kind === "error").map((e) => e.line);

describe("CsvParser", () => {
  it("parses quoted fields, escaped quotes and embedded line breaks", () => {
    const ev = parseAll('a,b\n"x,1","he said ""hi"""\n"multi\nline",z\n', { delimiter: "," });
    expect(recs(ev)).toEqual([[1, "a", "b"], [2, "x,1", 'he said "hi"'], [3, "multi\nline", "z"]]);
  });

  it("counts physical lines across CRLF, LF and lone CR mixes, and skips blank lines", () => {
    const ev = parseAll("h1,h2\r\na,1\nb,2\rc,3\r\n\r\nd,4", { delimiter: "," });
    expect(recs(ev)).toEqual([[1, "h1", "h2"], [2, "a", "1"], [3, "b", "2"], [4, "c", "3"], [6, "d", "4"]]);
  });

  it("turns an unclosed quote into one rejected line and keeps every following row", () => {
    const lines = ["id,name,amount", '1,"broken,10'];
    for (let i = 2; i <= 200; i++) lines.push(`${i},name ${i},${i}`);
    const p = new CsvParser({ delimiter: "," });
    p.expectFields = 3;
    const ev = [...p.push(lines.join("\n") + "\n"), ...p.end()];
    expect(errs(ev)).toEqual([2]);
    expect(recs(ev)).toHaveLength(200); // header + 199 rows
    expect(recs(ev)[1]).toEqual([3, "2", "name 2", "2"]);
  });

  it("resyncs when an unclosed quote meets a later quoted field", () => {
    const text = 'id,name\n1,"open\n2,ok\n3,"quoted"\n4,fine\n';
    const p = new CsvParser({ delimiter: "," });
    p.expectFields = 2;
    const ev = [...p.push(text), ...p.end()];
    expect(errs(ev)).toEqual([2]);
    expect(recs(ev).map((r) => r[0])).toEqual([1, 3, 4, 5]);
  });

  it("rejects an unclosed quote at the end of the file", () => {
    const ev = parseAll('a,b\n1,"never closed', { delimiter: "," });
    expect(errs(ev)).toEqual([2]);
  });

  it("rejects a field over the cap, then continues", () => {
    const ev = parseAll(`a,b\n1,${"x".repeat(100)}\n2,ok\n`, { delimiter: ",", maxFieldLength: 50 });
    expect(errs(ev)).toEqual([2]);
    expect(recs(ev).map((r) => r[0])).toEqual([1, 3]);
  });

  it("gives the same events whatever the chunk boundaries (property)", () => {
    const cell = fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('"', '""', "\r", "\n", "\r\n", ",", "x"));
    fc.assert(
      fc.property(fc.array(cell, { maxLength: 40 }), fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 10 }), (parts, cuts) => {
        const text = parts.join("");
        const whole = parseAll(text, { delimiter: ",", maxLinesInField: 3 });
        const p = new CsvParser({ delimiter: ",", maxLinesInField: 3 });
        const ev: ParseEvent[] = [];
        let pos = 0;
        let k = 0;
        while (pos < text.length) {
          const n = cuts[k++ % cuts.length]!;
          ev.push(...p.push(text.slice(pos, pos + n)));
          pos += n;
        }
        ev.push(...p.end());
        expect(ev).toEqual(whole);
      }),
      { numRuns: 2000 },
    );
  });

  it("accounts for every line: records + rejections + blank lines = physical lines (property)", () => {
    const line = fc.oneof(fc.constant(""), fc.constant('1,"unclosed'), fc.constant("a,b"), fc.constant('"q",x'), fc.constant('"x"y,z'), fc.constant("a,b,c"));
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 60 }), (ls) => {
        const p = new CsvParser({ delimiter: "," });
        p.expectFields = 2;
        const ev = [...p.push(ls.join("\n") + "\n"), ...p.end()];
        const blank = ls.filter((l) => l === "").length;
        // Each non-blank physical line surfaces as exactly one event (multi-line quotes cannot form
        // valid 2-field records from these lines, so nothing is swallowed).
        const lines = new Set(ev.map((e) => e.line));
        expect(lines.size).toBe(ev.length);
        expect(ev.length + blank).toBeGreaterThanOrEqual(ls.length - ls.filter((l) => l === '1,"unclosed').length);
        for (const [i, l] of ls.entries()) if (l === "a,b") expect(lines.has(i + 1)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it("splits whitespace-separated files (CDNOW)", () => {
    const ev = parseAll("00001 19970101 1  11.77\r\n00002  19970112 1 12.00\r\n", { delimiter: "whitespace" });
    expect(recs(ev)).toEqual([[1, "00001", "19970101", "1", "11.77"], [2, "00002", "19970112", "1", "12.00"]]);
  });

  it("sniffs the delimiter", () => {
    expect(sniffDelimiter("a,b,c\n1,2,3\n")).toBe(",");
    expect(sniffDelimiter("a;b;c\n1;2,5;3\n")).toBe(";");
    expect(sniffDelimiter("a\tb\n1\t2\n")).toBe("\t");
    expect(sniffDelimiter("a|b\n1|2\n")).toBe("|");
  });
});

describe("encoding", () => {
  const dec = (b: Uint8Array) => {
    const d = detectEncoding(b);
    return { label: d.label, text: new ChunkDecoder(d).write(b) };
  };
  it("detects UTF-8 with and without BOM and strips the BOM", () => {
    expect(dec(new Uint8Array([0xef, 0xbb, 0xbf, 0x61, 0x2c, 0x62]))).toEqual({ label: "UTF-8 (with BOM)", text: "a,b" });
    expect(dec(new TextEncoder().encode("é,b")).text).toBe("é,b");
  });
  it("detects UTF-16 LE and BE by BOM", () => {
    const le = new Uint8Array([0xff, 0xfe, ...[..."a,é"].flatMap((c) => [c.charCodeAt(0), 0])]);
    expect(dec(le)).toEqual({ label: "UTF-16 LE", text: "a,é" });
    const be = new Uint8Array([0xfe, 0xff, ...[..."a,é"].flatMap((c) => [0, c.charCodeAt(0)])]);
    expect(dec(be)).toEqual({ label: "UTF-16 BE", text: "a,é" });
  });
  it("recognises UTF-16 without a BOM by its zero bytes", () => {
    const text = "id,name\n1,Zoë\n";
    const le = new Uint8Array([...text].flatMap((c) => [c.charCodeAt(0), 0]));
    expect(dec(le)).toEqual({ label: "UTF-16 LE (no BOM)", text });
    const be = new Uint8Array([...text].flatMap((c) => [0, c.charCodeAt(0)]));
    expect(dec(be)).toEqual({ label: "UTF-16 BE (no BOM)", text });
  });
  it("falls back to windows-1252 for bytes that are not UTF-8, and says so", () => {
    const r = dec(new Uint8Array([0x63, 0x61, 0x66, 0xe9, 0x2c, 0x80]));
    expect(r.text).toBe("café,€");
    expect(r.label).toMatch(/Latin-1/);
  });
  it("decodes a UTF-8 character split across chunks", () => {
    const b = new TextEncoder().encode("ab€cd");
    const d = new ChunkDecoder(detectEncoding(b));
    expect(d.write(b.subarray(0, 3)) + d.write(b.subarray(3)) + d.end()).toBe("ab€cd");
  });
});
