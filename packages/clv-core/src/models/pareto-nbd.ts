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
import { fitWithLimit, mapCovariance } from "./fit-at-limit.js";
import { type FitOptions, type FittedModel } from "./fitted-model.js";
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

/**
 * Result of the death-time integral and the integrand-weighted means used by the gradient. `logI` is
 * ln J with J = β^{s+1}·I = ∫ (α+τ)^{−p} (1+τ/β)^{−(s+1)} dτ: scaled so that no term grows with s
 * (ln I alone is ≈ −(s+1) ln β, and the likelihood's s·ln β and −s·ln(β+T) cancelled to noise once s
 * was in the millions). In the common-dropout-rate limit J = ∫ (α+τ)^{−p} e^{−μτ} dτ.
 */
interface DeathIntegral {
  logI: number;
  meanLogA: number; // ⟨ln(α+τ)⟩
  meanInvA: number; // ⟨1/(α+τ)⟩
  meanLogB: number; // ⟨ln(1+τ/β)⟩; in the limit ⟨τ⟩
  meanFracB: number; // ⟨τ/(β+τ)⟩; unused in the limit
}

/**
 * ln J, J = β^{s+1} ∫_{tx}^{T} (α+τ)^{−p} (β+τ)^{−(s+1)} dτ (and integrand-weighted means when `out`
 * is given). Returns −Infinity when tx ≥ T. Uses a convergent binomial series expanded around the
 * larger of α and β (so |q| = |α−β|/(max(α,β)+tx) < 1, as in lifetimes' choice of ₂F₁ branch) when
 * |q| ≤ 0.8 (plain arithmetic, ~15 terms for typical data), else the quadrature.
 */
export function paretoLogDeathIntegral(p: number, alpha: number, s: number, beta: number, tx: number, T: number, out: DeathIntegral | null, tables: SeriesTables | null = null, slot = 0): number {
  if (!(T > tx)) {
    if (out) out.logI = -Infinity;
    return -Infinity;
  }
  if (Math.abs(beta - alpha) <= 0.8 * (Math.max(alpha, beta) + tx)) {
    const v = seriesIntegral(p, alpha, s, beta, tx, T, out, tables ?? new SeriesTables(s), slot);
    if (!Number.isNaN(v)) {
      // the series gives ln I and absolute means; rescale by β^{s+1} (moderate here: β ≤ 5α + 4tx)
      const lb = Math.log(beta);
      if (out) {
        out.logI = v + (s + 1) * lb;
        out.meanLogB -= lb;
        out.meanFracB = 1 - beta * out.meanFracB;
      }
      return v + (s + 1) * lb;
    }
  }
  return quadratureIntegral(p, alpha, s, beta, tx, T, out, NaN);
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
      out.meanFracB = -dbeta / (s + 1); // ⟨1/(β+τ)⟩ here; the caller turns it into ⟨τ/(β+τ)⟩
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
    out.meanFracB = -dbeta / (s + 1); // ⟨1/(β+τ)⟩ here; the caller turns it into ⟨τ/(β+τ)⟩
  }
  return logI;
}

/**
 * Quadrature form, valid for any parameters: J = ∫_{tx}^{T} (α+τ)^{−p} D(τ) dτ with D(τ) = (1+τ/β)^{−(s+1)},
 * or D(τ) = e^{−μτ} in the common-dropout-rate limit (`mu` not NaN: s, β → ∞ with s/β = μ).
 * With m = min(α, β) (α in the limit), M₀ = m + tx and τ = tx + M₀(e^u − 1), the integrand becomes
 * (α+τ)^{−p} D(τ) (m+τ) on u ∈ [0, ln((m+T)/M₀)], smooth on the scale of the smaller of α+τ and β+τ
 * (where it has its features). Its log-slope in u, 1 − p(m+τ)/(α+τ) − (s+1)(m+τ)/(β+τ) (limit:
 * 1 − p(m+τ)/(α+τ) − μ(m+τ)), is at most κ = 1 + p(m+T)/(α+T) + (s+1)(m+T)/(β+T) in size, and
 * Gauss–Legendre panels of width ≤ 8/κ integrate it to rounding. κ stays bounded as s, β → ∞ at fixed
 * s/β, so one evaluation's cost does too (bounding it by p + s instead made evaluations dearer as a fit
 * walked along that ridge, up to the 256-panel cap, and inaccurate beyond it).
 */
const qbuf = new Float64Array(16);
const qlA = new Float64Array(16);
const qtau = new Float64Array(16);
function quadratureIntegral(p: number, alpha: number, s: number, beta: number, tx: number, T: number, out: DeathIntegral | null, mu: number): number {
  const limit = !Number.isNaN(mu);
  const s1 = s + 1;
  const m = limit ? alpha : Math.min(alpha, beta);
  const M0 = m + tx;
  const lM0 = Math.log(M0);
  const L = Math.log(m + T) - lM0;
  const kappa = 1 + (p * (m + T)) / (alpha + T) + (limit ? mu * (m + T) : (s1 * (m + T)) / (beta + T));
  const panels = Math.min(256, Math.max(1, Math.ceil((kappa * L) / PANEL)));
  const width = L / panels;
  const { nodes, weights } = GL;
  // The log-slope is ≤ 1 − p when m = α and ≤ −s when m = β: the integrand then only falls, and once what
  // is left, at most (L − u)·f(u), is below rounding the remaining panels are skipped (frequent buyers:
  // κ ∝ p, but the mass sits within a few panels of u = 0).
  const falling = m !== alpha || p >= 1;
  // log-integrand at u: −p ln(α+τ) + ln D(τ) + ln M₀ + u; scaled by its running maximum
  let ref = -Infinity;
  let S0 = 0;
  let SlA = 0;
  let SiA = 0;
  let SlB = 0;
  let SfB = 0;
  for (let j = 0; j < panels; j++) {
    const start = j * width;
    let panelMax = -Infinity;
    for (let k = 0; k < 16; k++) {
      const u = start + width * nodes[k]!;
      const lMu = lM0 + u;
      const tau = tx + M0 * Math.expm1(u);
      const lA = alpha === m ? lMu : Math.log(alpha + tau);
      const v = -p * lA + (limit ? -mu * tau : -s1 * Math.log1p(tau / beta)) + lMu;
      qbuf[k] = v;
      qlA[k] = lA;
      qtau[k] = tau;
      if (v > panelMax) panelMax = v;
    }
    if (panelMax > ref) {
      // rescale what was accumulated so far
      const f = ref === -Infinity ? 0 : Math.exp(ref - panelMax);
      S0 *= f;
      SlA *= f;
      SiA *= f;
      SlB *= f;
      SfB *= f;
      ref = panelMax;
    }
    for (let k = 0; k < 16; k++) {
      const phi = weights[k]! * Math.exp(qbuf[k]! - ref);
      S0 += phi;
      if (out) {
        const tau = qtau[k]!;
        SlA += phi * qlA[k]!;
        SiA += phi / (alpha + tau);
        if (limit) SlB += phi * tau;
        else {
          SlB += phi * Math.log1p(tau / beta);
          SfB += (phi * tau) / (beta + tau);
        }
      }
    }
    if (falling && (L - (j + 1) * width) * Math.exp(qbuf[15]! - ref) <= 1e-17 * width * S0) break;
  }
  const logI = Math.log(width) + ref + Math.log(S0);
  if (out) {
    out.logI = logI;
    out.meanLogA = SlA / S0;
    out.meanInvA = SiA / S0;
    out.meanLogB = SlB / S0;
    out.meanFracB = SfB / S0;
  }
  return logI;
}

/**
 * Negative log-likelihood of Pareto/NBD (`mu` NaN) or of its common-dropout-rate limit (`mu` given;
 * `s`, `beta` unused), with the gradient in the log-parameters (r, α, s, β) or (r, α, μ). Per customer
 *   L = Γ(r+x)α^r/Γ(r) · [ (α+T)^{−(r+x)} (1+T/β)^{−s} + (s/β)·J ],   limit: [ (α+T)^{−(r+x)} e^{−μT} + μ·J ]
 * (alive through T, or died at τ ∈ (t_x, T]; J as in `paretoLogDeathIntegral` / `quadratureIntegral`).
 */
function familyNegLogLik(c: CompressedRfm, r: number, alpha: number, s: number, beta: number, mu: number, grad: Float64Array | null): number {
  const limit = !Number.isNaN(mu);
  const lDrop = limit ? Math.log(mu) : Math.log(s) - Math.log(beta);
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
  const lBT = new Float64Array(nT); // ln(1+T/β), or μT in the limit
  for (let k = 0; k < nT; k++) {
    const t = c.TValues[k]!;
    lAT[k] = Math.log(alpha + t);
    lBT[k] = limit ? mu * t : Math.log1p(t / beta);
  }
  const tables = limit ? null : new SeriesTables(s);
  const di: DeathIntegral = { logI: 0, meanLogA: 0, meanInvA: 0, meanLogB: 0, meanFracB: 0 };
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
    const e1 = -p * lAT[kT]! - (limit ? lBT[kT]! : s * lBT[kT]!);
    const logI = limit ? (T > tx ? quadratureIntegral(p, alpha, 0, 0, tx, T, grad ? di : null, mu) : -Infinity) : paretoLogDeathIntegral(p, alpha, s, beta, tx, T, grad ? di : null, tables, kx);
    const e2 = lDrop + logI;
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
      const has2 = w2 > 0;
      g0 += w * (dR[kx]! - w1 * lAT[kT]! - (has2 ? w2 * di.meanLogA : 0));
      g1 += w * (-w1 * p / (alpha + t) - (has2 ? w2 * p * di.meanInvA : 0));
      if (limit) g2 += w * (-w1 * t + (has2 ? w2 * (1 / mu - di.meanLogB) : 0));
      else {
        g2 += w * (-w1 * lBT[kT]! + (has2 ? w2 * (1 / s - di.meanLogB) : 0));
        // β ∂/∂β, without the cancelling s·ln β terms: e1 gives sT/(β+T), e2 gives −1 + (s+1)⟨τ/(β+τ)⟩
        g3 += w * ((w1 * s * t) / (beta + t) + (has2 ? w2 * (-1 + (s + 1) * di.meanFracB) : 0));
      }
    }
  }
  const lalpha = Math.log(alpha);
  ll += c.totalWeight * r * lalpha;
  if (grad) {
    g0 += c.totalWeight * lalpha;
    g1 += (c.totalWeight * r) / alpha;
    grad[0] = -g0 * r;
    grad[1] = -g1 * alpha;
    if (limit) grad[2] = -g2 * mu;
    else {
      grad[2] = -g2 * s;
      grad[3] = -g3;
    }
  }
  return -ll;
}

export function paretoNbdNegLogLik(c: CompressedRfm, theta: ArrayLike<number>, grad: Float64Array | null): number {
  return familyNegLogLik(c, Math.exp(theta[0]!), Math.exp(theta[1]!), Math.exp(theta[2]!), Math.exp(theta[3]!), NaN, grad);
}

/**
 * The common-dropout-rate limit of Pareto/NBD: purchase rates λ ~ Gamma(r, α) as before, but every
 * customer's lifetime is Exponential(μ) with one μ (the Gamma(s, β) of μ degenerates to a point mass as
 * s, β → ∞ with s/β = μ). θ = (ln r, ln α, ln μ). Derivation: the individual likelihood given λ and μ,
 * λ^x e^{−(λ+μ)T} + ∫_{t_x}^{T} λ^x e^{−λτ} μ e^{−μτ} dτ (Fader & Hardie 2005, note 009, §2: alive
 * through T, or died at τ after the last purchase), integrated over λ only:
 * E[λ^x e^{−λτ}] = Γ(r+x)/Γ(r) · α^r (α+τ)^{−(r+x)}.
 */
export function paretoNbdCommonDropoutNegLogLik(c: CompressedRfm, theta: ArrayLike<number>, grad: Float64Array | null): number {
  return familyNegLogLik(c, Math.exp(theta[0]!), Math.exp(theta[1]!), Infinity, Infinity, Math.exp(theta[2]!), grad);
}

export interface CommonDropoutParams {
  r: number;
  alpha: number;
  mu: number;
}

/**
 * s at which a Pareto/NBD fit checks whether it is walking off to the common-dropout-rate limit; the
 * Gamma(s, β) of dropout rates then has a coefficient of variation 1/√s ≤ 14 %.
 */
export const RIDGE_CHECK_S = 50;
/** The point on the ridge reported as `params` of a fit at that limit: μ's CV 0.1 %, predictions equal the limit's to ~1e-6. */
export const BOUNDARY_S = 1e6;
/** s of the probe that tests whether any dropout heterogeneity at all improves on the limit (φ = 1/s = 1e-4). */
const PROBE_S = 1e4;

const ridgeStart = (th: ArrayLike<number>): CommonDropoutParams => ({ r: Math.exp(th[0]!), alpha: Math.exp(th[1]!), mu: Math.exp(th[2]! - th[3]!) });

function boundaryModel(lim: FittedModel<string, CommonDropoutParams>, observations: number, ridgeIterations: number): ParetoNbdModel {
  const { r, alpha, mu } = lim.params;
  return {
    kind: "pareto-nbd",
    params: { r, alpha, s: BOUNDARY_S, beta: BOUNDARY_S / mu },
    logLikelihood: lim.logLikelihood,
    converged: false,
    iterations: ridgeIterations + lim.iterations,
    standardErrors: { r: lim.standardErrors.r, alpha: lim.standardErrors.alpha, s: NaN, beta: NaN },
    // log-parameters (ln r, ln α, ln s, ln β) of the reported ridge point as a linear map of (ln r, ln α, ln μ):
    // ln s fixed, ln β = ln s − ln μ; finite, for CLV ranges (s and β's SEs are NaN: not estimated)
    covariance: mapCovariance([[1, 0, 0], [0, 1, 0], [0, 0, 0], [0, 0, -1]], lim.covariance),
    paramOrder: NAMES,
    observations,
    boundary: {
      limit: "common-dropout-rate",
      message: `Every customer seems to drop out at one common rate (μ ≈ ${mu.toPrecision(3)} per time unit); the Pareto/NBD dropout-heterogeneity parameters s and β grow without bound, so the fit is reported at that limit (s, β → ∞ with s/β = μ).`,
      limitParams: { r, alpha, mu },
      limitStandardErrors: { ...lim.standardErrors },
    },
  };
}

/**
 * Fit Pareto/NBD by maximum likelihood. When the optimiser walks along the ridge s, β → ∞ (s/β stable:
 * dropout heterogeneity vanishing, as when every customer drops out at one common rate) the likelihood
 * has no interior maximum: once s passes RIDGE_CHECK_S the fit also fits the limiting model
 * (`paretoNbdCommonDropoutNegLogLik`) and, if that is the maximum (see fit-at-limit.ts; the probe is
 * s = PROBE_S at the same r, α and mean rate μ), stops and returns it with `boundary` set and
 * `converged` false (see FittedModel.boundary). Otherwise it carries on.
 */
export function fitParetoNbd(data: RfmColumns, options: FitOptions<ParetoNbdParams> = {}): ParetoNbdModel {
  validateRfm("fitParetoNbd", data);
  const c = compressRowsCached(data);
  const sub = c.size > WARM_THRESHOLD ? subsampleCompressed(c, Math.ceil(c.size / WARM_ROWS)) : null;
  const t = meanT(c);
  return fitWithLimit(
    {
      kind: "pareto-nbd",
      names: NAMES,
      defaults: { r: 1, alpha: t, s: 1, beta: t },
      negLogLik: paretoNbdNegLogLik,
      limitKind: "pareto-nbd-common-dropout",
      limitNames: ["r", "alpha", "mu"],
      limitNegLogLik: paretoNbdCommonDropoutNegLogLik,
      near: (th) => Math.exp(th[2]!) >= RIDGE_CHECK_S,
      project: ridgeStart,
      probe: (d, { r, alpha, mu }) => paretoNbdNegLogLik(d, [Math.log(r), Math.log(alpha), Math.log(PROBE_S), Math.log(PROBE_S / mu)], null),
      toModel: boundaryModel,
    },
    c,
    sub,
    options,
  );
}

export function paretoNbdLogLikelihood(params: ParetoNbdParams, data: RfmColumns): number {
  validateRfm("paretoNbdLogLikelihood", data);
  const c = compressRows(data);
  return -paretoNbdNegLogLik(c, [Math.log(params.r), Math.log(params.alpha), Math.log(params.s), Math.log(params.beta)], null);
}

/** ln P(alive) = ln E − ln(E + (s/β)·J) with E = (α+T)^{−(r+x)}(1+T/β)^{−s} (J = β^{s+1}·I, see paretoLogDeathIntegral). */
export function paretoNbdLogPAlive(p: ParetoNbdParams, x: number, tx: number, T: number): number {
  const e1 = -(p.r + x) * Math.log(p.alpha + T) - p.s * Math.log1p(T / p.beta);
  const logJ = paretoLogDeathIntegral(p.r + x, p.alpha, p.s, p.beta, tx, T, null);
  if (logJ === -Infinity) return 0;
  const d = Math.log(p.s) - Math.log(p.beta) + logJ - e1;
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
