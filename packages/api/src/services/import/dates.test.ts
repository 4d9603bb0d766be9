import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseDate, type DateFormat } from "./dates.ts";

const now = new Date("2026-11-23T00:00:00Z");
const p = (s: string, format: DateFormat = "auto", timeZone = "UTC") => {
  const r = parseDate(s, { format, timeZone, now });
  return r.ok ? r.date.toISOString() : `ERR ${r.reason}`;
};

describe("parseDate", () => {
  it("reads ISO 8601 with offsets exactly", () => {
    expect(p("2024-03-05T14:22:11Z")).toBe("2024-03-05T14:22:11.000Z");
    expect(p("2024-03-05T14:22:11+01:00")).toBe("2024-03-05T13:22:11.000Z");
    expect(p("2024-03-05 14:22:11 -0500")).toBe("2024-03-05T19:22:11.000Z"); // Shopify
    expect(p("2024-03-05 14:22")).toBe("2024-03-05T14:22:00.000Z"); // Stripe "Created (UTC)"
    expect(p("2024-03-05T14:22:11.5Z")).toBe("2024-03-05T14:22:11.500Z");
  });
  it("the fast path for YYYY-MM-DDTHH:MM:SS[.fff]Z agrees with the general one, errors included", () => {
    expect(p("2024-02-29T23:59:59.999Z")).toBe("2024-02-29T23:59:59.999Z");
    expect(p("2023-02-29T00:00:00Z")).toMatch(/^ERR no such date/);
    expect(p("2100-02-29T00:00:00Z")).toMatch(/^ERR no such date/);
    expect(p("2000-02-29T00:00:00Z")).toBe("2000-02-29T00:00:00.000Z");
    expect(p("2024-04-31T00:00:00.000Z")).toMatch(/^ERR no such date/);
    expect(p("2024-01-01T24:00:00Z")).toMatch(/^ERR no such time/);
    expect(p("2024-01-01T00:60:00.000Z")).toMatch(/^ERR no such time/);
    expect(p("2024-01-01T00:00:00.00xZ")).toMatch(/^ERR unrecognised/);
    expect(p("2027-01-01T00:00:00Z")).toMatch(/^ERR date .* is in the future/);
    fc.assert(
      fc.property(fc.date({ min: new Date("1900-01-01T00:00:00Z"), max: now, noInvalidDate: true }), (d) => {
        expect(p(d.toISOString())).toBe(d.toISOString());
        expect(p(d.toISOString().replace(".", ",").replace("Z", "+00:00"))).toBe(d.toISOString()); // general path
      }),
      { seed: 4, numRuns: 300 },
    );
  });
  it("reads wall times in the chosen time zone, across DST", () => {
    expect(p("2024-03-05", "auto", "America/New_York")).toBe("2024-03-05T05:00:00.000Z");
    expect(p("2024-07-05 12:00", "auto", "America/New_York")).toBe("2024-07-05T16:00:00.000Z");
    expect(p("2024-07-05", "auto", "Asia/Tokyo")).toBe("2024-07-04T15:00:00.000Z");
    expect(p("2024-07-05T12:00:00Z", "auto", "Asia/Tokyo")).toBe("2024-07-05T12:00:00.000Z"); // offset wins
  });
  it("reads YYYYMMDD, slashes per chosen order, and epochs", () => {
    expect(p("19970101")).toBe("1997-01-01T00:00:00.000Z");
    expect(p("2024/03/05")).toBe("2024-03-05T00:00:00.000Z");
    expect(p("03/05/2024", "MDY")).toBe("2024-03-05T00:00:00.000Z");
    expect(p("03/05/2024", "DMY")).toBe("2024-05-03T00:00:00.000Z");
    expect(p("31.12.2023 23:59", "DMY")).toBe("2023-12-31T23:59:00.000Z");
    expect(p("1700000000")).toBe("2023-11-14T22:13:20.000Z");
    expect(p("1700000000123")).toBe("2023-11-14T22:13:20.123Z");
  });
  it("rejects impossible, ambiguous and future dates with reasons", () => {
    expect(p("2024-02-30")).toMatch(/^ERR no such date/);
    expect(p("13/01/2024", "MDY")).toMatch(/^ERR no such date/);
    expect(p("03/05/2024")).toMatch(/^ERR ambiguous/);
    expect(p("2030-01-01")).toMatch(/^ERR .*future/);
    expect(p("yesterday")).toMatch(/^ERR unrecognised/);
    expect(p("")).toMatch(/^ERR/);
  });
  it("agrees with Date for any UTC ISO timestamp (property)", () => {
    fc.assert(
      fc.property(fc.date({ min: new Date("1990-01-01T00:00:00Z"), max: new Date("2026-01-01T00:00:00Z"), noInvalidDate: true }), (d) => {
        expect(p(d.toISOString())).toBe(d.toISOString());
      }),
      { numRuns: 2000 },
    );
  });
});
