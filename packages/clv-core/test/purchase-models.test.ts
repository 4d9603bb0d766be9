// Reference values: CDNOW 2,357-customer calibration summary (weeks), cdnow_customers_summary.csv
// (see ../shared/datasets/README.md). Published fits:
//  - BG/NBD: Fader, Hardie & Lee (2005), Marketing Science 24(2), Table/§4: r=0.243, α=4.414, a=0.793, b=2.426, LL=−9582.4
//  - Pareto/NBD: same paper, §4: r=0.553, α=10.578, s=0.606, β=11.669, LL=−9595.0 (β's SE ≈ 6: judged by LL and predictions)
//  - MBG/NBD: Batislam, Denizel & Filiztekin (2007) model on CDNOW as reported by lifetimes' docs: r=0.525, α=6.183, a=0.891, b=1.614
// Tolerances: parameters to their printed precision (half a unit in the last printed digit), LL to 0.1.
import { describe, expect, test } from "vitest";
import {
  bgNbdExpectedPurchases,
  bgNbdLogLikelihood,
  bgNbdProbabilityAlive,
  expectedPurchases,
  fitBgNbd,
  fitGammaGamma,
  fitModifiedBgNbd,
  fitParetoNbd,
  gammaSampler,
  modifiedBgNbdExpectedPurchases,
  modifiedBgNbdProbabilityAlive,
  paretoNbdExpectedPurchases,
  paretoNbdLogLikelihood,
  paretoNbdProbabilityAlive,
  mulberry32,
  probabilityAlive,
  scoreCustomers,
} from "../src/index.js";
import { compressRows } from "../src/data/compress-rows.js";
import { bgFamilyCommonDropoutNegLogLik, bgNbdNegLogLik, BOUNDARY_AB, RIDGE_CHECK_AB } from "../src/models/bg-nbd.js";
import { modifiedBgNbdNegLogLik } from "../src/models/modified-bg-nbd.js";
import { BOUNDARY_S, paretoNbdCommonDropoutNegLogLik, paretoNbdNegLogLik, RIDGE_CHECK_S } from "../src/models/pareto-nbd.js";
import { cdnowSummary } from "./datasets.js";
import { expectGradientMatches, meanAge, plainFit, shuffledIndex, simulateCommonDropout } from "./helpers.js";
import { bgAlive, bgExpected, commonDropoutSimpson, mbgAlive, mbgExpected, paretoAlive, paretoAliveSimpson, paretoExpected } from "./reference-formulas.js";

const cdnow = cdnowSummary();
const bg = fitBgNbd(cdnow);
const pareto = fitParetoNbd(cdnow);
const mbg = fitModifiedBgNbd(cdnow);

// a spread of real CDNOW customers (row indices), including x = 0 and the heaviest buyers
const sampleRows = [0, 1, 2, 10, 100, 500, 1000, 1500, 2000, 2356];
const heaviest = cdnow.frequency.indexOf(Math.max(...cdnow.frequency));

function within(actual: number, expected: number, halfUnit: number): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(halfUnit);
}

describe("BG/NBD on CDNOW (FHL 2005)", () => {
  test("parameters to printed precision, LL to 0.1", () => {
    within(bg.params.r, 0.243, 0.0005);
    within(bg.params.alpha, 4.414, 0.0005);
    within(bg.params.a, 0.793, 0.0005);
    within(bg.params.b, 2.426, 0.0005);
    within(bg.logLikelihood, -9582.4, 0.1);
    expect(bg.converged).toBe(true);
    expect(bg.kind).toBe("bg-nbd");
  });

  test("standard errors from the observed information are finite and plausible", () => {
    // lifetimes reports SEs r 0.0126, α 0.378, a 0.186, b 0.705 for this fit (summary table); tolerance 5 %
    within(bg.standardErrors.r, 0.0126, 0.0126 * 0.05);
    within(bg.standardErrors.alpha, 0.378, 0.378 * 0.05);
    within(bg.standardErrors.a, 0.186, 0.186 * 0.05);
    within(bg.standardErrors.b, 0.705, 0.705 * 0.05);
  });

  test("P(alive) and conditional expectations agree with the literal formulas (rel. 1e-9)", () => {
    for (const i of [...sampleRows, heaviest]) {
      const [x, tx, T] = [cdnow.frequency[i]!, cdnow.recency[i]!, cdnow.T[i]!];
      expect(bgNbdProbabilityAlive(bg, x, tx, T)).toBeCloseTo(bgAlive(bg.params, x, tx, T), 12);
      for (const t of [1, 10, 39, 52]) {
        const ref = bgExpected(bg.params, t, x, tx, T);
        expect(Math.abs(bgNbdExpectedPurchases(bg, t, x, tx, T) - ref)).toBeLessThanOrEqual(1e-9 * Math.max(1, ref));
      }
    }
  });

  test("column form equals scalar form; generic dispatch equals the model's own", () => {
    const cols = bgNbdExpectedPurchases(bg, 39, cdnow.frequency, cdnow.recency, cdnow.T);
    expect(cols).toBeInstanceOf(Float64Array);
    expect(cols[5]).toBe(bgNbdExpectedPurchases(bg, 39, cdnow.frequency[5]!, cdnow.recency[5]!, cdnow.T[5]!));
    expect(expectedPurchases(bg, 39, 2, 30.43, 38.86)).toBe(bgNbdExpectedPurchases(bg, 39, 2, 30.43, 38.86));
    expect(probabilityAlive(bg, 2, 30.43, 38.86)).toBe(bgNbdProbabilityAlive(bg, 2, 30.43, 38.86));
  });

  test("total expected purchases in the 39-week holdout is in a sane band", () => {
    // Loose sanity band only (FHL 2005 Fig. 3 shows the model tracking cumulative repeat sales in
    // weeks 40–78); per-customer values are checked exactly against the literal formula above.
    const total = Array.from(bgNbdExpectedPurchases(bg, 39, cdnow.frequency, cdnow.recency, cdnow.T)).reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(1500);
    expect(total).toBeLessThan(2100);
  });

  test("refit from the published parameters stays put; LL at published values is −9582.4", () => {
    within(bgNbdLogLikelihood({ r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 }, cdnow), -9582.4, 0.1);
  });
});

describe("Pareto/NBD on CDNOW (FHL 2005)", () => {
  test("LL to 0.1; r, α, s to printed precision; β within one-hundredth of its SE", () => {
    within(pareto.logLikelihood, -9595.0, 0.1);
    within(pareto.params.r, 0.553, 0.0005);
    within(pareto.params.alpha, 10.578, 0.0005);
    within(pareto.params.s, 0.606, 0.0005);
    within(pareto.params.beta, 11.669, 0.06); // SE(β) ≈ 6.2: weakly identified
    expect(pareto.standardErrors.beta).toBeGreaterThan(5);
    expect(pareto.standardErrors.beta).toBeLessThan(7.5);
    within(paretoNbdLogLikelihood({ r: 0.553, alpha: 10.578, s: 0.606, beta: 11.669 }, cdnow), -9595.0, 0.1);
  });

  test("P(alive) agrees with the ₂F₁ (lifetimes) form and with brute-force integration (rel. 1e-9)", () => {
    for (const i of [...sampleRows, heaviest]) {
      const [x, tx, T] = [cdnow.frequency[i]!, cdnow.recency[i]!, cdnow.T[i]!];
      const got = paretoNbdProbabilityAlive(pareto, x, tx, T);
      expect(Math.abs(got - paretoAlive(pareto.params, x, tx, T))).toBeLessThan(1e-9);
      expect(Math.abs(got - paretoAliveSimpson(pareto.params, x, tx, T, 2000))).toBeLessThan(1e-9);
      const ref = paretoExpected(pareto.params, 39, x, tx, T);
      expect(Math.abs(paretoNbdExpectedPurchases(pareto, 39, x, tx, T) - ref)).toBeLessThan(1e-9 * Math.max(1, ref));
    }
  });

  test("every branch (α-side series, β-side series, quadrature) agrees with brute-force integration", () => {
    const branches = [
      { r: 0.8, alpha: 60, s: 1.3, beta: 2 }, // α > β: α-side series
      { r: 0.8, alpha: 2, s: 1.3, beta: 60 }, // β > α: β-side series
      { r: 0.8, alpha: 0.5, s: 1.3, beta: 500 }, // |β−α| ≈ max(α,β): quadrature
      { r: 0.8, alpha: 900, s: 1.3, beta: 0.2 }, // quadrature the other way round
    ];
    for (const params of branches) {
      for (const [x, tx, T] of [[0, 0, 40], [3, 10, 40], [20, 39, 40], [1, 0.5, 5]] as const) {
        const got = paretoNbdProbabilityAlive({ params }, x, tx, T);
        expect(Math.abs(got - paretoAliveSimpson(params, x, tx, T))).toBeLessThan(1e-7);
      }
    }
  });

  test("analytic gradient of the log-likelihood matches central differences on every branch", () => {
    const data = compressRows({ frequency: [0, 1, 4, 12, 2], recency: [0, 3, 20, 38, 39], T: [40, 30, 40, 39, 39] });
    for (const p of [[0.55, 10.6, 0.6, 11.7], [0.8, 60, 1.3, 2], [0.8, 2, 1.3, 60], [0.8, 0.5, 1.3, 500]]) {
      expectGradientMatches((th, g) => paretoNbdNegLogLik(data, th, g), p.map(Math.log), 1e-6);
    }
  });

  test("extreme inputs stay finite and in range", () => {
    const cases: [number, number, number, { r: number; alpha: number; s: number; beta: number }][] = [
      [500, 99.99, 100, { r: 0.5, alpha: 1e-6, s: 0.6, beta: 10 }],
      [300, 1, 100, { r: 0.5, alpha: 0.01, s: 0.6, beta: 10 }],
      [200, 150, 150, { r: 5, alpha: 1e3, s: 0.1, beta: 1e-4 }],
      [0, 0, 1e4, { r: 0.2, alpha: 1e-5, s: 20, beta: 1e5 }],
      [1000, 365, 365, { r: 0.2, alpha: 1, s: 1, beta: 1 }],
    ];
    for (const [x, tx, T, params] of cases) {
      const pa = paretoNbdProbabilityAlive({ params }, x, tx, T);
      expect(pa).toBeGreaterThanOrEqual(0);
      expect(pa).toBeLessThanOrEqual(1);
      const e = paretoNbdExpectedPurchases({ params }, 52, x, tx, T);
      expect(Number.isFinite(e)).toBe(true);
      expect(e).toBeGreaterThanOrEqual(0);
    }
  });
});

describe("Pareto/NBD when every customer drops out at one common rate (s, β → ∞)", () => {
  // λ ~ Gamma(0.8, 20) per day, every lifetime Exponential(μ = 0.01 per day), ages 100–600 days. With no
  // heterogeneity in μ the Pareto/NBD likelihood's supremum is the limit s, β → ∞ (s/β = μ) about half
  // the time; seed 1 is such a draw (checked below: the plain optimiser runs off along the ridge).
  const simulate = (seed: number, n: number) => simulateCommonDropout(seed, n, { rate: 0.01 });
  const rows: [number, number, number][] = [[0, 0, 40], [3, 10, 40], [20, 39, 40], [1, 0.5, 5], [7, 200, 580]];
  const small = compressRows({ frequency: rows.map((r) => r[0]), recency: rows.map((r) => r[1]), T: rows.map((r) => r[2]) });
  const lim = { r: 0.8, alpha: 20, mu: 0.01 };

  test("the limiting likelihood equals brute-force integration, its gradient central differences, and it is the limit of Pareto/NBD's", () => {
    const th = [lim.r, lim.alpha, lim.mu].map(Math.log);
    const ref = rows.reduce((acc, [x, tx, T]) => acc + commonDropoutSimpson(lim, x, tx, T).logL, 0);
    expect(Math.abs(-paretoNbdCommonDropoutNegLogLik(small, th, null) - ref)).toBeLessThan(1e-9 * Math.abs(ref));
    expectGradientMatches((t, g) => paretoNbdCommonDropoutNegLogLik(small, t, g), th, 1e-6);
    // Pareto/NBD at s = 10^k, β = s/μ: the gap to the limit shrinks like 1/s and stays accurate far out
    // (ln I alone is ≈ −(s+1) ln β; the likelihood is evaluated in a scaled form without that cancellation)
    let prev = Infinity;
    for (const s of [1e2, 1e4, 1e6, 1e9, 1e12]) {
      const gap = Math.abs(paretoNbdNegLogLik(small, [th[0]!, th[1]!, Math.log(s), Math.log(s / lim.mu)], null) - paretoNbdCommonDropoutNegLogLik(small, th, null));
      expect(gap).toBeLessThan(Math.max(prev / 50, 1e-9));
      prev = gap;
      for (const [x, tx, T] of rows) {
        const pa = paretoNbdProbabilityAlive({ params: { r: lim.r, alpha: lim.alpha, s, beta: s / lim.mu } }, x, tx, T);
        expect(Math.abs(pa - commonDropoutSimpson(lim, x, tx, T).alive)).toBeLessThan(Math.max(20 / s, 1e-8));
      }
    }
    // its gradient far along the ridge still matches central differences (s = 1e9)
    expectGradientMatches((t, g) => paretoNbdNegLogLik(small, t, g), [th[0]!, th[1]!, Math.log(1e9), Math.log(1e9 / lim.mu)], 1e-5);
  });

  test("the fit stops at the limit in fewer likelihood evaluations than a plain run along the ridge, with at least its log-likelihood", () => {
    const d = simulate(1, 4000);
    let evaluations = 0;
    const m = fitParetoNbd(d, { shouldStop: () => (evaluations++, false) });
    // the plain optimiser from the same start (no boundary check) walks off along s, β → ∞
    const c = compressRows(d);
    const t = Math.log(meanAge(c));
    const plain = plainFit(paretoNbdNegLogLik, c, [0, t, 0, t]);
    expect(Math.exp(plain.x[2]!)).toBeGreaterThan(1e4);
    expect(Math.exp(plain.x[2]! - plain.x[3]!)).toBeCloseTo(m.boundary!.limitParams.mu!, 5);

    expect(m.boundary?.limit).toBe("common-dropout-rate");
    expect(m.converged).toBe(false);
    expect(evaluations).toBeLessThan(plain.evaluations);
    expect(Number.isFinite(m.logLikelihood)).toBe(true);
    expect(m.logLikelihood).toBeGreaterThanOrEqual(plain.bestLogLikelihood - 1e-6);
    expect(m.logLikelihood - plain.bestLogLikelihood).toBeLessThan(1e-3);
    // the limit recovers the simulation (μ = 0.01, r = 0.8, α = 20) within 4 standard errors
    const lp = m.boundary!.limitParams;
    const lse = m.boundary!.limitStandardErrors;
    for (const [k, truth] of [["r", 0.8], ["alpha", 20], ["mu", 0.01]] as const) expect(Math.abs(lp[k]! - truth)).toBeLessThan(4 * lse[k]!);
    // the reported point on the ridge predicts what the limit predicts
    expect(m.params.s).toBe(BOUNDARY_S);
    expect(m.params.s / m.params.beta).toBeCloseTo(lp.mu!, 12);
    expect(Number.isNaN(m.standardErrors.s) && Number.isNaN(m.standardErrors.beta)).toBe(true);
    for (const [x, tx, T] of rows) {
      const limitAlive = commonDropoutSimpson({ r: lp.r!, alpha: lp.alpha!, mu: lp.mu! }, x, tx, T).alive;
      expect(Math.abs(paretoNbdProbabilityAlive(m, x, tx, T) - limitAlive)).toBeLessThan(1e-4);
    }
    expect(JSON.parse(JSON.stringify(m)).boundary.limitParams).toEqual(lp);
    // and its covariance (ln s fixed, ln β = ln s − ln μ) gives a finite CLV range by the delta method
    const spend = Float64Array.from(d.frequency, (x, i) => (x > 0 ? 10 + (i % 13) : 0));
    const gg = fitGammaGamma({ frequency: d.frequency, monetaryValue: spend });
    const sc = scoreCustomers({ purchaseModel: m, spendModel: gg, ...d, monetaryValue: spend }, { unitsPerMonth: 30 });
    const total = sc.total!;
    expect(total.low).toBeGreaterThan(0);
    expect(total.low).toBeLessThan(total.clv);
    expect(total.high).toBeGreaterThan(total.clv);
    expect(Number.isFinite(total.high)).toBe(true);
  });

  test("a large but finite s is not mistaken for the limit", () => {
    // seed 2 of the same process: the optimum has s ≈ 75 (> RIDGE_CHECK_S), above the limit's likelihood
    const m = fitParetoNbd(simulate(2, 4000));
    expect(m.params.s).toBeGreaterThan(RIDGE_CHECK_S);
    expect(m.params.s).toBeLessThan(1e3);
    expect(m.boundary).toBeUndefined();
    expect(m.converged).toBe(true);
  });
});

describe("BG/NBD and MBG/NBD when every customer drops out with one common probability (a, b → ∞)", () => {
  // λ ~ Gamma(0.8, 20) per day, dropout probability 0.1 after every repeat purchase for everyone, ages
  // 100–600 days; seed 1 puts BG/NBD's maximum at the limit (checked: the plain optimiser runs off).
  const simulate = (seed: number, n: number) => simulateCommonDropout(seed, n, { probability: 0.1 });
  const small = compressRows({ frequency: [0, 1, 4, 12, 2], recency: [0, 3, 20, 38, 39], T: [40, 30, 40, 39, 39] });

  test("the limiting likelihoods are the limits of BG/NBD's and MBG/NBD's, with matching gradients", () => {
    const lim = [Math.log(0.8), Math.log(20), Math.log(0.1)];
    for (const [shift, full] of [[1, bgNbdNegLogLik], [0, modifiedBgNbdNegLogLik]] as const) {
      const limNll = bgFamilyCommonDropoutNegLogLik(small, lim, null, shift);
      let prev = Infinity;
      // out to a + b = 1e10: the Beta-function ratio is summed term by term there (lnΓ differences cancelled to noise)
      for (const k of [1e2, 1e4, 1e6, 1e8, 1e10]) {
        const gap = Math.abs(full(small, [lim[0]!, lim[1]!, Math.log(0.1 * k), Math.log(0.9 * k)], null) - limNll);
        expect(gap).toBeLessThan(prev / 50);
        prev = gap;
      }
      expect(prev).toBeLessThan(1e-8);
      expectGradientMatches((t, g) => bgFamilyCommonDropoutNegLogLik(small, t, g, shift), lim, 1e-6);
    }
    expect(bgFamilyCommonDropoutNegLogLik(small, [0, 0, 0], null, 1)).toBe(Infinity); // p = 1
  });

  test("BG/NBD stops at the limit in fewer evaluations than a plain run, with at least its log-likelihood; MBG/NBD too", () => {
    const d = simulate(1, 4000);
    let evaluations = 0;
    const m = fitBgNbd(d, { shouldStop: () => (evaluations++, false) });
    const plain = plainFit(bgNbdNegLogLik, compressRows(d), [0, Math.log(meanAge(compressRows(d))), 0, 0]);
    expect(Math.exp(plain.x[2]!) + Math.exp(plain.x[3]!)).toBeGreaterThan(1e4);
    expect(m.boundary?.limit).toBe("common-dropout-probability");
    expect(m.converged).toBe(false);
    expect(evaluations).toBeLessThan(plain.evaluations);
    expect(m.logLikelihood).toBeGreaterThanOrEqual(plain.bestLogLikelihood - 1e-6);
    const lp = m.boundary!.limitParams;
    const lse = m.boundary!.limitStandardErrors;
    for (const [k, truth] of [["r", 0.8], ["alpha", 20], ["p", 0.1]] as const) expect(Math.abs(lp[k]! - truth)).toBeLessThan(4 * lse[k]!);
    expect(m.params.a + m.params.b).toBeCloseTo(BOUNDARY_AB, 6);
    expect(m.params.a / (m.params.a + m.params.b)).toBeCloseTo(lp.p!, 12);
    // the reported point predicts what the limit predicts (P(alive) = 1/(1 + p/(1−p)·((α+T)/(α+t_x))^{r+x}))
    const alive = (x: number, tx: number, T: number) => (x === 0 ? 1 : 1 / (1 + (lp.p! / (1 - lp.p!)) * ((lp.alpha! + T) / (lp.alpha! + tx)) ** (lp.r! + x)));
    for (const [x, tx, T] of [[0, 0, 300], [3, 100, 300], [20, 290, 300], [5, 20, 500]] as const) {
      expect(Math.abs(bgNbdProbabilityAlive(m, x, tx, T) - alive(x, tx, T))).toBeLessThan(1e-5);
    }
    // a finite 80 % CLV range (the plain fit's information matrix was singular out there)
    const spend = Float64Array.from(d.frequency, (x, i) => (x > 0 ? 10 + (i % 13) : 0));
    const total = scoreCustomers({ purchaseModel: m, spendModel: fitGammaGamma({ frequency: d.frequency, monetaryValue: spend }), ...d, monetaryValue: spend }, { unitsPerMonth: 30 }).total!;
    expect(total.low).toBeGreaterThan(0);
    expect(total.low).toBeLessThan(total.clv);
    expect(total.high).toBeGreaterThan(total.clv);
    expect(Number.isFinite(total.high)).toBe(true);
    const mbg = fitModifiedBgNbd(d);
    expect(mbg.boundary?.limit).toBe("common-dropout-probability");
    expect(Math.abs(mbg.boundary!.limitParams.p! - 0.1)).toBeLessThan(4 * mbg.boundary!.limitStandardErrors.p!);
  });

  test("a large but finite a + b is not mistaken for the limit (seed 2: a + b ≈ 1,070)", () => {
    const m = fitBgNbd(simulate(2, 4000));
    expect(m.params.a + m.params.b).toBeGreaterThan(RIDGE_CHECK_AB);
    expect(m.params.a + m.params.b).toBeLessThan(1e4);
    expect(m.boundary).toBeUndefined();
  });
});

describe("MBG/NBD on CDNOW", () => {
  test("parameters to printed precision", () => {
    within(mbg.params.r, 0.525, 0.0005);
    within(mbg.params.alpha, 6.183, 0.0005);
    within(mbg.params.a, 0.891, 0.0005);
    within(mbg.params.b, 1.614, 0.0005);
    expect(mbg.converged).toBe(true);
  });

  test("P(alive) and expectations agree with the literal formulas (rel. 1e-9)", () => {
    for (const i of [...sampleRows, heaviest]) {
      const [x, tx, T] = [cdnow.frequency[i]!, cdnow.recency[i]!, cdnow.T[i]!];
      expect(modifiedBgNbdProbabilityAlive(mbg, x, tx, T)).toBeCloseTo(mbgAlive(mbg.params, x, tx, T), 12);
      const ref = mbgExpected(mbg.params, 39, x, tx, T);
      expect(Math.abs(modifiedBgNbdExpectedPurchases(mbg, 39, x, tx, T) - ref)).toBeLessThanOrEqual(1e-9 * Math.max(1, ref));
    }
    // unlike BG/NBD, a one-time buyer is not certainly alive
    expect(modifiedBgNbdProbabilityAlive(mbg, 0, 0, 38.86)).toBeLessThan(1);
  });
});

describe("expectation series at the a = 1 removable singularity and large frequency", () => {
  test("continuous through a = 1 and finite for x in the hundreds", () => {
    const base = { r: 0.3, alpha: 5, b: 2.5 };
    const lo = bgNbdExpectedPurchases({ params: { ...base, a: 1 - 1e-7 } }, 20, 3, 10, 30);
    const at = bgNbdExpectedPurchases({ params: { ...base, a: 1 } }, 20, 3, 10, 30);
    const hi = bgNbdExpectedPurchases({ params: { ...base, a: 1 + 1e-7 } }, 20, 3, 10, 30);
    expect(Math.abs(lo - at)).toBeLessThan(1e-6);
    expect(Math.abs(hi - at)).toBeLessThan(1e-6);
    const big = bgNbdExpectedPurchases({ params: { ...base, a: 0.8 } }, 52, 400, 99.5, 100);
    expect(Number.isFinite(big)).toBe(true);
    expect(big).toBeGreaterThan(100); // ~4 purchases per unit time for ~52 units, discounted by churn risk
  });
});

describe("large data (> 40,000 distinct rows): subsample warm start", () => {
  test("the warm-started fit equals a tightly converged fit and recovers the simulation's parameters", () => {
    // 60,000 customers simulated from the BG/NBD process (continuous time, so rows are distinct)
    const truth = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
    const rng = mulberry32(11);
    const gamma = gammaSampler(rng);
    const n = 60_000;
    const frequency = new Float64Array(n);
    const recency = new Float64Array(n);
    const T = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const lambda = gamma(truth.r, truth.alpha);
      const g1 = gamma(truth.a, 1);
      const p = g1 / (g1 + gamma(truth.b, 1));
      const age = 39 * rng() + 13;
      let t = 0;
      let x = 0;
      let last = 0;
      for (;;) {
        t += -Math.log(1 - rng()) / lambda;
        if (t > age) break;
        x++;
        last = t;
        if (rng() < p) break;
      }
      frequency[i] = x;
      recency[i] = last;
      T[i] = age;
    }
    const fast = fitBgNbd({ frequency, recency, T });
    const tight = fitBgNbd({ frequency, recency, T }, { gradientTolerance: 1e-10 });
    expect(fast.converged && tight.converged).toBe(true);
    for (const k of ["r", "alpha", "a", "b"] as const) {
      // optimisation error well below 1 % of a standard error
      expect(Math.abs(fast.params[k] - tight.params[k])).toBeLessThan(0.01 * tight.standardErrors[k]);
      // and the truth within 4 standard errors
      expect(Math.abs(tight.params[k] - truth[k])).toBeLessThan(4 * tight.standardErrors[k]);
    }
    expect(Math.abs(fast.logLikelihood - tight.logLikelihood)).toBeLessThan(1e-3);
  });
});

describe("row order", () => {
  // A daily-grid data set with more distinct rows than WARM_THRESHOLD (40,000), so the fits take their
  // warm-start path on a systematic subsample of the distinct rows.
  const rng = mulberry32(2026);
  const n = 60_000;
  const big = { frequency: new Float64Array(n), recency: new Float64Array(n), T: new Float64Array(n) };
  for (let i = 0; i < n; i++) {
    const T = 1 + Math.floor(rng() * 900);
    const x = Math.floor(-Math.log(1 - rng()) * 6);
    big.T[i] = T;
    big.frequency[i] = Math.min(x, T - 1);
    big.recency[i] = big.frequency[i]! > 0 ? Math.max(big.frequency[i]!, Math.floor(rng() * T)) : 0;
  }
  const permuted = <C extends { frequency: ArrayLike<number>; recency: ArrayLike<number>; T: ArrayLike<number> }>(c: C, seed: number) => {
    const idx = shuffledIndex(c.frequency.length, seed);
    return { frequency: idx.map((i) => c.frequency[i]!), recency: idx.map((i) => c.recency[i]!), T: idx.map((i) => c.T[i]!) };
  };

  test("compressed rows come out ascending by (x, T, t_x) and map every input row back to its own values", () => {
    const c = compressRows(big);
    expect(c.size).toBeGreaterThan(40_000);
    for (let g = 1; g < c.size; g++) {
      const order = c.x[g]! - c.x[g - 1]! || c.T[g]! - c.T[g - 1]! || c.tx[g]! - c.tx[g - 1]!;
      expect(order > 0).toBe(true);
    }
    for (let i = 0; i < n; i += 97) {
      const g = c.rowGroup[i]!;
      expect([c.x[g], c.tx[g], c.T[g]]).toEqual([big.frequency[i], big.recency[i], big.T[i]]);
    }
  });

  test("a fit depends on the rows, not on their order (CDNOW and a large daily-grid set)", () => {
    const again = fitBgNbd(permuted(cdnow, 5));
    expect(again.params).toEqual(bg.params);
    expect(fitModifiedBgNbd(permuted(cdnow, 6)).params).toEqual(mbg.params);
    const a = fitBgNbd(big);
    const b = fitBgNbd(permuted(big, 7));
    expect(b.params).toEqual(a.params);
    expect(b.logLikelihood).toBe(a.logLikelihood);
  });
});
