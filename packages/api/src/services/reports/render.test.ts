import { describe, expect, it } from "vitest";
import type { ReportContent, WeekNumbers } from "./content.ts";
import { renderReport } from "./render.ts";

const wk = (revenueMinor: bigint, orders: number, newCustomers: number, activeCustomers: number, returningCustomers: number): WeekNumbers => ({
  revenueMinor,
  orders,
  newCustomers,
  activeCustomers,
  returningCustomers,
});

function content(over: Partial<ReportContent> = {}): ReportContent {
  return {
    workspace: { id: "w", name: 'Shop <script>alert("x")</script>', slug: "shop", currency: "EUR", timezone: "Europe/Paris" },
    sections: ["kpis", "segments", "at_risk", "campaigns", "retention"],
    period: { from: new Date("2026-03-22T23:00:00Z"), to: new Date("2026-03-29T22:00:00Z"), periodStart: "2026-03-23", timezone: "Europe/Paris" },
    thisWeek: wk(150_000n, 30, 10, 25, 15),
    previousWeek: wk(100_000n, 20, 10, 20, 10),
    sameWeekLastYear: wk(0n, 0, 0, 0, 0),
    model: {
      now: { runAt: new Date("2026-03-30T02:00:00Z"), customers: 100, avgPredictedClvMinor: 12_000n, atRisk: 12 },
      previousWeek: { runAt: new Date("2026-03-23T02:00:00Z"), customers: 95, avgPredictedClvMinor: 10_000n, atRisk: 10 },
      lastYear: null,
    },
    averageOrderValueMinor: 5_000n,
    dataAsOf: new Date("2026-03-30T01:00:00Z"),
    stale: false,
    modelStale: false,
    weekly: [],
    segments: {
      currentRunAt: new Date("2026-03-30T02:00:00Z"),
      baselineRunAt: new Date("2026-03-23T02:00:00Z"),
      valueBasis: "predicted",
      segments: [
        { key: "Champions", customers: 12, previousCustomers: 10, valueMinor: 0n, previousValueMinor: 0n },
        { key: "Lost", customers: 3, previousCustomers: 7, valueMinor: 0n, previousValueMinor: 0n },
      ],
      tiers: [{ key: "high", customers: 20, previousCustomers: 19, valueMinor: 500_000n, previousValueMinor: 450_000n }],
    },
    atRisk: { newlyAtRisk: 1, totalAtRisk: 4, predictions: true, top: [{ id: "c1", label: "Ana <b>", valueMinor: 90_000n, predictedClvMinor: 100n, pAlive: 0.12, lastOrderAt: new Date("2025-11-02T10:00:00Z") }] },
    campaigns: {
      basis: "lifetime",
      best: [{ id: "a", label: "Search", channel: "paid_search", customers: 40, ltvToCac: 4.5, cacMinor: 2_000n, ltvMinor: 9_000n }],
      worst: [{ id: "b", label: "Display", channel: "display", customers: 35, ltvToCac: 0.8, cacMinor: 5_000n, ltvMinor: 4_000n }],
      unranked: 2,
    },
    retention: {
      newest: [{ cohort: "2026-02", size: 40, retention: [0.1, null, null, null, null, null] }],
      earlier: { cohort: "2025-02 – 2026-01", size: 400, retention: [0.2, 0.15, 0.12, 0.1, 0.1, 0.09] },
    },
    ...over,
  };
}

describe("weekly report rendering", () => {
  const r = renderReport(content(), "https://app.example", { unsubscribeUrl: "https://app.example/unsubscribe?t=abc.def" });

  it("escapes names from users in the HTML part", () => {
    expect(r.html).not.toContain("<script>");
    expect(r.html).toContain("Shop &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
    expect(r.html).toContain("Ana &lt;b&gt;");
  });

  it("gives per cent changes for amounts, percentage points for rates, and colours fewer at-risk customers as bad news", () => {
    expect(r.text).toContain("Revenue: €1,500.00 (+50.0% vs previous week €1,000.00; new vs same week last year €0.00)");
    expect(r.text).toContain("Repeat rate: 60.0% (+10.0 pp vs previous week 50.0%; no figure for the same week last year)");
    expect(r.text).toContain("Average predicted CLV: €120.00 (+20.0% vs previous week €100.00; no figure for the same week last year)");
    // More customers at risk is an increase drawn in red (#b91c1c), with words for screen readers.
    expect(r.html).toMatch(/color:#b91c1c;"><span aria-hidden="true">▲<\/span> \+20\.0%<span[^>]*> \(up\)<\/span>/);
  });

  it("lists what to do, from the figures", () => {
    expect(r.text).toContain("== What to do this week ==");
    expect(r.text).toContain("- Win back 1 high-value customer who turned at risk (list below) before they lapse. https://app.example/w/shop/customers");
    expect(r.text).toContain("- Consider moving budget from Display (LTV:CAC 0.80×) toward Search (4.50×). https://app.example/w/shop/campaigns");
    expect(r.text).toContain("- The newest cohort (2026-02) buys again less than earlier ones in its first month (-10.0 pp): review second-purchase offers.");
    const calm = renderReport(content({ atRisk: { newlyAtRisk: 0, totalAtRisk: 4, predictions: true, top: [] }, campaigns: null, retention: null }), "https://app.example");
    expect(calm.text).not.toContain("What to do");
  });

  it("leaves out sections the schedule does not ask for, and has no images without the charts section", () => {
    const only = renderReport(content({ sections: ["kpis"] }), "https://app.example");
    expect(only.text).not.toContain("== Segment movement ==");
    expect(only.html).not.toContain('id="segments"');
    expect(only.html).not.toContain("<img");
    expect(only.text).not.toContain("Win back"); // actions follow the chosen sections
  });

  it("says when there is no recompute yet or data is stale, and keeps links in both parts", () => {
    const s = renderReport(content({ stale: true, model: { now: null, previousWeek: null, lastYear: null }, segments: null }), "https://app.example");
    expect(s.text).toMatch(/^Heads-up: no new data reached ValueLens since this week ended/m);
    expect(s.text).toContain("No recompute has finished yet");
    expect(s.text).toContain("Average predicted CLV: — (needs a recompute with predictions)");
    expect(s.text).toContain("Segments appear after the first recompute.");
    expect(r.text).toContain("Unsubscribe: https://app.example/unsubscribe?t=abc.def");
    expect(r.html).toContain('href="https://app.example/unsubscribe?t=abc.def"');
    expect(r.html).toContain('href="https://app.example/w/shop/customers/c1"');
  });

  it("sets explicit text and background colours on every table cell (dark-mode clients invert unstyled cells)", () => {
    const cells = [...r.html.matchAll(/<(td|th)\b[^>]*>/g)].map((m) => m[0]);
    expect(cells.length).toBeGreaterThan(20);
    for (const c of cells) if (!c.includes('role="presentation"')) expect(c, c).toMatch(/background:#[0-9a-f]{6};/);
  });
});
