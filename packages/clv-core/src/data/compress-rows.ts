/**
 * Compress identical (frequency, recency, T) rows into weighted distinct rows, so a fit costs
 * what the distinct rows cost (a million customers summarised on a daily grid have only tens of
 * thousands of distinct patterns). Also indexes the distinct values of each column so models can
 * evaluate per-value terms (ln Γ(r+x), ln(α+T), …) once per value instead of once per row.
 *
 * Open-addressing hash on the IEEE-754 bits of the three values (exact equality, −0 ≡ +0).
 * Complexity: O(n) expected time, O(n) memory.
 *
 * @example
 * const c = compressRows({ frequency: [0, 0, 1], recency: [0, 0, 2], T: [5, 5, 5] });
 * // c.size === 2, c.w = [2, 1], c.rowGroup = [0, 0, 1]
 */
import type { RfmColumns } from "./validate-columns.js";

export interface CompressedRfm {
  /** Number of distinct rows. */
  size: number;
  x: Float64Array;
  tx: Float64Array;
  T: Float64Array;
  /** Summed weight of each distinct row. */
  w: Float64Array;
  totalWeight: number;
  /** Original row → distinct row. */
  rowGroup: Int32Array;
  /** Distinct values of x / tx / T and, per distinct row, the index into them. */
  xValues: Float64Array;
  xIndex: Int32Array;
  txValues: Float64Array;
  txIndex: Int32Array;
  TValues: Float64Array;
  TIndex: Int32Array;
}

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

function mix(h: number, v: number): number {
  f64[0] = v + 0; // folds −0 into +0
  h = Math.imul(h ^ u32[0]!, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 15) ^ u32[1]!, 0x85ebca6b);
  return h ^ (h >>> 13);
}

export function compressRows(cols: RfmColumns): CompressedRfm {
  const n = cols.frequency.length;
  const { frequency, recency, T, weights } = cols;
  let cap = 16;
  while (cap < 2 * n) cap *= 2;
  const mask = cap - 1;
  const table = new Int32Array(cap).fill(-1);
  const rowGroup = new Int32Array(n);
  // worst case every row distinct; trimmed below
  const gx = new Float64Array(n);
  const gt = new Float64Array(n);
  const gT = new Float64Array(n);
  const gw = new Float64Array(n);
  let size = 0;
  let totalWeight = 0;
  for (let i = 0; i < n; i++) {
    const x = frequency[i]! + 0;
    const tx = recency[i]! + 0;
    const t = T[i]! + 0;
    const w = weights === undefined ? 1 : weights[i]!;
    totalWeight += w;
    let slot = mix(mix(mix(0x811c9dc5, x), tx), t) & mask;
    for (;;) {
      const g = table[slot]!;
      if (g === -1) {
        table[slot] = size;
        gx[size] = x;
        gt[size] = tx;
        gT[size] = t;
        gw[size] = w;
        rowGroup[i] = size;
        size++;
        break;
      }
      if (gx[g] === x && gt[g] === tx && gT[g] === t) {
        gw[g] = gw[g]! + w;
        rowGroup[i] = g;
        break;
      }
      slot = (slot + 1) & mask;
    }
  }
  const x = gx.slice(0, size);
  const tx = gt.slice(0, size);
  const Tc = gT.slice(0, size);
  const xd = distinct(x);
  const txd = distinct(tx);
  const Td = distinct(Tc);
  return {
    size,
    x,
    tx,
    T: Tc,
    w: gw.slice(0, size),
    totalWeight,
    rowGroup,
    xValues: xd.values,
    xIndex: xd.index,
    txValues: txd.values,
    txIndex: txd.index,
    TValues: Td.values,
    TIndex: Td.index,
  };
}

/** Distinct values of a column and each entry's index into them. */
export function distinct(col: Float64Array): { values: Float64Array; index: Int32Array } {
  const map = new Map<number, number>();
  const index = new Int32Array(col.length);
  const vals: number[] = [];
  for (let i = 0; i < col.length; i++) {
    const v = col[i]!;
    let k = map.get(v);
    if (k === undefined) {
      k = vals.length;
      vals.push(v);
      map.set(v, k);
    }
    index[i] = k;
  }
  return { values: Float64Array.from(vals), index };
}
