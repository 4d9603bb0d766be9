/**
 * Report charts as PNG images rendered on the server with Chart.js on a Skia canvas (@napi-rs/canvas):
 * no browser, no external image host. Each image is attached to the email with a Content-ID and
 * referenced from the HTML part as cid:…; the same numbers are in the tables next to it and in the
 * plain-text part, and each image carries alt text that states its main finding.
 *
 * Fonts: Skia finds no font on a machine without any, and axis labels would not render. We register
 * the first font file found in the usual Debian locations (fonts-dejavu-core, fonts-liberation) and
 * use whatever the system has otherwise; with no font at all the charts are left out (the tables
 * still carry every number) and a warning is logged.
 */
import { existsSync } from "node:fs";
import { createCanvas, GlobalFonts } from "@napi-rs/canvas";
import { Chart, registerables, type ChartConfiguration } from "chart.js";
import { currencyDigits } from "@valuelens/validators";
import { logWarn } from "../../log.ts";
import type { ReportContent } from "./content.ts";

export interface InlineImage {
  cid: string;
  filename: string;
  alt: string;
  /** PNG, base64. */
  base64: string;
  /** CSS pixels the HTML shows it at (the PNG is twice that for sharp text on high-density screens). */
  width: number;
  height: number;
}

const FONT_FILES = [
  ["/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "DejaVu Sans"],
  ["/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf", "Liberation Sans"],
  ["/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf", "Liberation Sans"],
  ["/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf", "Noto Sans"],
] as const;

let family: string | null | undefined;

/** The font family charts use, registering one on first use; null when the machine has no font. */
export function chartFont(): string | null {
  if (family !== undefined) return family;
  Chart.register(...registerables);
  family = null;
  for (const [file, name] of FONT_FILES) {
    if (existsSync(file) && (GlobalFonts.has(name) || GlobalFonts.registerFromPath(file, name))) {
      family = name;
      break;
    }
  }
  if (!family) family = GlobalFonts.families[0]?.family ?? null;
  if (!family) logWarn("report.charts_no_font", { reason: "no font file found; install fonts-dejavu-core to get report charts" });
  return family;
}

const W = 552;
const H = 260;
const INK = "#0f172a";
const MUTED = "#475569";
const GRID = "#e2e8f0";
const BRAND = "#4338ca";
const SOFT = "#94a3b8";

function render(cid: string, alt: string, config: ChartConfiguration, font: string): InlineImage {
  const canvas = createCanvas(W, H);
  const ctx = canvas.getContext("2d");
  // Opaque white background: transparent PNGs turn unreadable on dark-mode mail clients.
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(0, 0, W, H);
  Chart.defaults.font.family = font;
  Chart.defaults.color = MUTED;
  // Chart.js accepts any 2D context; the Skia one has the same drawing API as the browser's.
  const chart = new Chart(ctx as unknown as ConstructorParameters<typeof Chart>[0], {
    ...config,
    options: { ...config.options, responsive: false, animation: false, devicePixelRatio: 2, layout: { padding: { left: 10, right: 14, top: 6, bottom: 4 } } },
    plugins: [
      ...(config.plugins ?? []),
      {
        id: "white-background",
        beforeDraw: (c) => {
          c.ctx.save();
          c.ctx.fillStyle = "#ffffff";
          c.ctx.fillRect(0, 0, c.width, c.height);
          c.ctx.restore();
        },
      },
    ],
  });
  const png = canvas.toBuffer("image/png");
  chart.destroy();
  return { cid, filename: `${cid.split(".")[0]}.png`, alt, base64: png.toString("base64"), width: W, height: H };
}

function compactMoney(minor: bigint | number, currency: string): string {
  const v = Number(minor) / 10 ** currencyDigits(currency);
  return new Intl.NumberFormat("en-US", { style: "currency", currency, notation: "compact", maximumFractionDigits: 1 }).format(v);
}

const pct = (x: number) => `${(x * 100).toFixed(0)}%`;

/** Up to three charts for the report's chart section; empty when the section is off or nothing can be drawn. */
export function renderCharts(c: ReportContent, key: string): InlineImage[] {
  if (!c.sections.includes("charts")) return [];
  const font = chartFont();
  if (!font) return [];
  const cur = c.workspace.currency;
  const images: InlineImage[] = [];
  const title = (text: string) => ({ display: true, text, color: INK, font: { size: 14, weight: "bold" as const }, align: "start" as const });
  const axis = { grid: { color: GRID }, ticks: { color: MUTED } };

  if (c.weekly.length > 0) {
    const last = c.weekly.at(-1)!;
    const best = c.weekly.reduce((a, b) => (b.revenueMinor > a.revenueMinor ? b : a));
    images.push(
      render(
        `weekly-revenue.${key}@valuelens`,
        `Bar chart of revenue per week for the last 12 weeks, with the same weeks last year as a line. Last week: ${compactMoney(last.revenueMinor, cur)} (same week last year ${compactMoney(last.lastYearRevenueMinor, cur)}); best week: ${best.week} with ${compactMoney(best.revenueMinor, cur)}.`,
        {
          type: "bar",
          data: {
            labels: c.weekly.map((p) => p.week.slice(5)),
            datasets: [
              { type: "bar", label: "Revenue", data: c.weekly.map((p) => Number(p.revenueMinor) / 10 ** currencyDigits(cur)), backgroundColor: BRAND },
              { type: "line", label: "Same week last year", data: c.weekly.map((p) => Number(p.lastYearRevenueMinor) / 10 ** currencyDigits(cur)), borderColor: SOFT, backgroundColor: SOFT, borderDash: [4, 3], pointRadius: 2 },
            ],
          },
          options: {
            plugins: { title: title(`Revenue per week (${cur}), weeks starting`), legend: { position: "bottom", labels: { boxWidth: 12 } } },
            scales: { x: axis, y: { ...axis, beginAtZero: true, ticks: { color: MUTED, callback: (v) => compactMoney(Math.round(Number(v) * 10 ** currencyDigits(cur)), cur) } } },
          },
        },
        font,
      ),
    );
  }

  const seg = c.segments;
  if (seg && seg.segments.some((s) => s.customers + s.previousCustomers > 0)) {
    const rows = seg.segments.filter((s) => s.customers + s.previousCustomers > 0);
    const moved = [...rows].sort((a, b) => Math.abs(b.customers - b.previousCustomers) - Math.abs(a.customers - a.previousCustomers))[0]!;
    const d = moved.customers - moved.previousCustomers;
    images.push(
      render(
        `segments.${key}@valuelens`,
        `Bar chart of customers per RFM segment now${seg.baselineRunAt ? " and at the compared recompute" : ""}. ${seg.baselineRunAt ? `Biggest move: ${moved.key} ${d >= 0 ? "+" : "−"}${Math.abs(d)} customers (now ${moved.customers}).` : `Largest segment: ${[...rows].sort((a, b) => b.customers - a.customers)[0]!.key}.`}`,
        {
          type: "bar",
          data: {
            labels: rows.map((s) => s.key),
            datasets: [
              { label: "Now", data: rows.map((s) => s.customers), backgroundColor: BRAND },
              ...(seg.baselineRunAt ? [{ label: "Compared recompute", data: rows.map((s) => s.previousCustomers), backgroundColor: SOFT }] : []),
            ],
          },
          options: {
            indexAxis: "y",
            plugins: { title: title("Customers per segment"), legend: { position: "bottom", labels: { boxWidth: 12 } } },
            scales: { x: { ...axis, beginAtZero: true, title: { display: true, text: "customers", color: MUTED } }, y: { ...axis, ticks: { color: INK, autoSkip: false, font: { size: 10 } } } },
          },
        },
        font,
      ),
    );
  }

  const ret = c.retention;
  if (ret && ret.newest.length > 0) {
    const lines = [...ret.newest, ...(ret.earlier ? [ret.earlier] : [])];
    const colours = [BRAND, "#0f766e", "#b45309", SOFT];
    const newest = ret.newest[0]!;
    images.push(
      render(
        `retention.${key}@valuelens`,
        `Line chart of the share of each cohort buying again 1 to ${newest.retention.length} months after its first month: the ${ret.newest.length} newest cohorts${ret.earlier ? " against the average of earlier ones" : ""}. Newest cohort ${newest.cohort}: month 1 ${newest.retention[0] === null || newest.retention[0] === undefined ? "not complete yet" : pct(newest.retention[0])}${ret.earlier && ret.earlier.retention[0] != null ? ` vs ${pct(ret.earlier.retention[0])} for earlier cohorts` : ""}.`,
        {
          type: "line",
          data: {
            labels: newest.retention.map((_, i) => `M${i + 1}`),
            datasets: lines.map((l, i) => ({
              label: i < ret.newest.length ? `${l.cohort} (${l.size})` : `Earlier cohorts (${l.size})`,
              data: l.retention.map((v) => (v === null ? null : v * 100)),
              borderColor: colours[i] ?? SOFT,
              backgroundColor: colours[i] ?? SOFT,
              borderDash: i < ret.newest.length ? [] : [5, 4],
              spanGaps: false,
              pointRadius: 3,
            })),
          },
          options: {
            plugins: { title: title("Cohort retention: customers buying again, by month after the first"), legend: { position: "bottom", labels: { boxWidth: 12 } } },
            scales: { x: axis, y: { ...axis, beginAtZero: true, ticks: { color: MUTED, callback: (v) => `${Number(v)}%` } } },
          },
        },
        font,
      ),
    );
  }
  return images;
}
