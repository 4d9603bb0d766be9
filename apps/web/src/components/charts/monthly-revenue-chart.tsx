"use client";

import { Bar } from "react-chartjs-2";
import type { MonthlyRevenuePoint } from "@valuelens/api";
import { formatMoney } from "~/lib/money";
import { monthLabel, toMonthlyRevenueChart } from "~/lib/monthly-revenue-chart";
import "./register";

export function MonthlyRevenueChart({ points, currency }: { points: MonthlyRevenuePoint[]; currency: string }) {
  const data = toMonthlyRevenueChart(points, currency);
  const money = (v: number) => new Intl.NumberFormat("en-US", { style: "currency", currency, notation: "compact", maximumFractionDigits: 1 }).format(v);
  return (
    <figure>
      <div className="relative h-80">
        <Bar
          role="img"
          aria-label={`Monthly revenue in ${currency}, split into new and returning customers, ${data.labels[0] ?? ""} to ${data.labels[data.labels.length - 1] ?? ""}`}
          data={data}
          options={{
            responsive: true,
            maintainAspectRatio: false,
            interaction: { mode: "index", intersect: false },
            scales: {
              x: { stacked: true, title: { display: true, text: "Month" }, grid: { display: false } },
              y: { stacked: true, beginAtZero: true, title: { display: true, text: `Revenue (${currency})` }, ticks: { callback: (v) => money(Number(v)) } },
            },
            plugins: {
              legend: { position: "bottom" },
              tooltip: {
                callbacks: {
                  label: (ctx) => `${ctx.dataset.label ?? ""}: ${new Intl.NumberFormat("en-US", { style: "currency", currency }).format(Number(ctx.parsed.y))}`,
                  footer: (items) => {
                    const total = items.reduce((s, i) => s + Number(i.parsed.y), 0);
                    return `Total: ${new Intl.NumberFormat("en-US", { style: "currency", currency }).format(total)}`;
                  },
                },
              },
            },
          }}
        />
      </div>
      <details className="mt-3 text-sm">
        <summary className="cursor-pointer font-medium text-brand-700">Show the numbers as a table</summary>
        <div className="mt-2 max-h-72 overflow-auto" tabIndex={0} role="region" aria-label="Monthly revenue table">
          <table className="w-full text-left">
            <caption className="sr-only">Monthly revenue by new and returning customers</caption>
            <thead>
              <tr className="border-b border-slate-200">
                <th scope="col" className="py-1 pr-4">Month</th>
                <th scope="col" className="py-1 pr-4 text-right">New customers</th>
                <th scope="col" className="py-1 pr-4 text-right">Revenue from new</th>
                <th scope="col" className="py-1 pr-4 text-right">Revenue from returning</th>
                <th scope="col" className="py-1 text-right">Orders</th>
              </tr>
            </thead>
            <tbody>
              {points.map((p) => (
                <tr key={p.month} className="border-b border-slate-100">
                  <th scope="row" className="py-1 pr-4 font-normal">{monthLabel(p.month)}</th>
                  <td className="py-1 pr-4 text-right">{p.newCustomers}</td>
                  <td className="py-1 pr-4 text-right">{formatMoney(p.newCustomerRevenueMinor, currency)}</td>
                  <td className="py-1 pr-4 text-right">{formatMoney(p.returningCustomerRevenueMinor, currency)}</td>
                  <td className="py-1 text-right">{p.orders}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
      <figcaption className="sr-only">The two bars of a month add up to its revenue; refunded orders are excluded.</figcaption>
    </figure>
  );
}
