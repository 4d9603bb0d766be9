/**
 * Cholesky factorisation A = L Lᵀ of a symmetric positive-definite matrix, and the inverse of A
 * through it. Matrices are dense row-major `number[][]` (they are tiny: ≤ 8 × 8 here).
 *
 * Reference: Golub & Van Loan, Matrix Computations (4th ed.), Algorithm 4.2.1.
 * Complexity: O(d³).
 *
 * @example
 * cholesky([[4, 2], [2, 3]]); // [[2, 0], [1, 1.4142135623730951]]
 */
export function cholesky(a: readonly (readonly number[])[]): number[][] | null {
  const d = a.length;
  const L: number[][] = Array.from({ length: d }, () => new Array<number>(d).fill(0));
  for (let i = 0; i < d; i++) {
    const Li = L[i]!;
    for (let j = 0; j <= i; j++) {
      const Lj = L[j]!;
      let sum = a[i]![j]!;
      for (let k = 0; k < j; k++) sum -= Li[k]! * Lj[k]!;
      if (i === j) {
        if (!(sum > 0)) return null;
        Li[i] = Math.sqrt(sum);
      } else Li[j] = sum / Lj[j]!;
    }
  }
  return L;
}

/** Inverse of a symmetric positive-definite matrix, or null when it is not positive definite. */
export function invertSpd(a: readonly (readonly number[])[]): number[][] | null {
  const L = cholesky(a);
  if (!L) return null;
  const d = a.length;
  // invert L (lower triangular), then A⁻¹ = L⁻ᵀ L⁻¹
  const Li: number[][] = Array.from({ length: d }, () => new Array<number>(d).fill(0));
  for (let i = 0; i < d; i++) {
    Li[i]![i] = 1 / L[i]![i]!;
    for (let j = 0; j < i; j++) {
      let sum = 0;
      for (let k = j; k < i; k++) sum -= L[i]![k]! * Li[k]![j]!;
      Li[i]![j] = sum / L[i]![i]!;
    }
  }
  const inv: number[][] = Array.from({ length: d }, () => new Array<number>(d).fill(0));
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = 0;
      for (let k = i; k < d; k++) sum += Li[k]![i]! * Li[k]![j]!;
      inv[i]![j] = sum;
      inv[j]![i] = sum;
    }
  }
  return inv;
}
