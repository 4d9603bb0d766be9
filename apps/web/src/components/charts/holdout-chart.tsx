"use client";

import { Bar } from "react-chartjs-2";
import { binLabel, toHoldoutChart, type HoldoutBinDto } from "~/lib/predictions";
import "./register";

/** Holdout check: mean actual vs predicted purchases in the holdout period, per calibration-frequency bin. */
export function HoldoutChart({ bins, holdoutDays }: { bins: HoldoutBinDto[]; holdoutDays: number }) {
  const data = toHoldoutChart(bins);
  return (
    <figure>
      <div className="relative h-72">
        <Bar
          role="img"
          aria-label={`Mean purchases in the ${holdoutDays}-day holdout period, actual vs predicted, by number of repeat purchases before it`}
          data={data}
          options={{
            responsive: true,
            maintainAspectRatio: false,
            interaction: { mode: "index", intersect: false },
            scales: {
              x: { title: { display: true, text: "Repeat purchases in the calibration period" }, grid: { display: false } },
              y: { beginAtZero: true, title: { display: true, text: "Purchases per customer" } },
            },
            plugins: {
              legend: { position: "bottom" },
              tooltip: {
                callbacks: {
                  title: (items) => {
                    const b = bins[items[0]?.dataIndex ?? 0];
                    return b ? `${binLabel(b.bin, bins.length - 1)} repeat purchases (${b.customers.toLocaleString("en-US")} customers)` : "";
                  },
                  label: (ctx) => `${ctx.dataset.label ?? ""}: ${Number(ctx.parsed.y).toFixed(2)} purchases per customer`,
                },
              },
            },
          }}
        />
      </div>
      <details className="mt-3 text-sm">
        <summary className="cursor-pointer font-medium text-brand-700">Show the numbers as a table</summary>
        <table className="mt-2 w-full text-left">
          <caption className="sr-only">Holdout purchases per customer, actual vs predicted</caption>
          <thead>
            <tr className="border-b border-slate-200">
              <th scope="col" className="py-1 pr-4">Repeat purchases before</th>
              <th scope="col" className="py-1 pr-4 text-right">Customers</th>
              <th scope="col" className="py-1 pr-4 text-right">Actual</th>
              <th scope="col" className="py-1 text-right">Predicted</th>
            </tr>
          </thead>
          <tbody>
            {bins.map((b) => (
              <tr key={b.bin} className="border-b border-slate-100">
                <th scope="row" className="py-1 pr-4 font-normal">{binLabel(b.bin, bins.length - 1)}</th>
                <td className="py-1 pr-4 text-right">{b.customers.toLocaleString("en-US")}</td>
                <td className="py-1 pr-4 text-right">{b.actual.toFixed(2)}</td>
                <td className="py-1 text-right">{b.predicted.toFixed(2)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
