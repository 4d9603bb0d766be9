/**
 * Log-space addition, the workhorse of every likelihood here: ln(e^a + e^b) without overflow.
 *
 * Reference: standard identity ln(e^a + e^b) = max + log1p(e^{−|a−b|}).
 * Complexity: O(1) for logAddExp, O(n) for logSumExp.
 *
 * @example
 * logAddExp(1000, 1000); // 1000.6931471805599
 * logSumExp([-Infinity, 0]); // 0
 */
export function logAddExp(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  return a > b ? a + Math.log1p(Math.exp(b - a)) : b + Math.log1p(Math.exp(a - b));
}

/** ln Σ e^{x_i}; −Infinity for an empty list. */
export function logSumExp(xs: ArrayLike<number>): number {
  let m = -Infinity;
  for (let i = 0; i < xs.length; i++) {
    const v = xs[i] as number;
    if (v > m) m = v;
  }
  if (m === -Infinity || !Number.isFinite(m)) return m;
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += Math.exp((xs[i] as number) - m);
  return m + Math.log(s);
}

/** ln(e^a − e^b) for a ≥ b; −Infinity when equal. */
export function logDiffExp(a: number, b: number): number {
  if (b === -Infinity) return a;
  if (b >= a) return -Infinity;
  const d = b - a;
  // log(-expm1(d)) is accurate when d is near 0; log1p(-exp(d)) when d is very negative.
  return a + (d > -Math.LN2 ? Math.log(-Math.expm1(d)) : Math.log1p(-Math.exp(d)));
}

/** Logistic function 1/(1+e^{−x}), stable for large |x|. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}
