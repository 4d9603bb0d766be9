/**
 * The fast path: every per-customer output in one pass over columnar data.
 *
 * Rows are compressed to distinct (frequency, recency, T) patterns first, P(alive) is computed once
 * per pattern, the alive-conditional expectations once per distinct (frequency, T) and horizon, and
 * only the Gamma-Gamma spend (linear in the customer's own mean spend) runs per customer.
 *
 * Intervals on CLV (default 80%: P10–P90) come from the approximate sampling distribution of the
 * fitted parameters, log-parameters ~ N(θ̂, I(θ̂)⁻¹), independently for the purchase and spend
 * models:
 *  - `{ method: "delta" }` (default): first-order (delta-method) propagation on the log scale,
 *    giving log-normal intervals; O(n) work and memory, so it scales to millions of customers.
 *  - `{ method: "sampling", rng, draws }`: Monte Carlo over `draws` parameter draws from a seeded
 *    generator, with per-customer and total quantiles; exact under the normal approximation but
 *    O(n · draws) memory, so it is limited to n · draws ≤ 5·10⁷.
 * Reference: Pawitan (2001), In All Likelihood, §4.7 (delta method); Efron & Tibshirani (1993) §6
 * (parametric simulation of estimator uncertainty).
 * Complexity: O(n + distinct rows · d + distinct(x, T) · (months + horizons) · series terms).
 *
 * @example
 * const s = scoreCustomers({ purchaseModel: bg, spendModel: gg, frequency, recency, T, monetaryValue },
 *   { horizons: [4.345, 13, 52], months: 12, unitsPerMonth: 4.345 });
 * s.probabilityAlive[0]; s.expectedPurchases[2][0]; s.clv?.[0]; s.clvLow?.[0]; s.total?.high;
 */
import { compressRowsCached, type CompressedRfm } from "../data/compress-rows.js";
import { validateRfm } from "../data/validate-columns.js";
import { ClvInputError } from "../errors.js";
import type { Rng } from "../math/mulberry32.js";
import { multivariateNormalSampler } from "../math/multivariate-normal.js";
import { normalQuantile } from "../math/normal-quantile.js";
import { clvSchedule, discountedPurchases, spendOf, validateSpendColumn, XTCache, type ClvOptions } from "./customer-lifetime-value.js";
import type { GammaGammaModel, GammaGammaParams } from "./gamma-gamma.js";
import { kernelOf, paramVector, purchaseKernel, type PurchaseModel } from "./purchase-model.js";

export type IntervalOptions = { method: "delta"; level?: number } | { method: "sampling"; rng: Rng; draws?: number; level?: number };

export interface ScoreInput {
  purchaseModel: PurchaseModel;
  /** Needed for expected spend and CLV. */
  spendModel?: GammaGammaModel;
  frequency: ArrayLike<number>;
  recency: ArrayLike<number>;
  T: ArrayLike<number>;
  monetaryValue?: ArrayLike<number>;
}

export interface ScoreOptions extends ClvOptions {
  /** Horizons (model time units) for expected purchases; default [unitsPerMonth, 3·unitsPerMonth, 12·unitsPerMonth]. */
  horizons?: number[];
  /** CLV interval; default delta method at 80%. `false` skips it. */
  interval?: IntervalOptions | false;
}

export interface CustomerScores {
  horizons: number[];
  /** One column per horizon. */
  expectedPurchases: Float64Array[];
  probabilityAlive: Float64Array;
  expectedSpend: Float64Array | null;
  clv: Float64Array | null;
  clvLow: Float64Array | null;
  clvHigh: Float64Array | null;
  total: { clv: number; low: number; high: number } | null;
  /** Number of distinct (frequency, recency, T) patterns actually evaluated. */
  distinctRows: number;
}

const MAX_SAMPLE_CELLS = 5e7;

export function scoreCustomers(input: ScoreInput, options: ScoreOptions = {}): CustomerScores {
  const fn = "scoreCustomers";
  const n = validateRfm(fn, input);
  const sched = clvSchedule(fn, options);
  const horizons = options.horizons ?? [sched.unitsPerMonth, 3 * sched.unitsPerMonth, 12 * sched.unitsPerMonth];
  horizons.forEach((h, i) => {
    if (!Number.isFinite(h) || h < 0) throw new ClvInputError(fn, "horizons", i, `is ${h}, must be a finite number ≥ 0`);
  });
  const withClv = input.spendModel !== undefined;
  if (withClv) {
    if (!input.monetaryValue) throw new ClvInputError(fn, "monetaryValue", null, "is required with a spendModel");
    validateSpendColumn(fn, input.monetaryValue, n);
  }
  const kernel = kernelOf(fn, input.purchaseModel);
  const comp = compressRowsCached(input);
  const G = comp.size;
  const { rowGroup } = comp;

  // P(alive) per pattern
  const logPA = new Float64Array(G);
  const PA = new Float64Array(G);
  const wantDelta = input.spendModel !== undefined && (options.interval === undefined || (options.interval !== false && options.interval.method === "delta"));
  const dP = input.purchaseModel.paramOrder.length;
  // gradient of ln P(alive) per pattern (delta method), filled here when the kernel has a column form
  let gradPA: Float64Array | null = null;
  if (kernel.logPAliveRows) {
    gradPA = wantDelta ? new Float64Array(G * dP) : null;
    kernel.logPAliveRows(comp, logPA, PA, gradPA);
  } else {
    for (let g = 0; g < G; g++) {
      logPA[g] = kernel.logPAlive(comp.x[g]!, comp.tx[g]!, comp.T[g]!);
      PA[g] = Math.exp(logPA[g]!);
    }
  }
  const probabilityAlive = new Float64Array(n);
  for (let i = 0; i < n; i++) probabilityAlive[i] = PA[rowGroup[i]!]!;

  // distinct (x, T) pairs: the alive-conditional expectations depend on nothing else
  const pairs = distinctPairs(comp);
  const perPair = (f: (x: number, T: number) => number): Float64Array => {
    const out = new Float64Array(pairs.x.length);
    for (let k = 0; k < out.length; k++) out[k] = f(pairs.x[k]!, pairs.T[k]!);
    return out;
  };
  const pairOf = pairs.index;

  const expectedPurchases = horizons.map((h) => {
    const hp = perPair((x, T) => kernel.horizon(x, T, h));
    const perGroup = new Float64Array(G);
    for (let g = 0; g < G; g++) perGroup[g] = PA[g]! * hp[pairOf[g]!]!;
    const col = new Float64Array(n);
    for (let i = 0; i < n; i++) col[i] = perGroup[rowGroup[i]!]!;
    return col;
  });

  const result: CustomerScores = { horizons, expectedPurchases, probabilityAlive, expectedSpend: null, clv: null, clvLow: null, clvHigh: null, total: null, distinctRows: G };
  if (!withClv || !input.spendModel || !input.monetaryValue) return result;

  const spendModel = input.spendModel;
  const m = input.monetaryValue;
  const gp = spendModel.params;
  const Kp = perPair((x, T) => discountedPurchases(kernel, sched, x, T));
  const factor = new Float64Array(G); // P(alive) · K(x, T)
  for (let g = 0; g < G; g++) factor[g] = PA[g]! * Kp[pairOf[g]!]!;
  const expectedSpend = new Float64Array(n);
  const clv = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const sp = spendOf(gp, input.frequency[i]!, m[i]!);
    expectedSpend[i] = sp;
    const v = factor[rowGroup[i]!]! * sp;
    clv[i] = v;
    total += v;
  }
  result.expectedSpend = expectedSpend;
  result.clv = clv;
  result.total = { clv: total, low: NaN, high: NaN };
  const interval: IntervalOptions | false = options.interval === undefined ? { method: "delta" } : options.interval;
  if (interval === false) return result;
  const level = interval.level ?? 0.8;
  if (!(level > 0 && level < 1)) throw new ClvInputError(fn, "interval.level", null, `is ${level}, must be in (0, 1)`);

  if (interval.method === "delta") {
    const z = normalQuantile(0.5 + level / 2);
    const covP = input.purchaseModel.covariance;
    const covS = spendModel.covariance;
    // gradient of ln(P(alive)·K) in the purchase log-parameters: ln K by forward differences per (x, T)
    // pair; ln P(alive) analytically where the kernel offers it, else by forward differences per pattern
    const theta = paramVector(input.purchaseModel).map(Math.log);
    const grad = gradPA ?? new Float64Array(G * dP);
    const analyticPA = gradPA !== null || kernel.logPAliveGrad !== undefined;
    const h = 1e-6;
    const lnK = new Float64Array(Kp.length);
    for (let k = 0; k < Kp.length; k++) lnK[k] = Math.log(Kp[k]!);
    const gPA = new Float64Array(dP);
    if (!gradPA && kernel.logPAliveGrad) {
      for (let g = 0; g < G; g++) {
        kernel.logPAliveGrad(comp.x[g]!, comp.tx[g]!, comp.T[g]!, gPA);
        for (let j = 0; j < dP; j++) grad[g * dP + j] = gPA[j]!;
      }
    }
    for (let j = 0; j < dP; j++) {
      const th = theta.slice();
      th[j] = th[j]! + h;
      const kj = purchaseKernel(input.purchaseModel.kind, th.map(Math.exp));
      const Kj = perPair((x, T) => discountedPurchases(kj, sched, x, T));
      const dK = new Float64Array(Kj.length);
      for (let k = 0; k < Kj.length; k++) dK[k] = (Math.log(Kj[k]!) - lnK[k]!) / h;
      for (let g = 0; g < G; g++) {
        const dPA = analyticPA ? grad[g * dP + j]! : (kj.logPAlive(comp.x[g]!, comp.tx[g]!, comp.T[g]!) - logPA[g]!) / h;
        grad[g * dP + j] = dPA + dK[pairOf[g]!]!;
      }
    }
    const varP = new Float64Array(G);
    for (let g = 0; g < G; g++) varP[g] = quadForm(covP, grad, g * dP, dP);
    const clvLow = new Float64Array(n);
    const clvHigh = new Float64Array(n);
    const clvByGroup = new Float64Array(G);
    const totP = new Float64Array(dP);
    const totS = new Float64Array(3);
    const { p, q, v } = gp;
    const [s00, s01, s02] = covS[0]!;
    const [, s11, s12] = covS[1]!;
    const s22 = covS[2]![2]!;
    let t0 = 0;
    let t1 = 0;
    let t2 = 0;
    for (let i = 0; i < n; i++) {
      const x = input.frequency[i]!;
      const den = p * x + q - 1;
      // ∂ ln spend / ∂ ln (p, q, v)
      const a0 = 1 - (p * x) / den;
      const a1 = -q / den;
      const a2 = v / (v + x * m[i]!);
      const varS = a0 * (a0 * s00! + 2 * (a1 * s01! + a2 * s02!)) + a1 * (a1 * s11! + 2 * a2 * s12!) + a2 * a2 * s22;
      const g = rowGroup[i]!;
      const spread = Math.exp(z * Math.sqrt(varP[g]! + varS));
      const c = clv[i]!;
      clvLow[i] = c / spread;
      clvHigh[i] = c * spread;
      clvByGroup[g] = clvByGroup[g]! + c;
      t0 += c * a0;
      t1 += c * a1;
      t2 += c * a2;
    }
    totS[0] = t0;
    totS[1] = t1;
    totS[2] = t2;
    for (let g = 0; g < G; g++) {
      const c = clvByGroup[g]!;
      for (let j = 0; j < dP; j++) totP[j] = totP[j]! + c * grad[g * dP + j]!;
    }
    const sdTot = total > 0 ? Math.sqrt(quadForm(covP, totP, 0, dP) + quadForm(covS, totS, 0, 3)) / total : NaN;
    result.clvLow = clvLow;
    result.clvHigh = clvHigh;
    result.total = { clv: total, low: total * Math.exp(-z * sdTot), high: total * Math.exp(z * sdTot) };
    return result;
  }

  // Monte Carlo over parameter draws
  const draws = interval.draws ?? 200;
  if (!Number.isInteger(draws) || draws < 2) throw new ClvInputError(fn, "interval.draws", null, `is ${draws}, must be an integer ≥ 2`);
  if (n * draws > MAX_SAMPLE_CELLS) throw new ClvInputError(fn, "interval.draws", null, `× customers = ${n * draws} exceeds ${MAX_SAMPLE_CELLS}; use { method: "delta" } for large populations`);
  const samples = new Float64Array(n * draws);
  const totals = new Float64Array(draws);
  const drawP = multivariateNormalSampler(paramVector(input.purchaseModel).map(Math.log), input.purchaseModel.covariance, interval.rng);
  const drawS = multivariateNormalSampler(paramVector(spendModel).map(Math.log), spendModel.covariance, interval.rng);
  const fac = new Float64Array(G);
  for (let s = 0; s < draws; s++) {
    const kp = purchaseKernel(input.purchaseModel.kind, Array.from(drawP(), Math.exp));
    const ls = drawS();
    const sp: GammaGammaParams = { p: Math.exp(ls[0]!), q: Math.exp(ls[1]!), v: Math.exp(ls[2]!) };
    const Ks = new XTCache((x, T) => discountedPurchases(kp, sched, x, T));
    for (let g = 0; g < G; g++) fac[g] = Math.exp(kp.logPAlive(comp.x[g]!, comp.tx[g]!, comp.T[g]!)) * Ks.get(comp.x[g]!, comp.T[g]!);
    let tot = 0;
    for (let i = 0; i < n; i++) {
      const v = fac[rowGroup[i]!]! * spendOf(sp, input.frequency[i]!, m[i]!);
      samples[i * draws + s] = v;
      tot += v;
    }
    totals[s] = tot;
  }
  const lo = 0.5 - level / 2;
  const hi = 0.5 + level / 2;
  const clvLow = new Float64Array(n);
  const clvHigh = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const row = samples.subarray(i * draws, (i + 1) * draws).sort();
    clvLow[i] = quantileSorted(row, lo);
    clvHigh[i] = quantileSorted(row, hi);
  }
  totals.sort();
  result.clvLow = clvLow;
  result.clvHigh = clvHigh;
  result.total = { clv: total, low: quantileSorted(totals, lo), high: quantileSorted(totals, hi) };
  return result;
}

/** Distinct (x, T) pairs of the compressed rows, keyed by their value indexes (no hashing of doubles). */
function distinctPairs(comp: CompressedRfm): { x: Float64Array; T: Float64Array; index: Int32Array } {
  const nT = comp.TValues.length;
  const map = new Map<number, number>();
  const index = new Int32Array(comp.size);
  const xs: number[] = [];
  const Ts: number[] = [];
  for (let g = 0; g < comp.size; g++) {
    const key = comp.xIndex[g]! * nT + comp.TIndex[g]!;
    let k = map.get(key);
    if (k === undefined) {
      k = xs.length;
      map.set(key, k);
      xs.push(comp.x[g]!);
      Ts.push(comp.T[g]!);
    }
    index[g] = k;
  }
  return { x: Float64Array.from(xs), T: Float64Array.from(Ts), index };
}

function quadForm(cov: number[][], g: Float64Array, off: number, d: number): number {
  let s = 0;
  for (let a = 0; a < d; a++) {
    const ga = g[off + a]!;
    const row = cov[a]!;
    for (let b = 0; b < d; b++) s += ga * row[b]! * g[off + b]!;
  }
  return s;
}

/** Linear-interpolation quantile (Hyndman & Fan type 7) of a sorted array. */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

/** Draw `draws` parameter records from a fitted model's approximate sampling distribution (log-normal). */
export function sampleParameters<P extends object>(model: { params: P; paramOrder: (keyof P & string)[]; covariance: number[][] }, rng: Rng, draws: number): P[] {
  const mean = model.paramOrder.map((k) => Math.log((model.params as Record<string, number>)[k]!));
  const draw = multivariateNormalSampler(mean, model.covariance, rng);
  const out: P[] = [];
  for (let s = 0; s < draws; s++) {
    const v = draw();
    const p = {} as Record<string, number>;
    model.paramOrder.forEach((k, i) => (p[k] = Math.exp(v[i]!)));
    out.push(p as P);
  }
  return out;
}
