// Independent, deliberately naive implementations of the published closed forms, used to check the
// optimised code paths. They follow the papers' formulas literally (direct ₂F₁ power series, no
// Euler transform, no caching, no log-space tricks beyond what is needed to avoid overflow).
import { gammaln } from "../src/math/special-functions.js";

/** Direct Gauss series, many terms; valid for |z| < 1 with moderate parameters. */
export function naiveHyp2f1(a: number, b: number, c: number, z: number): number {
  let term = 1;
  let sum = 1;
  for (let k = 0; k < 200000; k++) {
    term *= ((a + k) * (b + k)) / ((c + k) * (k + 1)) * z;
    sum += term;
    if (Math.abs(term) < 1e-18 * Math.abs(sum)) break;
  }
  return sum;
}

/** FHL (2005) eq. (10) conditional expectation, literally. */
export function bgExpected(p: { r: number; alpha: number; a: number; b: number }, t: number, x: number, tx: number, T: number): number {
  const { r, alpha, a, b } = p;
  const hyp = naiveHyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + T + t));
  const num = ((a + b + x - 1) / (a - 1)) * (1 - Math.pow((alpha + T) / (alpha + T + t), r + x) * hyp);
  const den = 1 + (x > 0 ? 1 : 0) * (a / (b + x - 1)) * Math.pow((alpha + T) / (alpha + tx), r + x);
  return num / den;
}

/** FHL (2008) P(alive), literally. */
export function bgAlive(p: { r: number; alpha: number; a: number; b: number }, x: number, tx: number, T: number): number {
  if (x === 0) return 1;
  return 1 / (1 + (p.a / (p.b + x - 1)) * Math.pow((p.alpha + T) / (p.alpha + tx), p.r + x));
}

/** MBG/NBD (Batislam et al. 2007), as in lifetimes' ModifiedBetaGeoFitter. */
export function mbgExpected(p: { r: number; alpha: number; a: number; b: number }, t: number, x: number, tx: number, T: number): number {
  const { r, alpha, a, b } = p;
  const hyp = naiveHyp2f1(r + x, b + x + 1, a + b + x, t / (alpha + T + t));
  return ((a + b + x) / (a - 1)) * (1 - hyp * Math.pow((alpha + T) / (alpha + t + T), r + x)) / (1 + (a / (b + x)) * Math.pow((alpha + T) / (alpha + tx), r + x));
}

export function mbgAlive(p: { r: number; alpha: number; a: number; b: number }, x: number, tx: number, T: number): number {
  return 1 / (1 + (p.a / (p.b + x)) * Math.pow((p.alpha + T) / (p.alpha + tx), p.r + x));
}

/**
 * Pareto/NBD P(alive) with A₀ from the two ₂F₁ terms of Fader & Hardie (2005, note 009, eq. 18–19),
 * evaluated in log space as in lifetimes' ParetoNBDFitter._log_A_0.
 */
export function paretoAlive(p: { r: number; alpha: number; s: number; beta: number }, x: number, tx: number, T: number): number {
  const { r, alpha, s, beta } = p;
  const [mn, mx, t] = alpha < beta ? [alpha, beta, r + x] : [beta, alpha, s + 1];
  const rsf = r + s + x;
  const p1 = naiveHyp2f1(rsf, t, rsf + 1, (mx - mn) / (mx + tx));
  const p2 = naiveHyp2f1(rsf, t, rsf + 1, (mx - mn) / (mx + T));
  const logA0 = Math.log(p1 / Math.pow(mx + tx, rsf) - p2 / Math.pow(mx + T, rsf));
  const A1 = gammaln(r + x) - gammaln(r) + r * Math.log(alpha) + s * Math.log(beta);
  const first = -(r + x) * Math.log(alpha + T) - s * Math.log(beta + T);
  const second = Math.log(s) + logA0 - Math.log(rsf);
  const ll = A1 + Math.log(Math.exp(first) + Math.exp(second));
  return Math.exp(A1 + first - ll);
}

/** Pareto/NBD P(alive) by brute-force Simpson integration of the death-time integral (no ₂F₁ at all). */
export function paretoAliveSimpson(p: { r: number; alpha: number; s: number; beta: number }, x: number, tx: number, T: number, steps = 200000): number {
  const { r, alpha, s, beta } = p;
  if (tx >= T) return 1;
  const logI = logSimpson((tau) => -(r + x) * Math.log(alpha + tau) - (s + 1) * Math.log(beta + tau), tx, T, steps);
  const first = -(r + x) * Math.log(alpha + T) - s * Math.log(beta + T);
  return 1 / (1 + Math.exp(Math.log(s) + logI - first));
}

export function paretoExpected(p: { r: number; alpha: number; s: number; beta: number }, t: number, x: number, tx: number, T: number): number {
  const { r, alpha, s, beta } = p;
  return (((r + x) * (beta + T)) / ((alpha + T) * (s - 1))) * (1 - Math.pow((beta + T) / (beta + T + t), s - 1)) * paretoAlive(p, x, tx, T);
}

/**
 * The common-dropout-rate limit of Pareto/NBD (s, β → ∞, s/β = μ), per customer, by brute-force Simpson
 * integration: L = Γ(r+x)α^r/Γ(r) · [E + μ∫_{tx}^{T}(α+τ)^{−(r+x)}e^{−μτ}dτ], E = (α+T)^{−(r+x)}e^{−μT}
 * (λ ~ Gamma(r, α) integrated out of Fader & Hardie 2005 note 009's individual likelihood). Returns ln L and P(alive) = E/(E + μ∫…).
 */
export function commonDropoutSimpson(p: { r: number; alpha: number; mu: number }, x: number, tx: number, T: number, steps = 20000): { logL: number; alive: number } {
  const { r, alpha, mu } = p;
  const first = -(r + x) * Math.log(alpha + T) - mu * T;
  const A1 = gammaln(r + x) - gammaln(r) + r * Math.log(alpha);
  if (tx >= T) return { logL: A1 + first, alive: 1 };
  const second = Math.log(mu) + logSimpson((tau) => -(r + x) * Math.log(alpha + tau) - mu * tau, tx, T, steps);
  const m = Math.max(first, second);
  const lse = m + Math.log(Math.exp(first - m) + Math.exp(second - m));
  return { logL: A1 + lse, alive: Math.exp(first - lse) };
}

/** ln ∫_a^b e^{logf(τ)} dτ by composite Simpson with `steps` (even) intervals, scaled by e^{logf(a)} against overflow. */
function logSimpson(logf: (tau: number) => number, a: number, b: number, steps: number): number {
  const ref = logf(a);
  const h = (b - a) / steps;
  let sum = 0;
  for (let i = 0; i <= steps; i++) {
    const w = i === 0 || i === steps ? 1 : i % 2 === 1 ? 4 : 2;
    sum += w * Math.exp(logf(a + i * h) - ref);
  }
  return ref + Math.log((sum * h) / 3);
}
