import { describe, expect, test } from "vitest";
import { ClvAbortedError, cumulativeTracking, expectedPurchases, fitBgNbd, fitParetoNbd, gammaSampler, holdoutByFrequency, mulberry32, nextPurchaseWindow, summarizeTransactions } from "../src/index.js";
import { cdnowSampleTransactions } from "./datasets.js";

describe("nextPurchaseWindow (Lomax waiting time given active; FHL 2005 §3 posterior Gamma(r+x, α+T))", () => {
  test("closed form: median of Lomax(k, s) = s·(2^(1/k) − 1)", () => {
    const w = nextPurchaseWindow({ r: 0.243, alpha: 4.414 }, 2, 38.86);
    const k = 2.243;
    const s = 43.274;
    expect(w.median).toBeCloseTo(s * (Math.pow(2, 1 / k) - 1), 10);
    expect(w.low).toBeCloseTo(s * (Math.pow(0.9, -1 / k) - 1), 10);
    expect(w.high).toBeCloseTo(s * (Math.pow(0.1, -1 / k) - 1), 10);
    expect(w.low).toBeLessThan(w.median);
    expect(w.median).toBeLessThan(w.high);
  });

  test("agrees with simulation: draw λ ~ Gamma(r+x, α+T), then W ~ Exp(λ) (200k draws, quantiles within 2 %)", () => {
    const rng = mulberry32(42);
    const gamma = gammaSampler(rng);
    const r = 0.8;
    const alpha = 12;
    const x = 3;
    const T = 60;
    const n = 200_000;
    const w = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const lambda = gamma(r + x, alpha + T);
      w[i] = -Math.log(1 - rng()) / lambda;
    }
    w.sort();
    const q = (p: number) => w[Math.floor(p * (n - 1))]!;
    const got = nextPurchaseWindow({ r, alpha }, x, T, { within: 30 });
    expect(Math.abs(got.median / q(0.5) - 1)).toBeLessThan(0.02);
    expect(Math.abs(got.low / q(0.1) - 1)).toBeLessThan(0.02);
    expect(Math.abs(got.high / q(0.9) - 1)).toBeLessThan(0.02);
    let within = 0;
    for (const v of w) if (v <= 30) within++;
    expect(got.probabilityWithin!).toBeCloseTo(within / n, 2);
  });

  test("more purchases over the same time → shorter expected wait; longer silence → longer wait", () => {
    const p = { r: 0.5, alpha: 10 };
    expect(nextPurchaseWindow(p, 10, 100).median).toBeLessThan(nextPurchaseWindow(p, 1, 100).median);
    expect(nextPurchaseWindow(p, 3, 300).median).toBeGreaterThan(nextPurchaseWindow(p, 3, 100).median);
  });

  test("rejects bad input with the field named", () => {
    expect(() => nextPurchaseWindow({ r: 0, alpha: 1 }, 1, 1)).toThrow(/r/);
    expect(() => nextPurchaseWindow({ r: 1, alpha: 1 }, -1, 1)).toThrow(/x/);
    expect(() => nextPurchaseWindow({ r: 1, alpha: 1 }, 1, 1, { low: 0.9, high: 0.1 })).toThrow(/low\/high/);
  });
});

describe("cumulativeTracking on CDNOW (FHL 2005: calibrate weeks 1–39, hold out weeks 40–78)", () => {
  const tx = cdnowSampleTransactions();
  const s = summarizeTransactions(tx, { observationEnd: new Date("1998-06-30T00:00:00Z"), calibrationEnd: new Date("1997-09-30T00:00:00Z"), unit: "weeks" });
  const cal = { frequency: s.frequency, recency: s.recency, T: s.T };
  const bg = fitBgNbd(cal);

  test("at the holdout length equals the sum behind holdoutByFrequency, and per-customer expectations", () => {
    const weeks = Array.from({ length: 39 }, (_, i) => i + 1);
    const c = cumulativeTracking(bg, cal, weeks);
    const bins = holdoutByFrequency(bg, { ...cal, holdoutFrequency: s.holdoutFrequency! }, 39, 7);
    const fromBins = bins.reduce((a, b) => a + b.predicted * b.customers, 0);
    expect(c[38]!).toBeCloseTo(fromBins, 6);
    let direct = 0;
    for (let i = 0; i < s.frequency.length; i++) direct += expectedPurchases(bg, 39, s.frequency[i]!, s.recency[i]!, s.T[i]!);
    expect(c[38]!).toBeCloseTo(direct, 6);
    for (let j = 1; j < c.length; j++) expect(c[j]!).toBeGreaterThan(c[j - 1]!);
  });

  test("tracks the observed holdout total within 15 % (data fact: actual repeat purchases in weeks 40–78)", () => {
    const actual = Array.from(s.holdoutFrequency!).reduce((a, b) => a + b, 0);
    const c = cumulativeTracking(bg, cal, [39]);
    expect(Math.abs(c[0]! / actual - 1)).toBeLessThan(0.15);
    const pn = fitParetoNbd(cal);
    expect(Math.abs(cumulativeTracking(pn, cal, [39])[0]! / actual - 1)).toBeLessThan(0.15);
  });

  test("rejects decreasing times", () => {
    expect(() => cumulativeTracking(bg, cal, [2, 1])).toThrow(/times/);
  });
});

describe("fit budgets: shouldStop aborts a fit with ClvAbortedError", () => {
  test("stops after the caller's budget of likelihood evaluations and names the fit", () => {
    const tx = cdnowSampleTransactions();
    const s = summarizeTransactions(tx, { observationEnd: new Date("1997-09-30T00:00:00Z"), unit: "weeks" });
    let calls = 0;
    const stop = () => ++calls > 5;
    expect(() => fitParetoNbd(s, { shouldStop: stop })).toThrow(ClvAbortedError);
    expect(calls).toBe(6);
    try {
      fitBgNbd(s, { shouldStop: () => true });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ClvAbortedError);
      expect((e as ClvAbortedError).operation).toBe("fit-bg-nbd");
    }
    // A budget that is never hit changes nothing.
    expect(fitBgNbd(s, { shouldStop: () => false }).params).toEqual(fitBgNbd(s).params);
  });
});
