import { describe, expect, it } from "vitest";
import { formatDelta, formatMoneyShort, formatMeasure, formatPp, majorToMinor, measureValue, minorToInput, tierRuleText } from "./rfm-tiers";

describe("segments helpers", () => {
  it("converts typed amounts to minor units exactly, per currency digits", () => {
    expect(majorToMinor("1000", "USD")).toBe("100000");
    expect(majorToMinor("1,250.5", "USD")).toBe("125050");
    expect(majorToMinor("0.07", "USD")).toBe("7");
    expect(majorToMinor("1500", "JPY")).toBe("1500");
    expect(majorToMinor("1.5", "JPY")).toBeNull();
    expect(majorToMinor("1.234", "USD")).toBeNull();
    expect(majorToMinor("-5", "USD")).toBeNull();
    expect(majorToMinor("abc", "USD")).toBeNull();
    expect(minorToInput("100000", "USD")).toBe("1000.00");
  });

  it("reads and formats the map's measures; missing predictions stay empty", () => {
    const cell = { customers: 1234, revenueMinor: "500000", avgPredictedClvMinor: null, avgPAlive: 0.456 };
    expect(measureValue(cell, "customers")).toBe(1234);
    expect(measureValue(cell, "avgPredictedClv")).toBeNull();
    expect(formatMeasure(measureValue(cell, "revenue"), "revenue", "USD")).toBe("$5,000.00");
    expect(formatMeasure(measureValue(cell, "avgPAlive"), "avgPAlive", "USD")).toBe("46%");
    expect(formatMeasure(null, "avgPredictedClv", "USD")).toBe("—");
  });

  it("shortens money in map cells", () => {
    expect(formatMoneyShort("850", "USD")).toBe("$8.50");
    expect(formatMoneyShort("12149", "USD")).toBe("$121");
    expect(formatMoneyShort("1234567", "USD")).toBe("$12.3K");
    expect(formatMoneyShort("500", "JPY")).toBe("¥500");
  });

  it("formats changes with signs and percentage points", () => {
    expect(formatDelta(12)).toBe("+12");
    expect(formatDelta(-1200)).toBe("−1,200");
    expect(formatDelta(0)).toBe("0");
    expect(formatPp(0.0123)).toBe("+1.2 pp");
    expect(formatPp(-0.004)).toBe("−0.4 pp");
    expect(formatPp(0.0001)).toBe("0.0 pp");
  });

  it("describes tier rules in words", () => {
    const p = { v: 1, by: "percentile", high: 0.8, medium: 0.5 } as const;
    expect(tierRuleText(p, "high", "USD")).toBe("≥ 80th percentile (top 20 %)");
    expect(tierRuleText(p, "medium", "USD")).toBe("50th to under 80th percentile");
    expect(tierRuleText(p, "low", "USD")).toBe("below 50th percentile");
    expect(tierRuleText({ v: 1, by: "percentile", high: 0.91, medium: 0.22 }, "high", "USD")).toBe("≥ 91st percentile (top 9 %)");
    const a = { v: 1, by: "amount", highMinor: "100000", mediumMinor: "20000" } as const;
    expect(tierRuleText(a, "high", "USD")).toBe("≥ $1,000.00");
    expect(tierRuleText(a, "medium", "USD")).toBe("$200.00 to under $1,000.00");
    expect(tierRuleText(a, "low", "USD")).toBe("under $200.00");
  });
});
