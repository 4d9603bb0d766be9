"use client";

import { Line } from "react-chartjs-2";
import "./register";

export interface TrackingPointDto {
  day: number;
  actual: number;
  predicted: number;
}

function dateAfter(calibrationEnd: string, days: number): string {
  const d = new Date(`${calibrationEnd}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/**
 * Cumulative tracking of the holdout period: repeat purchases since the calibration end, actual vs
 * what the model fitted on the calibration data expected (Fader, Hardie & Lee 2005, Fig. 2 style).
 */
export function TrackingChart({ points, calibrationEnd }: { points: TrackingPointDto[]; calibrationEnd: string }) {
  const labels = points.map((p) => p.day);
  return (
    <figure>
      <div className="relative h-72">
        <Line
          role="img"
          aria-label={`Cumulative repeat purchases after ${calibrationEnd}, actual vs predicted by the model, over ${points.at(-1)?.day ?? 0} days`}
          data={{
            labels,
            datasets: [
              { label: "Actual", data: points.map((p) => p.actual), borderColor: "#1d4ed8", backgroundColor: "#1d4ed8", pointRadius: 0, borderWidth: 2 },
              {
                label: "Predicted",
                data: points.map((p) => p.predicted),
                borderColor: "#b45309",
                backgroundColor: "#b45309",
                borderDash: [6, 4],
                pointRadius: 0,
                borderWidth: 2,
              },
            ],
          }}
          options={{
            responsive: true,
            maintainAspectRatio: false,
            interaction: { mode: "index", intersect: false },
            scales: {
              x: { type: "linear", min: 0, title: { display: true, text: `Days after the calibration end (${calibrationEnd})` } },
              y: { beginAtZero: true, title: { display: true, text: "Cumulative repeat purchases" } },
            },
            plugins: {
              legend: { position: "bottom" },
              tooltip: {
                callbacks: {
                  title: (items) => {
                    const p = points[items[0]?.dataIndex ?? 0];
                    return p ? `Day ${p.day} (${dateAfter(calibrationEnd, p.day)})` : "";
                  },
                  label: (ctx) => `${ctx.dataset.label ?? ""}: ${Math.round(Number(ctx.parsed.y)).toLocaleString("en-US")} purchases`,
                },
              },
            },
          }}
        />
      </div>
      <figcaption className="mt-2 text-xs text-slate-700">
        Where the dashed line stays close to the solid one over the whole period, the model tracks how the existing customers keep buying, not only the total.
      </figcaption>
      <details className="mt-3 text-sm">
        <summary className="cursor-pointer font-medium text-brand-700">Show the tracking numbers as a table</summary>
        <table className="mt-2 w-full text-left">
          <caption className="sr-only">Cumulative repeat purchases after the calibration end, actual vs predicted</caption>
          <thead>
            <tr className="border-b border-slate-200">
              <th scope="col" className="py-1 pr-4">Day</th>
              <th scope="col" className="py-1 pr-4">Date</th>
              <th scope="col" className="py-1 pr-4 text-right">Actual</th>
              <th scope="col" className="py-1 text-right">Predicted</th>
            </tr>
          </thead>
          <tbody>
            {points.map((p) => (
              <tr key={p.day} className="border-b border-slate-100">
                <th scope="row" className="py-1 pr-4 font-normal">{p.day}</th>
                <td className="py-1 pr-4">{dateAfter(calibrationEnd, p.day)}</td>
                <td className="py-1 pr-4 text-right">{p.actual.toLocaleString("en-US")}</td>
                <td className="py-1 text-right">{Math.round(p.predicted).toLocaleString("en-US")}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
