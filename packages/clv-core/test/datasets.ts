// Loads the public reference datasets from ../shared/datasets relative to the repository root
// (see /shared/datasets/README.md for provenance). Nothing is copied into the repo.
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
export const datasetsDir = resolve(repoRoot, "../shared/datasets");

function csv(name: string): string[][] {
  return readFileSync(resolve(datasetsDir, name), "utf8")
    .trim()
    .split(/\r?\n/)
    .slice(1)
    .map((l) => l.split(","));
}

/** cdnow_customers_summary.csv: 2,357 customers, weeks, rounded to 2 decimals. */
export function cdnowSummary(): { id: string[]; frequency: number[]; recency: number[]; T: number[] } {
  const rows = csv("cdnow_customers_summary.csv");
  return {
    id: rows.map((r) => r[0]!),
    frequency: rows.map((r) => Number(r[1])),
    recency: rows.map((r) => Number(r[2])),
    T: rows.map((r) => Number(r[3])),
  };
}

/** cdnow_customers_summary_with_transactions.csv: adds zbar (mean repeat-purchase value). */
export function cdnowWithSpend(): { frequency: number[]; recency: number[]; T: number[]; monetaryValue: number[] } {
  const rows = csv("cdnow_customers_summary_with_transactions.csv");
  return {
    frequency: rows.map((r) => Number(r[1])),
    recency: rows.map((r) => Number(r[2])),
    T: rows.map((r) => Number(r[3])),
    monetaryValue: rows.map((r) => Number(r[4])),
  };
}

/** donations.csv: BG/BB patterns with weights (n = 6 opportunities). */
export function donations(): { frequency: number[]; recency: number[]; n: number[]; weights: number[] } {
  const rows = csv("donations.csv");
  return {
    frequency: rows.map((r) => Number(r[0])),
    recency: rows.map((r) => Number(r[1])),
    n: rows.map((r) => Number(r[2])),
    weights: rows.map((r) => Number(r[3])),
  };
}

/** CDNOW_sample.txt: master id, sample id, YYYYMMDD, CDs, dollars (whitespace separated). */
export function cdnowSampleTransactions(): { customerId: string; at: Date; amount: number }[] {
  return readFileSync(resolve(datasetsDir, "CDNOW_sample.txt"), "utf8")
    .trim()
    .split(/\r?\n/)
    .map((l) => {
      const f = l.trim().split(/\s+/);
      const d = f[2]!;
      return {
        customerId: f[1]!,
        at: new Date(Date.UTC(Number(d.slice(0, 4)), Number(d.slice(4, 6)) - 1, Number(d.slice(6, 8)))),
        amount: Number(f[4]),
      };
    });
}
