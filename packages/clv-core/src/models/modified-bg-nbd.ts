/**
 * MBG/NBD (modified BG/NBD): as BG/NBD, but a customer may also drop out right after the first
 * purchase, so customers with no repeat purchase are not assumed alive.
 *
 * Reference: Batislam, Denizel & Filiztekin (2007), "Empirical validation and comparison of models
 * for customer base analysis", IJRM 24(3); likelihood and expectations as in lifetimes'
 * ModifiedBetaGeoFitter. CDNOW (weeks): r = 0.525, α = 6.183, a = 0.891, b = 1.614.
 *
 * Numerics: as bg-nbd.ts (log-sum-exp likelihood with analytic gradient; Euler-transformed
 * expectation series, here with b+1 in place of b).
 * Complexity: fit O(iterations × distinct rows); per-customer O(1) and O(k) series terms.
 *
 * @example
 * const m = fitModifiedBgNbd({ frequency, recency, T }); // CDNOW: m.params.a ≈ 0.891
 * modifiedBgNbdProbabilityAlive(m, 0, 0, 38.86);          // < 1, unlike BG/NBD
 */
import { compressRows, compressRowsCached, subsampleCompressed, WARM_ROWS, WARM_THRESHOLD, type CompressedRfm } from "../data/compress-rows.js";
import { validateRfm, type RfmColumns } from "../data/validate-columns.js";
import { digamma, gammaln } from "../math/special-functions.js";
import { bgExpectationSeries, bgFamilyLimitSpec, logBetaRatio, meanT } from "./bg-nbd.js";
import { fitWithLimit } from "./fit-at-limit.js";
import { type FitOptions, type FittedModel } from "./fitted-model.js";
import { checkHorizon, mapRows, type Num } from "./per-customer.js";

export interface ModifiedBgNbdParams {
  r: number;
  alpha: number;
  a: number;
  b: number;
}
export type ModifiedBgNbdModel = FittedModel<"mbg-nbd", ModifiedBgNbdParams>;

export function modifiedBgNbdNegLogLik(c: CompressedRfm, theta: ArrayLike<number>, grad: Float64Array | null): number {
  const r = Math.exp(theta[0]!);
  const alpha = Math.exp(theta[1]!);
  const a = Math.exp(theta[2]!);
  const b = Math.exp(theta[3]!);
  const la = Math.log(a);
  const lalpha = Math.log(alpha);
  const nx = c.xValues.length;
  const A12 = new Float64Array(nx);
  const dR = new Float64Array(nx);
  const dA = new Float64Array(nx);
  const dB = new Float64Array(nx);
  const lb = new Float64Array(nx);
  const ib = new Float64Array(nx);
  const gr = gammaln(r);
  const gab = gammaln(a + b);
  const gb = gammaln(b);
  const pr = grad ? digamma(r) : 0;
  const pab = grad ? digamma(a + b) : 0;
  const pb = grad ? digamma(b) : 0;
  for (let k = 0; k < nx; k++) {
    const x = c.xValues[k]!;
    const br = logBetaRatio(a, b, x + 1, grad !== null, gab, gb, pab, pb);
    A12[k] = gammaln(r + x) - gr + br.v;
    lb[k] = Math.log(b + x);
    ib[k] = 1 / (b + x);
    if (grad) {
      dR[k] = digamma(r + x) - pr;
      dA[k] = br.da;
      dB[k] = br.db;
    }
  }
  const nT = c.TValues.length;
  const lAT = new Float64Array(nT);
  for (let k = 0; k < nT; k++) lAT[k] = Math.log(alpha + c.TValues[k]!);
  const nt = c.txValues.length;
  const lAt = new Float64Array(nt);
  for (let k = 0; k < nt; k++) lAt[k] = Math.log(alpha + c.txValues[k]!);
  let ll = 0;
  let g0 = 0;
  let g1 = 0;
  let g2 = 0;
  let g3 = 0;
  for (let i = 0; i < c.size; i++) {
    const x = c.x[i]!;
    const w = c.w[i]!;
    const kx = c.xIndex[i]!;
    const kT = c.TIndex[i]!;
    const kt = c.txIndex[i]!;
    const p = r + x;
    const A3 = -p * lAT[kT]!;
    const A4 = la - lb[kx]! - p * lAt[kt]!;
    const d = A4 - A3;
    const e = Math.exp(-Math.abs(d));
    ll += w * (A12[kx]! + (d > 0 ? A4 : A3) + Math.log1p(e));
    if (grad) {
      const w4 = d > 0 ? 1 / (1 + e) : e / (1 + e);
      const w3 = 1 - w4;
      g0 += w * (dR[kx]! - w3 * lAT[kT]! - w4 * lAt[kt]!);
      g1 -= w * p * (w3 / (alpha + c.T[i]!) + w4 / (alpha + c.tx[i]!));
      g2 += w * (dA[kx]! + w4 / a);
      g3 += w * (dB[kx]! - w4 * ib[kx]!);
    }
  }
  ll += c.totalWeight * r * lalpha;
  if (grad) {
    g0 += c.totalWeight * lalpha;
    g1 += (c.totalWeight * r) / alpha;
    grad[0] = -g0 * r;
    grad[1] = -g1 * alpha;
    grad[2] = -g2 * a;
    grad[3] = -g3 * b;
  }
  return -ll;
}

export function fitModifiedBgNbd(data: RfmColumns, options: FitOptions<ModifiedBgNbdParams> = {}): ModifiedBgNbdModel {
  validateRfm("fitModifiedBgNbd", data);
  const c = compressRowsCached(data);
  const sub = c.size > WARM_THRESHOLD ? subsampleCompressed(c, Math.ceil(c.size / WARM_ROWS)) : null;
  return fitWithLimit(bgFamilyLimitSpec("mbg-nbd", "MBG/NBD", modifiedBgNbdNegLogLik, 0, { r: 1, alpha: meanT(c), a: 1, b: 1 }), c, sub, options);
}

export function modifiedBgNbdLogLikelihood(params: ModifiedBgNbdParams, data: RfmColumns): number {
  validateRfm("modifiedBgNbdLogLikelihood", data);
  const c = compressRows(data);
  return -modifiedBgNbdNegLogLik(c, [Math.log(params.r), Math.log(params.alpha), Math.log(params.a), Math.log(params.b)], null);
}

/** ln P(alive) = −ln(1 + a/(b+x) · ((α+T)/(α+t_x))^{r+x}). */
export function modifiedBgNbdLogPAlive(p: ModifiedBgNbdParams, x: number, tx: number, T: number): number {
  const lr = Math.log(p.a) - Math.log(p.b + x) + (p.r + x) * (Math.log(p.alpha + T) - Math.log(p.alpha + tx));
  return lr > 0 ? -lr - Math.log1p(Math.exp(-lr)) : -Math.log1p(Math.exp(lr));
}

/** E[Y(t) | alive] = (a+b+x)/(a−1) · [1 − ((α+T)/(α+T+t))^{r+x} ₂F₁(r+x, b+x+1; a+b+x; t/(α+T+t))]. */
export function modifiedBgNbdHorizonFactor(p: ModifiedBgNbdParams, x: number, T: number, t: number): number {
  if (t === 0) return 0;
  const Cp = p.a + p.b + x;
  return Math.max(0, Cp * bgExpectationSeries(p.a, Cp - p.r - x, Cp, t / (p.alpha + T + t)));
}

export function modifiedBgNbdProbabilityAlive(model: { params: ModifiedBgNbdParams }, frequency: number, recency: number, T: number): number;
export function modifiedBgNbdProbabilityAlive(model: { params: ModifiedBgNbdParams }, frequency: ArrayLike<number>, recency: ArrayLike<number>, T: ArrayLike<number>): Float64Array;
export function modifiedBgNbdProbabilityAlive(model: { params: ModifiedBgNbdParams }, frequency: Num, recency: Num, T: Num): number | Float64Array {
  const p = model.params;
  return mapRows("modifiedBgNbdProbabilityAlive", frequency, recency, T, (x, tx, tt) => Math.exp(modifiedBgNbdLogPAlive(p, x, tx, tt)));
}

export function modifiedBgNbdExpectedPurchases(model: { params: ModifiedBgNbdParams }, t: number, frequency: number, recency: number, T: number): number;
export function modifiedBgNbdExpectedPurchases(model: { params: ModifiedBgNbdParams }, t: number, frequency: ArrayLike<number>, recency: ArrayLike<number>, T: ArrayLike<number>): Float64Array;
export function modifiedBgNbdExpectedPurchases(model: { params: ModifiedBgNbdParams }, t: number, frequency: Num, recency: Num, T: Num): number | Float64Array {
  checkHorizon("modifiedBgNbdExpectedPurchases", t);
  const p = model.params;
  return mapRows("modifiedBgNbdExpectedPurchases", frequency, recency, T, (x, tx, tt) => Math.exp(modifiedBgNbdLogPAlive(p, x, tx, tt)) * modifiedBgNbdHorizonFactor(p, x, tt, t));
}
