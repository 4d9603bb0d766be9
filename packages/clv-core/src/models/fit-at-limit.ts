/**
 * Maximum likelihood for models whose likelihood may have no interior maximum but rise towards a limit
 * on the edge of the parameter space, where a heterogeneity distribution degenerates to a point:
 * Pareto/NBD's Gamma(s, β) of dropout rates as s, β → ∞ at fixed s/β (every customer drops out at one
 * rate), BG/NBD's and MBG/NBD's Beta(a, b) of dropout probabilities as a, b → ∞ at fixed a/(a+b). A
 * plain optimiser walks along that ridge until something stops it, with parameters that mean nothing
 * and a singular information matrix.
 *
 * `fitWithLimit` runs the usual fit (fitLogParameters, with its warm start on a subsample) and watches
 * every accepted step; once the iterate is `near` the edge it fits the limiting model (fewer
 * parameters) on the same rows, starting from the iterate's projection. The limit is taken as the
 * maximum when (1) its log-likelihood is at least the iterate's and (2) a little heterogeneity does not
 * raise it (`probe`: the full model just inside the edge at the limit's parameters) — the one-sided score
 * test for neglected heterogeneity (Chesher 1984, "Testing for Neglected Heterogeneity", Econometrica
 * 52(4)), i.e. the boundary's Kuhn–Tucker condition, by a forward difference. Then the fit stops and the
 * model turns the limit's fit into its own record (`toModel`, with FittedModel.boundary). Otherwise it
 * carries on as before. A stop on the warm-start subsample is confirmed on all rows.
 * Complexity: the plain fit's, plus one limit fit (and one probe) per data set where the edge is approached.
 */
import type { CompressedRfm } from "../data/compress-rows.js";
import { ClvAbortedError } from "../errors.js";
import { fitLogParameters, type FitOptions, type FittedModel, type IterationHook } from "./fitted-model.js";

type Nll = (c: CompressedRfm, theta: ArrayLike<number>, grad: Float64Array | null) => number;

export interface LimitSpec<K extends string, P extends object, L extends object> {
  kind: K;
  names: (keyof P & string)[];
  defaults: P;
  negLogLik: Nll;
  limitKind: string;
  limitNames: (keyof L & string)[];
  limitNegLogLik: Nll;
  /** The iterate (log-parameters) is close enough to the edge to test the limit. */
  near(theta: ArrayLike<number>): boolean;
  /** The limit's parameters at the iterate (the limit fit's start). */
  project(theta: ArrayLike<number>): L;
  /** The model's negative log-likelihood a little inside the edge, at the limit's parameters. */
  probe(c: CompressedRfm, lim: L): number;
  toModel(lim: FittedModel<string, L>, observations: number, iterations: number): FittedModel<K, P>;
}

class AtLimit<L extends object> extends Error {
  constructor(
    readonly limitFit: FittedModel<string, L>,
    readonly data: CompressedRfm,
    readonly theta: Float64Array,
  ) {
    super("fit at the edge of the parameter space");
  }
}

export function fitWithLimit<K extends string, P extends object, L extends object>(spec: LimitSpec<K, P, L>, c: CompressedRfm, sub: CompressedRfm | null, options: FitOptions<P>): FittedModel<K, P> {
  const limitOptions: FitOptions<L> = { ...(options.shouldStop ? { shouldStop: options.shouldStop } : {}), ...(options.maxIterations ? { maxIterations: options.maxIterations } : {}) };
  // the limit on `d`; with `warmSub`, most iterations on that subsample and the full rows only polish
  const fitLimit = (d: CompressedRfm, warmSub: CompressedRfm | null, start: L) =>
    fitLogParameters(spec.limitKind, spec.limitNames, (th, g) => spec.limitNegLogLik(d, th, g), true, start, d.totalWeight, limitOptions, warmSub ? { negLogLik: (th: Float64Array, g: Float64Array | null) => spec.limitNegLogLik(warmSub, th, g), observations: warmSub.totalWeight } : null);
  const isMaximum = (d: CompressedRfm, lim: FittedModel<string, L>, meanNll: number): boolean => {
    const limNll = -lim.logLikelihood;
    const tol = 1e-9 * d.totalWeight;
    if (limNll > meanNll * d.totalWeight + tol) return false;
    if (options.shouldStop?.()) throw new ClvAbortedError(`fit-${spec.kind}`);
    return spec.probe(d, lim.params) >= limNll - tol;
  };
  let iterations = 0;
  const hook = (d: CompressedRfm): IterationHook => {
    let checked = false;
    return (th, meanNll) => {
      iterations++;
      if (checked || !spec.near(th)) return;
      checked = true;
      const lim = fitLimit(d, d === c ? sub : null, spec.project(th));
      if (isMaximum(d, lim, meanNll)) throw new AtLimit(lim, d, Float64Array.from(th));
    };
  };
  const warm = sub ? { negLogLik: (th: Float64Array, g: Float64Array | null) => spec.negLogLik(sub, th, g), observations: sub.totalWeight } : null;
  const fit = (o: FitOptions<P>, w: typeof warm) =>
    fitLogParameters(spec.kind, spec.names, (th, g) => spec.negLogLik(c, th, g), true, spec.defaults, c.totalWeight, o, w, { ...(w && sub ? { warm: hook(sub) } : {}), full: hook(c) });
  const atLimit = (e: unknown): AtLimit<L> => {
    if (e instanceof AtLimit) return e as AtLimit<L>;
    throw e;
  };
  try {
    return fit(options, warm);
  } catch (e) {
    const stop = atLimit(e);
    if (stop.data === c) return spec.toModel(stop.limitFit, c.totalWeight, iterations);
    // stopped on the warm-start subsample: confirm on all rows (the limit fit again from the iterate, warm-started
    // on the subsample so that its inverse Hessian carries over and the full rows only polish)
    const lim = fitLimit(c, sub, spec.project(stop.theta));
    if (isMaximum(c, lim, Infinity)) return spec.toModel(lim, c.totalWeight, iterations);
    const initial = Object.fromEntries(spec.names.map((k, i) => [k, Math.exp(stop.theta[i]!)])) as Partial<P>;
    try {
      return fit({ ...options, initial }, null);
    } catch (e2) {
      return spec.toModel(atLimit(e2).limitFit, c.totalWeight, iterations);
    }
  }
}

/** Covariance A Σ Aᵀ of log-parameters that are linear maps (rows of A) of the limit's log-parameters. */
export function mapCovariance(A: number[][], S: number[][]): number[][] {
  return A.map((ai) => A.map((aj) => ai.reduce((acc, aik, k) => acc + aik * aj.reduce((a2, ajl, l) => a2 + S[k]![l]! * ajl, 0), 0)));
}
