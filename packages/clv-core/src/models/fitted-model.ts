/**
 * The fitted-model record shared by every model, and the one fitting routine they all use:
 * maximise the log-likelihood over log-parameters with the bounded BFGS, then attach standard
 * errors from the observed information (numerical Hessian at the optimum, delta method back to
 * the natural scale).
 *
 * A fitted model is a plain, JSON-serialisable object, so it can be stored and reloaded.
 * Complexity: the optimiser's iterations × one likelihood evaluation, plus 2d evaluations for SEs.
 *
 * @example
 * const m = fitBgNbd(data);
 * JSON.parse(JSON.stringify(m)); // same model
 */
import { ClvAbortedError } from "../errors.js";
import { minimizeBfgs } from "../math/minimize-bfgs.js";
import { observedInformation } from "../math/observed-information.js";

export interface FittedModel<K extends string, P extends object> {
  kind: K;
  params: P;
  logLikelihood: number;
  converged: boolean;
  iterations: number;
  /** Standard errors of `params` (observed information, delta method); NaN if the Hessian is singular. */
  standardErrors: P;
  /** Covariance of the log-parameters, rows and columns in `paramOrder`. */
  covariance: number[][];
  paramOrder: (keyof P & string)[];
  /** Number of customers (sum of weights) the model was fitted on. */
  observations: number;
  /**
   * Set when the likelihood has no maximum inside the parameter space but rises towards a limit on its
   * boundary (e.g. Pareto/NBD when every customer drops out at one common rate: s, β → ∞). The fit then
   * reports the limiting model: `limitParams` (with `limitStandardErrors`) are its parameters,
   * `logLikelihood` is its (the supremum's) log-likelihood, `params` a point far along the ridge whose
   * predictions equal the limit's, and `converged` is false because the model's own MLE does not exist.
   */
  boundary?: FitBoundary;
}

export interface FitBoundary {
  /** Which limit, e.g. "common-dropout-rate". */
  limit: string;
  /** What the limit means, in plain words, for people reading a model comparison. */
  message: string;
  limitParams: Record<string, number>;
  limitStandardErrors: Record<string, number>;
}

/** Called after each accepted optimiser step with the log-parameters and the mean negative log-likelihood; may throw to stop. */
export type IterationHook = (theta: Float64Array, meanNegLogLik: number) => void;

export interface FitOptions<P extends object> {
  /** Starting values (default: the model's own). */
  initial?: Partial<P>;
  maxIterations?: number;
  /** Stop when the largest gradient component of the mean log-likelihood (log-parameters) falls below this. */
  gradientTolerance?: number;
  /**
   * Polled before every likelihood evaluation; returning true aborts the fit with a `ClvAbortedError`
   * (e.g. a time budget: `() => Date.now() > deadline`). Lets a caller bound a fit whose likelihood is
   * expensive on its data without clv-core reading clocks itself.
   */
  shouldStop?: () => boolean;
}

/**
 * @param negLogLik total negative log-likelihood in log-parameters; fills `grad` when non-null and `hasGradient`
 */
export function fitLogParameters<K extends string, P extends object>(
  kind: K,
  names: (keyof P & string)[],
  negLogLik: (theta: Float64Array, grad: Float64Array | null) => number,
  hasGradient: boolean,
  defaults: P,
  observations: number,
  options: FitOptions<P> = {},
  warmStart: { negLogLik: (theta: Float64Array, grad: Float64Array | null) => number; observations: number } | null = null,
  /** Per-phase iteration hooks (the warm start on the subsample, the fit on all rows). */
  hooks: { warm?: IterationHook; full?: IterationHook } = {},
): FittedModel<K, P> {
  const d = names.length;
  const stop = options.shouldStop;
  if (stop) {
    const guard = (nll: typeof negLogLik): typeof negLogLik => (th, g) => {
      if (stop()) throw new ClvAbortedError(`fit-${kind}`);
      return nll(th, g);
    };
    negLogLik = guard(negLogLik);
    if (warmStart) warmStart = { ...warmStart, negLogLik: guard(warmStart.negLogLik) };
  }
  let start = names.map((k) => {
    const v = (options.initial?.[k] ?? defaults[k]) as number;
    return Math.log(v);
  });
  const tmp = new Float64Array(d);
  const objective = (nll: typeof negLogLik, scale: number) =>
    hasGradient
      ? (th: Float64Array, g: Float64Array): number => {
          const v = nll(th, g) * scale;
          for (let i = 0; i < d; i++) g[i] = g[i]! * scale;
          return v;
        }
      : (th: Float64Array, g: Float64Array): number => {
          const v = nll(th, null) * scale;
          // central differences; the likelihoods without analytic gradients are cheap (sBG, BG/BB)
          for (let i = 0; i < d; i++) {
            tmp.set(th);
            const h = 1e-6;
            tmp[i] = th[i]! + h;
            const fp = nll(tmp, null) * scale;
            tmp[i] = th[i]! - h;
            const fm = nll(tmp, null) * scale;
            g[i] = (fp - fm) / (2 * h);
          }
          return v;
        };
  const gtol = options.gradientTolerance ?? (hasGradient ? 1e-9 : 1e-8);
  let warmIterations = 0;
  let warmH: Float64Array | undefined;
  if (warmStart) {
    // large data: most iterations run on a systematic subsample, the full data only polishes
    const warm = minimizeBfgs(objective(warmStart.negLogLik, 1 / warmStart.observations), start, { maxIterations: options.maxIterations ?? 300, gradientTolerance: 1e-7, ...(hooks.warm ? { onIteration: hooks.warm } : {}) });
    if (Number.isFinite(warm.value)) {
      start = Array.from(warm.x);
      warmH = warm.inverseHessian;
    }
    warmIterations = warm.iterations;
  }
  const res = minimizeBfgs(objective(negLogLik, 1 / observations), start, {
    maxIterations: options.maxIterations ?? 300,
    // after a warm start (> 40,000 distinct rows) the full data only polishes: with a mean-log-likelihood
    // gradient below 1e-6 the remaining step (≈ g / per-row information) is under 1 % of the standard
    // errors (≈ 1/√(n · information)) at these sizes
    gradientTolerance: warmH && options.gradientTolerance === undefined ? 1e-6 : gtol,
    ...(warmH ? { initialInverseHessian: warmH } : {}),
    ...(hooks.full ? { onIteration: hooks.full } : {}),
  });
  const gradAtOptimum = hasGradient ? res.gradient.map((v) => v * observations) : null;
  const info = observedInformation(negLogLik, res.x, hasGradient, gradAtOptimum);
  const params = {} as P;
  const se = {} as P;
  names.forEach((k, i) => {
    (params as Record<string, number>)[k] = Math.exp(res.x[i]!);
    (se as Record<string, number>)[k] = info.standardErrors[i]!;
  });
  return {
    kind,
    params,
    logLikelihood: -res.value * observations,
    converged: res.converged,
    iterations: res.iterations + warmIterations,
    standardErrors: se,
    covariance: info.covariance,
    paramOrder: names,
    observations,
  };
}
