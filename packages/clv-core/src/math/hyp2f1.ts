/**
 * Gauss hypergeometric function ₂F₁(a, b; c; z) for real parameters and −1 < z < 1 by its power
 * series, after the Pfaff transformation ₂F₁(a,b;c;z) = (1−z)^{−a} ₂F₁(a, c−b; c; z/(z−1)) when
 * z < −0.5 so the series argument stays in [−0.5, 0.5] or in [0, 1).
 *
 * Written here because no maintained JavaScript package provides ₂F₁. The CLV models do not call
 * it on their hot paths: BG/NBD and MBG/NBD use an Euler-transformed series with only positive
 * growth-free terms (see bg-nbd.ts), and Pareto/NBD replaces its two ₂F₁ terms by a quadrature of
 * the underlying integral (see pareto-nbd.ts); this general version is kept for users and tests.
 *
 * Reference: Abramowitz & Stegun 15.1.1 and 15.3.5. Complexity: O(k) with k terms until the
 * relative term size falls below 1e-16 (k grows like 1/(1−|z|) near |z| → 1; capped at 1e6).
 *
 * @example
 * hyp2f1(1, 1, 2, 0.5); // −ln(1 − 0.5)/0.5 = 1.3862943611198906
 */
export function hyp2f1(a: number, b: number, c: number, z: number): number {
  if (!(z < 1 && z > -1)) return NaN;
  if (z < -0.5) return Math.pow(1 - z, -a) * hyp2f1(a, c - b, c, z / (z - 1));
  let term = 1;
  let sum = 1;
  for (let k = 0; k < 1_000_000; k++) {
    term *= ((a + k) * (b + k)) / ((c + k) * (k + 1)) * z;
    sum += term;
    if (term === 0 || (Math.abs(term) < 1e-16 * Math.abs(sum) && k > 2)) break;
  }
  return sum;
}
