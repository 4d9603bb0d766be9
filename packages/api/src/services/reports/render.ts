import { currencyDigits } from "@valuelens/validators";
import type { ReportContent, WeekNumbers } from "./content.ts";

/** HTML-escape for text placed in the email (names come from users). */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

function money(minor: bigint, currency: string): string {
  return new Intl.NumberFormat("en-US", { style: "currency", currency }).format(Number(minor) / 10 ** currencyDigits(currency));
}

/** "+12.5%" / "−3.0%" / "new" / "—" for a change between two values. */
export function change(now: number, before: number): { text: string; arrow: "▲" | "▼" | "■" } {
  if (before === 0) return now === 0 ? { text: "no change", arrow: "■" } : { text: "new", arrow: "▲" };
  const pct = ((now - before) / Math.abs(before)) * 100;
  if (Math.abs(pct) < 0.05) return { text: "0.0%", arrow: "■" };
  return { text: `${pct > 0 ? "+" : "−"}${Math.abs(pct).toFixed(1)}%`, arrow: pct > 0 ? "▲" : "▼" };
}

function fmtDate(d: Date, tz: string): string {
  return d.toLocaleDateString("en-US", { timeZone: tz, day: "numeric", month: "short", year: "numeric" });
}

interface Row {
  label: string;
  value: (w: WeekNumbers) => number;
  show: (w: WeekNumbers) => string;
}

export interface RenderedReport {
  subject: string;
  html: string;
  text: string;
}

/**
 * The weekly digest as accessible, dark-mode-safe HTML (tables and inline styles, explicit colours
 * on every cell) plus a plain-text part with the same facts and links.
 */
export function renderReport(c: ReportContent, appUrl: string, opts: { test?: boolean; unsubscribeUrl?: string | null } = {}): RenderedReport {
  const cur = c.workspace.currency;
  const tz = c.period.timezone;
  const lastDay = new Date(c.period.to.getTime() - 1);
  const range = `${fmtDate(c.period.from, tz)} – ${fmtDate(lastDay, tz)}`;
  const base = `${appUrl}/w/${encodeURIComponent(c.workspace.slug)}`;
  const rows: Row[] = [
    { label: "Revenue", value: (w) => Number(w.revenueMinor), show: (w) => money(w.revenueMinor, cur) },
    { label: "Orders", value: (w) => w.orders, show: (w) => String(w.orders) },
    { label: "New customers", value: (w) => w.newCustomers, show: (w) => String(w.newCustomers) },
  ];
  const subject = `${opts.test ? "[Test] " : ""}${c.workspace.name}: your week in customers (${range})`;
  const staleNote = c.stale
    ? `Heads-up: no new data reached ValueLens since this week ended, so these numbers may be incomplete. Data as of ${c.dataAsOf ? c.dataAsOf.toISOString().slice(0, 16).replace("T", " ") + " UTC" : "never"}.`
    : null;

  const text = [
    subject,
    "",
    ...(staleNote ? [staleNote, ""] : []),
    ...rows.map((r) => {
      const a = change(r.value(c.thisWeek), r.value(c.previousWeek));
      const y = change(r.value(c.thisWeek), r.value(c.sameWeekLastYear));
      return `${r.label}: ${r.show(c.thisWeek)} (${a.text} vs previous week ${r.show(c.previousWeek)}; ${y.text} vs same week last year ${r.show(c.sameWeekLastYear)})`;
    }),
    `Average order value: ${c.averageOrderValueMinor === null ? "—" : money(c.averageOrderValueMinor, cur)}`,
    `Repeat-purchase rate (all time): ${c.repeatPurchaseRate === null ? "—" : `${(c.repeatPurchaseRate * 100).toFixed(1)}%`}`,
    "",
    `Overview: ${base}/overview`,
    "",
    "You receive this because an admin of the workspace added you to this weekly report.",
    ...(opts.unsubscribeUrl ? [`Unsubscribe: ${opts.unsubscribeUrl}`] : []),
  ].join("\n");

  const cell = "padding:8px 12px;border-bottom:1px solid #e2e8f0;color:#0f172a;background:#ffffff;font:14px/1.4 Arial,Helvetica,sans-serif;";
  const head = "padding:8px 12px;border-bottom:2px solid #cbd5e1;color:#334155;background:#ffffff;font:bold 13px/1.4 Arial,Helvetica,sans-serif;text-align:left;";
  const tr = rows
    .map((r) => {
      const a = change(r.value(c.thisWeek), r.value(c.previousWeek));
      const y = change(r.value(c.thisWeek), r.value(c.sameWeekLastYear));
      const col = (x: { arrow: string }) => (x.arrow === "▲" ? "#047857" : x.arrow === "▼" ? "#b91c1c" : "#334155");
      return `<tr><th scope="row" style="${cell}text-align:left;">${r.label}</th><td style="${cell}text-align:right;"><strong>${esc(r.show(c.thisWeek))}</strong></td><td style="${cell}text-align:right;color:${col(a)};">${a.arrow} ${esc(a.text)}<br><span style="color:#475569;">${esc(r.show(c.previousWeek))}</span></td><td style="${cell}text-align:right;color:${col(y)};">${y.arrow} ${esc(y.text)}<br><span style="color:#475569;">${esc(r.show(c.sameWeekLastYear))}</span></td></tr>`;
    })
    .join("");
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="color-scheme" content="light"><meta name="supported-color-schemes" content="light"><title>${esc(subject)}</title></head>
<body style="margin:0;padding:0;background:#f1f5f9;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="background:#f1f5f9;"><tr><td align="center" style="padding:24px;">
<table role="presentation" width="600" cellpadding="0" cellspacing="0" style="max-width:600px;background:#ffffff;border-radius:8px;">
<tr><td style="padding:24px 24px 8px;background:#ffffff;color:#312e81;font:bold 20px/1.3 Arial,Helvetica,sans-serif;">${esc(c.workspace.name)}: your week in customers</td></tr>
<tr><td style="padding:0 24px 16px;background:#ffffff;color:#334155;font:14px/1.4 Arial,Helvetica,sans-serif;">${esc(range)} (${esc(tz)})${opts.test ? " · test send" : ""}</td></tr>
${staleNote ? `<tr><td style="padding:0 24px 16px;background:#ffffff;"><p style="margin:0;padding:12px;background:#fef3c7;color:#78350f;font:14px/1.4 Arial,Helvetica,sans-serif;border-radius:6px;">${esc(staleNote)}</p></td></tr>` : ""}
<tr><td style="padding:0 24px;background:#ffffff;">
<table width="100%" cellpadding="0" cellspacing="0" style="border-collapse:collapse;">
<caption style="text-align:left;padding:0 0 8px;color:#0f172a;font:bold 16px/1.4 Arial,Helvetica,sans-serif;">Headline numbers</caption>
<thead><tr><th scope="col" style="${head}">Measure</th><th scope="col" style="${head}text-align:right;">This week</th><th scope="col" style="${head}text-align:right;">vs previous week</th><th scope="col" style="${head}text-align:right;">vs same week last year</th></tr></thead>
<tbody>${tr}</tbody></table></td></tr>
<tr><td style="padding:16px 24px;background:#ffffff;color:#0f172a;font:14px/1.6 Arial,Helvetica,sans-serif;">Average order value this week: <strong>${c.averageOrderValueMinor === null ? "—" : esc(money(c.averageOrderValueMinor, cur))}</strong><br>Repeat-purchase rate (all time): <strong>${c.repeatPurchaseRate === null ? "—" : `${(c.repeatPurchaseRate * 100).toFixed(1)}%`}</strong></td></tr>
<tr><td style="padding:8px 24px 24px;background:#ffffff;"><a href="${esc(base)}/overview" style="display:inline-block;padding:10px 16px;background:#3730a3;color:#ffffff;text-decoration:none;border-radius:6px;font:bold 14px Arial,Helvetica,sans-serif;">Open the overview</a></td></tr>
<tr><td style="padding:16px 24px;background:#f8fafc;color:#475569;font:12px/1.5 Arial,Helvetica,sans-serif;">You receive this because an admin of ${esc(c.workspace.name)} added you to this weekly report.${opts.unsubscribeUrl ? ` <a href="${esc(opts.unsubscribeUrl)}" style="color:#3730a3;">Unsubscribe</a>` : ""}</td></tr>
</table></td></tr></table></body></html>`;
  return { subject, html, text };
}
