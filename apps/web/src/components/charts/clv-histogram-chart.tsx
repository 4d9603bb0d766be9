"use client";

import { Bar } from "react-chartjs-2";
import { formatMoney } from "~/lib/money";
import "./register";

/** Distribution of predicted 12-month CLV (bins computed by the recompute job; the last bin is open-ended). */
export function ClvHistogramChart({ bins, currency }: { bins: { fromMinor: string; toMinor: string; customers: number }[]; currency: string }) {
  const label = (b: (typeof bins)[number], i: number) =>
    i === bins.length - 1 ? `${formatMoney(b.fromMinor, currency, { compact: true })}+` : `${formatMoney(b.fromMinor, currency, { compact: true })}–${formatMoney(b.toMinor, currency, { compact: true })}`;
  return (
    <figure>
      <div className="relative h-72">
        <Bar
          role="img"
          aria-label={`Number of customers by predicted 12-month CLV in ${currency}`}
          data={{ labels: bins.map(label), datasets: [{ label: "Customers", data: bins.map((b) => b.customers), backgroundColor: "#4338ca" }] }}
          options={{
            responsive: true,
            maintainAspectRatio: false,
            scales: {
              x: { title: { display: true, text: `Predicted 12-month CLV (${currency})` }, grid: { display: false } },
              y: { beginAtZero: true, title: { display: true, text: "Customers" } },
            },
            plugins: {
              legend: { display: false },
              tooltip: { callbacks: { label: (ctx) => `${Number(ctx.parsed.y).toLocaleString("en-US")} customers` } },
            },
          }}
        />
      </div>
      <details className="mt-3 text-sm">
        <summary className="cursor-pointer font-medium text-brand-700">Show the numbers as a table</summary>
        <table className="mt-2 w-full text-left">
          <thead>
            <tr className="border-b border-slate-200">
              <th scope="col" className="py-1 pr-4">Predicted CLV</th>
              <th scope="col" className="py-1 text-right">Customers</th>
            </tr>
          </thead>
          <tbody>
            {bins.map((b, i) => (
              <tr key={i} className="border-b border-slate-100">
                <td className="py-1 pr-4">{label(b, i)}</td>
                <td className="py-1 text-right">{b.customers.toLocaleString("en-US")}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
