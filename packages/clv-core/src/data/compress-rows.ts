/**
 * Compress identical (frequency, recency, T) rows into weighted distinct rows, so a fit costs
 * what the distinct rows cost (a million customers summarised on a daily grid have only tens of
 * thousands of distinct patterns). Also indexes the distinct values of each column so models can
 * evaluate per-value terms (ln Γ(r+x), ln(α+T), …) once per value instead of once per row.
 *
 * Open-addressing hash on the IEEE-754 bits of the three values (exact equality, −0 ≡ +0).
 * The distinct rows come out in one canonical order, ascending by (x, T, t_x), whatever the order of
 * the input rows: a fit then depends on the multiset of rows only, and the systematic subsample that
 * warm-starts large fits (every k-th distinct row) is stratified over frequency and age. With rows
 * in first-seen order the BG/NBD fit of the same 1M customers took 3.8–22 s depending on the order
 * they were read in (the warm start landed closer or farther; BENCHMARKS.md, session 6).
 * Complexity: O(n) expected time plus O(d log d) for the d distinct rows, O(n) memory.
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
  if ((v | 0) === v) {
    // small integers (day counts, frequencies): hash the value itself, no float-bit round trip
    h = Math.imul(h ^ v, 0x9e3779b1);
    return h ^ (h >>> 15);
  }
  f64[0] = v + 0; // folds −0 into +0
  h = Math.imul(h ^ u32[0]!, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 15) ^ u32[1]!, 0x85ebca6b);
  return h ^ (h >>> 13);
}

export function compressRows(cols: RfmColumns): CompressedRfm {
  const n = cols.frequency.length;
  const { frequency, recency, T, weights } = cols;
  // the table grows with the number of distinct rows (not n), which keeps it cache-friendly
  let cap = 1 << 12;
  let mask = cap - 1;
  let table = new Int32Array(cap).fill(-1);
  const rowGroup = new Int32Array(n);
  // worst case every row distinct; trimmed below
  const gx = new Float64Array(n);
  const gt = new Float64Array(n);
  const gT = new Float64Array(n);
  const gw = new Float64Array(n);
  const gh = new Int32Array(n); // hash of each distinct row, for rehashing
  let size = 0;
  let totalWeight = 0;
  for (let i = 0; i < n; i++) {
    const x = frequency[i]! + 0;
    const tx = recency[i]! + 0;
    const t = T[i]! + 0;
    const w = weights === undefined ? 1 : weights[i]!;
    totalWeight += w;
    const h = mix(mix(mix(0x811c9dc5, x), tx), t);
    let slot = h & mask;
    for (;;) {
      const g = table[slot]!;
      if (g === -1) {
        table[slot] = size;
        gx[size] = x;
        gt[size] = tx;
        gT[size] = t;
        gw[size] = w;
        gh[size] = h;
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
    if (2 * size > cap) {
      cap *= 2;
      mask = cap - 1;
      table = new Int32Array(cap).fill(-1);
      for (let g = 0; g < size; g++) {
        let sl = gh[g]! & mask;
        while (table[sl] !== -1) sl = (sl + 1) & mask;
        table[sl] = g;
      }
    }
  }
  // canonical order of the distinct rows: ascending (x, T, t_x)
  const order = new Int32Array(size);
  for (let g = 0; g < size; g++) order[g] = g;
  order.sort((a, b) => gx[a]! - gx[b]! || gT[a]! - gT[b]! || gt[a]! - gt[b]!);
  const rank = new Int32Array(size);
  for (let k = 0; k < size; k++) rank[order[k]!] = k;
  for (let i = 0; i < n; i++) rowGroup[i] = rank[rowGroup[i]!]!;
  const x = Float64Array.from(order, (g) => gx[g]!);
  const tx = Float64Array.from(order, (g) => gt[g]!);
  const Tc = Float64Array.from(order, (g) => gT[g]!);
  const xd = distinct(x);
  const txd = distinct(tx);
  const Td = distinct(Tc);
  return {
    size,
    x,
    tx,
    T: Tc,
    w: Float64Array.from(order, (g) => gw[g]!),
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

/**
 * Every k-th distinct row (with its weight): a systematic sample whose weighted log-likelihood
 * estimates the full one. Used to warm-start fits on large data (the value indexes stay valid).
 */
export function subsampleCompressed(c: CompressedRfm, k: number): CompressedRfm {
  const m = Math.ceil(c.size / k);
  const pick = <A extends Float64Array | Int32Array>(a: A): A => {
    const out = new (a.constructor as new (n: number) => A)(m);
    for (let j = 0; j < m; j++) out[j] = a[j * k]!;
    return out;
  };
  const w = pick(c.w);
  let totalWeight = 0;
  for (let j = 0; j < m; j++) totalWeight += w[j]!;
  return {
    ...c,
    size: m,
    x: pick(c.x),
    tx: pick(c.tx),
    T: pick(c.T),
    w,
    totalWeight,
    rowGroup: new Int32Array(0),
    xIndex: pick(c.xIndex),
    txIndex: pick(c.txIndex),
    TIndex: pick(c.TIndex),
  };
}

/** Rows above which fits first solve on a systematic subsample of about WARM_ROWS rows. */
export const WARM_THRESHOLD = 40_000;
export const WARM_ROWS = 20_000;

// Compression is memoised by column identity (validated by a checksum), so fitting and scoring the same
// columns hashes them once.
const memo = new WeakMap<object, { recency: object; T: object; weights: object | undefined; checksum: number; c: CompressedRfm }>();

function checksum(cols: RfmColumns): number {
  let s = 0;
  const { frequency, recency, T, weights } = cols;
  for (let i = 0; i < frequency.length; i++) s += frequency[i]! * 1.000001 + recency[i]! * 3.0000007 + T[i]! * 7.00003 + (weights ? weights[i]! * 11.1 : 0) + i * 1e-7 * frequency[i]!;
  return s;
}

/** compressRows with memoisation on the identity of the input columns. */
export function compressRowsCached(cols: RfmColumns): CompressedRfm {
  const key = cols.frequency as unknown as object;
  const hit = memo.get(key);
  const sum = checksum(cols);
  if (hit && hit.recency === (cols.recency as unknown as object) && hit.T === (cols.T as unknown as object) && hit.weights === (cols.weights as unknown as object | undefined) && hit.checksum === sum) return hit.c;
  const c = compressRows(cols);
  if (typeof key === "object" && key !== null) memo.set(key, { recency: cols.recency as unknown as object, T: cols.T as unknown as object, weights: cols.weights as unknown as object | undefined, checksum: sum, c });
  return c;
}
