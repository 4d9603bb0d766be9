import { describe, expect, test } from "vitest";
import { bgExpectationSeries, DIRECT_FORM_MIN_A } from "../src/models/bg-nbd.js";
import { ClvAbortedError, hyp2f1, cumulativeTracking, expectedPurchases, fitBgNbd, fitParetoNbd, gammaSampler, holdoutByFrequency, mulberry32, nextPurchaseWindow, summarizeTransactions } from "../src/index.js";
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

describe("BG/NBD expectation with a near-homogeneous dropout (a, b → ∞): no overflow", () => {
  // E[Y(t) | alive] factor: Cp · bgExpectationSeries(a, Cp − r − x, Cp, z); both summation forms must agree
  // where both are valid, and stay finite and monotone as a, b grow with a/(a+b) fixed.
  const factor = (a: number, b: number, r: number, x: number, z: number) => {
    const Cp = a + b + x - 1;
    return Cp * bgExpectationSeries(a, Cp - r - x, Cp, z);
  };
  test("both sides of the switch agree with the other form (a = 20 … 300, z up to 0.6, x up to 40)", () => {
    for (const a of [20, 60, 99, 120, 150, 300])
      for (const z of [0.05, 0.3, 0.6])
        for (const x of [0, 3, 40]) {
          const Cp = a + 8 * a + x - 1;
          const Ap = Cp - 0.55 - x;
          const got = bgExpectationSeries(a, Ap, Cp, z); // Euler below DIRECT_FORM_MIN_A, direct above
          const other = a > DIRECT_FORM_MIN_A ? eulerOnly(a, Ap, Cp, z) : directOnly(a, Ap, Cp, z);
          expect(Number.isFinite(other)).toBe(true);
          expect(Math.abs(got / other - 1)).toBeLessThan(1e-9);
        }
  });
  test("the direct form's linear-space sum (ratio recurrence) equals its log-space sum to rounding, on both sides of the underflow switch", () => {
    // x up to 2,000 with z near 1: (1−z)^p underflows there, and the log-space branch takes over.
    let logBranch = 0;
    for (const a of [150, 1e4, 1e8])
      for (const z of [0.01, 0.2, 0.5, 0.8, 0.95, 0.999])
        for (const x of [1, 5, 40, 300, 2000]) {
          const Cp = a + 9 * a + x - 1;
          const Ap = Cp - 0.55 - x;
          if ((Cp - Ap) * Math.log1p(-z) <= -700) logBranch++;
          const got = bgExpectationSeries(a, Ap, Cp, z);
          const ref = directLogSpace(a, Ap, Cp, z);
          expect(Number.isFinite(got) && got >= 0).toBe(true);
          expect(Math.abs(got - ref)).toBeLessThanOrEqual(1e-12 * Math.abs(ref) + 1e-300);
        }
    expect(logBranch).toBeGreaterThan(0);
  });
  test("finite for a = 1e7, b = 1e8 (fitted on very regular buyers) and converging as a, b grow", () => {
    const vals = [1e3, 1e5, 1e7].map((a) => factor(a, 9 * a, 0.55, 5, 0.4));
    for (const v of vals) expect(Number.isFinite(v) && v > 0).toBe(true);
    expect(Math.abs(vals[2]! / vals[1]! - 1)).toBeLessThan(1e-3);
  });
});

// The two forms, reached through the public switch: below DIRECT_FORM_MIN_A the Euler form, above the direct one.
function eulerOnly(a: number, Ap: number, Cp: number, z: number): number {
  const am1 = a - 1;
  const L1 = Math.log1p(-z);
  let G = 0;
  let u = (Ap / Cp) * z;
  for (let k = 1; k < 1_000_000; k++) {
    G += u;
    if (Math.abs(u) <= 1e-17 * Math.abs(G) && k > 3) break;
    u *= (((Ap + k) * (a + k - 1)) / ((Cp + k) * (k + 1))) * z;
  }
  return -Math.expm1(am1 * L1) / am1 - Math.exp(am1 * L1) * G;
}
// The direct form summed in log space only (four logarithms per term), as before the linear-space sum.
function directLogSpace(a: number, Ap: number, Cp: number, z: number): number {
  const p = Cp - Ap;
  const B = Cp - a + 1;
  const lz = Math.log(z);
  let logTerm = p * Math.log1p(-z);
  let S = Math.exp(logTerm);
  let peaked = false;
  for (let k = 0; k < 1_000_000; k++) {
    logTerm += Math.log(p + k) + Math.log(B + k) - Math.log(Cp + k) - Math.log(k + 1) + lz;
    const t = Math.exp(logTerm);
    S += t;
    if (((p + k + 1) * (B + k + 1)) / ((Cp + k + 1) * (k + 2)) * z < 1) peaked = true;
    if (peaked && t <= 1e-17 * S && k > 3) break;
  }
  return Math.max(0, -Math.expm1(Math.log(Math.min(1, S)))) / (a - 1);
}
function directOnly(a: number, Ap: number, Cp: number, z: number): number {
  // hyp2f1 reference from clv-core's math, un-transformed: [1 − (1−z)^p ₂F₁(p, B; c; z)]/(a − 1)
  const p = Cp - Ap;
  const B = Cp - a + 1;
  return (1 - Math.pow(1 - z, p) * hyp2f1(p, B, Cp, z)) / (a - 1);
}
