/**
 * One interface over the three repeat-purchase models, so CLV, scoring and holdout checks work
 * with any of them: a purchase model's per-customer predictions factor into
 *   E[Y(t) | x, t_x, T] = P(alive | x, t_x, T) · E[Y(t) | x, T, alive],
 * and the second factor depends on (x, T) only, which is what the scoring caches key on.
 *
 * Complexity: O(1) dispatch.
 *
 * @example
 * expectedPurchases(anyModel, 39, 2, 30.43, 38.86);
 */
import type { CompressedRfm } from "../data/compress-rows.js";
import { ClvInputError } from "../errors.js";
import { bgNbdHorizonFactor, bgNbdLogPAlive, type BgNbdModel, type BgNbdParams } from "./bg-nbd.js";
import { modifiedBgNbdHorizonFactor, modifiedBgNbdLogPAlive, type ModifiedBgNbdModel, type ModifiedBgNbdParams } from "./modified-bg-nbd.js";
import { paretoNbdHorizonFactor, paretoNbdLogPAlive, type ParetoNbdModel, type ParetoNbdParams } from "./pareto-nbd.js";
import { checkHorizon, mapRows, type Num } from "./per-customer.js";

export type PurchaseModel = BgNbdModel | ParetoNbdModel | ModifiedBgNbdModel;
export type PurchaseModelKind = PurchaseModel["kind"];

export interface PurchaseKernel {
  logPAlive(x: number, tx: number, T: number): number;
  /** E[Y(t) | x, T, alive]. */
  horizon(x: number, T: number, t: number): number;
  /** ln P(alive) and, into `g`, its gradient in the log-parameters (analytic, where cheap). */
  logPAliveGrad?(x: number, tx: number, T: number, g: Float64Array): number;
  /**
   * Column form over compressed rows, with per-distinct-value caches of the logarithms: fills ln P(alive),
   * P(alive) and (when `grad` is given, row-major size × d) the log-parameter gradient of ln P(alive).
   */
  logPAliveRows?(c: CompressedRfm, logPA: Float64Array, PA: Float64Array, grad: Float64Array | null): void;
}

function bgFamilyLogPAliveRows(p: BgNbdParams, shift: number, c: CompressedRfm, logPA: Float64Array, PA: Float64Array, grad: Float64Array | null): void {
  const la = Math.log(p.a);
  const lAT = c.TValues.map((T) => Math.log(p.alpha + T));
  const iAT = c.TValues.map((T) => 1 / (p.alpha + T));
  const lAt = c.txValues.map((t) => Math.log(p.alpha + t));
  const iAt = c.txValues.map((t) => 1 / (p.alpha + t));
  const lbx = c.xValues.map((x) => Math.log(p.b + x - shift));
  const ibx = c.xValues.map((x) => 1 / (p.b + x - shift));
  for (let g = 0; g < c.size; g++) {
    const x = c.x[g]!;
    if (shift === 1 && x === 0) {
      logPA[g] = 0;
      PA[g] = 1;
      if (grad) grad.fill(0, g * 4, g * 4 + 4);
      continue;
    }
    const kT = c.TIndex[g]!;
    const kt = c.txIndex[g]!;
    const kx = c.xIndex[g]!;
    const dl = lAT[kT]! - lAt[kt]!;
    const lr = la - lbx[kx]! + (p.r + x) * dl;
    // ln P = −softplus(lr), P = sigmoid(−lr), from one exp
    const e = Math.exp(-Math.abs(lr));
    const l = lr > 0 ? -lr - Math.log1p(e) : -Math.log1p(e);
    const pa = lr > 0 ? e / (1 + e) : 1 / (1 + e);
    logPA[g] = l;
    PA[g] = pa;
    if (grad) {
      const q = pa - 1; // d ln P = −(1 − P) d lr
      const o = g * 4;
      grad[o] = q * p.r * dl;
      grad[o + 1] = q * p.alpha * (p.r + x) * (iAT[kT]! - iAt[kt]!);
      grad[o + 2] = q;
      grad[o + 3] = -q * p.b * ibx[kx]!;
    }
  }
}

/**
 * ln P(alive) = −softplus(lr) for the BG family, lr = ln a − ln(b + x − shift) + (r+x)(ln(α+T) − ln(α+t_x));
 * d ln P(alive) = −(1 − P(alive)) d lr. `shift` is 1 for BG/NBD (x > 0 only) and 0 for MBG/NBD.
 */
function bgFamilyLogPAliveGrad(p: BgNbdParams, shift: number, x: number, tx: number, T: number, g: Float64Array): number {
  if (shift === 1 && x === 0) {
    g.fill(0);
    return 0;
  }
  const bx = p.b + x - shift;
  const lAT = Math.log(p.alpha + T);
  const lAt = Math.log(p.alpha + tx);
  const lr = Math.log(p.a) - Math.log(bx) + (p.r + x) * (lAT - lAt);
  const logPA = lr > 0 ? -lr - Math.log1p(Math.exp(-lr)) : -Math.log1p(Math.exp(lr));
  const q = -(1 - Math.exp(logPA));
  g[0] = q * p.r * (lAT - lAt);
  g[1] = q * p.alpha * (p.r + x) * (1 / (p.alpha + T) - 1 / (p.alpha + tx));
  g[2] = q;
  g[3] = (-q * p.b) / bx;
  return logPA;
}

/** Kernel for a model kind at a parameter vector in the model's `paramOrder`. */
export function purchaseKernel(kind: PurchaseModelKind, v: ArrayLike<number>): PurchaseKernel {
  switch (kind) {
    case "bg-nbd": {
      const p: BgNbdParams = { r: v[0]!, alpha: v[1]!, a: v[2]!, b: v[3]! };
      return { logPAlive: (x, tx, T) => bgNbdLogPAlive(p, x, tx, T), horizon: (x, T, t) => bgNbdHorizonFactor(p, x, T, t), logPAliveGrad: (x, tx, T, g) => bgFamilyLogPAliveGrad(p, 1, x, tx, T, g), logPAliveRows: (c, l, P, g) => bgFamilyLogPAliveRows(p, 1, c, l, P, g) };
    }
    case "mbg-nbd": {
      const p: ModifiedBgNbdParams = { r: v[0]!, alpha: v[1]!, a: v[2]!, b: v[3]! };
      return { logPAlive: (x, tx, T) => modifiedBgNbdLogPAlive(p, x, tx, T), horizon: (x, T, t) => modifiedBgNbdHorizonFactor(p, x, T, t), logPAliveGrad: (x, tx, T, g) => bgFamilyLogPAliveGrad(p, 0, x, tx, T, g), logPAliveRows: (c, l, P, g) => bgFamilyLogPAliveRows(p, 0, c, l, P, g) };
    }
    case "pareto-nbd": {
      const p: ParetoNbdParams = { r: v[0]!, alpha: v[1]!, s: v[2]!, beta: v[3]! };
      return { logPAlive: (x, tx, T) => paretoNbdLogPAlive(p, x, tx, T), horizon: (x, T, t) => paretoNbdHorizonFactor(p, x, T, t) };
    }
    default:
      throw new ClvInputError("purchaseKernel", "kind", null, `is not a purchase model (${String(kind)})`);
  }
}

export function paramVector(model: { params: object; paramOrder: string[] }): number[] {
  return model.paramOrder.map((k) => (model.params as Record<string, number>)[k]!);
}

export function kernelOf(fn: string, model: PurchaseModel): PurchaseKernel {
  if (!model || typeof model !== "object" || !("kind" in model)) throw new ClvInputError(fn, "purchaseModel", null, "is not a fitted model");
  return purchaseKernel(model.kind, paramVector(model));
}

/** Conditional expected purchases in the next t units for any purchase model. */
export function expectedPurchases(model: PurchaseModel, t: number, frequency: number, recency: number, T: number): number;
export function expectedPurchases(model: PurchaseModel, t: number, frequency: ArrayLike<number>, recency: ArrayLike<number>, T: ArrayLike<number>): Float64Array;
export function expectedPurchases(model: PurchaseModel, t: number, frequency: Num, recency: Num, T: Num): number | Float64Array {
  checkHorizon("expectedPurchases", t);
  const k = kernelOf("expectedPurchases", model);
  return mapRows("expectedPurchases", frequency, recency, T, (x, tx, tt) => Math.exp(k.logPAlive(x, tx, tt)) * k.horizon(x, tt, t));
}

/** P(alive) for any purchase model. */
export function probabilityAlive(model: PurchaseModel, frequency: number, recency: number, T: number): number;
export function probabilityAlive(model: PurchaseModel, frequency: ArrayLike<number>, recency: ArrayLike<number>, T: ArrayLike<number>): Float64Array;
export function probabilityAlive(model: PurchaseModel, frequency: Num, recency: Num, T: Num): number | Float64Array {
  const k = kernelOf("probabilityAlive", model);
  return mapRows("probabilityAlive", frequency, recency, T, (x, tx, tt) => Math.exp(k.logPAlive(x, tx, tt)));
}
