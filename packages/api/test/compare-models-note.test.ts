// The Model page's comparison row for a fit at the edge of its parameter space: clv-core reports
// Pareto/NBD at its common-dropout-rate limit (s, β → ∞) when every customer drops out at one rate;
// the row says so in days instead of a bare "converged: no".
import { fitBgNbd, fitParetoNbd, gammaSampler, mulberry32 } from "@valuelens/clv-core";
import { describe, expect, it } from "vitest";
import { boundaryNote } from "../src/services/recompute/compare-models.ts";

function commonDropout(seed: number, n: number) {
  // λ ~ Gamma(0.8, 20) per day; every lifetime Exponential with mean 100 days; ages 100–600 days
  const rng = mulberry32(seed);
  const gamma = gammaSampler(rng);
  const d = { frequency: new Float64Array(n), recency: new Float64Array(n), T: new Float64Array(n) };
  for (let i = 0; i < n; i++) {
    const lambda = gamma(0.8, 20);
    const life = -Math.log(1 - rng()) * 100;
    const age = Math.floor(100 + rng() * 500);
    let t = 0;
    let last = 0;
    let x = 0;
    for (;;) {
      t += -Math.log(1 - rng()) / lambda;
      if (t > Math.min(age, life)) break;
      x++;
      last = t;
    }
    d.frequency[i] = x;
    d.recency[i] = Math.floor(last);
    d.T[i] = age;
  }
  return d;
}

describe("boundaryNote", () => {
  it("says in days that every customer seems to share one dropout rate, and nothing for an ordinary fit", () => {
    const d = commonDropout(1, 4000);
    const pnbd = fitParetoNbd(d);
    expect(pnbd.boundary?.limit).toBe("common-dropout-rate");
    const note = boundaryNote(pnbd);
    expect(note).toMatch(/^Every customer seems to share one dropout rate \(an average lifetime of about \d+ days\)/);
    // the simulated mean lifetime is 100 days
    const days = Number(/about (\d+) days/.exec(note ?? "")?.[1]);
    expect(days).toBeGreaterThan(85);
    expect(days).toBeLessThan(120);
    expect(boundaryNote(fitBgNbd({ frequency: [0, 1, 4, 2, 0, 3], recency: [0, 10, 30, 12, 0, 25], T: [40, 40, 40, 30, 20, 35] }))).toBeNull();
  });
});
