// The Model page's comparison row for a fit at the edge of its parameter space: clv-core reports
// Pareto/NBD at its common-dropout-rate limit (s, β → ∞; FittedModel.boundary, tested there on simulated
// data) when every customer drops out at one rate; the row says so, in days, instead of a bare
// "converged: no".
import { fitBgNbd, type PurchaseModel } from "@valuelens/clv-core";
import { describe, expect, it } from "vitest";
import { boundaryNote } from "../src/services/recompute/compare-models.ts";

describe("boundaryNote", () => {
  const bg = fitBgNbd({ frequency: [0, 1, 4, 2, 0, 3], recency: [0, 10, 30, 12, 0, 25], T: [40, 40, 40, 30, 20, 35] });
  const atLimit = (mu: number): PurchaseModel => ({
    kind: "pareto-nbd",
    params: { r: 0.8, alpha: 14, s: 1e6, beta: 1e6 / mu },
    logLikelihood: -1000,
    converged: false,
    iterations: 30,
    standardErrors: { r: 0.01, alpha: 0.1, s: NaN, beta: NaN },
    covariance: [],
    paramOrder: ["r", "alpha", "s", "beta"],
    observations: 100,
    boundary: { limit: "common-dropout-rate", message: "clv-core's own wording", limitParams: { r: 0.8, alpha: 14, mu }, limitStandardErrors: { r: 0.01, alpha: 0.1, mu: 1e-4 } },
  });

  it("says in days that every customer seems to share one dropout rate", () => {
    expect(boundaryNote(atLimit(1 / 190.4))).toBe(
      "Every customer seems to share one dropout rate (an average lifetime of about 190 days), so Pareto/NBD's heterogeneity parameters s and β grow without bound; shown at that limit.",
    );
    expect(boundaryNote(atLimit(1 / 4321.7))).toContain("about 4,322 days");
  });

  it("falls back to clv-core's message for another limit, and says nothing for an ordinary fit", () => {
    const other = atLimit(0.01);
    other.boundary = { ...other.boundary!, limit: "something-else" };
    expect(boundaryNote(other)).toBe("clv-core's own wording");
    expect(bg.boundary).toBeUndefined();
    expect(boundaryNote(bg)).toBeNull();
  });
});
