/**
 * Pure transformations for the Retention page: cohort matrix → heat-map cells, CSV, LTV curves and
 * "retention at period N" trends; retention curves → Chart.js datasets (observed solid, projection
 * dashed, 80 % band filled). Money stays in minor-unit strings until the final number for a chart.
 */
import type { CohortMatrix, CohortRow, RetentionCurve, RetentionCurves, RetentionRates } from "@valuelens/api";
import { toCsvRow } from "@valuelens/validators";
import { minorToMajor } from "./money";

export type CohortMetric = "active" | "revenue";

/** "2025-04-01" → "Apr 2025" (month), "Q2 2025" (quarter) or "Wk of Apr 7, 2025" (week), in UTC so it never shifts. */
export function cohortLabel(cohort: string, grain: "week" | "month" | "quarter"): string {
  if (grain === "week") return `Wk of ${new Date(`${cohort}T00:00:00Z`).toLocaleDateString("en-US", { month: "short", day: "numeric", year: "numeric", timeZone: "UTC" })}`;
  const y = cohort.slice(0, 4);
  const m = Number(cohort.slice(5, 7));
  if (grain === "quarter") return `Q${Math.floor((m - 1) / 3) + 1} ${y}`;
  return new Date(`${cohort}T00:00:00Z`).toLocaleDateString("en-US", { month: "short", year: "numeric", timeZone: "UTC" });
}

export interface HeatCell {
  period: number;
  /** Share active (0–1) or revenue per original customer (major units). */
  value: number;
  text: string;
  incomplete: boolean;
}

/** A cell's value for the chosen metric: share of the cohort active, or revenue per original customer. */
export function cellValue(row: CohortRow, cell: CohortRow["cells"][number], metric: CohortMetric, currency: string): number {
  if (row.size === 0) return 0;
  return metric === "active" ? cell.active / row.size : minorToMajor(cell.revenueMinor, currency) / row.size;
}

export function heatCells(row: CohortRow, metric: CohortMetric, currency: string): HeatCell[] {
  const money = new Intl.NumberFormat("en-US", { style: "currency", currency, maximumFractionDigits: 2 });
  return row.cells.map((c) => {
    const value = cellValue(row, c, metric, currency);
    return { period: c.period, value, incomplete: c.incomplete, text: metric === "active" ? `${(value * 100).toFixed(1)}%` : money.format(value) };
  });
}

/** Colour scale max: period 0 is 100 % by definition, so the share scale uses later periods (complete only). */
export function scaleMax(matrix: CohortMatrix, metric: CohortMetric, group?: string): number {
  let max = 0;
  for (const r of matrix.rows) {
    if (group !== undefined && r.group !== group) continue;
    for (const c of r.cells) {
      if (c.incomplete || (metric === "active" && c.period === 0)) continue;
      max = Math.max(max, cellValue(r, c, metric, matrix.currency));
    }
  }
  return max > 0 ? max : 1;
}

function luminance(rgb: number[]): number {
  const [r, g, b] = rgb.map((v) => {
    const c = v / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/**
 * Sequential blue scale; the text is black or white, whichever contrasts more with the cell
 * (with pure black and white one of the two always reaches 4.5:1, WCAG AA).
 */
export function heatColor(value: number, max: number): { background: string; color: string } {
  const t = Math.max(0, Math.min(1, max > 0 ? value / max : 0));
  // from #eff6ff (t = 0) to #1e3a8a (t = 1)
  const from = [0xef, 0xf6, 0xff];
  const to = [0x1e, 0x3a, 0x8a];
  const rgb = from.map((f, i) => Math.round(f + (to[i]! - f) * t));
  const L = luminance(rgb);
  const onWhite = 1.05 / (L + 0.05);
  const onBlack = (L + 0.05) / 0.05;
  return { background: `rgb(${rgb.join(", ")})`, color: onWhite >= onBlack ? "#ffffff" : "#000000" };
}

/** The matrix as CSV (every cell, raw numbers, formula-like text neutralised by toCsvRow). */
export function matrixToCsv(matrix: CohortMatrix): string {
  const periods = Math.max(0, ...matrix.rows.map((r) => r.cells.length));
  const head = ["group", "cohort", "cohort_size", `cac_${matrix.currency}`];
  for (let k = 0; k < periods; k++) head.push(`p${k}_active`, `p${k}_revenue_${matrix.currency}`, `p${k}_incomplete`);
  let out = toCsvRow(head);
  for (const r of matrix.rows) {
    const vals: (string | number | boolean | null)[] = [r.groupLabel, r.cohort, r.size, r.cacMinor === null ? null : minorToMajor(r.cacMinor, matrix.currency)];
    for (let k = 0; k < periods; k++) {
      const c = r.cells[k];
      vals.push(c ? c.active : null, c ? minorToMajor(c.revenueMinor, matrix.currency) : null, c ? c.incomplete : null);
    }
    out += toCsvRow(vals);
  }
  return out;
}

export const SERIES_COLORS = ["#1d4ed8", "#b45309", "#047857", "#7c3aed", "#be123c", "#0e7490"];

export function curveKey(c: { group: string; cohort: string }): string {
  return `${c.group}|${c.cohort}`;
}

export interface LineDataset {
  label: string;
  data: (number | null)[];
  borderColor: string;
  backgroundColor: string;
  borderDash?: number[];
  fill?: number | string | boolean;
  pointRadius: number;
  borderWidth: number;
  spanGaps?: boolean;
  /** Hidden from the legend (band edges). */
  band?: boolean;
}

function rgba(hex: string, a: number): string {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${a})`;
}

/**
 * Selected curves → datasets in percent: observed (solid), then for fitted cohorts the projection
 * (dashed, from the last observed month on) between its 10th and 90th percentile (filled band).
 */
export function toRetentionCurveChart(curves: RetentionCurve[], horizon: number): { labels: string[]; datasets: LineDataset[] } {
  const labels = Array.from({ length: horizon + 1 }, (_, k) => String(k));
  const datasets: LineDataset[] = [];
  curves.forEach((c, i) => {
    const color = SERIES_COLORS[i % SERIES_COLORS.length]!;
    const name = cohortLabel(c.cohort, "month");
    datasets.push({
      label: `${name} observed`,
      data: labels.map((_, k) => (k < c.observed.length ? c.observed[k]! * 100 : null)),
      borderColor: color,
      backgroundColor: color,
      pointRadius: 2,
      borderWidth: 2,
    });
    if (c.projection.length > 0) {
      const from = Math.max(0, c.observed.length - 1);
      const proj = (f: (p: RetentionCurve["projection"][number]) => number | null) =>
        labels.map((_, k) => {
          const p = c.projection[k];
          if (!p || k < from) return null;
          const v = f(p);
          return v === null ? null : v * 100;
        });
      const hasBand = c.projection.some((p) => p.low !== null);
      if (hasBand) {
        datasets.push({ label: `${name} band low`, data: proj((p) => p.low), borderColor: "transparent", backgroundColor: rgba(color, 0.15), pointRadius: 0, borderWidth: 0, band: true });
        datasets.push({ label: `${name} 80% band`, data: proj((p) => p.high), borderColor: "transparent", backgroundColor: rgba(color, 0.15), pointRadius: 0, borderWidth: 0, fill: "-1", band: true });
      }
      datasets.push({ label: `${name} projected (sBG)`, data: proj((p) => p.survival), borderColor: color, backgroundColor: color, borderDash: [6, 4], pointRadius: 0, borderWidth: 2 });
    }
  });
  return { labels, datasets };
}

export interface LtvPoint {
  month: number;
  /** Cumulative value per acquired customer (major units). */
  value: number;
  low: number;
  high: number;
}

/**
 * The cohort's forecast as cumulative value per acquired customer by months since acquisition: anchored
 * at the month holding the data cut-off (observed value including that incomplete month), then the
 * models' expected additions after 1, 3 and 12 months (linear in between), with the 12-month 80 %
 * range scaled along. Margin: the revenue forecast × the cohort's observed margin share. [] without one.
 */
export function ltvForecast(row: CohortRow, currency: string, basis: "revenue" | "margin"): LtvPoint[] {
  const f = row.forecast;
  if (!f || row.size === 0 || row.cells.length === 0) return [];
  const anchor = row.cells.length - 1;
  let rev = 0n;
  let mar = 0n;
  for (const c of row.cells) {
    rev += BigInt(c.revenueMinor);
    mar += BigInt(c.marginMinor);
  }
  const cum = basis === "revenue" ? rev : mar;
  const ratio = basis === "revenue" ? 1 : rev > 0n ? Number(mar) / Number(rev) : 0;
  const per = (minor: number) => minorToMajor(Math.round(minor), currency) / row.size;
  const m1 = Number(f.m1Minor);
  const m3 = Number(f.m3Minor);
  const m12 = Number(f.m12Minor);
  const lo = m12 > 0 ? Number(f.lowMinor) / m12 : 1;
  const hi = m12 > 0 ? Number(f.highMinor) / m12 : 1;
  const base = minorToMajor(cum, currency) / row.size;
  const added = (j: number) => (j <= 1 ? m1 * j : j <= 3 ? m1 + ((m3 - m1) * (j - 1)) / 2 : m3 + ((m12 - m3) * (j - 3)) / 9);
  return Array.from({ length: 13 }, (_, j) => {
    const a = added(j) * ratio;
    return { month: anchor + j, value: base + per(a), low: base + per(a * lo), high: base + per(a * hi) };
  });
}

/**
 * Cohort LTV: cumulative revenue (or margin) per original customer by months since acquisition, over
 * complete months (solid); the models' 12-month forecast from the data cut-off (dashed) with its 80 %
 * range (shaded); the cohort's CAC as a flat dotted line when known. Major units.
 */
export function toLtvChart(rows: CohortRow[], currency: string, basis: "revenue" | "margin"): { labels: string[]; datasets: LineDataset[] } {
  const months = Math.max(1, ...rows.map((r) => r.cells.filter((c) => !c.incomplete).length), ...rows.map((r) => (r.forecast ? r.cells.length + 12 : 0)));
  const labels = Array.from({ length: months }, (_, k) => String(k));
  const datasets: LineDataset[] = [];
  rows.forEach((r, i) => {
    const color = SERIES_COLORS[i % SERIES_COLORS.length]!;
    const name = cohortLabel(r.cohort, "month");
    let cum = 0n;
    const data = labels.map((_, k) => {
      const c = r.cells[k];
      if (!c || c.incomplete) return null;
      cum += BigInt(basis === "revenue" ? c.revenueMinor : c.marginMinor);
      return minorToMajor(cum, currency) / r.size;
    });
    datasets.push({ label: `${name} ${basis === "revenue" ? "revenue" : "margin"} per customer`, data, borderColor: color, backgroundColor: color, pointRadius: 2, borderWidth: 2 });
    const fc = ltvForecast(r, currency, basis);
    if (fc.length > 0) {
      const at = (f: (p: LtvPoint) => number) => labels.map((_, k) => { const p = fc.find((x) => x.month === k); return p ? f(p) : null; });
      datasets.push({ label: `${name} forecast band low`, data: at((p) => p.low), borderColor: "transparent", backgroundColor: rgba(color, 0.15), pointRadius: 0, borderWidth: 0, band: true });
      datasets.push({ label: `${name} forecast 80% range`, data: at((p) => p.high), borderColor: "transparent", backgroundColor: rgba(color, 0.15), pointRadius: 0, borderWidth: 0, fill: "-1", band: true });
      datasets.push({ label: `${name} forecast`, data: at((p) => p.value), borderColor: color, backgroundColor: color, borderDash: [6, 4], pointRadius: 0, borderWidth: 2 });
    }
    if (r.cacMinor !== null) {
      const cac = minorToMajor(r.cacMinor, currency);
      datasets.push({ label: `${name} CAC`, data: labels.map(() => cac), borderColor: color, backgroundColor: color, borderDash: [2, 3], pointRadius: 0, borderWidth: 1.5 });
    }
  });
  return { labels, datasets };
}

/** Retention curves as CSV: one line per cohort and month, observed and projected share with the band (0–1). */
export function curvesToCsv(curves: RetentionCurve[], windowMonths: number): string {
  let out = toCsvRow(["group", "cohort", "cohort_size", "month", `observed_active_share_${windowMonths}m_gap`, "projected_share_sbg", "band_low_p10", "band_high_p90", "sbg_alpha", "sbg_beta"]);
  for (const c of curves) {
    for (let k = 0; k < Math.max(c.observed.length, c.projection.length); k++) {
      const p = c.projection[k];
      out += toCsvRow([c.groupLabel, c.cohort, c.size, k, c.observed[k] ?? null, p?.survival ?? null, p?.low ?? null, p?.high ?? null, c.fit?.alpha ?? null, c.fit?.beta ?? null]);
    }
  }
  return out;
}

/** Cohort LTV as CSV: observed cumulative value per customer by month, then the forecast with its range (major units). */
export function ltvToCsv(rows: CohortRow[], currency: string, basis: "revenue" | "margin"): string {
  let out = toCsvRow(["group", "cohort", "cohort_size", "month", "kind", `cumulative_${basis}_per_customer_${currency}`, `range_low_${currency}`, `range_high_${currency}`, `cac_${currency}`]);
  for (const r of rows) {
    const cac = r.cacMinor === null ? null : minorToMajor(r.cacMinor, currency);
    let cum = 0n;
    for (const c of r.cells) {
      if (c.incomplete) break;
      cum += BigInt(basis === "revenue" ? c.revenueMinor : c.marginMinor);
      out += toCsvRow([r.groupLabel, r.cohort, r.size, c.period, "observed", minorToMajor(cum, currency) / r.size, null, null, cac]);
    }
    for (const p of ltvForecast(r, currency, basis).slice(1)) out += toCsvRow([r.groupLabel, r.cohort, r.size, p.month, "forecast", p.value, p.low, p.high, cac]);
  }
  return out;
}

/** Key rates and their trends as CSV (rates 0–1, days). */
export function ratesToCsv(rates: RetentionRates, churn: RetentionCurves["churnTrend"], windowMonths: number): string {
  let out = toCsvRow(["series", "period", "value", "base"]);
  for (const c of churn) out += toCsvRow([`monthly_churn_${windowMonths}m_gap`, c.month, c.churn, c.atRisk]);
  for (const r of rates.repeat) {
    out += toCsvRow([`repeat_within_${r.months}m_all_cohorts`, null, r.rate, null]);
    for (const t of r.trend) out += toCsvRow([`repeat_within_${r.months}m`, t.cohort, t.rate, t.size]);
  }
  out += toCsvRow(["days_between_orders_all", null, rates.averageDaysBetweenOrders, null]);
  for (const d of rates.averageDaysTrend) out += toCsvRow(["days_between_orders", d.cohort, d.days, d.customers]);
  return out;
}

/** First month (since acquisition) in which cumulative value per customer reaches the CAC, or null. */
export function paybackMonth(row: CohortRow, basis: "revenue" | "margin"): number | null {
  if (row.cacMinor === null) return null;
  const cac = BigInt(row.cacMinor) * BigInt(row.size);
  let cum = 0n;
  for (const c of row.cells) {
    if (c.incomplete) return null;
    cum += BigInt(basis === "revenue" ? c.revenueMinor : c.marginMinor);
    if (cum >= cac) return c.period;
  }
  return null;
}

/** "Retention at period N across cohorts": share active in period N for each cohort whose period N is complete. */
export function periodTrend(matrix: CohortMatrix, period: number, group = ""): { cohort: string; value: number }[] {
  return matrix.rows
    .filter((r) => r.group === group && r.cells[period] !== undefined && !r.cells[period]!.incomplete && r.size > 0)
    .map((r) => ({ cohort: r.cohort, value: r.cells[period]!.active / r.size }));
}
