/**
 * The recompute's fast summary read and its sampled model comparison (issue 9, speed), against a
 * real PostgreSQL on demo data:
 *  - readSummaries (packed binary rows) returns exactly what a straightforward one-object-per-customer
 *    reading of the same summary columns gives;
 *  - above COMPARISON_SAMPLE_MAX the comparison runs every model on the same seeded sample and says
 *    so, while the stored model's parameters still come from all customers.
 */
import { fitBgNbd, fitModifiedBgNbd } from "@valuelens/clv-core";
import { getDb, withWorkspace } from "@valuelens/db";
import { generateDemoData, writeDemoData } from "@valuelens/db/seed";
import { beforeAll, describe, expect, it } from "vitest";
import { readSummaries, recomputeWorkspace } from "../src/services/recompute/index.ts";
import { seededSample } from "../src/services/recompute/summaries.ts";
import { signUp } from "./harness.ts";

let demo: Awaited<ReturnType<typeof signUp>>;

beforeAll(async () => {
  demo = await signUp("recompute-read", "Recompute read demo");
  const data = generateDemoData({ seed: 7, customers: 1500, start: new Date(Date.UTC(2024, 0, 1)), end: new Date(Date.UTC(2025, 11, 31)) });
  await writeDemoData(getDb().prisma, demo.workspaceId, data, () => undefined);
});

interface PlainRow {
  id: string;
  days: number;
  orders: number;
  first_day: number;
  last_day: number;
  rev: number;
  fdr: number;
  last_at: Date;
}

describe("readSummaries", () => {
  it("returns exactly the values of a plain per-customer reading of the summaries", async () => {
    const { prisma } = getDb();
    const [s, rows] = await withWorkspace(prisma, demo.workspaceId, async (tx) => [
      await readSummaries(tx, demo.workspaceId),
      await tx.$queryRaw<PlainRow[]>`
        SELECT c.id::text AS id, c.purchase_days AS days, c.order_count AS orders,
               ((c.first_order_at AT TIME ZONE 'UTC')::date - DATE '1970-01-01') AS first_day,
               ((c.last_order_at AT TIME ZONE 'UTC')::date - DATE '1970-01-01') AS last_day,
               c.revenue_minor::float8 AS rev, c.first_day_revenue_minor::float8 AS fdr, c.last_order_at AS last_at
          FROM customers c
         WHERE c.workspace_id = ${demo.workspaceId}::uuid AND c.purchase_days > 0`,
    ]);
    expect(rows.length).toBeGreaterThan(500);
    expect(s.ids.length).toBe(rows.length);
    expect(new Set(s.ids).size).toBe(rows.length);
    const cutoffDay = Math.max(...rows.map((r) => r.last_day));
    const cutoff = Math.max(...rows.filter((r) => r.last_day === cutoffDay).map((r) => r.last_at.getTime()));
    expect(s.cutoffDay).toBe(cutoffDay);
    expect(s.cutoff?.getTime()).toBe(cutoff);
    expect(s.firstDay).toBe(Math.min(...rows.map((r) => r.first_day)));
    expect(s.orders).toBe(rows.reduce((a, r) => a + r.orders, 0));
    expect(s.repeatBuyers).toBe(rows.filter((r) => r.days > 1).length);
    const at = new Map(s.ids.map((id, i) => [id, i]));
    for (const r of rows) {
      const i = at.get(r.id)!;
      const f = r.days - 1;
      expect(s.frequency[i]).toBe(f);
      expect(s.recency[i]).toBe(f > 0 ? r.last_day - r.first_day : 0);
      expect(s.T[i]).toBe(cutoffDay - r.first_day);
      expect(s.monetaryValue[i]).toBe(f > 0 ? Math.max(0, (r.rev - r.fdr) / f) : 0);
      expect(s.daysSinceLast[i]).toBe(cutoffDay - r.last_day);
      expect(s.revenue[i]).toBe(r.rev);
      expect(s.lastAt[i]).toBe(r.last_at.getTime());
    }
    // Repeat buyers with repeat revenue exist: the monetary values are not trivially zero.
    expect(rows.some((r) => r.days > 1 && r.rev > r.fdr)).toBe(true);
  });

  it("reads the customers changed since a time with the cut-off it is given", async () => {
    const { prisma } = getDb();
    const all = await withWorkspace(prisma, demo.workspaceId, (tx) => readSummaries(tx, demo.workspaceId));
    const since = new Date(0);
    const part = await withWorkspace(prisma, demo.workspaceId, (tx) => readSummaries(tx, demo.workspaceId, { since, after: since, cutoffDay: all.cutoffDay + 3 }));
    expect(part.ids.length).toBe(all.ids.length);
    expect(part.cutoffDay).toBe(all.cutoffDay + 3);
    // No customer bought after the given cut-off day, so the read sets no cut-off instant of its own.
    expect(part.cutoff).toBeNull();
    const at = new Map(part.ids.map((id, i) => [id, i]));
    all.ids.forEach((id, i) => expect(part.T[at.get(id)!]).toBe(all.T[i]! + 3));
  });

  it("reads an empty workspace as no customers", async () => {
    const { prisma } = getDb();
    const ws = await signUp("recompute-read-empty");
    const s = await withWorkspace(prisma, ws.workspaceId, (tx) => readSummaries(tx, ws.workspaceId));
    expect(s.ids).toEqual([]);
    expect(s.cutoff).toBeNull();
    expect(s.orders).toBe(0);
  });
});

describe("model comparison on a sample", () => {
  it("compares every model on the same seeded sample, says so, and stores the all-customer fit", async () => {
    const { prisma } = getDb();
    const out = await recomputeWorkspace(prisma, demo.workspaceId, { triggeredBy: "test", comparisonSampleMax: 500 });
    if (out.status !== "succeeded") throw new Error(`recompute ${out.status}`);
    const [run, s] = await withWorkspace(prisma, demo.workspaceId, async (tx) => [
      await tx.modelRun.findUniqueOrThrow({ where: { workspaceId_id: { workspaceId: demo.workspaceId, id: out.runId } } }),
      await readSummaries(tx, demo.workspaceId),
    ]);
    expect(s.ids.length).toBeGreaterThan(500);
    // The stored model: all customers.
    const direct = fitBgNbd(s);
    const p = run.params as Record<string, number>;
    for (const k of ["r", "alpha", "a", "b"] as const) expect(p[k]).toBeCloseTo(direct.params[k], 9);
    // The comparison: the seeded sample of 500, the same customers for every model.
    const picked = seededSample(Array.from(s.ids, (_, i) => i), 500, `${demo.workspaceId}/comparison`)!;
    picked.sort((a, b) => a - b);
    const cols = {
      frequency: Float64Array.from(picked, (i) => s.frequency[i]!),
      recency: Float64Array.from(picked, (i) => s.recency[i]!),
      T: Float64Array.from(picked, (i) => s.T[i]!),
    };
    const cmp = run.comparison as { model: string; logLikelihood?: number; customers: number; sampledFrom: number | null }[];
    expect(cmp.map((c) => c.model)).toEqual(["bgnbd", "pnbd", "mbgnbd"]);
    for (const c of cmp) {
      expect(c.customers).toBe(500);
      expect(c.sampledFrom).toBe(s.ids.length);
    }
    expect(cmp[0]!.logLikelihood).toBeCloseTo(fitBgNbd(cols).logLikelihood, 6);
    expect(cmp[2]!.logLikelihood).toBeCloseTo(fitModifiedBgNbd(cols).logLikelihood, 6);
    // Not the all-customer log-likelihood (a sample of 500 of ~1,500 has about a third of it).
    expect(cmp[0]!.logLikelihood! / direct.logLikelihood).toBeLessThan(0.8);

    // Under the cap: every customer, the stored model's own log-likelihood, no sample mentioned.
    const whole = await recomputeWorkspace(prisma, demo.workspaceId, { triggeredBy: "test" });
    if (whole.status !== "succeeded") throw new Error(`recompute ${whole.status}`);
    const run2 = await withWorkspace(prisma, demo.workspaceId, (tx) => tx.modelRun.findUniqueOrThrow({ where: { workspaceId_id: { workspaceId: demo.workspaceId, id: whole.runId } } }));
    const cmp2 = run2.comparison as { model: string; logLikelihood?: number; customers: number; sampledFrom: number | null }[];
    expect(cmp2[0]!.logLikelihood).toBeCloseTo(run2.logLikelihood!, 6);
    for (const c of cmp2) {
      expect(c.customers).toBe(s.ids.length);
      expect(c.sampledFrom).toBeNull();
    }
  });
});
