/**
 * Bounded quasi-Newton minimiser (projected BFGS with backtracking Armijo line search).
 *
 * The models optimise over log-parameters, which keeps every parameter positive, and the box
 * bounds (default ±30 in log space) only stop runaway directions on flat likelihoods. Written here
 * because no small, maintained, dependency-free JavaScript L-BFGS-B exists; with ≤ 8 parameters a
 * dense inverse-Hessian BFGS is both simpler and faster than the limited-memory variant.
 *
 * Reference: Nocedal & Wright, Numerical Optimization (2nd ed.), Algorithm 6.1 with the scaling
 * (6.20) of the initial inverse Hessian; projection onto the box as in Bertsekas (1982).
 * Complexity: O(d²) per iteration plus the objective's cost; typically 15–40 iterations.
 *
 * @example
 * const res = minimizeBfgs((x, g) => { g[0] = 2 * (x[0]! - 3); return (x[0]! - 3) ** 2; }, [0]);
 * // res.x[0] ≈ 3, res.converged === true
 */
export type ObjectiveWithGradient = (x: Float64Array, grad: Float64Array) => number;

export interface MinimizeOptions {
  lower?: ArrayLike<number>;
  upper?: ArrayLike<number>;
  maxIterations?: number;
  /** Converged when max |projected gradient| ≤ gradientTolerance. */
  gradientTolerance?: number;
  /** ... or when the objective changes by less than this relative amount twice in a row. */
  functionTolerance?: number;
  /** Starting inverse Hessian (row-major d × d), e.g. from a fit on a subsample; default scaled identity. */
  initialInverseHessian?: ArrayLike<number>;
  /**
   * Called after every accepted step with the new point and objective value (not on line-search trials);
   * it may throw to abandon the minimisation (e.g. a fit that recognises it is walking off to a boundary).
   */
  onIteration?: (x: Float64Array, value: number) => void;
}

export interface MinimizeResult {
  x: Float64Array;
  value: number;
  iterations: number;
  evaluations: number;
  converged: boolean;
  /** Gradient at x. */
  gradient: Float64Array;
  /** Final BFGS inverse-Hessian approximation (row-major). */
  inverseHessian: Float64Array;
}

export function minimizeBfgs(fg: ObjectiveWithGradient, x0: ArrayLike<number>, options: MinimizeOptions = {}): MinimizeResult {
  const d = x0.length;
  const lower = options.lower ?? new Array<number>(d).fill(-30);
  const upper = options.upper ?? new Array<number>(d).fill(30);
  const maxIterations = options.maxIterations ?? 200;
  const gtol = options.gradientTolerance ?? 1e-9;
  const ftol = options.functionTolerance ?? 1e-15;
  const lo = Float64Array.from(lower);
  const hi = Float64Array.from(upper);
  const clamp = (v: Float64Array): void => {
    for (let i = 0; i < d; i++) v[i] = Math.min(hi[i]!, Math.max(lo[i]!, v[i]!));
  };

  const x = Float64Array.from(x0);
  clamp(x);
  const g = new Float64Array(d);
  let f = fg(x, g);
  let evaluations = 1;
  const H = identity(d);
  const warmH = options.initialInverseHessian !== undefined && options.initialInverseHessian.length === d * d;
  if (warmH) H.set(options.initialInverseHessian as ArrayLike<number>);
  const dir = new Float64Array(d);
  const xn = new Float64Array(d);
  const gn = new Float64Array(d);
  const s = new Float64Array(d);
  const y = new Float64Array(d);
  const Hy = new Float64Array(d);
  let iterations = 0;
  let converged = false;
  let smallChanges = 0;
  let firstStep = !warmH;

  const projectedGradNorm = (): number => {
    let m = 0;
    for (let i = 0; i < d; i++) {
      const gi = g[i]!;
      // a component pushing against an active bound does not count
      if ((x[i]! <= lo[i]! && gi > 0) || (x[i]! >= hi[i]! && gi < 0)) continue;
      m = Math.max(m, Math.abs(gi));
    }
    return m;
  };

  if (!Number.isFinite(f)) return { x, value: f, iterations, evaluations, converged, gradient: g, inverseHessian: H };

  for (iterations = 1; iterations <= maxIterations; iterations++) {
    if (projectedGradNorm() <= gtol) {
      converged = true;
      iterations--;
      break;
    }
    // direction = -H g, with components frozen at active bounds
    let slope = 0;
    for (let i = 0; i < d; i++) {
      let v = 0;
      for (let j = 0; j < d; j++) v -= H[i * d + j]! * g[j]!;
      dir[i] = v;
    }
    for (let i = 0; i < d; i++) {
      if ((x[i]! <= lo[i]! && dir[i]! < 0) || (x[i]! >= hi[i]! && dir[i]! > 0)) dir[i] = 0;
      slope += dir[i]! * g[i]!;
    }
    if (!(slope < 0)) {
      // not a descent direction: restart from steepest descent
      resetIdentity(H, d);
      slope = 0;
      for (let i = 0; i < d; i++) {
        dir[i] = -g[i]!;
        if ((x[i]! <= lo[i]! && dir[i]! < 0) || (x[i]! >= hi[i]! && dir[i]! > 0)) dir[i] = 0;
        slope += dir[i]! * g[i]!;
      }
      if (!(slope < 0)) {
        converged = true;
        break;
      }
    }
    let step = 1;
    if (firstStep) {
      let n2 = 0;
      for (let i = 0; i < d; i++) n2 += dir[i]! * dir[i]!;
      step = Math.min(1, 1 / Math.sqrt(n2));
    }
    let fnew = Infinity;
    let accepted = false;
    for (let k = 0; k < 60; k++) {
      for (let i = 0; i < d; i++) xn[i] = x[i]! + step * dir[i]!;
      clamp(xn);
      let decrease = 0;
      for (let i = 0; i < d; i++) decrease += g[i]! * (xn[i]! - x[i]!);
      fnew = fg(xn, gn);
      evaluations++;
      if (Number.isFinite(fnew) && fnew <= f + 1e-4 * decrease) {
        accepted = true;
        break;
      }
      // quadratic interpolation of the step, safeguarded to [0.1, 0.5] of the current one
      const denom = 2 * (fnew - f - slope * step);
      let next = Number.isFinite(fnew) && denom > 0 ? (-slope * step * step) / denom : 0.5 * step;
      next = Math.min(0.5 * step, Math.max(0.1 * step, next));
      step = next;
    }
    if (!accepted) break;
    firstStep = false;
    let sy = 0;
    let yy = 0;
    for (let i = 0; i < d; i++) {
      s[i] = xn[i]! - x[i]!;
      y[i] = gn[i]! - g[i]!;
      sy += s[i]! * y[i]!;
      yy += y[i]! * y[i]!;
    }
    const fold = f;
    x.set(xn);
    g.set(gn);
    f = fnew;
    options.onIteration?.(x, f);
    if (sy > 1e-12 * Math.sqrt(yy) * norm(s)) {
      if (iterations === 1 && !warmH) {
        resetIdentity(H, d, sy / yy);
      }
      // H ← (I − ρ s yᵀ) H (I − ρ y sᵀ) + ρ s sᵀ
      const rho = 1 / sy;
      let yHy = 0;
      for (let i = 0; i < d; i++) {
        let v = 0;
        for (let j = 0; j < d; j++) v += H[i * d + j]! * y[j]!;
        Hy[i] = v;
        yHy += y[i]! * v;
      }
      for (let i = 0; i < d; i++) {
        for (let j = 0; j < d; j++) {
          H[i * d + j] = H[i * d + j]! - rho * (Hy[i]! * s[j]! + s[i]! * Hy[j]!) + (rho * rho * yHy + rho) * s[i]! * s[j]!;
        }
      }
    }
    if (Math.abs(fold - f) <= ftol * (1 + Math.abs(f))) {
      smallChanges++;
      if (smallChanges >= 2) {
        converged = true;
        break;
      }
    } else smallChanges = 0;
  }
  if (iterations > maxIterations) iterations = maxIterations;
  return { x, value: f, iterations, evaluations, converged, gradient: g, inverseHessian: H };
}

function identity(d: number): Float64Array {
  const H = new Float64Array(d * d);
  resetIdentity(H, d);
  return H;
}

function resetIdentity(H: Float64Array, d: number, scale = 1): void {
  H.fill(0);
  for (let i = 0; i < d; i++) H[i * d + i] = scale;
}

function norm(v: Float64Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  return Math.sqrt(s);
}
