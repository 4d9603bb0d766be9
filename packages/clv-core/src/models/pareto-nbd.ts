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
 * (the customer was alive at t_x and died at τ ∈ (t_x, T]). Substituting τ = (M+t_x)e^u − M turns
 * it into e^{−cu}-like integrands on u ∈ [0, ln((M+T)/(M+t_x))], c = r+s+x, which we evaluate
 *  - by a convergent binomial series, expanding around M = max(α, β) (the same branch choice as
 *    lifetimes' ₂F₁ code): I = M₀^{−c} Σ_n (k)_n/n! (−q)^n (1 − ρ^{c+n})/(c+n), |q| =
 *    |α−β|/(max(α,β)+t_x) < 1, used when |q| ≤ 0.8 — plain arithmetic, ~15 terms on CDNOW;
 *  - otherwise (α and β orders of magnitude apart) by Gauss–Legendre panels around M = min(α, β),
 *    which resolves the integrand's feature on the scale of the smaller one.
 * Every term is positive or the series converges absolutely, so LL, P(alive) = E/(E + s·I) ∈ [0, 1]
 * and the expectations stay finite. Both forms also give the analytic gradient (∂ ln I/∂r =
 * −⟨ln(α+τ)⟩ etc., averages under the integrand), carried term by term or node by node.
 * Complexity: O(series terms) or O(16 × panels) per distinct row per evaluation.
 *
 * @example
 * const m = fitParetoNbd({ frequency, recency, T });      // CDNOW: LL ≈ −9595.0
 * paretoNbdProbabilityAlive(m, 2, 30.43, 38.86);           // a probability in [0, 1]
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
 * Returns −Infinity when tx ≥ T. Uses a convergent binomial series expanded around the larger of
 * α and β (so |q| = |α−β|/(max(α,β)+tx) < 1, as in lifetimes' choice of ₂F₁ branch) when
 * |q| ≤ 0.8 (plain arithmetic, ~15 terms for typical data), else the quadrature.
 */
export function paretoLogDeathIntegral(p: number, alpha: number, s: number, beta: number, tx: number, T: number, out: DeathIntegral | null, tables: SeriesTables | null = null, slot = 0): number {
  if (!(T > tx)) {
    if (out) out.logI = -Infinity;
    return -Infinity;
  }
  if (Math.abs(beta - alpha) <= 0.8 * (Math.max(alpha, beta) + tx)) {
    const v = seriesIntegral(p, alpha, s, beta, tx, T, out, tables ?? new SeriesTables(s), slot);
    if (!Number.isNaN(v)) return v;
  }
  return quadratureIntegral(p, alpha, s, beta, tx, T, out);
}

/** Lazily filled C_n = (b)_n/n! and H_n = Σ_{j<n} 1/(b+j) = ∂ ln C_n/∂b. */
class RisingTable {
  readonly C = new Float64Array(MAX_TERMS + 1);
  readonly H = new Float64Array(MAX_TERMS + 1);
  private filled = 0;
  constructor(readonly b: number) {
    this.C[0] = 1;
  }
  ensure(n: number): void {
    for (let k = this.filled; k < n; k++) {
      this.C[k + 1] = (this.C[k]! * (this.b + k)) / (k + 1);
      this.H[k + 1] = this.H[k]! + 1 / (this.b + k);
    }
    if (n > this.filled) this.filled = n;
  }
}

/**
 * Per-evaluation tables so the series' inner loop has no divisions: rising factorials in s+1
 * (α-side expansion) and in p = r+x (β-side, per distinct frequency), and 1/(c+n) per frequency.
 */
export class SeriesTables {
  readonly sSide: RisingTable;
  private readonly pSide: (RisingTable | undefined)[] = [];
  private readonly inv: { c: number; v: Float64Array; n: number }[] = [];
  constructor(s: number) {
    this.sSide = new RisingTable(s + 1);
  }
  pTable(slot: number, p: number): RisingTable {
    let t = this.pSide[slot];
    if (!t || t.b !== p) {
      t = new RisingTable(p);
      this.pSide[slot] = t;
    }
    return t;
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

interface SeriesSums {
  S: number;
  Sc: number; // Σ C P ∂J/∂c
  Sh: number; // Σ H C P J  (derivative through the rising factorial's base)
  Sq: number; // Σ C (−n) q^{n−1}-term J  (= ∂S/∂q)
  SL: number; // Σ C P ρ^{c+n}  (= ∂S/∂L)
}

/**
 * S = Σ_n C_n (−q)^n (1 − ρ^{c+n})/(c+n) with C_n = (b)_n/n!, plus the sums its derivatives need.
 * Returns false if MAX_TERMS terms did not converge.
 */
function seriesSums(q: number, L: number, rho: number, c: number, tab: RisingTable, tables: SeriesTables, slot: number, withGrad: boolean, out: SeriesSums): boolean {
  let need = Math.min(MAX_TERMS, q === 0 ? 4 : Math.ceil(-36.8 / Math.log(Math.abs(q))) + 4);
  tab.ensure(need);
  let ic = tables.invC(slot, c, need);
  const Ct = tab.C;
  const Ht = tab.H;
  let Ecr = Math.exp(-c * L); // ρ^{c+n}
  let D = -Math.expm1(-c * L); // 1 − ρ^{c+n}, updated without cancellation: D' = Dρ + (1−ρ)
  const oneMinusRho = -Math.expm1(-L);
  let Pn = 1;
  let Pnm1 = 0;
  let S = 0;
  let Sc = 0;
  let Sh = 0;
  let Sq = 0;
  let SL = 0;
  for (let n = 0; ; n++) {
    if (n >= need) {
      if (need >= MAX_TERMS) return false;
      need = Math.min(MAX_TERMS, 2 * need);
      tab.ensure(need);
      ic = tables.invC(slot, c, need);
    }
    const inv = ic[n]!;
    const Cn = Ct[n]!;
    const J = D * inv;
    const CP = Cn * Pn;
    const t = CP * J;
    S += t;
    if (withGrad) {
      Sc += CP * (L * Ecr - J) * inv;
      Sh += Ht[n]! * t;
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
  out.S = S;
  out.Sc = Sc;
  out.Sh = Sh;
  out.Sq = Sq;
  out.SL = SL;
  return S > 0;
}

const sums: SeriesSums = { S: 0, Sc: 0, Sh: 0, Sq: 0, SL: 0 };

/**
 * Series forms of the death-time integral (binomial expansion in the u-form, see the file comment):
 *  α ≥ β: τ = (α+tx)e^u − α, A₀ = α+tx, q = (β−α)/A₀:
 *    I = A₀^{−c} Σ (s+1)_n/n! (−q)^n (1 − ρ^{c+n})/(c+n), ρ = A₀/(α+T);
 *  β > α: τ = (β+tx)e^u − β, B₀ = β+tx, q = (α−β)/B₀:
 *    I = B₀^{−c} Σ (p)_n/n! (−q)^n (1 − ρ^{c+n})/(c+n), ρ = B₀/(β+T).
 * Derivatives are carried term by term and reported as the integrand-weighted means.
 * Returns NaN when the series did not converge (the caller then uses the quadrature).
 */
function seriesIntegral(p: number, alpha: number, s: number, beta: number, tx: number, T: number, out: DeathIntegral | null, tables: SeriesTables, slot: number): number {
  const c = p + s;
  const withGrad = out !== null;
  if (alpha >= beta) {
    const A0 = alpha + tx;
    const lA0 = Math.log(A0);
    const q = (beta - alpha) / A0;
    const L = Math.log(alpha + T) - lA0;
    if (!seriesSums(q, L, A0 / (alpha + T), c, tables.sSide, tables, slot, withGrad, sums)) return NaN;
    const { S, Sc, Sh, Sq, SL } = sums;
    const logI = -c * lA0 + Math.log(S);
    if (out) {
      out.logI = logI;
      const dr = -lA0 + Sc / S;
      const dalpha = -c / A0 + (Sq * (-(beta + tx) / (A0 * A0)) + SL * (1 / (alpha + T) - 1 / A0)) / S;
      const ds = -lA0 + (Sc + Sh) / S;
      const dbeta = Sq / (A0 * S);
      out.meanLogA = -dr;
      out.meanInvA = -dalpha / p;
      out.meanLogB = -ds;
      out.meanInvB = -dbeta / (s + 1);
    }
    return logI;
  }
  const B0 = beta + tx;
  const lB0 = Math.log(B0);
  const q = (alpha - beta) / B0;
  const L = Math.log(beta + T) - lB0;
  if (!seriesSums(q, L, B0 / (beta + T), c, tables.pTable(slot, p), tables, slot, withGrad, sums)) return NaN;
  const { S, Sc, Sh, Sq, SL } = sums;
  const logI = -c * lB0 + Math.log(S);
  if (out) {
    out.logI = logI;
    const dr = -lB0 + (Sc + Sh) / S;
    const ds = -lB0 + Sc / S;
    const dalpha = Sq / (B0 * S);
    const dbeta = -c / B0 + (Sq * (-(alpha + tx) / (B0 * B0)) + SL * (1 / (beta + T) - 1 / B0)) / S;
    out.meanLogA = -dr;
    out.meanInvA = -dalpha / p;
    out.meanLogB = -ds;
    out.meanInvB = -dbeta / (s + 1);
  }
  return logI;
}

/**
 * Quadrature form, valid for any parameters: with m = min(α, β), M₀ = m + tx and τ = M₀e^u − m,
 * the integrand becomes (α+τ)^{−p} (β+τ)^{−(s+1)} M₀e^u on u ∈ [0, ln((m+T)/M₀)], smooth on the
 * scale of the smaller of α+τ and β+τ (where the integrand has its features) and decaying at most
 * like e^{−cu}; Gauss–Legendre panels of width ≤ 8/max(c, 1) integrate it to rounding.
 */
const qbuf = new Float64Array(16);
function quadratureIntegral(p: number, alpha: number, s: number, beta: number, tx: number, T: number, out: DeathIntegral | null): number {
  const c = p + s;
  const s1 = s + 1;
  const m = Math.min(alpha, beta);
  const dA = alpha - m; // one of dA, dB is 0
  const dB = beta - m;
  const M0 = m + tx;
  const lM0 = Math.log(M0);
  const L = Math.log(m + T) - lM0;
  const panels = Math.min(256, Math.max(1, Math.ceil((Math.max(c, 1) * L) / PANEL)));
  const width = L / panels;
  const { nodes, weights } = GL;
  // log-integrand at u: −p ln(α+τ) − (s+1) ln(β+τ) + ln M₀ + u; scale by its running maximum
  let ref = -Infinity;
  let S0 = 0;
  let SlA = 0;
  let SiA = 0;
  let SlB = 0;
  let SiB = 0;
  for (let j = 0; j < panels; j++) {
    const start = j * width;
    let panelMax = -Infinity;
    for (let k = 0; k < 16; k++) {
      const u = start + width * nodes[k]!;
      const lMu = lM0 + u;
      const lAk = dA === 0 ? lMu : Math.log(dA + Math.exp(lMu));
      const lBk = dB === 0 ? lMu : Math.log(dB + Math.exp(lMu));
      const v = -p * lAk - s1 * lBk + lMu;
      qbuf[k] = v;
      if (v > panelMax) panelMax = v;
    }
    if (panelMax > ref) {
      // rescale what was accumulated so far
      const f = ref === -Infinity ? 0 : Math.exp(ref - panelMax);
      S0 *= f;
      SlA *= f;
      SiA *= f;
      SlB *= f;
      SiB *= f;
      ref = panelMax;
    }
    for (let k = 0; k < 16; k++) {
      const phi = weights[k]! * Math.exp(qbuf[k]! - ref);
      S0 += phi;
      if (out) {
        const u = start + width * nodes[k]!;
        const Mu = M0 * Math.exp(u);
        const aTau = dA + Mu;
        const bTau = dB + Mu;
        SlA += phi * Math.log(aTau);
        SiA += phi / aTau;
        SlB += phi * Math.log(bTau);
        SiB += phi / bTau;
      }
    }
  }
  const logI = Math.log(width) + ref + Math.log(S0);
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
