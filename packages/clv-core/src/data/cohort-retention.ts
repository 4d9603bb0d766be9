/**
 * Cohort-retention matrix from (customerId, at) events: customers are grouped by the period of
 * their first event (the cohort); cell [c][k] counts the cohort's customers with at least one event
 * k periods after the cohort period, and `retention[c][k]` divides it by the cohort size (so
 * retention[c][0] = 1). Periods are UTC calendar months, quarters, or ISO weeks (Monday start).
 * Rows only exist for cohorts with customers; row c has one cell per period up to the last period
 * seen in the data (a triangle). Meant as the in-memory reference for SQL implementations.
 *
 * Complexity: O(n log n) for the distinct (customer, period) pairs; O(cohorts × periods) output.
 *
 * @example
 * cohortRetention([{ customerId: "a", at: new Date("2024-01-05") }, { customerId: "a", at: new Date("2024-03-01") },
 *   { customerId: "b", at: new Date("2024-01-20") }], { grain: "month" });
 * // { cohorts: ["2024-01-01"], sizes: [2], active: [[2, 0, 1]], retention: [[1, 0, 0.5]] }
 */
import { ClvInputError } from "../errors.js";

export type CohortGrain = "week" | "month" | "quarter";

export interface CohortRetention {
  grain: CohortGrain;
  /** Start date (YYYY-MM-DD, UTC) of each cohort's period. */
  cohorts: string[];
  sizes: number[];
  active: number[][];
  retention: number[][];
}

const DAY = 86_400_000;

function periodOf(d: Date, grain: CohortGrain): number {
  if (grain === "month") return d.getUTCFullYear() * 12 + d.getUTCMonth();
  if (grain === "quarter") return d.getUTCFullYear() * 4 + Math.floor(d.getUTCMonth() / 3);
  // 1970-01-01 was a Thursday: day + 3 counts from Monday 1969-12-29
  return Math.floor((Math.floor(d.getTime() / DAY) + 3) / 7);
}

function periodStart(p: number, grain: CohortGrain): string {
  let date: Date;
  if (grain === "month") date = new Date(Date.UTC(Math.floor(p / 12), p % 12, 1));
  else if (grain === "quarter") date = new Date(Date.UTC(Math.floor(p / 4), (p % 4) * 3, 1));
  else date = new Date((p * 7 - 3) * DAY);
  return date.toISOString().slice(0, 10);
}

export function cohortRetention(events: Iterable<{ customerId: string; at: Date }>, options: { grain: CohortGrain }): CohortRetention {
  const fn = "cohortRetention";
  const grain = options.grain;
  if (grain !== "week" && grain !== "month" && grain !== "quarter") throw new ClvInputError(fn, "grain", null, `is ${String(grain)}, must be "week", "month" or "quarter"`);
  const periods = new Map<string, Set<number>>();
  let row = 0;
  let maxP = -Infinity;
  for (const e of events) {
    if (typeof e?.customerId !== "string" || e.customerId.length === 0) throw new ClvInputError(fn, "customerId", row, "must be a non-empty string");
    if (!(e.at instanceof Date) || Number.isNaN(e.at.getTime())) throw new ClvInputError(fn, "at", row, "is not a valid Date");
    const p = periodOf(e.at, grain);
    let s = periods.get(e.customerId);
    if (!s) {
      s = new Set();
      periods.set(e.customerId, s);
    }
    s.add(p);
    if (p > maxP) maxP = p;
    row++;
  }
  const byCohort = new Map<number, number[]>(); // cohort period → active counts by offset
  for (const s of periods.values()) {
    let first = Infinity;
    for (const p of s) if (p < first) first = p;
    let counts = byCohort.get(first);
    if (!counts) {
      counts = new Array<number>(maxP - first + 1).fill(0);
      byCohort.set(first, counts);
    }
    for (const p of s) counts[p - first] = counts[p - first]! + 1;
  }
  const keys = [...byCohort.keys()].sort((a, b) => a - b);
  const active = keys.map((k) => byCohort.get(k)!);
  const sizes = active.map((a) => a[0]!);
  return {
    grain,
    cohorts: keys.map((k) => periodStart(k, grain)),
    sizes,
    active,
    retention: active.map((a, i) => a.map((v) => v / sizes[i]!)),
  };
}
