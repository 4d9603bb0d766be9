/**
 * Display helpers for money that crosses the API as integer minor units in a string.
 * Arithmetic stays in bigint; only the final display goes through Intl.
 */
import { currencyDigits } from "@valuelens/validators";

export { currencyDigits };

/** "12345" USD → 123.45 (a number for charts and display only, never for sums). */
export function minorToMajor(minor: string | bigint | number, currency: string): number {
  const digits = currencyDigits(currency);
  return Number(BigInt(minor)) / 10 ** digits;
}

export function formatMoney(minor: string | bigint | number, currency: string, opts: { compact?: boolean } = {}): string {
  const value = minorToMajor(minor, currency);
  return new Intl.NumberFormat("en-US", {
    style: "currency",
    currency,
    notation: opts.compact ? "compact" : "standard",
    maximumFractionDigits: opts.compact ? 1 : currencyDigits(currency),
  }).format(value);
}

export function formatPercent(x: number | null, digits = 1): string {
  if (x === null || !Number.isFinite(x)) return "—";
  return `${(x * 100).toFixed(digits)}%`;
}

export function formatCount(n: number): string {
  return new Intl.NumberFormat("en-US").format(n);
}
