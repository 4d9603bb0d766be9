/**
 * Gauss–Legendre nodes and weights on [0, 1].
 *
 * Computed once per n by Newton iteration on P_n (Golub–Welsch is unnecessary for n ≤ 64).
 * Reference: Press et al., Numerical Recipes 3rd ed., §4.6 (`gauleg`).
 * Complexity: O(n²) once; results are cached.
 *
 * @example
 * const { nodes, weights } = gaussLegendre(16);
 * // Σ weights[k] * nodes[k]**2 ≈ 1/3
 */
export interface Quadrature {
  readonly nodes: Float64Array;
  readonly weights: Float64Array;
}

const cache = new Map<number, Quadrature>();

export function gaussLegendre(n: number): Quadrature {
  const hit = cache.get(n);
  if (hit) return hit;
  const nodes = new Float64Array(n);
  const weights = new Float64Array(n);
  const m = (n + 1) >> 1;
  for (let i = 0; i < m; i++) {
    let z = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5));
    let pp = 0;
    for (let iter = 0; iter < 100; iter++) {
      let p1 = 1;
      let p2 = 0;
      for (let j = 0; j < n; j++) {
        const p3 = p2;
        p2 = p1;
        p1 = ((2 * j + 1) * z * p2 - j * p3) / (j + 1);
      }
      pp = (n * (z * p1 - p2)) / (z * z - 1);
      const z1 = z;
      z = z1 - p1 / pp;
      if (Math.abs(z - z1) < 1e-15) break;
    }
    // map from [-1, 1] to [0, 1]
    nodes[i] = 0.5 * (1 - z);
    nodes[n - 1 - i] = 0.5 * (1 + z);
    const w = 1 / ((1 - z * z) * pp * pp);
    weights[i] = w;
    weights[n - 1 - i] = w;
  }
  const q = { nodes, weights };
  cache.set(n, q);
  return q;
}
