/**
 * BG/NBD ("beta-geometric / negative binomial distribution") model of repeat purchasing in
 * continuous time: while alive a customer buys as a Poisson process with rate λ ~ Gamma(r, α);
 * after each purchase they drop out with probability p ~ Beta(a, b).
 *
 * Reference: Fader, Hardie & Lee (2005), "Counting Your Customers the Easy Way: An Alternative to
 * the Pareto/NBD Model", Marketing Science 24(2), eq. (6) likelihood, (10) conditional expectation,
 * and Fader, Hardie & Lee (2008) note "Computing P(alive) using the BG/NBD model".
 * CDNOW (2,357 customers, weeks): r = 0.243, α = 4.414, a = 0.793, b = 2.426, LL = −9582.4.
 *
 * Numerics: log-likelihood in log-space (log-sum-exp of the two terms); analytic gradient in
 * log-parameters; per-value caches of ln Γ / ψ terms (x has few distinct values); the conditional
 * expectation uses the Euler transform of its ₂F₁ so the series has O(1) parameters and no
 * overflow even for frequency in the hundreds (see `bgExpectationSeries`).
 * Complexity: fit O(iterations × distinct rows); per-customer O(1) (P(alive)) and O(k) series terms.
 *
 * @example
 * const m = fitBgNbd({ frequency, recency, T });         // CDNOW: m.params.r ≈ 0.243
 * bgNbdExpectedPurchases(m, 39, 2, 30.43, 38.86);         // ≈ 1.226 purchases in the next 39 weeks
 * bgNbdProbabilityAlive(m, 2, 30.43, 38.86);              // ≈ 0.727
 */
import { compressRows, compressRowsCached, subsampleCompressed, WARM_ROWS, WARM_THRESHOLD, type CompressedRfm } from "../data/compress-rows.js";
import { validateRfm, type RfmColumns } from "../data/validate-columns.js";
import { digamma, gammaln } from "../math/special-functions.js";
import { fitWithLimit, mapCovariance, type LimitSpec } from "./fit-at-limit.js";
import { type FitOptions, type FittedModel } from "./fitted-model.js";
import { checkHorizon, mapRows, type Num } from "./per-customer.js";

export interface BgNbdParams {
  r: number;
  alpha: number;
  a: number;
  b: number;
}
export type BgNbdModel = FittedModel<"bg-nbd", BgNbdParams>;

const NAMES: (keyof BgNbdParams)[] = ["r", "alpha", "a", "b"];

const betaOut = { v: 0, da: 0, db: 0 };
/**
 * ln[B(a, b+n)/B(a, b)] = lnΓ(a+b) − lnΓ(a+b+n) + lnΓ(b+n) − lnΓ(b) (`gab`, `gb` = lnΓ(a+b), lnΓ(b); `pab`,
 * `pb` their ψ) and its derivatives in a and b. Along the ridge a, b → ∞ the lnΓ values, ≈ (a+b)·ln(a+b),
 * cancel to noise (±1e-3 in the log-likelihood of 4,000 customers at a + b = 1e8), so for integer n and
 * a + b > 1,000 it is summed term by term: Σ_{j<n} log1p(−a/(a+b+j)), −Σ 1/(a+b+j), Σ a/((b+j)(a+b+j)).
 * Returns a shared object (read it before the next call).
 */
export function logBetaRatio(a: number, b: number, n: number, withGrad: boolean, gab: number, gb: number, pab: number, pb: number): typeof betaOut {
  if (a + b > 1000 && Number.isInteger(n) && n <= 100_000) {
    let v = 0;
    let da = 0;
    let db = 0;
    for (let j = 0; j < n; j++) {
      const abj = a + b + j;
      v += Math.log1p(-a / abj);
      if (withGrad) {
        da -= 1 / abj;
        db += a / ((b + j) * abj);
      }
    }
    betaOut.v = v;
    betaOut.da = da;
    betaOut.db = db;
    return betaOut;
  }
  betaOut.v = gab + gammaln(b + n) - gb - gammaln(a + b + n);
  if (withGrad) {
    const pabn = digamma(a + b + n);
    betaOut.da = pab - pabn;
    betaOut.db = pab + digamma(b + n) - pb - pabn;
  }
  return betaOut;
}

/** Total negative log-likelihood (and gradient in log-parameters) over compressed rows. */
export function bgNbdNegLogLik(c: CompressedRfm, theta: ArrayLike<number>, grad: Float64Array | null): number {
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
  const lb1 = new Float64Array(nx);
  const ib1 = new Float64Array(nx);
  const gr = gammaln(r);
  const gab = gammaln(a + b);
  const gb = gammaln(b);
  const pr = grad ? digamma(r) : 0;
  const pab = grad ? digamma(a + b) : 0;
  const pb = grad ? digamma(b) : 0;
  for (let k = 0; k < nx; k++) {
    const x = c.xValues[k]!;
    if (x === 0) {
      A12[k] = 0;
      continue;
    }
    const br = logBetaRatio(a, b, x, grad !== null, gab, gb, pab, pb);
    A12[k] = gammaln(r + x) - gr + br.v;
    lb1[k] = Math.log(b + x - 1);
    ib1[k] = 1 / (b + x - 1);
    if (grad) {
      dR[k] = digamma(r + x) - pr;
      dA[k] = br.da;
      dB[k] = br.db;
    }
  }
  const nT = c.TValues.length;
  const lAT = new Float64Array(nT);
  const iAT = new Float64Array(nT);
  for (let k = 0; k < nT; k++) {
    lAT[k] = Math.log(alpha + c.TValues[k]!);
    iAT[k] = 1 / (alpha + c.TValues[k]!);
  }
  const nt = c.txValues.length;
  const lAt = new Float64Array(nt);
  const iAt = new Float64Array(nt);
  for (let k = 0; k < nt; k++) {
    lAt[k] = Math.log(alpha + c.txValues[k]!);
    iAt[k] = 1 / (alpha + c.txValues[k]!);
  }
  let ll = 0;
  let g0 = 0;
  let g1 = 0;
  let g2 = 0;
  let g3 = 0;
  const { x: X, w: W, xIndex, TIndex, txIndex } = c;
  for (let i = 0; i < c.size; i++) {
    const x = X[i]!;
    const w = W[i]!;
    const kx = xIndex[i]!;
    const kT = TIndex[i]!;
    const p = r + x;
    const A3 = -p * lAT[kT]!;
    if (x === 0) {
      ll += w * A3;
      if (grad) {
        g0 -= w * lAT[kT]!;
        g1 -= w * p * iAT[kT]!;
      }
      continue;
    }
    const kt = txIndex[i]!;
    const A4 = la - lb1[kx]! - p * lAt[kt]!;
    const d = A4 - A3;
    const e = Math.exp(-Math.abs(d));
    const lse = (d > 0 ? A4 : A3) + Math.log1p(e);
    ll += w * (A12[kx]! + lse);
    if (grad) {
      const w4 = d > 0 ? 1 / (1 + e) : e / (1 + e);
      const w3 = 1 - w4;
      g0 += w * (dR[kx]! - w3 * lAT[kT]! - w4 * lAt[kt]!);
      g1 -= w * p * (w3 * iAT[kT]! + w4 * iAt[kt]!);
      g2 += w * (dA[kx]! + w4 / a);
      g3 += w * (dB[kx]! - w4 * ib1[kx]!);
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

/**
 * The common-dropout-probability limit of BG/NBD (shift = 1) and MBG/NBD (shift = 0): λ ~ Gamma(r, α), and
 * every customer drops out with one probability p after each repeat purchase (MBG/NBD: also right after
 * the first), the Beta(a, b) of dropout probabilities degenerating as a, b → ∞ with a/(a+b) = p.
 * θ = (ln r, ln α, ln p); p ≥ 1 gives +∞ (the optimiser steps back). Per customer, the individual
 * likelihood with p fixed (FHL 2005 eq. 3; Batislam et al. 2007 for MBG/NBD) integrated over λ:
 *   Γ(r+x)α^r/Γ(r) · (1−p)^{x+1−shift} [ (α+T)^{−(r+x)} + δ·p/(1−p)·(α+t_x)^{−(r+x)} ],
 * δ = [x > 0] for BG/NBD and 1 for MBG/NBD — the limits of ln a − ln(b+x−shift) → ln(p/(1−p)) and of the
 * Beta-function ratio → (1−p)^{x+1−shift} in the full likelihoods.
 */
export function bgFamilyCommonDropoutNegLogLik(c: CompressedRfm, theta: ArrayLike<number>, grad: Float64Array | null, shift: 0 | 1): number {
  const r = Math.exp(theta[0]!);
  const alpha = Math.exp(theta[1]!);
  const p = Math.exp(theta[2]!);
  if (!(p < 1)) {
    grad?.fill(0);
    return Infinity;
  }
  const l1p = Math.log1p(-p);
  const lodds = Math.log(p) - l1p;
  const nx = c.xValues.length;
  const A = new Float64Array(nx);
  const dR = new Float64Array(nx);
  const gr = gammaln(r);
  const pr = grad ? digamma(r) : 0;
  for (let k = 0; k < nx; k++) {
    const x = c.xValues[k]!;
    A[k] = gammaln(r + x) - gr + (x + 1 - shift) * l1p;
    if (grad) dR[k] = digamma(r + x) - pr;
  }
  let ll = 0;
  let g0 = 0;
  let g1 = 0;
  let g2 = 0;
  for (let i = 0; i < c.size; i++) {
    const x = c.x[i]!;
    const w = c.w[i]!;
    const kx = c.xIndex[i]!;
    const q = r + x;
    const aT = alpha + c.T[i]!;
    const e3 = -q * Math.log(aT);
    let lse = e3;
    let w4 = 0;
    const at = alpha + c.tx[i]!;
    if (shift === 0 || x > 0) {
      const e4 = lodds - q * Math.log(at);
      const d = e4 - e3;
      const e = Math.exp(-Math.abs(d));
      lse = (d > 0 ? e4 : e3) + Math.log1p(e);
      w4 = d > 0 ? 1 / (1 + e) : e / (1 + e);
    }
    ll += w * (A[kx]! + lse);
    if (grad) {
      const w3 = 1 - w4;
      g0 += w * (dR[kx]! - w3 * Math.log(aT) - (w4 > 0 ? w4 * Math.log(at) : 0));
      g1 -= w * q * (w3 / aT + (w4 > 0 ? w4 / at : 0));
      g2 += w * (-(x + 1 - shift) / (1 - p) + w4 / (p * (1 - p)));
    }
  }
  const lalpha = Math.log(alpha);
  ll += c.totalWeight * r * lalpha;
  if (grad) {
    g0 += c.totalWeight * lalpha;
    g1 += (c.totalWeight * r) / alpha;
    grad[0] = -g0 * r;
    grad[1] = -g1 * alpha;
    grad[2] = -g2 * p;
  }
  return -ll;
}

export interface CommonDropoutProbabilityParams {
  r: number;
  alpha: number;
  p: number;
}

/** a + b at which a BG/NBD or MBG/NBD fit tests the common-dropout-probability limit (Beta's sd ≤ 10 % of √(p(1−p))). */
export const RIDGE_CHECK_AB = 100;
/** a + b of the point reported as `params` of a fit at that limit. */
export const BOUNDARY_AB = 1e6;
/** a + b of the probe that tests whether any heterogeneity in p improves on the limit. */
const PROBE_AB = 1e4;

/**
 * fitWithLimit's spec for the BG family: `negLogLik` is the model's own, `shift` 1 for BG/NBD and 0 for
 * MBG/NBD; the reported point has a + b = BOUNDARY_AB, a/(a+b) = p, with the limit's covariance mapped to it.
 */
export function bgFamilyLimitSpec<K extends "bg-nbd" | "mbg-nbd">(kind: K, label: string, negLogLik: (c: CompressedRfm, theta: ArrayLike<number>, grad: Float64Array | null) => number, shift: 0 | 1, defaults: BgNbdParams): LimitSpec<K, BgNbdParams, CommonDropoutProbabilityParams> {
  return {
    kind,
    names: NAMES,
    defaults,
    negLogLik,
    limitKind: `${kind}-common-dropout`,
    limitNames: ["r", "alpha", "p"],
    limitNegLogLik: (c, th, g) => bgFamilyCommonDropoutNegLogLik(c, th, g, shift),
    near: (th) => Math.exp(th[2]!) + Math.exp(th[3]!) >= RIDGE_CHECK_AB,
    project: (th) => ({ r: Math.exp(th[0]!), alpha: Math.exp(th[1]!), p: 1 / (1 + Math.exp(th[3]! - th[2]!)) }),
    probe: (c, { r, alpha, p }) => negLogLik(c, [Math.log(r), Math.log(alpha), Math.log(PROBE_AB * p), Math.log(PROBE_AB * (1 - p))], null),
    toModel: (lim, observations, iterations) => {
      const { r, alpha, p } = lim.params;
      return {
        kind,
        params: { r, alpha, a: BOUNDARY_AB * p, b: BOUNDARY_AB * (1 - p) },
        logLikelihood: lim.logLikelihood,
        converged: false,
        iterations: iterations + lim.iterations,
        standardErrors: { r: lim.standardErrors.r, alpha: lim.standardErrors.alpha, a: NaN, b: NaN },
        // ln a = ln K + ln p, ln b = ln K + ln(1−p): d ln b / d ln p = −p/(1−p)
        covariance: mapCovariance([[1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 0, -p / (1 - p)]], lim.covariance),
        paramOrder: NAMES,
        observations,
        boundary: {
          limit: "common-dropout-probability",
          message: `Every customer seems to drop out with one common probability after each purchase (p ≈ ${p.toPrecision(3)}); the ${label} dropout-heterogeneity parameters a and b grow without bound, so the fit is reported at that limit (a, b → ∞ with a/(a+b) = p).`,
          limitParams: { r, alpha, p },
          limitStandardErrors: { ...lim.standardErrors },
        },
      };
    },
  };
}

/**
 * Fit BG/NBD by maximum likelihood.
 * @param data frequency (repeat purchases), recency (time of last repeat purchase since the first),
 *   T (time since the first purchase), optional weights (customers per row)
 */
export function fitBgNbd(data: RfmColumns, options: FitOptions<BgNbdParams> = {}): BgNbdModel {
  validateRfm("fitBgNbd", data);
  const c = compressRowsCached(data);
  const sub = c.size > WARM_THRESHOLD ? subsampleCompressed(c, Math.ceil(c.size / WARM_ROWS)) : null;
  return fitWithLimit(bgFamilyLimitSpec("bg-nbd", "BG/NBD", bgNbdNegLogLik, 1, { r: 1, alpha: meanT(c), a: 1, b: 1 }), c, sub, options);
}

/** Log-likelihood of the data at given parameters (for tests, model comparison). */
export function bgNbdLogLikelihood(params: BgNbdParams, data: RfmColumns): number {
  validateRfm("bgNbdLogLikelihood", data);
  const c = compressRows(data);
  return -bgNbdNegLogLik(c, [Math.log(params.r), Math.log(params.alpha), Math.log(params.a), Math.log(params.b)], null);
}

export function meanT(c: CompressedRfm): number {
  let s = 0;
  for (let i = 0; i < c.size; i++) s += c.w[i]! * c.T[i]!;
  return Math.max(1e-3, s / c.totalWeight);
}

/** ln P(alive | x, t_x, T) for BG/NBD; 0 when x = 0 (no repeat purchase, so no chance to drop out yet). */
export function bgNbdLogPAlive(p: BgNbdParams, x: number, tx: number, T: number): number {
  if (x === 0) return 0;
  const lr = Math.log(p.a) - Math.log(p.b + x - 1) + (p.r + x) * (Math.log(p.alpha + T) - Math.log(p.alpha + tx));
  // −ln(1 + e^{lr}) = −softplus(lr)
  return lr > 0 ? -lr - Math.log1p(Math.exp(-lr)) : -Math.log1p(Math.exp(lr));
}

/**
 * Σ-form of [1 − (1−z)^{r+x} ₂F₁(r+x, b'+x; c; z)] / (a − 1) after Euler's transformation
 * (1−z)^{r+x} ₂F₁(r+x, B; c; z) = (1−z)^{a−1} ₂F₁(c−r−x, a−1; c; z) with c = a + B − 1:
 * returns −expm1((a−1)ln(1−z))/(a−1) − (1−z)^{a−1} G, G = Σ_{k≥1} (c−r−x)_k (a)_{k−1} z^k / ((c)_k k!).
 * The transformed series has parameters that do not grow with x (no overflow for x in the
 * hundreds) and the removable singularity at a = 1 is handled by expm1.
 * Reference: Abramowitz & Stegun 15.3.3 (Euler). Complexity: O(k), k ≈ ln(1e-16)/ln z terms.
 */
export function bgExpectationSeries(a: number, Ap: number, Cp: number, z: number): number {
  if (z <= 0) return 0;
  // Large a (with b, as when the dropout probability has almost no heterogeneity): the Euler series'
  // terms grow like (a z)^k / k! before (1−z)^{a−1} scales them back, overflowing to ∞·0. The direct
  // form has c = a + b' + x − 1 ≥ a in the denominator and converges fast there.
  if (a > DIRECT_FORM_MIN_A) return directExpectation(a, Ap, Cp, z);
  const am1 = a - 1;
  const L1 = Math.log1p(-z);
  let G = 0;
  let u = (Ap / Cp) * z;
  for (let k = 1; k < 1_000_000; k++) {
    G += u;
    if (Math.abs(u) <= 1e-17 * Math.abs(G) && k > 3) break;
    u *= (((Ap + k) * (a + k - 1)) / ((Cp + k) * (k + 1))) * z;
    if (u === 0) break;
  }
  const head = Math.abs(am1) < 1e-12 ? -L1 : -Math.expm1(am1 * L1) / am1;
  const v = head - Math.exp(am1 * L1) * G;
  return Number.isFinite(v) ? v : directExpectation(a, Ap, Cp, z);
}

/** Above this a, `bgExpectationSeries` uses the direct form (both agree to ~1e-10 around it; see tests). */
export const DIRECT_FORM_MIN_A = 100;

/**
 * The un-transformed expression [1 − (1−z)^{p} ₂F₁(p, B; c; z)] / (a − 1) with p = r + x = c − A′ and
 * B = b′ + x = c − a + 1, summed with every term scaled by (1−z)^p (terms of ₂F₁ alone overflow for p
 * in the hundreds with z near 1; scaled, they are the probabilities of a proper mixture and stay ≤ 1).
 * Each term is the previous one times the ratio (p+k)(B+k)z / ((c+k)(k+1)); while the first term
 * (1−z)^p is a normal double this runs in linear space (one division per term), else in log space
 * (four logarithms per term; it was the only form before, and cost most of scoring 1M customers:
 * BENCHMARKS.md, "Session 8: the scoring transaction at 1M"). Both sum the same terms, with the same
 * stopping rule, to rounding. Complexity: O(k), k ≈ p·z/(1−z) + 40 terms.
 */
function directExpectation(a: number, Ap: number, Cp: number, z: number): number {
  const p = Cp - Ap;
  const B = Cp - a + 1;
  const logFirst = p * Math.log1p(-z); // k = 0: (1−z)^p
  let S: number;
  if (logFirst > LINEAR_MIN_LOG) {
    let t = Math.exp(logFirst);
    S = t;
    let peaked = false;
    let ratio = ((p * B) / Cp) * z;
    for (let k = 0; k < 1_000_000; k++) {
      t *= ratio;
      S += t;
      ratio = (((p + k + 1) * (B + k + 1)) / ((Cp + k + 1) * (k + 2))) * z;
      if (ratio < 1) peaked = true;
      if (peaked && t <= 1e-17 * S && k > 3) break;
    }
  } else {
    const lz = Math.log(z);
    let logTerm = logFirst;
    S = Math.exp(logTerm);
    let peaked = false;
    for (let k = 0; k < 1_000_000; k++) {
      logTerm += Math.log(p + k) + Math.log(B + k) - Math.log(Cp + k) - Math.log(k + 1) + lz;
      const t = Math.exp(logTerm);
      S += t;
      const ratio = ((p + k + 1) * (B + k + 1)) / ((Cp + k + 1) * (k + 2)) * z;
      if (ratio < 1) peaked = true;
      if (peaked && t <= 1e-17 * S && k > 3) break;
    }
  }
  return Math.max(0, -Math.expm1(Math.log(Math.min(1, S)))) / (a - 1);
}

/** ln of the smallest first term directExpectation sums in linear space (e^−700 ≈ 1e−304, above the smallest normal double). */
const LINEAR_MIN_LOG = -700;

/** E[Y(t) | x, T, alive]: expected purchases in (T, T+t] for a customer known to be alive. */
export function bgNbdHorizonFactor(p: BgNbdParams, x: number, T: number, t: number): number {
  if (t === 0) return 0;
  const Cp = p.a + p.b + x - 1;
  const z = t / (p.alpha + T + t);
  // ≥ 0 mathematically; clamp the last-bit rounding of the "1 − …" difference at tiny t
  return Math.max(0, Cp * bgExpectationSeries(p.a, Cp - p.r - x, Cp, z));
}

/** P(alive | frequency, recency, T). Scalars in → number; columns in → Float64Array. */
export function bgNbdProbabilityAlive(model: { params: BgNbdParams }, frequency: number, recency: number, T: number): number;
export function bgNbdProbabilityAlive(model: { params: BgNbdParams }, frequency: ArrayLike<number>, recency: ArrayLike<number>, T: ArrayLike<number>): Float64Array;
export function bgNbdProbabilityAlive(model: { params: BgNbdParams }, frequency: Num, recency: Num, T: Num): number | Float64Array {
  const p = model.params;
  return mapRows("bgNbdProbabilityAlive", frequency, recency, T, (x, tx, tt) => Math.exp(bgNbdLogPAlive(p, x, tx, tt)));
}

/** Conditional expected number of purchases in the next t time units (FHL 2005 eq. 10). */
export function bgNbdExpectedPurchases(model: { params: BgNbdParams }, t: number, frequency: number, recency: number, T: number): number;
export function bgNbdExpectedPurchases(model: { params: BgNbdParams }, t: number, frequency: ArrayLike<number>, recency: ArrayLike<number>, T: ArrayLike<number>): Float64Array;
export function bgNbdExpectedPurchases(model: { params: BgNbdParams }, t: number, frequency: Num, recency: Num, T: Num): number | Float64Array {
  checkHorizon("bgNbdExpectedPurchases", t);
  const p = model.params;
  return mapRows("bgNbdExpectedPurchases", frequency, recency, T, (x, tx, tt) => Math.exp(bgNbdLogPAlive(p, x, tx, tt)) * bgNbdHorizonFactor(p, x, tt, t));
}
