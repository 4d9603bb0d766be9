/**
 * Pure helpers for the Campaigns page (issue 6): sorting with low-confidence rows never ranked,
 * Chart.js datasets for CAC vs LTV bars and cumulative value-per-customer curves against CAC,
 * formatting of ratios and payback. Money stays minor-unit strings until display.
 */
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@valuelens/api";
import { minorToMajor } from "./money";

type Out = inferRouterOutputs<AppRouter>;
export type RoiResult = Out["campaigns"]["roi"];
export type CampaignRow = RoiResult["campaigns"][number];
export type GroupMetrics = RoiResult["channels"][number];
export type Comparison = Out["campaigns"]["compare"];
export type ComparedCampaign = Comparison["campaigns"][number];
export type BudgetHint = Out["campaigns"]["budget"];
export type CampaignDetail = Out["campaigns"]["get"];

export type SortKey = "label" | "spend" | "customers" | "cac" | "ltv" | "ltvToCac" | "roi" | "payback" | "repeat" | "retention";

export const SORT_LABELS: Record<SortKey, string> = {
  label: "Name",
  spend: "Spend",
  customers: "New customers",
  cac: "CAC",
  ltv: "Value per customer",
  ltvToCac: "LTV:CAC",
  roi: "ROI",
  payback: "Payback",
  repeat: "Repeat rate",
  retention: "90-day retention",
};

function sortValue(r: GroupMetrics, key: SortKey): number | string | null {
  switch (key) {
    case "label": return r.label.toLowerCase();
    case "spend": return Number(r.spendMinor);
    case "customers": return r.customers;
    case "cac": return r.cacMinor === null ? null : Number(r.cacMinor);
    case "ltv": return r.ltvMinor === null ? null : Number(r.ltvMinor);
    case "ltvToCac": return r.ltvToCac;
    case "roi": return r.roi;
    case "payback": return r.paybackMonths;
    case "repeat": return r.repeatRate;
    case "retention": return r.retention90;
  }
}

/**
 * Rows sorted by a key; rows with enough customers come first and get a rank (1 = first in the
 * chosen order), low-confidence rows follow unranked, in the same order. Missing values sort last.
 */
export function rankRows<T extends GroupMetrics>(rows: readonly T[], key: SortKey, dir: "asc" | "desc"): { row: T; rank: number | null }[] {
  const cmp = (a: T, b: T) => {
    const x = sortValue(a, key);
    const y = sortValue(b, key);
    if (x === null && y === null) return a.label.localeCompare(b.label);
    if (x === null) return 1;
    if (y === null) return -1;
    const c = typeof x === "string" || typeof y === "string" ? String(x).localeCompare(String(y)) : x - y;
    return (dir === "asc" ? c : -c) || a.label.localeCompare(b.label);
  };
  const ranked = rows.filter((r) => !r.lowConfidence).sort(cmp);
  const low = rows.filter((r) => r.lowConfidence).sort(cmp);
  return [...ranked.map((row, i) => ({ row, rank: i + 1 })), ...low.map((row) => ({ row, rank: null }))];
}

export function formatRatio(x: number | null): string {
  return x === null || !Number.isFinite(x) ? "—" : `${x.toFixed(2)}×`;
}

export function formatRoi(x: number | null): string {
  return x === null || !Number.isFinite(x) ? "—" : `${x >= 0 ? "+" : ""}${(x * 100).toFixed(0)}%`;
}

export function formatPayback(r: Pick<GroupMetrics, "paybackMonths" | "paybackSource" | "cacMinor" | "customers">): string {
  if (r.customers === 0) return "—";
  if (r.cacMinor === null) return "—";
  if (r.cacMinor === "0") return "no cost";
  if (r.paybackMonths === null) return "not yet";
  return `${r.paybackMonths} mo${r.paybackSource === "predicted" ? " (predicted)" : ""}`;
}

const PALETTE = ["#1d4ed8", "#b45309", "#047857", "#be123c", "#6d28d9", "#0e7490"];
export const colorOf = (i: number) => PALETTE[i % PALETTE.length]!;

/** Bars: CAC and value per acquired customer (chosen basis), major units, per campaign. */
export function toCacLtvBars(campaigns: readonly ComparedCampaign[], currency: string, valueLabel: string) {
  return {
    labels: campaigns.map((c) => c.label),
    datasets: [
      { label: "CAC", data: campaigns.map((c) => (c.cacMinor === null ? null : minorToMajor(c.cacMinor, currency))), backgroundColor: "#94a3b8" },
      { label: valueLabel, data: campaigns.map((c) => (c.ltvMinor === null ? null : minorToMajor(c.ltvMinor, currency))), backgroundColor: "#1d4ed8" },
    ],
  };
}

/**
 * Lines: cumulative value per acquired customer by month since acquisition (solid = observed,
 * dashed = predicted), and each campaign's CAC as a flat dotted line in the same colour; where a
 * curve crosses its CAC line is the payback.
 */
export function toPaybackCurves(campaigns: readonly ComparedCampaign[], currency: string) {
  const months = Math.max(1, ...campaigns.map((c) => c.curve.curve.length));
  const labels = Array.from({ length: months }, (_, i) => String(i + 1));
  const digits = (v: number) => minorToMajor(Math.round(v), currency);
  const datasets = campaigns.flatMap((c, i) => {
    const color = colorOf(i);
    const pts = c.curve.curve;
    const a = c.curve.actualMonths;
    const observed = labels.map((_, k) => (k < a && k < pts.length ? digits(pts[k]!) : null));
    // the forecast starts at the last observed point so the two lines join
    const predicted = labels.map((_, k) => (k >= Math.max(0, a - 1) && k < pts.length && pts.length > a ? digits(pts[k]!) : null));
    const sets: { label: string; data: (number | null)[]; borderColor: string; backgroundColor: string; borderDash?: number[]; pointRadius: number; borderWidth: number; spanGaps: boolean }[] = [
      { label: c.label, data: observed, borderColor: color, backgroundColor: color, pointRadius: 2, borderWidth: 2, spanGaps: false },
    ];
    if (pts.length > a) sets.push({ label: `${c.label} — predicted`, data: predicted, borderColor: color, backgroundColor: color, borderDash: [6, 4], pointRadius: 0, borderWidth: 2, spanGaps: false });
    if (c.curve.cacMinor !== null && c.curve.cacMinor > 0) {
      sets.push({ label: `${c.label} — CAC`, data: labels.map(() => digits(c.curve.cacMinor!)), borderColor: color, backgroundColor: color, borderDash: [2, 3], pointRadius: 0, borderWidth: 1, spanGaps: true });
    }
    return sets;
  });
  return { labels, datasets };
}

/** "2025-03" → "Mar 2025". */
export function monthLabel(m: string | null): string {
  if (!m) return "—";
  return new Date(`${m}-01T00:00:00Z`).toLocaleDateString("en-US", { month: "short", year: "numeric", timeZone: "UTC" });
}

/** Months between two YYYY-MM values, inclusive, for a picker. */
export function monthRange(from: string | null, to: string | null): string[] {
  if (!from || !to) return [];
  const idx = (s: string) => Number(s.slice(0, 4)) * 12 + Number(s.slice(5, 7)) - 1;
  const out: string[] = [];
  for (let i = idx(from); i <= idx(to) && out.length < 600; i++) out.push(`${Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, "0")}`);
  return out;
}

export const basisLabel = (measure: "revenue" | "margin", horizon: "historical" | "predicted12" | "lifetime") =>
  `${measure === "revenue" ? "Revenue" : "Margin"} ${horizon === "historical" ? "to date" : horizon === "predicted12" ? "predicted, next 12 months" : "lifetime (to date + next 12 months)"}`;
