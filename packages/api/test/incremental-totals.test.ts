// Pure parts of the incremental refresh (services/recompute/incremental.ts): totals moved by the
// changed customers' old and new values; a run whose total could not be bounded (null range, as at
// 1M customers of the bench generator, where BG/NBD's a and b run off and the information matrix is
// singular) is still a usable base.
import { describe, expect, it } from "vitest";
import { adjustTotals, readTotals } from "../src/services/recompute/incremental.ts";

const base = {
  predicted12m: { clv: 10_000, low: 8_000, high: 12_500 },
  historical: 50_000,
  equity: 60_000,
  atRisk: 3,
  scored: 10,
  histogram: [
    { from: 0, to: 1000, customers: 6 },
    { from: 1000, to: 2000, customers: 4 },
  ],
};

describe("incremental totals", () => {
  it("moves sums, counts and histogram bins by old-out / new-in and scales the range with the total", () => {
    const t = adjustTotals(base, [{ clv: 1500, historical: 700, atRisk: true }], [
      { clv: 400.4, historical: 900, atRisk: false },
      { clv: 2600, historical: 100, atRisk: true },
    ]);
    expect(t.predicted12m.clv).toBe(10_000 - 1500 + 400 + 2600);
    expect(t.predicted12m.low).toBe(Math.round(8_000 * (11_500 / 10_000)));
    expect(t.predicted12m.high).toBe(Math.round(12_500 * 1.15));
    expect(t.historical).toBe(50_000 - 700 + 1000);
    expect(t.equity).toBe(t.historical + t.predicted12m.clv);
    expect(t.atRisk).toBe(3);
    expect(t.scored).toBe(11);
    // 1500 leaves bin 2; 400.4 joins bin 1; 2600 (past the last edge) joins the open-ended last bin.
    expect(t.histogram.map((b) => b.customers)).toEqual([7, 4]);
  });

  it("reads a base whose total range is null and keeps it null", () => {
    const stored = { ...base, predicted12m: { clv: 10_000, low: null, high: null } };
    const t = readTotals(JSON.parse(JSON.stringify(stored)));
    expect(t?.predicted12m).toEqual({ clv: 10_000, low: null, high: null });
    expect(adjustTotals(t!, [], [{ clv: 5, historical: 5, atRisk: false }]).predicted12m).toEqual({ clv: 10_005, low: null, high: null });
    expect(readTotals({ predicted12m: { clv: "x" }, histogram: [] })).toBeNull();
  });
});
