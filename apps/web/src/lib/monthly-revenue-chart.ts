import type { MonthlyRevenuePoint } from "@valuelens/api";
import { minorToMajor } from "./money";

export interface MonthlyRevenueChartData {
  labels: string[];
  datasets: { label: string; data: number[]; backgroundColor: string; stack: string }[];
}

/** "2025-03-01" → "Mar 2025" (UTC, so the label never shifts with the viewer's time zone). */
export function monthLabel(month: string): string {
  const d = new Date(`${month}T00:00:00Z`);
  return d.toLocaleDateString("en-US", { month: "short", year: "numeric", timeZone: "UTC" });
}

/** Rollup points → a stacked bar chart of revenue from new vs returning customers (major units). */
export function toMonthlyRevenueChart(points: MonthlyRevenuePoint[], currency: string): MonthlyRevenueChartData {
  return {
    labels: points.map((p) => monthLabel(p.month)),
    datasets: [
      {
        label: "New customers",
        data: points.map((p) => minorToMajor(p.newCustomerRevenueMinor, currency)),
        backgroundColor: "#4338ca",
        stack: "revenue",
      },
      {
        label: "Returning customers",
        data: points.map((p) => minorToMajor(p.returningCustomerRevenueMinor, currency)),
        backgroundColor: "#0d9488",
        stack: "revenue",
      },
    ],
  };
}
