/** Pure helpers for the Segments page's RFM map and value tiers (labels, colours, money input). */
import { currencyDigits, minorToDecimal, type TRfmMapMeasure, type TTierSettings } from "@valuelens/validators";
import { formatCount, formatMoney, formatPercent, minorToMajor } from "./money";

export const MEASURE_LABELS: Record<TRfmMapMeasure, string> = {
  customers: "Customers",
  avgPredictedClv: "Average predicted CLV",
  avgPAlive: "Average P(alive)",
  revenue: "Revenue",
};

export interface CellFigures {
  customers: number;
  revenueMinor: string;
  avgPredictedClvMinor: string | null;
  avgPAlive: number | null;
}

/** The number a cell is coloured by (null: not available, e.g. without predictions). */
export function measureValue(c: CellFigures, m: TRfmMapMeasure): number | null {
  if (m === "customers") return c.customers;
  if (m === "revenue") return Number(c.revenueMinor);
  if (m === "avgPAlive") return c.avgPAlive;
  return c.avgPredictedClvMinor === null ? null : Number(c.avgPredictedClvMinor);
}

export function formatMeasure(v: number | null, m: TRfmMapMeasure, currency: string): string {
  if (v === null) return "—";
  if (m === "customers") return formatCount(v);
  if (m === "avgPAlive") return formatPercent(v, 0);
  return formatMoney(Math.round(v), currency);
}

/** "+12", "−3", "0" (true minus sign). */
export function formatDelta(n: number): string {
  return n > 0 ? `+${formatCount(n)}` : n < 0 ? `−${formatCount(-n)}` : "0";
}

/** Share change in percentage points: 0.0123 → "+1.2 pp". */
export function formatPp(x: number): string {
  const v = Math.round(x * 1000) / 10;
  if (v === 0) return "0.0 pp";
  return `${v > 0 ? "+" : "−"}${Math.abs(v).toFixed(1)} pp`;
}

/**
 * A decimal amount typed in major units ("1,250.5") → minor units as a string, exactly (no float);
 * null when it is not a non-negative amount with at most the currency's digits.
 */
export function majorToMinor(text: string, currency: string): string | null {
  const digits = currencyDigits(currency);
  const t = text.trim().replace(/,/g, "");
  const re = digits === 0 ? /^\d{1,13}$/ : new RegExp(`^\\d{1,13}(\\.\\d{1,${digits}})?$`);
  if (!re.test(t)) return null;
  const [i, f = ""] = t.split(".");
  return (BigInt(i!) * 10n ** BigInt(digits) + BigInt((f + "0".repeat(digits)).slice(0, digits) || "0")).toString();
}

/** Minor units → the plain decimal shown in an input ("100000" USD → "1000.00"). */
export function minorToInput(minor: string, currency: string): string {
  return minorToDecimal(minor, currencyDigits(currency));
}

const ordinal = (p: number): string => {
  const n = Math.round(p * 1000) / 10;
  const s = Number.isInteger(n) ? String(n) : n.toFixed(1);
  if (!Number.isInteger(n)) return `${s}th`;
  const mod100 = n % 100;
  if (mod100 >= 11 && mod100 <= 13) return `${s}th`;
  return `${s}${({ 1: "st", 2: "nd", 3: "rd" } as Record<number, string>)[n % 10] ?? "th"}`;
};

/** The rule of one tier in words, e.g. "≥ 80th percentile (top 20 %)" or "$200.00 to under $1,000.00". */
export function tierRuleText(s: TTierSettings, tier: "high" | "medium" | "low", currency: string): string {
  if (s.by === "percentile") {
    const top = (p: number) => `${Math.round((1 - p) * 1000) / 10} %`;
    if (tier === "high") return `≥ ${ordinal(s.high)} percentile (top ${top(s.high)})`;
    if (tier === "medium") return s.medium === s.high ? "none (same threshold as high)" : `${ordinal(s.medium)} to under ${ordinal(s.high)} percentile`;
    return `below ${ordinal(s.medium)} percentile`;
  }
  const hi = formatMoney(s.highMinor, currency);
  const mid = formatMoney(s.mediumMinor, currency);
  if (tier === "high") return `≥ ${hi}`;
  if (tier === "medium") return s.mediumMinor === s.highMinor ? "none (same threshold as high)" : `${mid} to under ${hi}`;
  return `under ${mid}`;
}

/** Short money for a map cell: "$8.50", "$121", "$12.3K" (whole units from 10, compact from 10,000). */
export function formatMoneyShort(minor: string, currency: string): string {
  const major = Math.abs(minorToMajor(minor, currency));
  if (major >= 10_000) return formatMoney(minor, currency, { compact: true });
  const v = minorToMajor(minor, currency);
  return new Intl.NumberFormat("en-US", { style: "currency", currency, maximumFractionDigits: major >= 10 ? 0 : 2, minimumFractionDigits: major >= 10 ? 0 : undefined }).format(v);
}
