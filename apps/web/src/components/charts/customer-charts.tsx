"use client";

import { Bar, Line } from "react-chartjs-2";
import { formatMoney, minorToMajor } from "~/lib/money";
import "./register";

interface OrderPoint {
  id: string;
  orderedAt: Date;
  amountMinor: string;
  currency: string;
  refunded: boolean;
}

const day = (d: Date) => d.toISOString().slice(0, 10);

/** Purchase timeline: one bar per order (refunds shown at zero height in the table only). */
export function PurchaseTimelineChart({ orders, currency }: { orders: OrderPoint[]; currency: string }) {
  const kept = orders.filter((o) => !o.refunded && o.currency === currency);
  const money = (v: number) => new Intl.NumberFormat("en-US", { style: "currency", currency, maximumFractionDigits: 0 }).format(v);
  return (
    <figure>
      <div className="relative h-64">
        <Bar
          role="img"
          aria-label={`Purchase timeline: ${kept.length} orders in ${currency}`}
          data={{ labels: kept.map((o) => day(o.orderedAt)), datasets: [{ label: "Order amount", data: kept.map((o) => minorToMajor(o.amountMinor, currency)), backgroundColor: "#0d9488" }] }}
          options={{
            responsive: true,
            maintainAspectRatio: false,
            scales: {
              x: { title: { display: true, text: "Order date" }, grid: { display: false } },
              y: { beginAtZero: true, title: { display: true, text: `Amount (${currency})` }, ticks: { callback: (v) => money(Number(v)) } },
            },
            plugins: {
              legend: { display: false },
              tooltip: { callbacks: { label: (ctx) => `Order amount: ${new Intl.NumberFormat("en-US", { style: "currency", currency }).format(Number(ctx.parsed.y))}` } },
            },
          }}
        />
      </div>
      <details className="mt-3 text-sm">
        <summary className="cursor-pointer font-medium text-brand-700">Show the orders as a table</summary>
        <div className="mt-2 max-h-72 overflow-auto" tabIndex={0} role="region" aria-label="Orders table">
          <table className="w-full text-left">
            <thead>
              <tr className="border-b border-slate-200">
                <th scope="col" className="py-1 pr-4">Date</th>
                <th scope="col" className="py-1 pr-4">Order</th>
                <th scope="col" className="py-1 pr-4 text-right">Amount</th>
                <th scope="col" className="py-1">Refunded</th>
              </tr>
            </thead>
            <tbody>
              {orders.map((o) => (
                <tr key={o.id} className="border-b border-slate-100">
                  <td className="py-1 pr-4">{day(o.orderedAt)}</td>
                  <td className="py-1 pr-4">{o.id.slice(0, 8)}</td>
                  <td className="py-1 pr-4 text-right">{formatMoney(o.amountMinor, o.currency)}</td>
                  <td className="py-1">{o.refunded ? "yes" : "no"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}

/** P(alive) as the model saw the customer over time: rises after each purchase, decays in silence. */
export function AlivePathChart({ points }: { points: { day: string; pAlive: number }[] }) {
  return (
    <figure>
      <div className="relative h-64">
        <Line
          role="img"
          aria-label={`Probability the customer is still active, from ${points[0]?.day ?? ""} to ${points[points.length - 1]?.day ?? ""}`}
          data={{
            labels: points.map((p) => p.day),
            datasets: [{ label: "P(alive)", data: points.map((p) => p.pAlive * 100), borderColor: "#4338ca", backgroundColor: "rgba(67,56,202,0.1)", fill: true, stepped: false, pointRadius: 2 }],
          }}
          options={{
            responsive: true,
            maintainAspectRatio: false,
            scales: {
              x: { title: { display: true, text: "Date" }, grid: { display: false } },
              y: { min: 0, max: 100, title: { display: true, text: "P(alive) (%)" }, ticks: { callback: (v) => `${Number(v)} %` } },
            },
            plugins: { legend: { display: false }, tooltip: { callbacks: { label: (ctx) => `P(alive): ${Number(ctx.parsed.y).toFixed(1)} %` } } },
          }}
        />
      </div>
      <details className="mt-3 text-sm">
        <summary className="cursor-pointer font-medium text-brand-700">Show the numbers as a table</summary>
        <table className="mt-2 w-full text-left">
          <thead>
            <tr className="border-b border-slate-200">
              <th scope="col" className="py-1 pr-4">Date</th>
              <th scope="col" className="py-1 text-right">P(alive)</th>
            </tr>
          </thead>
          <tbody>
            {points.map((p, i) => (
              <tr key={`${p.day}-${i}`} className="border-b border-slate-100">
                <td className="py-1 pr-4">{p.day}</td>
                <td className="py-1 text-right">{(p.pAlive * 100).toFixed(1)} %</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
