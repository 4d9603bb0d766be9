import { getDb, withWorkspace } from "@valuelens/db";
import { describe, expect, it } from "vitest";
import { replaceScores, upsertScores, type ScoreRow } from "../src/services/recompute/write-scores.ts";
import { signUp } from "./harness.ts";

/**
 * The score write sends each column of a batch as one PostgreSQL array literal (write-scores.ts).
 * These tests read every stored row back and compare it field by field with what was written:
 * values that the text form could break (quotes, backslashes, commas and braces in strings, NaN,
 * tiny and huge doubles, nulls), more rows than one batch, and the upsert path of the incremental
 * refresh. customer_scores has no foreign key to customers (migration 20261124100900), so the
 * rows need no customers.
 */
const BATCH_PLUS = 20_000 * 2 + 7; // three batches, the last one short

function row(i: number): ScoreRow {
  const odd = i % 2 === 1;
  return {
    customerId: crypto.randomUUID(),
    pAlive: i === 0 ? Number.NaN : i === 1 ? null : i === 2 ? 3.357849783841986e-14 : (i % 997) / 997 + 1e-9,
    e30: i === 3 ? Number.POSITIVE_INFINITY : i / 7,
    e90: odd ? null : 0.1 + 0.2, // 0.30000000000000004 must come back as the same double
    e365: i * 1.000000000000001,
    clv: i === 4 ? null : i * 10.5, // rounds half away from zero like Math.round (x.5 → up for positives)
    clvLow: i === 5 ? Number.NaN : i * 5.25,
    clvHigh: i * 20.75,
    churnRisk: i === 6 ? null : ["low", "medium", "high"][i % 3]!,
    r: 1 + (i % 5),
    f: 1 + ((i >> 1) % 5),
    m: 1 + ((i >> 2) % 5),
    segment: i === 7 ? 'He said "no", {braces}, a\\backslash' : i === 8 ? "NULL" : i === 9 ? "" : ["Can't Lose Them", "At Risk", "Champions"][i % 3]!,
    tier: i === 10 ? "a,b" : ["high", "medium", "low"][i % 3]!,
    historical: i === 11 ? 2 ** 53 - 1 : i * 1234,
    lastAt: Date.UTC(2025, 0, 1) + i * 61_001,
  };
}

const fin = (v: number | null) => (v === null || !Number.isFinite(v) ? null : v);
const whole = (v: number | null) => (v === null || !Number.isFinite(v) ? null : Math.round(v));

interface Stored {
  customer_id: string;
  model_run_id: string;
  p_alive: number | null;
  expected_purchases_30: number | null;
  expected_purchases_90: number | null;
  expected_purchases_365: number | null;
  predicted_clv_minor: string | null;
  predicted_clv_low_minor: string | null;
  predicted_clv_high_minor: string | null;
  historical_clv_minor: string;
  churn_risk: string | null;
  rfm_r: number;
  rfm_f: number;
  rfm_m: number;
  rfm_segment: string;
  value_tier: string;
  scored_at: Date;
  last_order_at: Date | null;
}

function expectStored(got: Stored | undefined, r: ScoreRow, runId: string, scoredAt: Date) {
  expect(got, r.customerId).toBeDefined();
  const str = (v: number | null) => (v === null ? null : String(v));
  expect(got).toEqual({
    customer_id: r.customerId,
    model_run_id: runId,
    p_alive: fin(r.pAlive),
    expected_purchases_30: fin(r.e30),
    expected_purchases_90: fin(r.e90),
    expected_purchases_365: fin(r.e365),
    predicted_clv_minor: str(whole(r.clv)),
    predicted_clv_low_minor: str(whole(r.clvLow)),
    predicted_clv_high_minor: str(whole(r.clvHigh)),
    historical_clv_minor: String(Math.round(r.historical)),
    churn_risk: r.churnRisk,
    rfm_r: r.r,
    rfm_f: r.f,
    rfm_m: r.m,
    rfm_segment: r.segment,
    value_tier: r.tier,
    scored_at: scoredAt,
    last_order_at: new Date(r.lastAt),
  });
}

async function readAll(workspaceId: string): Promise<Map<string, Stored>> {
  const rows = await withWorkspace(getDb().prisma, workspaceId, (tx) =>
    tx.$queryRaw<Stored[]>`
      SELECT customer_id::text, model_run_id::text, p_alive, expected_purchases_30, expected_purchases_90, expected_purchases_365,
             predicted_clv_minor::text, predicted_clv_low_minor::text, predicted_clv_high_minor::text, historical_clv_minor::text,
             churn_risk, rfm_r, rfm_f, rfm_m, rfm_segment, value_tier, scored_at, last_order_at
        FROM customer_scores WHERE workspace_id = ${workspaceId}::uuid`,
  );
  return new Map(rows.map((r) => [r.customer_id, r]));
}

describe("score write (column arrays)", () => {
  it("stores every field of every row exactly, across batches, and replaces only the workspace's own rows", async () => {
    const a = await signUp("ScoresA");
    const b = await signUp("ScoresB");
    const rows = Array.from({ length: BATCH_PLUS }, (_, i) => row(i));
    const run1 = crypto.randomUUID();
    const at1 = new Date(Date.UTC(2026, 10, 24, 10, 0, 0, 123));
    await withWorkspace(getDb().prisma, a.workspaceId, (tx) => replaceScores(tx, a.workspaceId, run1, rows, at1), { timeoutMs: 120_000 });
    const other = [row(12), row(13)];
    await withWorkspace(getDb().prisma, b.workspaceId, (tx) => replaceScores(tx, b.workspaceId, run1, other, at1));

    const stored = await readAll(a.workspaceId);
    expect(stored.size).toBe(BATCH_PLUS);
    for (const r of rows) expectStored(stored.get(r.customerId), r, run1, at1);

    // A second full run replaces the set: old customers gone, new ones in; workspace B untouched.
    const next = rows.slice(0, 5).concat([row(14)]);
    const run2 = crypto.randomUUID();
    const at2 = new Date(Date.UTC(2026, 10, 25));
    await withWorkspace(getDb().prisma, a.workspaceId, (tx) => replaceScores(tx, a.workspaceId, run2, next, at2), { timeoutMs: 120_000 });
    const again = await readAll(a.workspaceId);
    expect(again.size).toBe(next.length);
    for (const r of next) expectStored(again.get(r.customerId), r, run2, at2);
    const untouched = await readAll(b.workspaceId);
    expect(untouched.size).toBe(2);
    for (const r of other) expectStored(untouched.get(r.customerId), r, run1, at1);
  });

  it("upserts: changed customers are overwritten in place, new ones added, the rest kept", async () => {
    const a = await signUp("ScoresUpsert");
    const rows = Array.from({ length: 50 }, (_, i) => row(i));
    const run1 = crypto.randomUUID();
    const at1 = new Date(Date.UTC(2026, 10, 24));
    await withWorkspace(getDb().prisma, a.workspaceId, (tx) => replaceScores(tx, a.workspaceId, run1, rows, at1));
    const changed = rows.slice(0, 10).map((r, i) => ({ ...r, pAlive: 0.5 + i / 100, clv: (r.clv ?? 0) + 99.4, segment: "Lost", tier: "low", churnRisk: "high" }));
    const added = [row(60), row(61)];
    const run2 = crypto.randomUUID();
    const at2 = new Date(Date.UTC(2026, 10, 25));
    await withWorkspace(getDb().prisma, a.workspaceId, (tx) => upsertScores(tx, a.workspaceId, run2, [...changed, ...added], at2));
    const stored = await readAll(a.workspaceId);
    expect(stored.size).toBe(52);
    for (const r of [...changed, ...added]) expectStored(stored.get(r.customerId), r, run2, at2);
    for (const r of rows.slice(10)) expectStored(stored.get(r.customerId), r, run1, at1);
  });

  it("an empty set clears the workspace's scores", async () => {
    const a = await signUp("ScoresEmpty");
    await withWorkspace(getDb().prisma, a.workspaceId, (tx) => replaceScores(tx, a.workspaceId, crypto.randomUUID(), [row(1), row(2)], new Date()));
    await withWorkspace(getDb().prisma, a.workspaceId, (tx) => replaceScores(tx, a.workspaceId, crypto.randomUUID(), [], new Date()));
    expect((await readAll(a.workspaceId)).size).toBe(0);
  });
});
