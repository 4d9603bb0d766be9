// The Model page's comparison row for a fit at the edge of its parameter space: clv-core reports
// Pareto/NBD at its common-dropout-rate limit (s, β → ∞; FittedModel.boundary, tested there on simulated
// data) when every customer drops out at one rate; the row says so, in days, instead of a bare
// "converged: no".
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { fitBgNbd, type PurchaseModel } from "@valuelens/clv-core";
import { describe, expect, it } from "vitest";
import { boundaryNote } from "../src/services/recompute/compare-models.ts";

// CDNOW's 2,357-customer summary (weeks): BG/NBD has an ordinary interior maximum there (FHL 2005)
const here = path.dirname(fileURLToPath(import.meta.url));
const rows = readFileSync(path.resolve(here, "../../../../shared/datasets/cdnow_customers_summary.csv"), "utf8").trim().split(/\r?\n/).slice(1).map((l) => l.split(",").map(Number));
const cdnow = { frequency: rows.map((r) => r[1]!), recency: rows.map((r) => r[2]!), T: rows.map((r) => r[3]!) };

describe("boundaryNote", () => {
  const bg = fitBgNbd(cdnow);
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

  it("says it for BG/NBD's and MBG/NBD's common dropout probability", () => {
    const base = bg;
    const boundary = { limit: "common-dropout-probability", message: "clv-core's own wording", limitParams: { r: 0.6, alpha: 8, p: 0.0899 }, limitStandardErrors: { r: 0.01, alpha: 0.1, p: 0.001 } };
    expect(boundaryNote({ ...base, boundary })).toBe(
      "Every customer seems to share one chance of dropping out after each purchase (9.0 %), so BG/NBD's heterogeneity parameters a and b grow without bound; shown at that limit.",
    );
    expect(boundaryNote({ ...base, kind: "mbg-nbd", boundary })).toContain("so MBG/NBD's heterogeneity parameters a and b");
  });

  it("falls back to clv-core's message for another limit, and says nothing for an ordinary fit", () => {
    const other = atLimit(0.01);
    other.boundary = { ...other.boundary!, limit: "something-else" };
    expect(boundaryNote(other)).toBe("clv-core's own wording");
    expect(bg.boundary).toBeUndefined();
    expect(bg.params.a).toBeCloseTo(0.793, 2);
    expect(boundaryNote(bg)).toBeNull();
  });
});
