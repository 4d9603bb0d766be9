/**
 * A workspace whose customers all share one dropout probability (no heterogeneity: BG/NBD's a, b → ∞,
 * the 1M bench generator's pattern) — the recompute stores clv-core's fit at that limit, says why it is
 * "not converged" (totals.fitNote, shown on the model card), scores everyone with finite ranges, and an
 * incremental refresh keeps the note. Reference: clv-core's direct fit on the same summaries.
 * Simulation: clv-core's test helper simulateCommonDropout (λ ~ Gamma(0.8, 20) per day, dropout 0.1
 * after every repeat purchase, ages 100–600 days), written as orders one per purchase day.
 */
import { fitBgNbd, gammaSampler, mulberry32 } from "@valuelens/clv-core";
import { getDb, withWorkspace } from "@valuelens/db";
import { beforeAll, describe, expect, it } from "vitest";
import { boundaryNote } from "../src/services/recompute/compare-models.ts";
import { readSummaries, recomputeWorkspace } from "../src/services/recompute/index.ts";
import { signUp } from "./harness.ts";

const DAY = 86_400_000;
const CUTOFF = Date.UTC(2025, 5, 30, 12);
let ws: string;

beforeAll(async () => {
  ws = (await signUp("limit", "Common dropout")).workspaceId;
  const rng = mulberry32(1);
  const gamma = gammaSampler(rng);
  const customers: string[] = [];
  const orderCustomer: number[] = [];
  const orderDay: number[] = [];
  for (let i = 0; i < 4000; i++) {
    const lambda = gamma(0.8, 20);
    const age = Math.floor(100 + rng() * 500);
    customers.push(`sim-${i}`);
    const days = new Set<number>([0]);
    let t = 0;
    for (;;) {
      t += -Math.log(1 - rng()) / lambda;
      if (t > age) break;
      days.add(Math.floor(t));
      if (rng() < 0.1) break;
    }
    for (const d of days) {
      orderCustomer.push(i);
      orderDay.push(d - age); // days before the cut-off
    }
  }
  await withWorkspace(
    getDb().prisma,
    ws,
    async (tx) => {
      await tx.$executeRaw`INSERT INTO customers (workspace_id, external_id, updated_at) SELECT ${ws}::uuid, x, now() FROM unnest(${customers}::text[]) x`;
      await tx.$executeRaw`
        INSERT INTO orders (workspace_id, external_id, customer_id, ordered_at, amount_minor, currency, updated_at)
        SELECT ${ws}::uuid, 'o-' || o.n, c.id, ${new Date(CUTOFF)}::timestamptz + o.d * interval '1 day', 2000 + (o.n % 37) * 100, 'USD', now()
          FROM unnest(${orderCustomer}::int[], ${orderDay}::int[]) WITH ORDINALITY AS o(i, d, n)
          JOIN customers c ON c.workspace_id = ${ws}::uuid AND c.external_id = 'sim-' || o.i`;
    },
    { timeoutMs: 120_000 },
  );
  expect(orderCustomer.length).toBeGreaterThan(10_000);
});

describe("a fit at the limit of its parameters", () => {
  it("is stored as clv-core fits it, with a plain note, and scores every customer with finite ranges", async () => {
    const { prisma } = getDb();
    const out = await recomputeWorkspace(prisma, ws, { compare: false, triggeredBy: "test" });
    expect(out.status).toBe("succeeded");
    if (out.status !== "succeeded") return;
    const s = await withWorkspace(prisma, ws, (tx) => readSummaries(tx, ws));
    const direct = fitBgNbd(s);
    expect(direct.boundary?.limit).toBe("common-dropout-probability");
    const run = await withWorkspace(prisma, ws, (tx) => tx.modelRun.findUniqueOrThrow({ where: { workspaceId_id: { workspaceId: ws, id: out.runId } } }));
    expect(run.converged).toBe(false);
    const p = run.params as Record<string, number>;
    for (const k of ["r", "alpha", "a", "b"] as const) expect(p[k]).toBeCloseTo(direct.params[k], 6);
    const note = (run.totals as { fitNote?: string }).fitNote;
    expect(note).toBe(boundaryNote(direct));
    expect(note).toMatch(/one chance of dropping out after each purchase \(\d+(\.\d+)? %\)/);
    const [scores] = await withWorkspace(prisma, ws, (tx) =>
      tx.$queryRaw<{ n: number; finite: number }[]>`
        SELECT count(*)::int AS n,
               count(*) FILTER (WHERE predicted_clv_low_minor <= predicted_clv_minor AND predicted_clv_minor <= predicted_clv_high_minor AND p_alive BETWEEN 0 AND 1)::int AS finite
          FROM customer_scores WHERE workspace_id = ${ws}::uuid`,
    );
    expect(scores).toEqual({ n: 4000, finite: 4000 });
  });

  it("keeps the note through an incremental refresh", async () => {
    const { prisma } = getDb();
    await withWorkspace(prisma, ws, (tx) =>
      tx.$executeRaw`
        INSERT INTO orders (workspace_id, external_id, customer_id, ordered_at, amount_minor, currency, updated_at)
        SELECT ${ws}::uuid, 'late-' || c.external_id, c.id, ${new Date(CUTOFF + DAY)}::timestamptz, 2500, 'USD', now()
          FROM customers c WHERE c.workspace_id = ${ws}::uuid ORDER BY c.external_id LIMIT 20`,
    );
    const out = await recomputeWorkspace(prisma, ws, { mode: "incremental", triggeredBy: "data-change" });
    expect(out).toMatchObject({ status: "succeeded", customers: 20 });
    if (out.status !== "succeeded") return;
    const run = await withWorkspace(prisma, ws, (tx) => tx.modelRun.findUniqueOrThrow({ where: { workspaceId_id: { workspaceId: ws, id: out.runId } } }));
    const totals = run.totals as { fitNote?: string; incremental?: object };
    expect(totals.incremental).toBeDefined();
    expect(totals.fitNote).toMatch(/one chance of dropping out/);
  });
});
