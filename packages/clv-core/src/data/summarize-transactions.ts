/**
 * Transaction log → per-customer (frequency, recency, T, monetary value), with the conventions of
 * lifetimes' `summary_data_from_transaction_data(freq="D")` and `calibration_and_holdout_data`:
 *  - purchases on the same UTC calendar day merge into one (amounts summed);
 *  - frequency = number of distinct purchase days after the first; recency = days from the first
 *    to the last purchase day; T = days from the first purchase day to the end of the period
 *    (calibrationEnd when given, else observationEnd); monetaryValue = mean of the repeat purchase
 *    days' totals (0 when frequency is 0). `"weeks"` divides the day counts by 7;
 *  - with calibrationEnd: calibration is up to and including calibrationEnd; customers whose first
 *    purchase is later are dropped; holdoutFrequency counts distinct purchase days in
 *    (calibrationEnd, observationEnd] and holdoutMonetaryValue is their mean total (0 if none);
 *  - transactions after observationEnd are ignored. Negative amounts (refunds) are summed in.
 *
 * `summarizeTransactionColumns` is the allocation-light path for large logs (integer customer
 * index, UTC day number, amount): a counting sort by customer, then a per-customer pass.
 * Complexity: O(n + customers + Σ k_c²) with k_c a customer's transaction count (insertion sort;
 * in practice O(n)), O(n) memory.
 *
 * @example
 * summarizeTransactions([
 *   { customerId: "a", at: new Date("2024-01-01"), amount: 10 },
 *   { customerId: "a", at: new Date("2024-01-08"), amount: 30 },
 * ], { observationEnd: new Date("2024-01-15"), unit: "days" });
 * // { customerIds: ["a"], frequency: [1], recency: [7], T: [14], monetaryValue: [30] }
 */
import { ClvInputError } from "../errors.js";

export interface Transaction {
  customerId: string;
  at: Date;
  amount: number;
}

export type TimeUnit = "days" | "weeks";

export interface SummaryOptions {
  observationEnd: Date;
  unit: TimeUnit;
  calibrationEnd?: Date;
}

export interface TransactionSummary {
  customerIds: string[];
  frequency: Float64Array;
  recency: Float64Array;
  T: Float64Array;
  monetaryValue: Float64Array;
  holdoutFrequency?: Float64Array;
  holdoutMonetaryValue?: Float64Array;
}

export interface TransactionColumns {
  /** Integer customer index in [0, customers). */
  customerIndex: ArrayLike<number>;
  /** UTC day number (floor(ms / 86 400 000)). */
  day: ArrayLike<number>;
  amount: ArrayLike<number>;
}

export interface ColumnSummaryOptions {
  customers: number;
  observationEndDay: number;
  calibrationEndDay?: number;
  unit: TimeUnit;
}

export interface ColumnSummary extends Omit<TransactionSummary, "customerIds"> {
  /** Input customer index of each output row (customers with no purchase in the period are absent). */
  customerIndex: Int32Array;
}

const MS_PER_DAY = 86_400_000;

/** UTC day number of a date. */
export function utcDay(d: Date): number {
  return Math.floor(d.getTime() / MS_PER_DAY);
}

function checkDate(fn: string, field: string, d: Date | undefined, row: number | null): number {
  if (!(d instanceof Date) || Number.isNaN(d.getTime())) throw new ClvInputError(fn, field, row, "is not a valid Date");
  return utcDay(d);
}

export function summarizeTransactions(transactions: Iterable<Transaction>, options: SummaryOptions): TransactionSummary {
  const fn = "summarizeTransactions";
  if (options.unit !== "days" && options.unit !== "weeks") throw new ClvInputError(fn, "unit", null, `is ${String(options.unit)}, must be "days" or "weeks"`);
  const obs = checkDate(fn, "observationEnd", options.observationEnd, null);
  const cal = options.calibrationEnd === undefined ? undefined : checkDate(fn, "calibrationEnd", options.calibrationEnd, null);
  const ids = new Map<string, number>();
  const names: string[] = [];
  const idx: number[] = [];
  const days: number[] = [];
  const amounts: number[] = [];
  let row = 0;
  for (const t of transactions) {
    if (t === null || typeof t !== "object") throw new ClvInputError(fn, "transactions", row, "is not a transaction object");
    if (typeof t.customerId !== "string" || t.customerId.length === 0) throw new ClvInputError(fn, "customerId", row, "must be a non-empty string");
    const day = checkDate(fn, "at", t.at, row);
    if (typeof t.amount !== "number" || !Number.isFinite(t.amount)) throw new ClvInputError(fn, "amount", row, `is not a finite number (${String(t.amount)})`);
    let k = ids.get(t.customerId);
    if (k === undefined) {
      k = names.length;
      names.push(t.customerId);
      ids.set(t.customerId, k);
    }
    idx.push(k);
    days.push(day);
    amounts.push(t.amount);
    row++;
  }
  if (row === 0) throw new ClvInputError(fn, "transactions", null, "is empty");
  const s = summarizeTransactionColumns(
    { customerIndex: idx, day: days, amount: amounts },
    { customers: names.length, observationEndDay: obs, unit: options.unit, ...(cal === undefined ? {} : { calibrationEndDay: cal }) },
  );
  const { customerIndex, ...cols } = s;
  return { customerIds: Array.from(customerIndex, (k) => names[k]!), ...cols };
}

export function summarizeTransactionColumns(tx: TransactionColumns, options: ColumnSummaryOptions): ColumnSummary {
  const fn = "summarizeTransactionColumns";
  const n = tx.customerIndex.length;
  if (n === 0) throw new ClvInputError(fn, "customerIndex", null, "is empty");
  if (tx.day.length !== n) throw new ClvInputError(fn, "day", null, `has length ${tx.day.length}, expected ${n}`);
  if (tx.amount.length !== n) throw new ClvInputError(fn, "amount", null, `has length ${tx.amount.length}, expected ${n}`);
  const C = options.customers;
  if (!Number.isInteger(C) || C < 1) throw new ClvInputError(fn, "customers", null, `is ${C}, must be an integer ≥ 1`);
  const obs = options.observationEndDay;
  const cal = options.calibrationEndDay ?? obs;
  if (!Number.isFinite(obs)) throw new ClvInputError(fn, "observationEndDay", null, "is not finite");
  if (!Number.isFinite(cal) || cal > obs) throw new ClvInputError(fn, "calibrationEndDay", null, `is ${cal}, must be ≤ observationEndDay ${obs}`);
  const scale = options.unit === "weeks" ? 1 / 7 : options.unit === "days" ? 1 : NaN;
  if (Number.isNaN(scale)) throw new ClvInputError(fn, "unit", null, `is ${String(options.unit)}, must be "days" or "weeks"`);
  const withHoldout = options.calibrationEndDay !== undefined;

  // counting sort by customer
  const count = new Int32Array(C + 1);
  for (let i = 0; i < n; i++) {
    const c = tx.customerIndex[i]!;
    if (!Number.isInteger(c) || c < 0 || c >= C) throw new ClvInputError(fn, "customerIndex", i, `is ${c}, must be an integer in [0, ${C})`);
    const d = tx.day[i]!;
    if (!Number.isFinite(d)) throw new ClvInputError(fn, "day", i, `is not finite (${d})`);
    if (!Number.isFinite(tx.amount[i]!)) throw new ClvInputError(fn, "amount", i, `is not finite (${tx.amount[i]})`);
    count[c + 1] = count[c + 1]! + 1;
  }
  let maxK = 0;
  for (let c = 0; c < C; c++) {
    maxK = Math.max(maxK, count[c + 1]!);
    count[c + 1] = count[c + 1]! + count[c]!;
  }
  const order = new Int32Array(n);
  const fill = count.slice(0, C);
  for (let i = 0; i < n; i++) {
    const c = tx.customerIndex[i]!;
    order[fill[c]!] = i;
    fill[c] = fill[c]! + 1;
  }

  const outIdx = new Int32Array(C);
  const frequency = new Float64Array(C);
  const recency = new Float64Array(C);
  const T = new Float64Array(C);
  const monetary = new Float64Array(C);
  const hFreq = withHoldout ? new Float64Array(C) : null;
  const hMon = withHoldout ? new Float64Array(C) : null;
  const sd = new Float64Array(maxK);
  const sa = new Float64Array(maxK);
  let out = 0;
  for (let c = 0; c < C; c++) {
    const start = count[c]!;
    const end = count[c + 1]!;
    let k = 0;
    for (let j = start; j < end; j++) {
      const i = order[j]!;
      const d = tx.day[i]!;
      if (d > obs) continue;
      // insertion sort by day (customers have few transactions)
      let p = k;
      while (p > 0 && sd[p - 1]! > d) {
        sd[p] = sd[p - 1]!;
        sa[p] = sa[p - 1]!;
        p--;
      }
      sd[p] = d;
      sa[p] = tx.amount[i]!;
      k++;
    }
    if (k === 0 || sd[0]! > cal) continue;
    const first = sd[0]!;
    let calDays = 0;
    let lastCal = first;
    let repeatTotal = 0;
    let holdDays = 0;
    let holdTotal = 0;
    let j = 0;
    while (j < k) {
      const d = sd[j]!;
      let amt = 0;
      while (j < k && sd[j] === d) {
        amt += sa[j]!;
        j++;
      }
      if (d <= cal) {
        if (calDays > 0) repeatTotal += amt;
        calDays++;
        lastCal = d;
      } else {
        holdDays++;
        holdTotal += amt;
      }
    }
    outIdx[out] = c;
    frequency[out] = calDays - 1;
    recency[out] = (lastCal - first) * scale;
    T[out] = (cal - first) * scale;
    monetary[out] = calDays > 1 ? repeatTotal / (calDays - 1) : 0;
    if (hFreq && hMon) {
      hFreq[out] = holdDays;
      hMon[out] = holdDays > 0 ? holdTotal / holdDays : 0;
    }
    out++;
  }
  if (out === 0) throw new ClvInputError(fn, "day", null, "has no transaction on or before the end of the (calibration) period");
  const result: ColumnSummary = {
    customerIndex: outIdx.slice(0, out),
    frequency: frequency.slice(0, out),
    recency: recency.slice(0, out),
    T: T.slice(0, out),
    monetaryValue: monetary.slice(0, out),
  };
  if (hFreq && hMon) {
    result.holdoutFrequency = hFreq.slice(0, out);
    result.holdoutMonetaryValue = hMon.slice(0, out);
  }
  return result;
}
