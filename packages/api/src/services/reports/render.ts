import { currencyDigits, REPORT_SECTION_LABELS } from "@valuelens/validators";
import type { InlineImage } from "./charts.ts";
import type { ReportContent, SegmentMove } from "./content.ts";

/** HTML-escape for text placed in the email (names come from users). */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

function money(minor: bigint, currency: string): string {
  return new Intl.NumberFormat("en-US", { style: "currency", currency }).format(Number(minor) / 10 ** currencyDigits(currency));
}

type Arrow = "▲" | "▼" | "■";

/** "+12.5%" / "−3.0%" / "new" / "—" for a change between two values. */
export function change(now: number, before: number): { text: string; arrow: Arrow } {
  if (before === 0) return now === 0 ? { text: "no change", arrow: "■" } : { text: "new", arrow: "▲" };
  const pct = ((now - before) / Math.abs(before)) * 100;
  if (Math.abs(pct) < 0.05) return { text: "0.0%", arrow: "■" };
  return { text: `${pct > 0 ? "+" : "−"}${Math.abs(pct).toFixed(1)}%`, arrow: pct > 0 ? "▲" : "▼" };
}

/** Change of a rate in percentage points ("+2.1 pp"). */
function changePp(now: number, before: number): { text: string; arrow: Arrow } {
  const pp = (now - before) * 100;
  if (Math.abs(pp) < 0.05) return { text: "0.0 pp", arrow: "■" };
  return { text: `${pp > 0 ? "+" : "−"}${Math.abs(pp).toFixed(1)} pp`, arrow: pp > 0 ? "▲" : "▼" };
}

function signed(n: number): string {
  return n === 0 ? "±0" : `${n > 0 ? "+" : "−"}${Math.abs(n).toLocaleString("en-US")}`;
}

function fmtDate(d: Date, tz: string): string {
  return d.toLocaleDateString("en-US", { timeZone: tz, day: "numeric", month: "short", year: "numeric" });
}

function fmtStamp(d: Date, tz: string): string {
  return d.toLocaleString("en-US", { timeZone: tz, day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit", timeZoneName: "short" });
}

export interface RenderedReport {
  subject: string;
  html: string;
  text: string;
}

interface KpiRow {
  label: string;
  now: number | null;
  prev: number | null;
  ly: number | null;
  show: (n: number) => string;
  /** Rates change in percentage points, counts and money in per cent. */
  rate?: boolean;
  /** More is worse (customers at risk): colour the arrow the other way. */
  lowerIsBetter?: boolean;
  note?: string;
}

// Colours: explicit on every cell, light background; contrast ≥ 4.5:1 on white.
const C = { ink: "#0f172a", body: "#334155", muted: "#475569", good: "#047857", bad: "#b91c1c", brand: "#3730a3", line: "#e2e8f0", head: "#cbd5e1", page: "#f1f5f9", foot: "#f8fafc" };
const FONT = "Arial,Helvetica,sans-serif";
const cell = `padding:8px 10px;border-bottom:1px solid ${C.line};color:${C.ink};background:#ffffff;font:14px/1.4 ${FONT};`;
const head = `padding:8px 10px;border-bottom:2px solid ${C.head};color:${C.body};background:#ffffff;font:bold 13px/1.4 ${FONT};text-align:left;`;
const para = `margin:0 0 8px;color:${C.body};font:14px/1.5 ${FONT};`;
const h2 = `margin:0 0 8px;color:${C.ink};font:bold 17px/1.3 ${FONT};`;
const link = `color:${C.brand};text-decoration:underline;`;

function table(caption: string, cols: string[], rows: string[][], alignRightFrom = 1): string {
  const th = cols.map((c, i) => `<th scope="col" style="${head}${i >= alignRightFrom ? "text-align:right;" : ""}">${c}</th>`).join("");
  const body = rows
    .map((r) => `<tr>${r.map((v, i) => (i === 0 ? `<th scope="row" style="${cell}text-align:left;font-weight:normal;">${v}</th>` : `<td style="${cell}text-align:right;">${v}</td>`)).join("")}</tr>`)
    .join("");
  return `<table width="100%" cellpadding="0" cellspacing="0" style="border-collapse:collapse;margin:0 0 8px;"><caption style="text-align:left;padding:0 0 8px;color:${C.ink};font:bold 15px/1.4 ${FONT};">${caption}</caption><thead><tr>${th}</tr></thead><tbody>${body}</tbody></table>`;
}

function section(id: string, title: string, inner: string): string {
  return `<tr><td style="padding:16px 24px;background:#ffffff;border-top:1px solid ${C.line};"><h2 id="${id}" style="${h2}">${esc(title)}</h2>${inner}</td></tr>`;
}

function button(href: string, label: string): string {
  return `<a href="${esc(href)}" style="display:inline-block;padding:8px 14px;margin:4px 0 0;background:${C.brand};color:#ffffff;text-decoration:none;border-radius:6px;font:bold 13px ${FONT};">${esc(label)}</a>`;
}

const pct = (x: number | null | undefined) => (x === null || x === undefined ? "—" : `${(x * 100).toFixed(1)}%`);

function moveLine(m: SegmentMove): string {
  return `${m.key}: ${m.customers.toLocaleString("en-US")} (${signed(m.customers - m.previousCustomers)})`;
}

interface Action {
  text: string;
  label: string;
  href: string;
}

/** Concrete next steps drawn from this week's figures (none when nothing calls for action). */
function nextSteps(c: ReportContent, base: string): Action[] {
  const out: Action[] = [];
  if (c.stale) out.push({ text: "Check your data feed: nothing arrived since the reported week ended.", label: "Open import", href: `${base}/import` });
  else if (c.modelStale && c.model.now) out.push({ text: "Data changed since the last recompute: run one so predictions and segments catch up.", label: "Open the model page", href: `${base}/model` });
  const a = c.sections.includes("at_risk") ? c.atRisk : null;
  if (a && a.newlyAtRisk > 0) {
    out.push({ text: `Win back ${a.newlyAtRisk.toLocaleString("en-US")} high-value customer${a.newlyAtRisk === 1 ? "" : "s"} who turned at risk (list below) before they lapse.`, label: "Open customers", href: `${base}/customers` });
  }
  const k = c.sections.includes("campaigns") ? c.campaigns : null;
  const best = k?.best[0];
  const worst = k?.worst[0];
  if (best && worst && best.ltvToCac > worst.ltvToCac * 1.5) {
    out.push({ text: `Consider moving budget from ${worst.label} (LTV:CAC ${worst.ltvToCac.toFixed(2)}×) toward ${best.label} (${best.ltvToCac.toFixed(2)}×).`, label: "See the budget hint", href: `${base}/campaigns` });
  }
  const r = c.sections.includes("retention") ? c.retention : null;
  const n1 = r?.newest[0]?.retention[0];
  const e1 = r?.earlier?.retention[0];
  if (r && n1 != null && e1 != null && e1 - n1 >= 0.02) {
    out.push({ text: `The newest cohort (${r.newest[0]!.cohort}) buys again less than earlier ones in its first month (${((n1 - e1) * 100).toFixed(1)} pp): review second-purchase offers.`, label: "Open retention", href: `${base}/retention` });
  }
  return out;
}

/**
 * The weekly digest as accessible, dark-mode-safe HTML (tables and inline styles, explicit colours
 * on every cell, headings per section, charts as cid: images with alt text) plus a plain-text part
 * with the same facts and links.
 */
export function renderReport(
  c: ReportContent,
  appUrl: string,
  opts: { test?: boolean; unsubscribeUrl?: string | null; images?: InlineImage[] } = {},
): RenderedReport {
  const cur = c.workspace.currency;
  const tz = c.period.timezone;
  const lastDay = new Date(c.period.to.getTime() - 1);
  const range = `${fmtDate(c.period.from, tz)} – ${fmtDate(lastDay, tz)}`;
  const base = `${appUrl}/w/${encodeURIComponent(c.workspace.slug)}`;
  const has = (s: (typeof c.sections)[number]) => c.sections.includes(s);
  const subject = `${opts.test ? "[Test] " : ""}${c.workspace.name}: your week in customers (${range})`;
  const html: string[] = [];
  const notes: string[] = [];
  if (c.stale) {
    notes.push(
      `Heads-up: no new data reached ValueLens since this week ended, so these numbers may be incomplete. Data as of ${c.dataAsOf ? c.dataAsOf.toISOString().slice(0, 16).replace("T", " ") + " UTC" : "never"}.`,
    );
  }
  const run = c.model.now;
  if (!run) notes.push("No recompute has finished yet, so predicted values, segments and churn risk are not in this report. Run one on the Model page.");
  else if (c.modelStale) notes.push(`Predictions, segments and churn risk are from the recompute of ${fmtStamp(run.runAt, tz)}; data changed after it, so they may lag until the next recompute.`);
  else notes.push(`Predictions, segments and churn risk are from the latest recompute (${fmtStamp(run.runAt, tz)}).`);
  const actions = nextSteps(c, base);
  const text: string[] = [subject, "", ...notes, "", ...(actions.length ? ["== What to do this week ==", ...actions.map((a) => `- ${a.text} ${a.href}`), ""] : [])];

  // --- headline numbers
  if (has("kpis")) {
    const rate = (w: ReportContent["thisWeek"]) => (w.activeCustomers > 0 ? w.returningCustomers / w.activeCustomers : null);
    const rows: KpiRow[] = [
      { label: "Revenue", now: Number(c.thisWeek.revenueMinor), prev: Number(c.previousWeek.revenueMinor), ly: Number(c.sameWeekLastYear.revenueMinor), show: (n) => money(BigInt(Math.round(n)), cur) },
      { label: "Orders", now: c.thisWeek.orders, prev: c.previousWeek.orders, ly: c.sameWeekLastYear.orders, show: (n) => n.toLocaleString("en-US") },
      { label: "New customers", now: c.thisWeek.newCustomers, prev: c.previousWeek.newCustomers, ly: c.sameWeekLastYear.newCustomers, show: (n) => n.toLocaleString("en-US") },
      { label: "Repeat rate", note: "buyers of the week who had bought before", now: rate(c.thisWeek), prev: rate(c.previousWeek), ly: rate(c.sameWeekLastYear), show: (n) => `${(n * 100).toFixed(1)}%`, rate: true },
      {
        label: "Average predicted CLV",
        note: "per customer, latest recompute vs the one current a week / a year earlier",
        now: c.model.now?.avgPredictedClvMinor == null ? null : Number(c.model.now.avgPredictedClvMinor),
        prev: c.model.previousWeek?.avgPredictedClvMinor == null ? null : Number(c.model.previousWeek.avgPredictedClvMinor),
        ly: c.model.lastYear?.avgPredictedClvMinor == null ? null : Number(c.model.lastYear.avgPredictedClvMinor),
        show: (n) => money(BigInt(Math.round(n)), cur),
      },
      {
        label: "Customers at risk",
        note: "RFM segments At Risk and Can't Lose Them",
        now: c.model.now?.atRisk ?? null,
        prev: c.model.previousWeek?.atRisk ?? null,
        ly: c.model.lastYear?.atRisk ?? null,
        show: (n) => n.toLocaleString("en-US"),
        lowerIsBetter: true,
      },
    ];
    const cmp = (r: KpiRow, before: number | null) => {
      if (r.now === null || before === null) return null;
      return r.rate ? changePp(r.now, before) : change(r.now, before);
    };
    const colour = (r: KpiRow, a: { arrow: Arrow }) => (a.arrow === "■" ? C.body : (a.arrow === "▲") !== Boolean(r.lowerIsBetter) ? C.good : C.bad);
    const words = (a: { arrow: Arrow }) => (a.arrow === "▲" ? "up" : a.arrow === "▼" ? "down" : "unchanged");
    const tdCmp = (r: KpiRow, before: number | null) => {
      const a = cmp(r, before);
      if (!a || before === null) return `<td style="${cell}text-align:right;color:${C.muted};">—</td>`;
      // The arrow is decorative for screen readers; the words say the direction.
      return `<td style="${cell}text-align:right;color:${colour(r, a)};"><span aria-hidden="true">${a.arrow}</span> ${esc(a.text)}<span style="position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);"> (${words(a)})</span><br><span style="color:${C.muted};">${esc(r.show(before))}</span></td>`;
    };
    const tr = rows
      .map(
        (r) =>
          `<tr><th scope="row" style="${cell}text-align:left;">${esc(r.label)}${r.note ? `<br><span style="font-weight:normal;color:${C.muted};font-size:12px;">${esc(r.note)}</span>` : ""}</th><td style="${cell}text-align:right;"><strong>${r.now === null ? "—" : esc(r.show(r.now))}</strong></td>${tdCmp(r, r.prev)}${tdCmp(r, r.ly)}</tr>`,
      )
      .join("");
    html.push(
      `<tr><td style="padding:8px 24px 16px;background:#ffffff;"><h2 id="kpis" style="${h2}">${REPORT_SECTION_LABELS.kpis}</h2><table width="100%" cellpadding="0" cellspacing="0" style="border-collapse:collapse;"><caption style="text-align:left;padding:0 0 8px;color:${C.muted};font:13px/1.4 ${FONT};">This week vs the previous week and the same week last year</caption><thead><tr><th scope="col" style="${head}">Measure</th><th scope="col" style="${head}text-align:right;">This week</th><th scope="col" style="${head}text-align:right;">vs previous week</th><th scope="col" style="${head}text-align:right;">vs same week last year</th></tr></thead><tbody>${tr}</tbody></table>` +
        `<p style="${para}margin-top:8px;">Average order value this week: <strong>${c.averageOrderValueMinor === null ? "—" : esc(money(c.averageOrderValueMinor, cur))}</strong></p>${button(`${base}/overview`, "Open the overview")}</td></tr>`,
    );
    text.push(`== ${REPORT_SECTION_LABELS.kpis} ==`);
    for (const r of rows) {
      if (r.now === null) {
        text.push(`${r.label}: — (needs a recompute with predictions)`);
        continue;
      }
      const a = cmp(r, r.prev);
      const y = cmp(r, r.ly);
      text.push(
        `${r.label}: ${r.show(r.now)} (${a && r.prev !== null ? `${a.text} vs previous week ${r.show(r.prev)}` : "no previous-week figure"}; ${y && r.ly !== null ? `${y.text} vs same week last year ${r.show(r.ly)}` : "no figure for the same week last year"})`,
      );
    }
    text.push(`Average order value: ${c.averageOrderValueMinor === null ? "—" : money(c.averageOrderValueMinor, cur)}`, `Overview: ${base}/overview`, "");
  }

  // --- charts
  const images = opts.images ?? [];
  if (has("charts") && images.length > 0) {
    const imgs = images
      .map(
        (im) =>
          `<p style="margin:0 0 12px;"><img src="cid:${esc(im.cid)}" width="${im.width}" height="${im.height}" alt="${esc(im.alt)}" style="display:block;width:100%;max-width:${im.width}px;height:auto;border:1px solid ${C.line};border-radius:6px;background:#ffffff;"></p>`,
      )
      .join("");
    html.push(section("charts", REPORT_SECTION_LABELS.charts, `${imgs}<p style="${para}font-size:12px;color:${C.muted};">Every number in the charts is also in the tables of this email.</p>`));
    text.push(`== ${REPORT_SECTION_LABELS.charts} ==`, ...images.map((im) => `- ${im.alt}`), "");
  }

  // --- segment movement
  if (has("segments")) {
    const s = c.segments;
    let inner: string;
    const t: string[] = [`== ${REPORT_SECTION_LABELS.segments} ==`];
    if (!s) {
      inner = `<p style="${para}">Segments appear after the first recompute.</p>`;
      t.push("Segments appear after the first recompute.");
    } else {
      const intro = s.baselineRunAt
        ? `Latest recompute (${fmtDate(s.currentRunAt, tz)}) compared with the one of ${fmtDate(s.baselineRunAt, tz)}.`
        : `Only one recompute so far (${fmtDate(s.currentRunAt, tz)}): movement shows from the next one.`;
      const movers = s.segments.filter((m) => m.customers !== m.previousCustomers).sort((a, b) => Math.abs(b.customers - b.previousCustomers) - Math.abs(a.customers - a.previousCustomers));
      const grew = movers.filter((m) => m.customers > m.previousCustomers).slice(0, 3);
      const shrank = movers.filter((m) => m.customers < m.previousCustomers).slice(0, 3);
      const summary = s.baselineRunAt
        ? `Grew most: ${grew.length ? grew.map(moveLine).join("; ") : "none"}. Shrank most: ${shrank.length ? shrank.map(moveLine).join("; ") : "none"}.`
        : "";
      const basis = s.valueBasis === "predicted" ? "Predicted CLV" : "Value to date";
      const segRows = s.segments
        .filter((m) => m.customers + m.previousCustomers > 0)
        .map((m) => [esc(m.key), m.customers.toLocaleString("en-US"), s.baselineRunAt ? signed(m.customers - m.previousCustomers) : "—"]);
      const tierRows = s.tiers.map((m) => [
        esc(`${m.key.charAt(0).toUpperCase()}${m.key.slice(1)} value`),
        m.customers.toLocaleString("en-US"),
        s.baselineRunAt ? signed(m.customers - m.previousCustomers) : "—",
        esc(money(m.valueMinor, cur)),
        s.baselineRunAt ? esc(`${m.valueMinor >= m.previousValueMinor ? "+" : "−"}${money(m.valueMinor >= m.previousValueMinor ? m.valueMinor - m.previousValueMinor : m.previousValueMinor - m.valueMinor, cur)}`) : "—",
      ]);
      inner =
        `<p style="${para}">${esc(intro)}${summary ? ` ${esc(summary)}` : ""}</p>` +
        table("Customers per RFM segment", ["Segment", "Customers", "Change"], segRows) +
        table(`Value tiers (by ${s.valueBasis === "predicted" ? "predicted CLV" : "value to date"})`, ["Tier", "Customers", "Change", basis, "Change"], tierRows) +
        button(`${base}/segments`, "Open segments");
      t.push(intro, ...(summary ? [summary] : []));
      for (const m of s.tiers) {
        t.push(`${m.key} value tier: ${m.customers} customers (${s.baselineRunAt ? signed(m.customers - m.previousCustomers) : "—"}), ${basis.toLowerCase()} ${money(m.valueMinor, cur)}${s.baselineRunAt ? ` (was ${money(m.previousValueMinor, cur)})` : ""}`);
      }
    }
    html.push(section("segments", REPORT_SECTION_LABELS.segments, inner));
    text.push(...t, `Segments: ${base}/segments`, "");
  }

  // --- at-risk high-value customers
  if (has("at_risk")) {
    const a = c.atRisk;
    const t: string[] = [`== ${REPORT_SECTION_LABELS.at_risk} ==`];
    let inner: string;
    if (!a || !a.predictions) {
      inner = `<p style="${para}">Churn risk needs predictions (a recompute with enough repeat buyers): none yet.</p>`;
      t.push("Churn risk needs predictions (a recompute with enough repeat buyers): none yet.");
    } else if (a.newlyAtRisk === 0) {
      const msg = `No high-value customer turned at risk since the last report (${a.totalAtRisk.toLocaleString("en-US")} at risk in total).`;
      inner = `<p style="${para}">${esc(msg)}</p>`;
      t.push(msg);
    } else {
      const msg = `${a.newlyAtRisk.toLocaleString("en-US")} high-value customer${a.newlyAtRisk === 1 ? "" : "s"} (top fifth by value to date) turned at risk (high churn risk) since the last report${a.newlyAtRisk > a.top.length ? `; the ${a.top.length} who spent most` : ""} (${a.totalAtRisk.toLocaleString("en-US")} at risk in total):`;
      const rows = a.top.map((p) => [
        `<a href="${esc(`${base}/customers/${p.id}`)}" style="${link}">${esc(p.label)}</a>`,
        esc(money(p.valueMinor, cur)),
        p.pAlive === null ? "—" : pct(p.pAlive),
        p.lastOrderAt ? esc(fmtDate(p.lastOrderAt, tz)) : "—",
      ]);
      inner = `<p style="${para}">${esc(msg)}</p>` + table("Newly at risk", ["Customer", "Value to date", "P(alive)", "Last order"], rows) + button(`${base}/customers`, "Open customers");
      t.push(msg, ...a.top.map((p) => `- ${p.label}: value to date ${money(p.valueMinor, cur)}, P(alive) ${p.pAlive === null ? "—" : pct(p.pAlive)}, last order ${p.lastOrderAt ? fmtDate(p.lastOrderAt, tz) : "—"} — ${base}/customers/${p.id}`));
    }
    html.push(section("at-risk", REPORT_SECTION_LABELS.at_risk, inner));
    text.push(...t, `Customers: ${base}/customers`, "");
  }

  // --- campaign leaderboard
  if (has("campaigns")) {
    const k = c.campaigns;
    const t: string[] = [`== ${REPORT_SECTION_LABELS.campaigns} ==`];
    let inner: string;
    if (!k || k.best.length === 0) {
      const msg = k ? `No campaign has enough acquired customers and recorded spend to rank yet (${k.unranked} not ranked).` : "No campaigns yet: record campaigns and their spend to see which pay back.";
      inner = `<p style="${para}">${esc(msg)}</p>`;
      t.push(msg);
    } else {
      const basis = k.basis === "lifetime" ? "lifetime value (to date + predicted 12 months)" : "revenue to date (no predictions yet)";
      const row = (l: (typeof k.best)[number]) => [esc(`${l.label} (${l.channel})`), `${l.ltvToCac.toFixed(2)}×`, l.ltvMinor === null ? "—" : esc(money(l.ltvMinor, cur)), l.cacMinor === null ? "—" : esc(money(l.cacMinor, cur)), l.customers.toLocaleString("en-US")];
      const cols = ["Campaign", "LTV:CAC", "LTV", "CAC", "Customers"];
      inner =
        `<p style="${para}">Ranked by LTV:CAC on ${esc(basis)}${k.unranked ? `; ${k.unranked} campaign${k.unranked === 1 ? "" : "s"} too small or without spend are not ranked` : ""}.</p>` +
        table("Best LTV:CAC", cols, k.best.map(row)) +
        (k.worst.length ? table("Worst LTV:CAC", cols, k.worst.map(row)) : "") +
        button(`${base}/campaigns`, "Open campaigns");
      t.push(`Ranked by LTV:CAC on ${basis}.`, "Best:", ...k.best.map((l) => `- ${l.label} (${l.channel}): ${l.ltvToCac.toFixed(2)}×`), ...(k.worst.length ? ["Worst:", ...k.worst.map((l) => `- ${l.label} (${l.channel}): ${l.ltvToCac.toFixed(2)}×`)] : []));
    }
    html.push(section("campaigns", REPORT_SECTION_LABELS.campaigns, inner));
    text.push(...t, `Campaigns: ${base}/campaigns`, "");
  }

  // --- retention of the newest cohorts
  if (has("retention")) {
    const r = c.retention;
    const t: string[] = [`== ${REPORT_SECTION_LABELS.retention} ==`];
    let inner: string;
    if (!r) {
      inner = `<p style="${para}">Cohort retention appears once a cohort has a complete month after its first.</p>`;
      t.push("Cohort retention appears once a cohort has a complete month after its first.");
    } else {
      const lines = [...r.newest, ...(r.earlier ? [r.earlier] : [])];
      const rows = lines.map((l, i) => [esc(i < r.newest.length ? l.cohort : `Earlier cohorts (${l.cohort})`), l.size.toLocaleString("en-US"), pct(l.retention[0]), pct(l.retention[2]), pct(l.retention[5])]);
      const n0 = r.newest[0]!;
      const summary =
        r.earlier && n0.retention[0] != null && r.earlier.retention[0] != null
          ? `Newest cohort ${n0.cohort}: ${pct(n0.retention[0])} bought again in month 1, vs ${pct(r.earlier.retention[0])} for earlier cohorts (${changePp(n0.retention[0], r.earlier.retention[0]).text}).`
          : `Newest cohort ${n0.cohort}: ${pct(n0.retention[0])} bought again in month 1.`;
      inner =
        `<p style="${para}">${esc(summary)} "—": the month is not complete yet.</p>` +
        table("Share of each cohort buying again", ["Cohort (first order)", "Customers", "Month 1", "Month 3", "Month 6"], rows) +
        button(`${base}/retention`, "Open retention");
      t.push(summary, ...lines.map((l, i) => `- ${i < r.newest.length ? l.cohort : `Earlier cohorts (${l.cohort})`}: ${l.size} customers, month 1 ${pct(l.retention[0])}, month 3 ${pct(l.retention[2])}, month 6 ${pct(l.retention[5])}`));
    }
    html.push(section("retention", REPORT_SECTION_LABELS.retention, inner));
    text.push(...t, `Retention: ${base}/retention`, "");
  }

  const why = "You receive this because you were added to this weekly report of";
  text.push(
    `${why} ${c.workspace.name}.`,
    `Manage your report subscriptions: ${base}/reports`,
    ...(opts.unsubscribeUrl ? [`Unsubscribe: ${opts.unsubscribeUrl}`] : []),
  );

  const out = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="color-scheme" content="light"><meta name="supported-color-schemes" content="light"><title>${esc(subject)}</title></head>
<body style="margin:0;padding:0;background:${C.page};">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="background:${C.page};"><tr><td align="center" style="padding:24px 8px;background:${C.page};">
<table role="presentation" width="600" cellpadding="0" cellspacing="0" style="width:100%;max-width:600px;background:#ffffff;border-radius:8px;">
<tr><td style="padding:24px 24px 4px;background:#ffffff;"><h1 style="margin:0;color:#312e81;font:bold 20px/1.3 ${FONT};">${esc(c.workspace.name)}: your week in customers</h1></td></tr>
<tr><td style="padding:0 24px 12px;background:#ffffff;color:${C.body};font:14px/1.4 ${FONT};">${esc(range)} (${esc(tz)})${opts.test ? " · test send" : ""}</td></tr>
${c.stale ? `<tr><td style="padding:0 24px 12px;background:#ffffff;"><p role="note" style="margin:0;padding:12px;background:#fef3c7;color:#78350f;font:14px/1.4 ${FONT};border-radius:6px;">${esc(notes[0]!)}</p></td></tr>` : ""}
<tr><td style="padding:0 24px 12px;background:#ffffff;color:${C.muted};font:12px/1.5 ${FONT};">${esc(notes.slice(c.stale ? 1 : 0).join(" "))}</td></tr>
${actions.length ? `<tr><td style="padding:0 24px 16px;background:#ffffff;"><h2 id="actions" style="${h2}">What to do this week</h2><ul style="margin:0;padding:0 0 0 20px;color:${C.body};font:14px/1.5 ${FONT};">${actions.map((a) => `<li style="margin:0 0 4px;">${esc(a.text)} <a href="${esc(a.href)}" style="${link}">${esc(a.label)}</a></li>`).join("")}</ul></td></tr>` : ""}
${html.join("\n")}
<tr><td style="padding:16px 24px;background:${C.foot};color:${C.muted};font:12px/1.5 ${FONT};border-radius:0 0 8px 8px;">${esc(why)} ${esc(c.workspace.name)}. <a href="${esc(`${base}/reports`)}" style="${link}">Manage your subscriptions</a>${opts.unsubscribeUrl ? ` · <a href="${esc(opts.unsubscribeUrl)}" style="${link}">Unsubscribe from this report</a>` : ""}</td></tr>
</table></td></tr></table></body></html>`;
  return { subject, html: out, text: text.join("\n") };
}
