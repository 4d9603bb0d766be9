import { describe, expect, test } from "vitest";
import { formatPayback, formatRoi, monthRange, rankRows, toPaybackCurves, type ComparedCampaign, type GroupMetrics } from "./campaigns";

const row = (label: string, customers: number, ltvToCac: number | null): GroupMetrics =>
  ({ key: label, kind: "campaign", label, channel: "x", spendMinor: "100", customers, lowConfidence: customers < 30, cacMinor: "10", ltvToCac, roi: null, paybackMonths: null, paybackSource: null, repeatRate: null, retention90: null, ltvMinor: null }) as unknown as GroupMetrics;

describe("campaigns page helpers", () => {
  test("low-confidence rows are never ranked and come after ranked ones", () => {
    const r = rankRows([row("a", 40, 2), row("b", 10, 9), row("c", 50, 3), row("d", 60, null)], "ltvToCac", "desc");
    expect(r.map((x) => [x.row.label, x.rank])).toEqual([["c", 1], ["a", 2], ["d", 3], ["b", null]]);
    expect(rankRows([row("a", 40, 2), row("c", 50, 3)], "ltvToCac", "asc").map((x) => x.row.label)).toEqual(["a", "c"]);
  });
  test("payback and ROI wording", () => {
    expect(formatPayback({ customers: 5, cacMinor: "0", paybackMonths: 0, paybackSource: "actual" })).toBe("no cost");
    expect(formatPayback({ customers: 5, cacMinor: "10", paybackMonths: 4, paybackSource: "predicted" })).toBe("4 mo (predicted)");
    expect(formatPayback({ customers: 5, cacMinor: "10", paybackMonths: null, paybackSource: null })).toBe("not yet");
    expect(formatRoi(0.4)).toBe("+40%");
    expect(formatRoi(-0.58)).toBe("-58%");
  });
  test("curves: observed solid then predicted dashed joined at the last observed month, plus a CAC line", () => {
    const c = { label: "A", curve: { key: "a", label: "A", cacMinor: 5000, curve: [3500, 4500, 5200], actualMonths: 2, paybackMonths: 3, paybackSource: "predicted" } } as unknown as ComparedCampaign;
    const d = toPaybackCurves([c], "USD");
    expect(d.labels).toEqual(["1", "2", "3"]);
    expect(d.datasets.map((s) => s.label)).toEqual(["A", "A — predicted", "A — CAC"]);
    expect(d.datasets[0]!.data).toEqual([35, 45, null]);
    expect(d.datasets[1]!.data).toEqual([null, 45, 52]);
    expect(d.datasets[2]!.data).toEqual([50, 50, 50]);
  });
  test("month range is inclusive", () => {
    expect(monthRange("2024-11", "2025-02")).toEqual(["2024-11", "2024-12", "2025-01", "2025-02"]);
    expect(monthRange(null, "2025-02")).toEqual([]);
  });
});
