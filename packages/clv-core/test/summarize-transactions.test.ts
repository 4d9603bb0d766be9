// Reference: cdnow_customers_summary.csv and cdnow_customers_summary_with_transactions.csv are lifetimes'
// summaries of CDNOW_sample.txt with calibration end 1997-09-30 (weeks, rounded to 2 decimals). Our
// summary must round to the same values (tolerance: 0.005 + float slack on recency/T, exact on frequency).
import { describe, expect, test } from "vitest";
import { ClvInputError, summarizeTransactionColumns, summarizeTransactions } from "../src/index.js";
import { cdnowSampleTransactions, cdnowSummary, cdnowWithSpend } from "./datasets.js";

const day = (s: string): Date => new Date(`${s}T00:00:00Z`);

describe("summarizeTransactions", () => {
  test("reproduces the CDNOW calibration summary and zbar to their 2-decimal rounding", () => {
    const tx = cdnowSampleTransactions();
    const s = summarizeTransactions(tx, { observationEnd: day("1998-06-30"), calibrationEnd: day("1997-09-30"), unit: "weeks" });
    const ref = cdnowSummary();
    const spend = cdnowWithSpend();
    expect(s.customerIds.length).toBe(2357);
    // the sample file zero-pads ids ("0001"); the summary csv does not ("1")
    const pos = new Map(s.customerIds.map((id, i) => [Number(id), i]));
    for (let j = 0; j < ref.id.length; j++) {
      const i = pos.get(Number(ref.id[j]))!;
      expect(s.frequency[i]).toBe(ref.frequency[j]);
      expect(Math.abs(s.recency[i]! - ref.recency[j]!)).toBeLessThanOrEqual(0.005 + 1e-9);
      expect(Math.abs(s.T[i]! - ref.T[j]!)).toBeLessThanOrEqual(0.005 + 1e-9);
      expect(Math.abs(s.monetaryValue[i]! - spend.monetaryValue[j]!)).toBeLessThanOrEqual(0.005 + 1e-9);
    }
    // holdout: 39 weeks after calibration; every customer has a (possibly zero) holdout count
    expect(s.holdoutFrequency).toBeDefined();
    const totalHoldout = Array.from(s.holdoutFrequency!).reduce((a, b) => a + b, 0);
    expect(totalHoldout).toBeGreaterThan(0);
  });

  test("hand-computed: same-day merge, refunds, days vs weeks, calibration/holdout", () => {
    const tx = [
      { customerId: "a", at: day("2024-01-01"), amount: 10 },
      { customerId: "a", at: new Date("2024-01-08T09:00:00Z"), amount: 30 },
      { customerId: "a", at: new Date("2024-01-08T18:00:00Z"), amount: -5 }, // refund, same day: merged
      { customerId: "a", at: day("2024-01-15"), amount: 20 },
      { customerId: "b", at: day("2024-01-10"), amount: 7 },
      { customerId: "a", at: day("2024-01-20"), amount: 100 }, // holdout
      { customerId: "a", at: day("2024-02-20"), amount: 100 }, // after observation end: ignored
      { customerId: "c", at: day("2024-01-18"), amount: 5 }, // first purchase in holdout: dropped
    ];
    const s = summarizeTransactions(tx, { observationEnd: day("2024-01-29"), calibrationEnd: day("2024-01-15"), unit: "days" });
    expect(s.customerIds).toEqual(["a", "b"]);
    expect(Array.from(s.frequency)).toEqual([2, 0]);
    expect(Array.from(s.recency)).toEqual([14, 0]);
    expect(Array.from(s.T)).toEqual([14, 5]);
    expect(Array.from(s.monetaryValue)).toEqual([(25 + 20) / 2, 0]);
    expect(Array.from(s.holdoutFrequency!)).toEqual([1, 0]);
    expect(Array.from(s.holdoutMonetaryValue!)).toEqual([100, 0]);
    const w = summarizeTransactions(tx.slice(0, 5), { observationEnd: day("2024-01-15"), unit: "weeks" });
    expect(w.recency[0]).toBeCloseTo(2, 12);
    expect(w.holdoutFrequency).toBeUndefined();
  });

  test("columnar path equals the object path", () => {
    const tx = cdnowSampleTransactions().slice(0, 800);
    const ids = [...new Set(tx.map((t) => t.customerId))];
    const index = new Map(ids.map((id, i) => [id, i]));
    const a = summarizeTransactions(tx, { observationEnd: day("1997-09-30"), unit: "days" });
    const b = summarizeTransactionColumns(
      { customerIndex: tx.map((t) => index.get(t.customerId)!), day: tx.map((t) => Math.floor(t.at.getTime() / 86400000)), amount: tx.map((t) => t.amount) },
      { customers: ids.length, observationEndDay: Math.floor(day("1997-09-30").getTime() / 86400000), unit: "days" },
    );
    expect(Array.from(b.customerIndex, (k) => ids[k])).toEqual(a.customerIds);
    expect(b.frequency).toEqual(a.frequency);
    expect(b.monetaryValue).toEqual(a.monetaryValue);
  });

  test("invalid input throws a ClvInputError naming function, field and row", () => {
    expect(() => summarizeTransactions([], { observationEnd: day("2024-01-01"), unit: "days" })).toThrow(ClvInputError);
    try {
      summarizeTransactions(
        [
          { customerId: "a", at: day("2024-01-01"), amount: 1 },
          { customerId: "a", at: new Date("nope"), amount: 1 },
        ],
        { observationEnd: day("2024-01-05"), unit: "days" },
      );
      expect.unreachable();
    } catch (e) {
      const err = e as ClvInputError;
      expect(err.fn).toBe("summarizeTransactions");
      expect(err.field).toBe("at");
      expect(err.row).toBe(1);
    }
    expect(() => summarizeTransactions([{ customerId: "a", at: day("2024-01-01"), amount: NaN }], { observationEnd: day("2024-01-05"), unit: "days" })).toThrow(/amount/);
    // @ts-expect-error invalid unit on purpose
    expect(() => summarizeTransactions([{ customerId: "a", at: day("2024-01-01"), amount: 1 }], { observationEnd: day("2024-01-05"), unit: "months" })).toThrow(/unit/);
  });
});
