/**
 * The recompute pipeline against a real PostgreSQL (issue 9): demo data → summaries → fit → scores.
 * Reference for the parameters: a direct clv-core fit on the same summary columns (tolerance 1e-9
 * relative: same code, same input, deterministic optimiser).
 */
import { fitBgNbd, scoreCustomers } from "@valuelens/clv-core";
import { getDb, Prisma, withWorkspace } from "@valuelens/db";
import { generateDemoData, writeDemoData } from "@valuelens/db/seed";
import { beforeAll, describe, expect, it } from "vitest";
import {
  fitSpend,
  holdoutCustomers,
  INCREMENTAL_MIN_CUSTOMERS,
  MIN_REPEAT_BUYERS,
  planIncremental,
  readCalibration,
  readSummaries,
  recomputeWorkspace,
} from "../src/services/recompute/index.ts";
import { addCustomers, signUp } from "./harness.ts";

let demo: Awaited<ReturnType<typeof signUp>>;

beforeAll(async () => {
  demo = await signUp("recompute", "Recompute demo");
  const data = generateDemoData({ seed: 7, customers: 1500, start: new Date(Date.UTC(2024, 0, 1)), end: new Date(Date.UTC(2025, 11, 31)) });
  await writeDemoData(getDb().prisma, demo.workspaceId, data, () => undefined);
});

describe("recompute pipeline", () => {
  it("stores parameters equal to a direct clv-core fit on the same summaries, and scores every customer", async () => {
    const { prisma } = getDb();
    const out = await recomputeWorkspace(prisma, demo.workspaceId, { triggeredBy: "test" });
    expect(out.status).toBe("succeeded");
    if (out.status !== "succeeded") return;
    expect(out.predictions).toBe(true);

    const s = await withWorkspace(prisma, demo.workspaceId, (tx) => readSummaries(tx, demo.workspaceId));
    const direct = fitBgNbd(s);
    const spend = fitSpend(s);
    const run = await withWorkspace(prisma, demo.workspaceId, (tx) =>
      tx.modelRun.findUniqueOrThrow({ where: { workspaceId_id: { workspaceId: demo.workspaceId, id: out.runId } } }),
    );
    expect(run.status).toBe("succeeded");
    expect(run.progress).toBe(100);
    expect(run.modelKind).toBe("bgnbd");
    const p = run.params as Record<string, number>;
    for (const k of ["r", "alpha", "a", "b"] as const) expect(p[k]).toBeCloseTo(direct.params[k], 9);
    expect(run.logLikelihood).toBeCloseTo(direct.logLikelihood, 6);
    expect((run.spendParams as { params: Record<string, number> }).params.p).toBeCloseTo(spend.params.p, 9);
    expect(run.customers).toBe(s.ids.length);
    expect(run.repeatBuyers).toBeGreaterThanOrEqual(MIN_REPEAT_BUYERS);
    const holdout = run.holdout as {
      bins: unknown[];
      errorPct: number;
      verdict: string;
      calibrationEnd: string;
      holdoutDays: number;
      actualTotal: number;
      predictedTotal: number;
      customers: number;
      tracking: { day: number; actual: number; predicted: number }[];
    };
    expect(holdout.bins.length).toBe(8);
    // Actual holdout purchases = distinct purchase days after the calibration end, from raw orders.
    const calEndDay = Date.parse(holdout.calibrationEnd) / 86_400_000;
    const cal = await withWorkspace(prisma, demo.workspaceId, (tx) => readCalibration(tx, demo.workspaceId, calEndDay, holdout.holdoutDays));
    expect(holdout.customers).toBe(cal.frequency.length);
    expect(holdout.actualTotal).toBe(cal.holdoutFrequency.reduce((a, b) => a + b, 0));
    // Cumulative tracking ends at the holdout length on the same totals as the bins, and never decreases.
    const last = holdout.tracking.at(-1)!;
    expect(last.day).toBe(holdout.holdoutDays);
    expect(last.actual).toBe(holdout.actualTotal);
    expect(last.predicted).toBeCloseTo(holdout.predictedTotal, 0);
    for (let j = 1; j < holdout.tracking.length; j++) {
      expect(holdout.tracking[j]!.actual).toBeGreaterThanOrEqual(holdout.tracking[j - 1]!.actual);
      expect(holdout.tracking[j]!.predicted).toBeGreaterThanOrEqual(holdout.tracking[j - 1]!.predicted);
    }
    expect(holdout.predictedTotal).not.toBe(holdout.actualTotal);
    expect(["good", "fair", "poor"]).toContain(holdout.verdict);
    const comparison = run.comparison as { model: string; logLikelihood: number }[];
    expect(comparison.map((c) => c.model)).toEqual(["bgnbd", "pnbd", "mbgnbd"]);

    const scores = await withWorkspace(prisma, demo.workspaceId, (tx) =>
      tx.$queryRaw<{ n: number; with_clv: number; bad: number; hist_ok: number }[]>`
        SELECT count(*)::int AS n, count(predicted_clv_minor)::int AS with_clv,
               count(*) FILTER (WHERE predicted_clv_low_minor > predicted_clv_minor OR predicted_clv_high_minor < predicted_clv_minor OR p_alive < 0 OR p_alive > 1)::int AS bad,
               count(*) FILTER (WHERE s.historical_clv_minor = c.revenue_minor)::int AS hist_ok
          FROM customer_scores s JOIN customers c ON c.workspace_id = s.workspace_id AND c.id = s.customer_id`,
    );
    expect(scores[0]).toEqual({ n: s.ids.length, with_clv: s.ids.length, bad: 0, hist_ok: s.ids.length });
  });

  it("racing runs leave one consistent result: the loser exits as a no-op", async () => {
    const { prisma } = getDb();
    const [a, b] = await Promise.all([
      recomputeWorkspace(prisma, demo.workspaceId, { compare: false }),
      recomputeWorkspace(prisma, demo.workspaceId, { compare: false }),
    ]);
    const statuses = [a.status, b.status].sort();
    expect(statuses).toEqual(["locked", "succeeded"]);
    const winner = a.status === "succeeded" ? a : b;
    const again = await recomputeWorkspace(prisma, demo.workspaceId, { compare: false });
    expect(again.status).toBe("succeeded");
    const rows = await withWorkspace(prisma, demo.workspaceId, (tx) =>
      tx.$queryRaw<{ runs: number; n: number }[]>`SELECT count(DISTINCT model_run_id)::int AS runs, count(*)::int AS n FROM customer_scores`,
    );
    expect(rows[0]!.runs).toBe(1);
    expect(winner.status).toBe("succeeded");
  });

  it("small-data workspace: RFM and historical values, no predictions, and a reason", async () => {
    const { prisma } = getDb();
    const small = await signUp("smalldata");
    await addCustomers(small.workspaceId, "SMALL", 5);
    const out = await recomputeWorkspace(prisma, small.workspaceId);
    expect(out).toMatchObject({ status: "succeeded", predictions: false, customers: 5 });
    const run = await withWorkspace(prisma, small.workspaceId, (tx) => tx.modelRun.findFirstOrThrow({ where: { workspaceId: small.workspaceId } }));
    expect(run.reason).toMatch(/at least 100 repeat buyers/);
    expect(run.params).toBeNull();
    const scores = await withWorkspace(prisma, small.workspaceId, (tx) => tx.customerScore.findMany({ where: { workspaceId: small.workspaceId } }));
    expect(scores).toHaveLength(5);
    for (const sc of scores) {
      expect(sc.predictedClvMinor).toBeNull();
      expect(sc.rfmSegment.length).toBeGreaterThan(0);
      expect(sc.historicalClvMinor > 0n).toBe(true);
    }
  });
});

describe("fit time budgets", () => {
  it("a comparison model past its budget is reported as unfinished and never blocks the scores", async () => {
    const { prisma } = getDb();
    const out = await recomputeWorkspace(prisma, demo.workspaceId, { triggeredBy: "test", fitBudgetMs: { primary: 600_000, comparison: 0 } });
    expect(out.status).toBe("succeeded");
    if (out.status !== "succeeded") return;
    const run = await withWorkspace(prisma, demo.workspaceId, (tx) =>
      tx.modelRun.findUniqueOrThrow({ where: { workspaceId_id: { workspaceId: demo.workspaceId, id: out.runId } }, select: { comparison: true, params: true } }),
    );
    const cmp = run.comparison as { model: string; unfinished?: string; logLikelihood?: number }[];
    expect(cmp.find((c) => c.model === "bgnbd")?.logLikelihood).toBeLessThan(0);
    for (const m of ["pnbd", "mbgnbd"]) expect(cmp.find((c) => c.model === m)?.unfinished).toMatch(/did not finish/i);
    expect(run.params).not.toBeNull();
  });

  it("the workspace's own model past its budget fails the run with a message that says what to do", async () => {
    const { prisma } = getDb();
    const out = await recomputeWorkspace(prisma, demo.workspaceId, { triggeredBy: "test", compare: false, fitBudgetMs: { primary: 0, comparison: 0 } });
    expect(out.status).toBe("failed");
    if (out.status === "failed") expect(out.error).toMatch(/did not finish fitting.*choose BG\/NBD/);
    // The previous scores stay in place (the failed run replaced nothing).
    const n = await withWorkspace(prisma, demo.workspaceId, (tx) => tx.customerScore.count());
    expect(n).toBeGreaterThan(0);
  });
});

describe("recompute ledger", () => {
  it("closes a run left 'running' by a crashed worker when the next run takes the lock", async () => {
    const { prisma } = getDb();
    const ws = await signUp("crashed");
    await addCustomers(ws.workspaceId, "CRASH", 2);
    const stuck = await withWorkspace(prisma, ws.workspaceId, (tx) =>
      tx.modelRun.create({ data: { workspaceId: ws.workspaceId, modelKind: "bgnbd", status: "running", step: "fitting", progress: 30 }, select: { id: true } }),
    );
    const out = await recomputeWorkspace(prisma, ws.workspaceId);
    expect(out.status).toBe("succeeded");
    const row = await withWorkspace(prisma, ws.workspaceId, (tx) => tx.modelRun.findUniqueOrThrow({ where: { workspaceId_id: { workspaceId: ws.workspaceId, id: stuck.id } } }));
    expect(row.status).toBe("failed");
    expect(row.error).toMatch(/Interrupted/);
  });

  it("clears metrics_stale_at only for writes before the run started", async () => {
    const { prisma } = getDb();
    const ws = await signUp("stale");
    await addCustomers(ws.workspaceId, "STALE", 2);
    await withWorkspace(prisma, ws.workspaceId, (tx) => tx.$executeRaw`UPDATE workspaces SET metrics_stale_at = now() WHERE id = ${ws.workspaceId}::uuid`);
    await recomputeWorkspace(prisma, ws.workspaceId);
    const after = await withWorkspace(prisma, ws.workspaceId, (tx) => tx.workspace.findUniqueOrThrow({ where: { id: ws.workspaceId }, select: { metricsStaleAt: true } }));
    expect(after.metricsStaleAt).toBeNull();
  });

  it("keeps the workspace stale when a write that began before the run commits after the run read the data", async () => {
    const { prisma } = getDb();
    const ws = await signUp("stale-race");
    await addCustomers(ws.workspaceId, "RACE", 2);
    // An earlier write, committed: the run sees this mark and the data behind it.
    await withWorkspace(prisma, ws.workspaceId, (tx) => tx.$executeRaw`UPDATE workspaces SET metrics_stale_at = now() - interval '1 minute' WHERE id = ${ws.workspaceId}::uuid`);
    // A writer (like an import's final flush) marks the workspace stale at its start and commits late.
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let marked!: () => void;
    const markedP = new Promise<void>((r) => (marked = r));
    const writer = withWorkspace(
      prisma,
      ws.workspaceId,
      async (tx) => {
        await tx.$executeRaw`UPDATE workspaces SET metrics_stale_at = now() WHERE id = ${ws.workspaceId}::uuid`;
        marked();
        await released;
      },
      { timeoutMs: 120_000 },
    );
    await markedP;
    const run = recomputeWorkspace(prisma, ws.workspaceId, { compare: false });
    // Let the run read and commit its scores while the writer is still open, then commit the writer.
    for (let i = 0; i < 300; i++) {
      const [r] = await withWorkspace(prisma, ws.workspaceId, (tx) =>
        tx.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM model_runs WHERE workspace_id = ${ws.workspaceId}::uuid AND status = 'succeeded'`,
      );
      if (r!.n > 0) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    release();
    await writer;
    expect((await run).status).toBe("succeeded");
    const after = await withWorkspace(prisma, ws.workspaceId, (tx) => tx.workspace.findUniqueOrThrow({ where: { id: ws.workspaceId }, select: { metricsStaleAt: true } }));
    expect(after.metricsStaleAt).not.toBeNull();
  });
});

describe("holdout check on a sample (large workspaces)", () => {
  it("runs on a seeded random sample of eligible customers, stable across runs, and says so", async () => {
    const { prisma } = getDb();
    const s = await withWorkspace(prisma, demo.workspaceId, (tx) => readSummaries(tx, demo.workspaceId));
    const holdoutDays = Math.max(1, Math.round((s.cutoffDay - s.firstDay) * 0.25));
    const calEnd = s.cutoffDay - holdoutDays;
    const all = holdoutCustomers(s, calEnd, demo.workspaceId, 1_000_000);
    expect(all.ids).toBeNull(); // under the cap: every eligible customer, straight from the aggregate
    const a = holdoutCustomers(s, calEnd, demo.workspaceId, 400);
    const b = holdoutCustomers(s, calEnd, demo.workspaceId, 400);
    expect(a.eligible).toBe(all.eligible);
    expect(a.eligible).toBeGreaterThan(400);
    expect(a.ids).toHaveLength(400);
    expect(new Set(a.ids).size).toBe(400);
    expect(a.ids).toEqual(b.ids);
    const firstDay = new Map(s.ids.map((id, i) => [id, s.cutoffDay - s.T[i]!]));
    for (const id of a.ids!) expect(firstDay.get(id)!).toBeLessThanOrEqual(calEnd);
    // Another workspace id draws another sample.
    expect(holdoutCustomers(s, calEnd, "00000000-0000-0000-0000-000000000001", 400).ids).not.toEqual(a.ids);

    // The sample's calibration rows equal the full aggregate's rows for the same customers.
    const full = await withWorkspace(prisma, demo.workspaceId, (tx) => readCalibration(tx, demo.workspaceId, calEnd, holdoutDays));
    const part = await withWorkspace(prisma, demo.workspaceId, (tx) => readCalibration(tx, demo.workspaceId, calEnd, holdoutDays, a));
    expect(full.sampledFrom).toBeNull();
    expect(part.sampledFrom).toBe(a.eligible);
    expect(part.frequency.length).toBe(400);
    const key = (c: typeof full, i: number) => `${c.frequency[i]}|${c.recency[i]}|${c.T[i]}|${c.holdoutFrequency[i]}`;
    const counts = new Map<string, number>();
    for (let i = 0; i < full.frequency.length; i++) counts.set(key(full, i), (counts.get(key(full, i)) ?? 0) + 1);
    for (let i = 0; i < part.frequency.length; i++) {
      const k = key(part, i);
      expect(counts.get(k) ?? 0).toBeGreaterThan(0);
      counts.set(k, counts.get(k)! - 1);
    }
    expect(part.holdoutByDay.reduce((x, y) => x + y, 0)).toBe(part.holdoutFrequency.reduce((x, y) => x + y, 0));

    const out = await recomputeWorkspace(prisma, demo.workspaceId, { compare: false, holdoutSampleMax: 400 });
    if (out.status !== "succeeded") throw new Error("recompute failed");
    const run = await withWorkspace(prisma, demo.workspaceId, (tx) => tx.modelRun.findUniqueOrThrow({ where: { workspaceId_id: { workspaceId: demo.workspaceId, id: out.runId } } }));
    const h = run.holdout as { customers: number; sampledFrom: number | null; actualTotal: number; errorPct: number };
    expect(h.customers).toBe(400);
    expect(h.sampledFrom).toBe(a.eligible);
    expect(h.actualTotal).toBe(part.holdoutFrequency.reduce((x, y) => x + y, 0));
    expect(Number.isFinite(h.errorPct)).toBe(true);
  });
});

describe("fast refresh after data writes", () => {
  it("reuses the recent holdout check and comparison, and warm-starts to the same optimum", async () => {
    const { prisma } = getDb();
    const full = await recomputeWorkspace(prisma, demo.workspaceId);
    const fast = await recomputeWorkspace(prisma, demo.workspaceId, { mode: "fast", triggeredBy: "data-change" });
    if (full.status !== "succeeded" || fast.status !== "succeeded") throw new Error("recompute failed");
    const [a, b] = await withWorkspace(prisma, demo.workspaceId, (tx) =>
      Promise.all([full.runId, fast.runId].map((id) => tx.modelRun.findUniqueOrThrow({ where: { workspaceId_id: { workspaceId: demo.workspaceId, id } } }))),
    );
    expect((b!.holdout as { reusedFromRun: string }).reusedFromRun).toBe(full.runId);
    expect(b!.comparison).toEqual(a!.comparison);
    const pa = a!.params as Record<string, number>;
    const pb = b!.params as Record<string, number>;
    for (const k of Object.keys(pa)) expect(Math.abs(pb[k]! - pa[k]!) / pa[k]!).toBeLessThan(1e-3);
  });
});

describe("incremental refresh after data writes", () => {
  it("rescores only the changed customers with the last fit, exactly as a full scoring with that fit would, and moves the totals", async () => {
    const { prisma } = getDb();
    const ws = await signUp("incremental", "Incremental refresh");
    const data = generateDemoData({ seed: 11, customers: 1200, start: new Date(Date.UTC(2024, 0, 1)), end: new Date(Date.UTC(2025, 11, 31)) });
    await writeDemoData(prisma, ws.workspaceId, data, () => undefined);
    const full = await recomputeWorkspace(prisma, ws.workspaceId, { triggeredBy: "test", compare: false });
    if (full.status !== "succeeded") throw new Error("full run failed");
    const before = await withWorkspace(prisma, ws.workspaceId, (tx) => readSummaries(tx, ws.workspaceId));
    const baseFit = fitBgNbd(before);
    const baseSpend = fitSpend(before);

    // Writes: two more orders for 20 buyers, a new customer with three orders, one buyer loses every order.
    const { buyers, gone, fresh } = await withWorkspace(prisma, ws.workspaceId, async (tx) => {
      const ids = (await tx.customer.findMany({ where: { workspaceId: ws.workspaceId, orderCount: { gt: 0 } }, select: { id: true }, orderBy: { id: "asc" }, take: 21 })).map((c) => c.id);
      const buyers = ids.slice(0, 20);
      const gone = ids[20]!;
      await tx.order.createMany({
        data: buyers.flatMap((customerId, i) =>
          [0, 9].map((d) => ({ workspaceId: ws.workspaceId, externalId: `inc-${i}-${d}`, customerId, orderedAt: new Date(Date.UTC(2025, 10, 1 + d + i)), amountMinor: 4200n + BigInt(i), currency: "USD" })),
        ),
      });
      await tx.order.deleteMany({ where: { workspaceId: ws.workspaceId, customerId: gone } });
      const c = await tx.customer.create({ data: { workspaceId: ws.workspaceId, externalId: "inc-new", email: "inc-new@example.com" }, select: { id: true } });
      await tx.order.createMany({
        data: [0, 30, 61].map((d) => ({ workspaceId: ws.workspaceId, externalId: `inc-new-${d}`, customerId: c.id, orderedAt: new Date(Date.UTC(2025, 5, 1 + d)), amountMinor: 9900n, currency: "USD" })),
      });
      return { buyers, gone, fresh: c.id };
    });

    const plan = await withWorkspace(prisma, ws.workspaceId, (tx) => planIncremental(tx, ws.workspaceId, "bgnbd"));
    expect(plan?.changed).toBe(21);
    const inc = await recomputeWorkspace(prisma, ws.workspaceId, { triggeredBy: "data-change", mode: "incremental" });
    if (inc.status !== "succeeded") throw new Error("incremental run failed");
    expect(inc.customers).toBe(21);

    const after = await withWorkspace(prisma, ws.workspaceId, (tx) => readSummaries(tx, ws.workspaceId));
    const [run, baseRun, rows] = await withWorkspace(prisma, ws.workspaceId, (tx) =>
      Promise.all([
        tx.modelRun.findUniqueOrThrow({ where: { workspaceId_id: { workspaceId: ws.workspaceId, id: inc.runId } } }),
        tx.modelRun.findUniqueOrThrow({ where: { workspaceId_id: { workspaceId: ws.workspaceId, id: full.runId } } }),
        tx.$queryRaw<{ id: string; run: string; pa: number; clv: string; hist: string; risk: string; r: number; f: number; m: number }[]>`
          SELECT customer_id::text AS id, model_run_id::text AS run, p_alive AS pa, predicted_clv_minor::text AS clv, historical_clv_minor::text AS hist,
                 churn_risk AS risk, rfm_r AS r, rfm_f AS f, rfm_m AS m
            FROM customer_scores WHERE workspace_id = ${ws.workspaceId}::uuid`,
      ]),
    );
    // The Model page shows the same fit: parameters, holdout and comparison are the base run's.
    expect(run.params).toEqual(baseRun.params);
    expect(run.holdout).toEqual(baseRun.holdout);
    const totals = run.totals as { incremental: { baseRunId: string; rescored: number; removed: number }; predicted12m: { clv: number }; historical: number; atRisk: number; scored: number };
    expect(totals.incremental).toMatchObject({ baseRunId: full.runId, rescored: 21, removed: 1 });

    const byId = new Map(rows.map((r) => [r.id, r]));
    expect(byId.has(gone)).toBe(false);
    const changed = new Set([...buyers, fresh]);
    // Reference: the base run's model (a direct refit on the summaries it read) scoring the changed
    // customers' new summaries at the base cut-off — none of these orders is later than it.
    expect(after.cutoffDay).toBe(before.cutoffDay);
    const idx = after.ids.flatMap((id, i) => (changed.has(id) ? [i] : []));
    const pick = (a: Float64Array) => Float64Array.from(idx, (i) => a[i]!);
    const ref = scoreCustomers(
      { purchaseModel: baseFit, spendModel: baseSpend, frequency: pick(after.frequency), recency: pick(after.recency), T: pick(after.T), monetaryValue: pick(after.monetaryValue) },
      { horizons: [30, 90, 365], months: 12, discountRate: 0.01, unitsPerMonth: 30 },
    );
    idx.forEach((i, j) => {
      const row = byId.get(after.ids[i]!)!;
      expect(row.run).toBe(inc.runId);
      expect(row.pa).toBeCloseTo(ref.probabilityAlive[j]!, 9);
      expect(Number(row.clv)).toBe(Math.round(ref.clv![j]!));
      expect(Number(row.hist)).toBe(after.revenue[i]);
    });
    // Everyone else keeps the base run's scores.
    expect(rows.filter((r) => !changed.has(r.id)).every((r) => r.run === full.runId)).toBe(true);
    // Totals moved by exactly the changed rows (each stored CLV is rounded: within a cent per customer).
    const sumClv = rows.reduce((a, r) => a + Number(r.clv), 0);
    expect(Math.abs(totals.predicted12m.clv - sumClv)).toBeLessThanOrEqual(rows.length);
    expect(totals.historical).toBe(rows.reduce((a, r) => a + Number(r.hist), 0));
    expect(totals.atRisk).toBe(rows.filter((r) => r.risk === "high").length);
    expect(totals.scored).toBe(rows.length);
    // Deleting a customer deletes its score (a statement trigger on customers, not a foreign key).
    await withWorkspace(prisma, ws.workspaceId, (tx) => tx.customer.delete({ where: { workspaceId_id: { workspaceId: ws.workspaceId, id: fresh } } }));
    const left = await withWorkspace(prisma, ws.workspaceId, (tx) => tx.customerScore.count({ where: { workspaceId: ws.workspaceId, customerId: fresh } }));
    expect(left).toBe(0);
    // The buyers' frequencies equal their distinct purchase days − 1, up by at most the two new days (a new order may fall on a day they had bought on).
    const f0 = new Map(before.ids.map((id, i) => [id, before.frequency[i]!]));
    const days = await withWorkspace(prisma, ws.workspaceId, (tx) =>
      tx.$queryRaw<{ id: string; d: number }[]>`
        SELECT customer_id::text AS id, count(DISTINCT (ordered_at AT TIME ZONE 'UTC')::date)::int AS d
          FROM orders WHERE workspace_id = ${ws.workspaceId}::uuid AND NOT refunded AND customer_id = ANY(${buyers}::uuid[]) GROUP BY 1`,
    );
    expect(days.length).toBe(buyers.length);
    for (const { id, d } of days) {
      const f = after.frequency[after.ids.indexOf(id)]!;
      expect(f).toBe(d - 1);
      expect(f - f0.get(id)!).toBeGreaterThanOrEqual(0);
      expect(f - f0.get(id)!).toBeLessThanOrEqual(2);
    }
  });

  it("is not used when the tier rule changed, a full run is queued, or too many customers changed", async () => {
    const { prisma } = getDb();
    const ws = await signUp("incremental-no", "Incremental fallback");
    const data = generateDemoData({ seed: 12, customers: 1200, start: new Date(Date.UTC(2024, 0, 1)), end: new Date(Date.UTC(2025, 11, 31)) });
    await writeDemoData(prisma, ws.workspaceId, data, () => undefined);
    const full = await recomputeWorkspace(prisma, ws.workspaceId, { triggeredBy: "test", compare: false });
    if (full.status !== "succeeded") throw new Error("full run failed");
    const plan = (kind = "bgnbd") => withWorkspace(prisma, ws.workspaceId, (tx) => planIncremental(tx, ws.workspaceId, kind));
    expect((await plan())?.changed).toBe(0);
    expect(await plan("pnbd")).toBeNull();
    const setTiers = (v: object | null) =>
      withWorkspace(prisma, ws.workspaceId, (tx) => tx.workspace.update({ where: { id: ws.workspaceId }, data: { tierSettings: v ?? Prisma.DbNull } }));
    await setTiers({ v: 1, by: "percentile", high: 0.9, medium: 0.5 });
    expect(await plan()).toBeNull();
    await setTiers(null);
    expect((await plan())?.changed).toBe(0);
    await withWorkspace(prisma, ws.workspaceId, (tx) => tx.modelRun.create({ data: { workspaceId: ws.workspaceId, modelKind: "bgnbd", status: "queued", triggeredBy: "test" } }));
    expect(await plan()).toBeNull();
    await withWorkspace(prisma, ws.workspaceId, (tx) => tx.modelRun.deleteMany({ where: { workspaceId: ws.workspaceId, status: "queued" } }));
    // Every customer's summary rewritten (a repair, a huge import): more than the cap changed.
    await withWorkspace(prisma, ws.workspaceId, (tx) => tx.$executeRaw`UPDATE customers SET summary_updated_at = now() WHERE workspace_id = ${ws.workspaceId}::uuid`);
    expect(await plan()).toBeNull();
    const fallback = await recomputeWorkspace(prisma, ws.workspaceId, { triggeredBy: "data-change", mode: "incremental" });
    if (fallback.status !== "succeeded") throw new Error("fallback failed");
    const fb = await withWorkspace(prisma, ws.workspaceId, (tx) => tx.modelRun.findUniqueOrThrow({ where: { workspaceId_id: { workspaceId: ws.workspaceId, id: fallback.runId } } }));
    expect((fb.totals as { incremental?: unknown }).incremental).toBeUndefined();
    expect(fallback.customers).toBeGreaterThan(INCREMENTAL_MIN_CUSTOMERS - 1);
  });
});
