/**
 * Pareto/NBD: while alive a customer buys as a Poisson process with rate λ ~ Gamma(r, α) and
 * their lifetime is exponential with rate μ ~ Gamma(s, β).
 *
 * Reference: Schmittlein, Morrison & Colombo (1987), Management Science 33(1); likelihood and
 * P(alive) as in Fader & Hardie (2005) note 009 "A Note on Deriving the Pareto/NBD Model and
 * Related Expressions"; CDNOW (weeks): r = 0.553, α = 10.578, s = 0.606, β = 11.669, LL = −9595.0.
 *
 * Numerics (why no ₂F₁ here): the published likelihood contains A₀, a difference of two Gauss
 * hypergeometric functions that overflows or cancels for frequency in the hundreds, recency ≈ T
 * or α ≪ β. We use what A₀ stands for instead:
 *   L = Γ(r+x)α^r β^s / Γ(r) · [ (α+T)^{−(r+x)} (β+T)^{−s} + s·I ],
 *   I = ∫_{t_x}^{T} (α+τ)^{−(r+x)} (β+τ)^{−(s+1)} dτ,
 * (the customer was alive at t_x and died at τ ∈ (t_x, T]). With τ = (α+t_x)e^u − α the integrand
 * becomes (α+t_x)^{−c} e^{−cu} h(u)^{s+1} with c = r+s+x and h = (α+τ)/(β+τ) bounded between
 * min(1, α/β) and max(1, α/β); Gauss–Legendre panels of width ≤ 8/c over u ∈ [0, min(L, 40/c)]
 * integrate e^{−cu} to machine precision and drop only e^{−40} of the mass. All terms are
 * positive, so LL, P(alive) = E/(E + s·I) ∈ [0, 1] and the expectations stay finite. The same
 * nodes give the analytic gradient (∂ ln I = −⟨ln(α+τ)⟩ etc., averages under the integrand).
 * Complexity: O(16 × panels) per distinct row per evaluation (one panel for typical data).
 *
 * @example
 * const m = fitParetoNbd({ frequency, recency, T });      // CDNOW: LL ≈ −9595.0
 * paretoNbdProbabilityAlive(m, 2, 30.43, 38.86);           // ≈ 0.94
 */
import { compressRows, compressRowsCached, subsampleCompressed, WARM_ROWS, WARM_THRESHOLD, type CompressedRfm } from "../data/compress-rows.js";
import { validateRfm, type RfmColumns } from "../data/validate-columns.js";
import { gaussLegendre } from "../math/gauss-legendre.js";
import { digamma, gammaln } from "../math/special-functions.js";
import { meanT } from "./bg-nbd.js";
import { fitLogParameters, type FitOptions, type FittedModel } from "./fitted-model.js";
import { checkHorizon, mapRows, type Num } from "./per-customer.js";

export interface ParetoNbdParams {
  r: number;
  alpha: number;
  s: number;
  beta: number;
}
export type ParetoNbdModel = FittedModel<"pareto-nbd", ParetoNbdParams>;

const NAMES: (keyof ParetoNbdParams)[] = ["r", "alpha", "s", "beta"];
const GL = gaussLegendre(16);
const PANEL = 8;
const CUT = 40;

/** Result of the death-time integral: ln I and the integrand-weighted means used by the gradient. */
interface DeathIntegral {
  logI: number;
  meanLogA: number;
  meanInvA: number;
  meanLogB: number;
  meanInvB: number;
}

/**
 * ln ∫_{tx}^{T} (α+τ)^{−p} (β+τ)^{−(s+1)} dτ (and integrand-weighted means when `out` is given).
 * Returns −Infinity when tx ≥ T. Uses the convergent series when |β−α| ≤ (α+tx)/2 (the usual
 * case: ~15 terms of plain arithmetic), else the quadrature, which has no restriction.
 */
export function paretoLogDeathIntegral(p: number, alpha: number, s: number, beta: number, tx: number, T: number, out: DeathIntegral | null, tables: SeriesTables | null = null, slot = 0): number {
  if (!(T > tx)) {
    if (out) out.logI = -Infinity;
    return -Infinity;
  }
  if (Math.abs(beta - alpha) <= 0.5 * (alpha + tx)) {
    const v = seriesIntegral(p, alpha, s, beta, tx, T, out, tables, slot);
    if (!Number.isNaN(v)) return v;
  }
  return quadratureIntegral(p, alpha, s, beta, tx, T, out);
}

/**
 * Per-evaluation tables for the series: C_n = (s+1)_n/n!, H_n = Σ_{j<n} 1/(s+1+j) (depend on s
 * only) and 1/(c+n) per distinct frequency, filled lazily so the inner loop has no divisions.
 */
export class SeriesTables {
  readonly C = new Float64Array(MAX_TERMS + 1);
  readonly H = new Float64Array(MAX_TERMS + 1);
  private filled = 0;
  private readonly inv: { c: number; v: Float64Array; n: number }[] = [];
  constructor(private readonly s: number) {
    this.C[0] = 1;
    this.H[0] = 0;
  }
  ensure(n: number): void {
    for (let k = this.filled; k < n; k++) {
      this.C[k + 1] = (this.C[k]! * (this.s + 1 + k)) / (k + 1);
      this.H[k + 1] = this.H[k]! + 1 / (this.s + 1 + k);
    }
    if (n > this.filled) this.filled = n;
  }
  /** 1/(c+k) for k < n; `slot` identifies c (the distinct-frequency index) so no hashing is needed. */
  invC(slot: number, c: number, n: number): Float64Array {
    let e = this.inv[slot];
    if (!e || e.c !== c) {
      e = { c, v: new Float64Array(MAX_TERMS + 1), n: 0 };
      this.inv[slot] = e;
    }
    for (let k = e.n; k < n; k++) e.v[k] = 1 / (c + k);
    if (n > e.n) e.n = n;
    return e.v;
  }
}

const MAX_TERMS = 400;

/**
 * Series form: with A₀ = α+tx, q = (β−α)/A₀, ρ = A₀/(α+T), c = p+s,
 *   I = A₀^{−c} Σ_n (s+1)_n/n! (−q)^n (1 − ρ^{c+n})/(c+n),
 * from expanding h^{s+1} = (1+q e^{−u})^{−(s+1)} in the u-form of the integral (binomial series,
 * |q| ≤ 1/2 so it converges at least like 2^{−n}). Derivatives are carried term by term.
 * Returns NaN if MAX_TERMS terms did not converge (then the caller uses the quadrature).
 */
function seriesIntegral(p: number, alpha: number, s: number, beta: number, tx: number, T: number, out: DeathIntegral | null, tables: SeriesTables | null, slot: number): number {
  const tab = tables ?? new SeriesTables(s);
  const c = p + s;
  const A0 = alpha + tx;
  const lA0 = Math.log(A0);
  const q = (beta - alpha) / A0;
  const L = Math.log(alpha + T) - lA0;
  const rho = A0 / (alpha + T);
  // terms needed for |q|^n < 1e-17 (C_n grows at most polynomially; a margin of 8 covers it)
  let need = Math.min(MAX_TERMS, q === 0 ? 4 : Math.ceil(-36.8 / Math.log(Math.abs(q))) + 4);
  tab.ensure(need);
  const Ct = tab.C;
  const Ht = tab.H;
  let ic = tab.invC(slot, c, need);
  let Ecr = Math.exp(-c * L); // ρ^{c+n}, starting at n = 0
  let D = -Math.expm1(-c * L); // 1 − ρ^{c+n}, updated without cancellation: D' = Dρ + (1−ρ)
  const oneMinusRho = -Math.expm1(-L);
  let Pn = 1; // (−q)^n
  let Pnm1 = 0; // (−q)^{n−1}
  let S = 0;
  let Sc = 0; // Σ C P ∂J/∂c
  let Ss = 0; // Σ C H P J
  let Sq = 0; // Σ C (−n) P_{n−1} J  (= ∂S/∂q)
  let SL = 0; // Σ C P ρ^{c+n}     (= ∂S/∂L)
  let n = 0;
  for (; ; n++) {
    if (n >= need) {
      if (need >= MAX_TERMS) return NaN;
      need = Math.min(MAX_TERMS, 2 * need);
      tab.ensure(need);
      ic = tab.invC(slot, c, need);
    }
    const inv = ic[n]!;
    const Cn = Ct[n]!;
    const J = D * inv;
    const CP = Cn * Pn;
    const t = CP * J;
    S += t;
    if (out) {
      Sc += CP * (L * Ecr - J) * inv;
      Ss += Ht[n]! * t;
      Sq -= Cn * n * Pnm1 * J;
      SL += CP * Ecr;
    }
    // |J_n| ≤ J_0, so once |C_n q^n| < 1e-17 the rest of the series is below rounding
    if (n > 2 && Math.abs(CP) <= 1e-17) break;
    Pnm1 = Pn;
    Pn *= -q;
    Ecr *= rho;
    D = D * rho + oneMinusRho;
  }
  if (!(S > 0)) return NaN;
  const logI = -c * lA0 + Math.log(S);
  if (out) {
    out.logI = logI;
    // express through the same "means" the quadrature reports: ∂lnI/∂r = −⟨ln(α+τ)⟩, etc.
    const dr = -lA0 + Sc / S;
    const dqdAlpha = -(beta + tx) / (A0 * A0);
    const dLdAlpha = 1 / (alpha + T) - 1 / A0;
    const dalpha = -c / A0 + (Sq * dqdAlpha + SL * dLdAlpha) / S;
    const ds = -lA0 + (Sc + Ss) / S;
    const dbeta = Sq / (A0 * S);
    out.meanLogA = -dr;
    out.meanInvA = -dalpha / p;
    out.meanLogB = -ds;
    out.meanInvB = -dbeta / (s + 1);
  }
  return logI;
}

/** Quadrature form (see the file comment); valid for any parameters. */
function quadratureIntegral(p: number, alpha: number, s: number, beta: number, tx: number, T: number, out: DeathIntegral | null): number {
  const c = p + s;
  const lA0 = Math.log(alpha + tx);
  const L = Math.log(alpha + T) - lA0;
  const span = Math.min(L, CUT / c);
  const panels = Math.max(1, Math.ceil((c * span) / PANEL));
  const width = span / panels;
  const s1 = s + 1;
  // reference for scaling: (s+1)·ln h is monotone in u, so its max over [0, L] is at an endpoint
  const lB0 = Math.log(beta + tx);
  const lBT = Math.log(beta + T);
  const ref = Math.max(s1 * (lA0 - lB0), s1 * (L + lA0 - lBT));
  const A0 = alpha + tx;
  const B0 = beta + tx;
  const { nodes, weights } = GL;
  let S0 = 0;
  let SlA = 0;
  let SiA = 0;
  let SlB = 0;
  let SiB = 0;
  for (let j = 0; j < panels; j++) {
    const start = j * width;
    for (let k = 0; k < 16; k++) {
      const u = start + width * nodes[k]!;
      const em1 = Math.expm1(u);
      const aTau = A0 * (em1 + 1); // α + τ
      const bTau = B0 + A0 * em1; // β + τ, without cancelling α
      const lBk = Math.log(bTau);
      const lAk = lA0 + u;
      const phi = weights[k]! * Math.exp(s1 * (lAk - lBk) - c * u - ref);
      S0 += phi;
      if (out) {
        SlA += phi * lAk;
        SiA += phi / aTau;
        SlB += phi * lBk;
        SiB += phi / bTau;
      }
    }
  }
  const logI = -c * lA0 + Math.log(width) + ref + Math.log(S0);
  if (out) {
    out.logI = logI;
    out.meanLogA = SlA / S0;
    out.meanInvA = SiA / S0;
    out.meanLogB = SlB / S0;
    out.meanInvB = SiB / S0;
  }
  return logI;
}

export function paretoNbdNegLogLik(c: CompressedRfm, theta: ArrayLike<number>, grad: Float64Array | null): number {
  const r = Math.exp(theta[0]!);
  const alpha = Math.exp(theta[1]!);
  const s = Math.exp(theta[2]!);
  const beta = Math.exp(theta[3]!);
  const ls = Math.log(s);
  const nx = c.xValues.length;
  const A1 = new Float64Array(nx);
  const dR = new Float64Array(nx);
  const gr = gammaln(r);
  const pr = grad ? digamma(r) : 0;
  for (let k = 0; k < nx; k++) {
    const x = c.xValues[k]!;
    A1[k] = x === 0 ? 0 : gammaln(r + x) - gr;
    dR[k] = x === 0 || !grad ? 0 : digamma(r + x) - pr;
  }
  const nT = c.TValues.length;
  const lAT = new Float64Array(nT);
  const lBT = new Float64Array(nT);
  for (let k = 0; k < nT; k++) {
    lAT[k] = Math.log(alpha + c.TValues[k]!);
    lBT[k] = Math.log(beta + c.TValues[k]!);
  }
  const tables = new SeriesTables(s);
  const di: DeathIntegral = { logI: 0, meanLogA: 0, meanInvA: 0, meanLogB: 0, meanInvB: 0 };
  let ll = 0;
  let g0 = 0;
  let g1 = 0;
  let g2 = 0;
  let g3 = 0;
  for (let i = 0; i < c.size; i++) {
    const x = c.x[i]!;
    const tx = c.tx[i]!;
    const T = c.T[i]!;
    const w = c.w[i]!;
    const kT = c.TIndex[i]!;
    const kx = c.xIndex[i]!;
    const p = r + x;
    const e1 = -p * lAT[kT]! - s * lBT[kT]!;
    const logI = paretoLogDeathIntegral(p, alpha, s, beta, tx, T, grad ? di : null, tables, kx);
    const e2 = ls + logI;
    let lse: number;
    let w2: number;
    if (e2 === -Infinity) {
      lse = e1;
      w2 = 0;
    } else {
      const d = e2 - e1;
      const e = Math.exp(-Math.abs(d));
      lse = (d > 0 ? e2 : e1) + Math.log1p(e);
      w2 = d > 0 ? 1 / (1 + e) : e / (1 + e);
    }
    ll += w * (A1[kx]! + lse);
    if (grad) {
      const w1 = 1 - w2;
      const t = c.TValues[kT]!;
      g0 += w * (dR[kx]! - w1 * lAT[kT]! - (w2 > 0 ? w2 * di.meanLogA : 0));
      g1 += w * (-w1 * p / (alpha + t) - (w2 > 0 ? w2 * p * di.meanInvA : 0));
      g2 += w * (-w1 * lBT[kT]! + (w2 > 0 ? w2 * (1 / s - di.meanLogB) : 0));
      g3 += w * (-w1 * s / (beta + t) - (w2 > 0 ? w2 * (s + 1) * di.meanInvB : 0));
    }
  }
  const lalpha = Math.log(alpha);
  const lbeta = Math.log(beta);
  ll += c.totalWeight * (r * lalpha + s * lbeta);
  if (grad) {
    g0 += c.totalWeight * lalpha;
    g1 += (c.totalWeight * r) / alpha;
    g2 += c.totalWeight * lbeta;
    g3 += (c.totalWeight * s) / beta;
    grad[0] = -g0 * r;
    grad[1] = -g1 * alpha;
    grad[2] = -g2 * s;
    grad[3] = -g3 * beta;
  }
  return -ll;
}

export function fitParetoNbd(data: RfmColumns, options: FitOptions<ParetoNbdParams> = {}): ParetoNbdModel {
  validateRfm("fitParetoNbd", data);
  const c = compressRowsCached(data);
  const sub = c.size > WARM_THRESHOLD ? subsampleCompressed(c, Math.ceil(c.size / WARM_ROWS)) : null;
  const warm = sub ? { negLogLik: (th: Float64Array, g: Float64Array | null) => paretoNbdNegLogLik(sub, th, g), observations: sub.totalWeight } : null;
  const t = meanT(c);
  return fitLogParameters("pareto-nbd", NAMES, (th, g) => paretoNbdNegLogLik(c, th, g), true, { r: 1, alpha: t, s: 1, beta: t }, c.totalWeight, options, warm);
}

export function paretoNbdLogLikelihood(params: ParetoNbdParams, data: RfmColumns): number {
  validateRfm("paretoNbdLogLikelihood", data);
  const c = compressRows(data);
  return -paretoNbdNegLogLik(c, [Math.log(params.r), Math.log(params.alpha), Math.log(params.s), Math.log(params.beta)], null);
}

/** ln P(alive) = ln E − ln(E + s·I) with E = (α+T)^{−(r+x)}(β+T)^{−s}. */
export function paretoNbdLogPAlive(p: ParetoNbdParams, x: number, tx: number, T: number): number {
  const e1 = -(p.r + x) * Math.log(p.alpha + T) - p.s * Math.log(p.beta + T);
  const logI = paretoLogDeathIntegral(p.r + x, p.alpha, p.s, p.beta, tx, T, null);
  if (logI === -Infinity) return 0;
  const d = Math.log(p.s) + logI - e1;
  return d > 0 ? -d - Math.log1p(Math.exp(-d)) : -Math.log1p(Math.exp(d));
}

/** E[Y(t) | alive at T] = (r+x)(β+T)/((α+T)(s−1)) · [1 − ((β+T)/(β+T+t))^{s−1}], with the s → 1 limit. */
export function paretoNbdHorizonFactor(p: ParetoNbdParams, x: number, T: number, t: number): number {
  if (t === 0) return 0;
  const l = Math.log1p(t / (p.beta + T));
  const sm1 = p.s - 1;
  const q = Math.abs(sm1) < 1e-12 ? l : -Math.expm1(-sm1 * l) / sm1;
  return ((p.r + x) * (p.beta + T) * q) / (p.alpha + T);
}

export function paretoNbdProbabilityAlive(model: { params: ParetoNbdParams }, frequency: number, recency: number, T: number): number;
export function paretoNbdProbabilityAlive(model: { params: ParetoNbdParams }, frequency: ArrayLike<number>, recency: ArrayLike<number>, T: ArrayLike<number>): Float64Array;
export function paretoNbdProbabilityAlive(model: { params: ParetoNbdParams }, frequency: Num, recency: Num, T: Num): number | Float64Array {
  const p = model.params;
  return mapRows("paretoNbdProbabilityAlive", frequency, recency, T, (x, tx, tt) => Math.exp(paretoNbdLogPAlive(p, x, tx, tt)));
}

/** Conditional expected purchases in the next t units (Fader & Hardie 2005 note 009, eq. 15–16). */
export function paretoNbdExpectedPurchases(model: { params: ParetoNbdParams }, t: number, frequency: number, recency: number, T: number): number;
export function paretoNbdExpectedPurchases(model: { params: ParetoNbdParams }, t: number, frequency: ArrayLike<number>, recency: ArrayLike<number>, T: ArrayLike<number>): Float64Array;
export function paretoNbdExpectedPurchases(model: { params: ParetoNbdParams }, t: number, frequency: Num, recency: Num, T: Num): number | Float64Array {
  checkHorizon("paretoNbdExpectedPurchases", t);
  const p = model.params;
  return mapRows("paretoNbdExpectedPurchases", frequency, recency, T, (x, tx, tt) => Math.exp(paretoNbdLogPAlive(p, x, tx, tt)) * paretoNbdHorizonFactor(p, x, tt, t));
}
