import type { CohortMatrix, CohortRow, RetentionCurve } from "@valuelens/api";
import { describe, expect, it } from "vitest";
import { cohortLabel, curvesToCsv, heatCells, heatColor, ltvForecast, ltvToCsv, matrixToCsv, paybackMonth, periodTrend, ratesToCsv, scaleMax, toLtvChart, toRetentionCurveChart } from "./retention";

const cell = (period: number, active: number, revenueMinor: string, incomplete = false) => ({ period, active, revenueMinor, marginMinor: String(Number(revenueMinor) / 2), incomplete });

const rowA: CohortRow = { group: "", groupLabel: "All customers", cohort: "2025-01-01", size: 10, cacMinor: "1500", cells: [cell(0, 10, "10000"), cell(1, 4, "5000"), cell(2, 2, "3000", true)], forecast: null };
const rowB: CohortRow = { group: "", groupLabel: "All customers", cohort: "2025-02-01", size: 4, cacMinor: null, cells: [cell(0, 4, "2000"), cell(1, 1, "800", true)], forecast: null };
const matrix: CohortMatrix = { currency: "USD", grain: "month", split: "none", group: "", lastDataMonth: "2025-03-01", window: null, rows: [rowA, rowB] };

describe("retention page transformations", () => {
  it("labels months and quarters in UTC", () => {
    expect(cohortLabel("2025-01-01", "month")).toBe("Jan 2025");
    expect(cohortLabel("2025-04-01", "quarter")).toBe("Q2 2025");
    expect(cohortLabel("2025-04-07", "week")).toBe("Wk of Apr 7, 2025");
  });

  it("shows share active or revenue per original customer, keeping the incomplete flag", () => {
    expect(heatCells(rowA, "active", "USD").map((c) => [c.text, c.incomplete])).toEqual([["100.0%", false], ["40.0%", false], ["20.0%", true]]);
    expect(heatCells(rowA, "revenue", "USD").map((c) => c.text)).toEqual(["$10.00", "$5.00", "$3.00"]);
  });

  it("scales colours on complete cells after period 0, so incomplete periods never set the scale", () => {
    expect(scaleMax(matrix, "active")).toBeCloseTo(0.4);
    expect(scaleMax(matrix, "revenue")).toBeCloseTo(10);
    expect(heatColor(0, 1).background).toBe("rgb(239, 246, 255)");
    expect(heatColor(1, 1)).toEqual({ background: "rgb(30, 58, 138)", color: "#ffffff" });
    expect(heatColor(0, 1).color).toBe("#000000");
    // every step of the scale keeps WCAG AA contrast (4.5:1) with its text colour
    const lum = (c: number[]) => 0.2126 * f(c[0]!) + 0.7152 * f(c[1]!) + 0.0722 * f(c[2]!);
    const f = (v: number) => (v / 255 <= 0.03928 ? v / 255 / 12.92 : ((v / 255 + 0.055) / 1.055) ** 2.4);
    for (let i = 0; i <= 100; i++) {
      const h = heatColor(i / 100, 1);
      const L = lum(h.background.slice(4, -1).split(", ").map(Number));
      expect(h.color === "#ffffff" ? 1.05 / (L + 0.05) : (L + 0.05) / 0.05).toBeGreaterThanOrEqual(4.5);
    }
  });

  it("exports every cell as CSV and neutralises formula-like labels", () => {
    const csv = matrixToCsv({ ...matrix, rows: [{ ...rowA, groupLabel: "=HYPERLINK(\"x\")" }, rowB] });
    const lines = csv.trimEnd().split("\r\n");
    expect(lines[0]).toBe("group,cohort,cohort_size,cac_USD,p0_active,p0_revenue_USD,p0_incomplete,p1_active,p1_revenue_USD,p1_incomplete,p2_active,p2_revenue_USD,p2_incomplete");
    expect(lines[1]).toBe(`"'=HYPERLINK(""x"")",2025-01-01,10,15,10,100,false,4,50,false,2,30,true`);
    expect(lines[2]).toBe("All customers,2025-02-01,4,,4,20,false,1,8,true,,,");
    expect(matrixToCsv({ ...matrix, rows: [{ ...rowB, groupLabel: "＋cmd" }] })).toContain("'＋cmd");
  });

  it("builds cumulative LTV per customer over complete months, with a flat CAC line and the payback month", () => {
    const d = toLtvChart([rowA, rowB], "USD", "revenue");
    expect(d.labels).toEqual(["0", "1"]);
    expect(d.datasets[0]!.data).toEqual([10, 15]);
    expect(d.datasets[1]!.label).toBe("Jan 2025 CAC");
    expect(d.datasets[1]!.data).toEqual([15, 15]);
    expect(d.datasets[2]!.data).toEqual([5, null]);
    expect(paybackMonth(rowA, "revenue")).toBe(1);
    expect(paybackMonth(rowA, "margin")).toBeNull();
    expect(paybackMonth(rowB, "revenue")).toBeNull();
  });

  // rowA has 180.00 of revenue so far (10 customers); the models expect 20.00 more in month 1, 50.00 by month 3, 110.00 by month 12 (range 60.00–220.00).
  const forecastA: CohortRow = { ...rowA, forecast: { scored: 9, m1Minor: "2000", m3Minor: "5000", m12Minor: "11000", lowMinor: "6000", highMinor: "22000" } };

  it("projects cohort LTV from the data cut-off with the models' 1/3/12-month forecast and its range", () => {
    const f = ltvForecast(forecastA, "USD", "revenue");
    expect(f.map((p) => p.month)).toEqual(Array.from({ length: 13 }, (_, j) => 2 + j)); // anchored at the incomplete month 2
    expect(f[0]).toEqual({ month: 2, value: 18, low: 18, high: 18 });
    expect(f[1]!.value).toBeCloseTo(20); // + 20.00 / 10 customers
    expect(f[2]!.value).toBeCloseTo(21.5); // halfway to month 3
    expect(f[3]!.value).toBeCloseTo(23);
    expect(f[12]!.value).toBeCloseTo(29);
    expect(f[12]!.low).toBeCloseTo(18 + 6);
    expect(f[12]!.high).toBeCloseTo(18 + 22);
    for (let j = 1; j < f.length; j++) expect(f[j]!.value).toBeGreaterThan(f[j - 1]!.value);
    // margin: the revenue forecast × the cohort's margin share so far (50 %)
    expect(ltvForecast(forecastA, "USD", "margin")[12]!.value).toBeCloseTo(9 + 5.5);
    expect(ltvForecast(rowA, "USD", "revenue")).toEqual([]);
    const d = toLtvChart([forecastA], "USD", "revenue");
    expect(d.labels).toHaveLength(3 + 12);
    expect(d.datasets.map((x) => x.label)).toEqual(["Jan 2025 revenue per customer", "Jan 2025 forecast band low", "Jan 2025 forecast 80% range", "Jan 2025 forecast", "Jan 2025 CAC"]);
    expect(d.datasets[3]!.data[1]).toBeNull();
    expect(d.datasets[3]!.data[14]).toBeCloseTo(29);
    expect(d.datasets[3]!.borderDash).toEqual([6, 4]);
  });

  it("exports curves, cohort LTV and key rates as formula-safe CSV", () => {
    const c: RetentionCurve = { group: "x", groupLabel: "@evil", cohort: "2025-01-01", size: 100, observed: [1, 0.6], fit: { alpha: 1, beta: 2, alphaSe: null, betaSe: null }, projection: [{ month: 0, survival: 1, low: 1, high: 1 }, { month: 1, survival: 0.65, low: 0.6, high: 0.7 }, { month: 2, survival: 0.5, low: 0.45, high: 0.55 }] };
    const curves = curvesToCsv([c], 3).trimEnd().split("\r\n");
    expect(curves[0]).toBe("group,cohort,cohort_size,month,observed_active_share_3m_gap,projected_share_sbg,band_low_p10,band_high_p90,sbg_alpha,sbg_beta");
    expect(curves.slice(1)).toEqual(["'@evil,2025-01-01,100,0,1,1,1,1,1,2", "'@evil,2025-01-01,100,1,0.6,0.65,0.6,0.7,1,2", "'@evil,2025-01-01,100,2,,0.5,0.45,0.55,1,2"]);
    const ltv = ltvToCsv([{ ...forecastA, groupLabel: "-1+2" }], "USD", "revenue").trimEnd().split("\r\n");
    expect(ltv[0]).toBe("group,cohort,cohort_size,month,kind,cumulative_revenue_per_customer_USD,range_low_USD,range_high_USD,cac_USD");
    expect(ltv[1]).toBe("'-1+2,2025-01-01,10,0,observed,10,,,15");
    expect(ltv[2]).toBe("'-1+2,2025-01-01,10,1,observed,15,,,15");
    expect(ltv[3]!.startsWith("'-1+2,2025-01-01,10,3,forecast,20,")).toBe(true);
    expect(ltv).toHaveLength(1 + 2 + 12);
    const rates = ratesToCsv(
      { repeat: [{ months: 1, rate: 0.25, trend: [{ cohort: "2025-01-01", rate: 0.25, size: 8 }] }], averageDaysBetweenOrders: 40, averageDaysTrend: [{ cohort: "2025-01-01", days: 40, customers: 2 }], lastDataMonth: "2025-03-01" },
      [{ month: "2025-02-01", churn: 0.1, atRisk: 50 }],
      3,
    ).trimEnd().split("\r\n");
    expect(rates).toEqual(["series,period,value,base", "monthly_churn_3m_gap,2025-02-01,0.1,50", "repeat_within_1m_all_cohorts,,0.25,", "repeat_within_1m,2025-01-01,0.25,8", "days_between_orders_all,,40,", "days_between_orders,2025-01-01,40,2"]);
  });

  it("trends retention at period N across cohorts, skipping incomplete periods", () => {
    expect(periodTrend(matrix, 1)).toEqual([{ cohort: "2025-01-01", value: 0.4 }]);
  });

  it("draws observed curves solid and projections dashed from the last observed month, with a filled band", () => {
    const c: RetentionCurve = {
      group: "", groupLabel: "All customers", cohort: "2025-01-01", size: 100, observed: [1, 0.6, 0.5],
      fit: { alpha: 1, beta: 2, alphaSe: 0.1, betaSe: 0.2 },
      projection: [0, 1, 2, 3].map((t) => ({ month: t, survival: 1 - t * 0.2, low: 1 - t * 0.25, high: 1 - t * 0.15 })),
    };
    const d = toRetentionCurveChart([c], 3);
    expect(d.datasets.map((x) => x.label)).toEqual(["Jan 2025 observed", "Jan 2025 band low", "Jan 2025 80% band", "Jan 2025 projected (sBG)"]);
    expect(d.datasets[0]!.data).toEqual([100, 60, 50, null]);
    expect(d.datasets[3]!.data[0]).toBeNull();
    expect(d.datasets[3]!.data[2]).toBeCloseTo(60);
    expect(d.datasets[3]!.borderDash).toEqual([6, 4]);
    expect(d.datasets[2]!.fill).toBe("-1");
  });
});
