import { describe, expect, it } from "vitest";
import { formatMoney, minorToMajor, currencyDigits } from "./money";
import { toMonthlyRevenueChart, monthLabel } from "./monthly-revenue-chart";

describe("money display", () => {
  it("respects each currency's minor units (JPY has none)", () => {
    expect(currencyDigits("USD")).toBe(2);
    expect(currencyDigits("JPY")).toBe(0);
    expect(minorToMajor("12345", "USD")).toBe(123.45);
    expect(minorToMajor("500", "JPY")).toBe(500);
    expect(formatMoney("123456", "USD")).toBe("$1,234.56");
    expect(formatMoney("500", "JPY")).toBe("¥500");
  });
  it("formats big values exactly from bigint strings", () => {
    expect(formatMoney("900719925474099300", "USD")).toMatch(/^\$9,007,199,254,740,99\d\.\d\d$/);
  });
});

describe("monthly revenue chart data", () => {
  it("stacks new and returning revenue in major units with UTC month labels", () => {
    const d = toMonthlyRevenueChart(
      [
        { month: "2025-01-01", orders: 3, newCustomers: 2, newCustomerRevenueMinor: "1500", returningCustomerRevenueMinor: "0" },
        { month: "2025-02-01", orders: 1, newCustomers: 0, newCustomerRevenueMinor: "0", returningCustomerRevenueMinor: "2599" },
      ],
      "USD",
    );
    expect(d.labels).toEqual(["Jan 2025", "Feb 2025"]);
    expect(d.datasets.map((s) => s.data)).toEqual([
      [15, 0],
      [0, 25.99],
    ]);
    expect(monthLabel("2025-12-01")).toBe("Dec 2025");
  });
});
