/**
 * The rule previews' segment_facts copy, refreshed in place (facts.ts writeFacts: one MERGE that updates
 * changed rows, inserts new customers' rows, deletes gone customers' rows), must hold exactly what a
 * rewrite from scratch (the old DELETE + INSERT of every row) holds: every row byte for byte, against a
 * real PostgreSQL. Each step changes the source in a way a MERGE could miss — a score, a customer column,
 * a JSON number written differently but equal as JSON (1.0 vs 1), -0 vs 0, a new customer, a deleted
 * customer, a copy row doctored behind the refresh's back — and compares the copy with the reference.
 */
import { getDb, withWorkspace, type Tx } from "@valuelens/db";
import { generateDemoData, writeDemoData } from "@valuelens/db/seed";
import { beforeAll, describe, expect, it } from "vitest";
import { recomputeWorkspace } from "../src/services/recompute/index.ts";
import { refreshSegmentFacts, segmentFactsState } from "../src/services/segment-rules/facts.ts";
import { signUp } from "./harness.ts";

let ws: string;
let runId: string;
const prisma = () => getDb().prisma;
const inWs = <T>(fn: (tx: Tx) => Promise<T>) => withWorkspace(prisma(), ws, fn, { timeoutMs: 120_000 });

beforeAll(async () => {
  const owner = await signUp("factsmerge", "Facts merge");
  ws = owner.workspaceId;
  const data = generateDemoData({ seed: 31, customers: 400, start: new Date(Date.UTC(2024, 0, 1)), end: new Date(Date.UTC(2025, 5, 30)) });
  await writeDemoData(prisma(), ws, data, () => undefined);
  const run = await recomputeWorkspace(prisma(), ws, { compare: false, triggeredBy: "test" });
  if (run.status !== "succeeded") throw new Error("recompute failed");
  runId = run.runId;
});

/**
 * The reference: what the copy held after the pre-MERGE refresh (DELETE + INSERT … SELECT of every customer),
 * i.e. the source query's rows, as row text, sorted.
 */
async function reference(tx: Tx): Promise<string[]> {
  const rows = await tx.$queryRawUnsafe<{ t: string }[]>(
    `SELECT ROW(c.workspace_id, c.id, ((hashtext(c.id::text) & 2147483647) % 100)::smallint, c.order_count, s.rfm_r, s.rfm_f, s.rfm_m,
                s.predicted_clv_minor, s.historical_clv_minor, s.p_alive, s.expected_purchases_30, s.expected_purchases_90, s.expected_purchases_365,
                c.first_order_at, c.last_order_at, c.acquisition_campaign_id, s.rfm_segment, s.value_tier, s.churn_risk, c.acquisition_channel,
                CASE WHEN c.attributes = '{}'::jsonb THEN NULL ELSE c.attributes END)::text AS t
       FROM customers c LEFT JOIN customer_scores s ON s.workspace_id = c.workspace_id AND s.customer_id = c.id
      WHERE c.workspace_id = $1::uuid ORDER BY 1`,
    ws,
  );
  return rows.map((r) => r.t);
}

async function copy(tx: Tx): Promise<string[]> {
  const rows = await tx.$queryRawUnsafe<{ t: string }[]>(
    `SELECT ROW(workspace_id, customer_id, sample, order_count, rfm_r, rfm_f, rfm_m, predicted_clv_minor, historical_clv_minor, p_alive,
                expected_purchases_30, expected_purchases_90, expected_purchases_365, first_order_at, last_order_at, campaign_id, rfm_segment,
                value_tier, churn_risk, channel, attributes)::text AS t
       FROM segment_facts WHERE workspace_id = $1::uuid ORDER BY 1`,
    ws,
  );
  return rows.map((r) => r.t);
}

/** Refresh (forced past the unchanged-data check, as after any write) and compare with the reference in the same transaction. */
async function refreshAndCompare(): Promise<{ copy: string[]; updated: number }> {
  return inWs(async (tx) => {
    const [before] = await tx.$queryRawUnsafe<{ n: bigint }[]>("SELECT n_tup_upd + n_tup_ins + n_tup_del AS n FROM pg_stat_xact_user_tables WHERE relname = 'segment_facts'");
    expect(await refreshSegmentFacts(tx, ws, runId, { force: true })).toBe(true);
    const [after] = await tx.$queryRawUnsafe<{ n: bigint }[]>("SELECT n_tup_upd + n_tup_ins + n_tup_del AS n FROM pg_stat_xact_user_tables WHERE relname = 'segment_facts'");
    const got = await copy(tx);
    expect(got).toEqual(await reference(tx));
    expect((await segmentFactsState(tx, ws))?.customers).toBe(got.length);
    return { copy: got, updated: Number(after?.n ?? 0) - Number(before?.n ?? 0) };
  });
}

const exec = (sql: string) => inWs((tx) => tx.$executeRawUnsafe(sql, ws));
/** One customer with an order (the lowest id), as SQL. */
const oneCustomer = "(SELECT min(id::text)::uuid FROM customers WHERE workspace_id = $1::uuid AND first_order_at IS NOT NULL)";

describe("segment_facts refreshed in place", () => {
  it("equals a rewrite from scratch after every kind of change, and touches only changed rows", async () => {
    const first = await refreshAndCompare();
    expect(first.copy.length).toBeGreaterThan(300);
    // Nothing changed: no row written.
    expect((await refreshAndCompare()).updated).toBe(0);

    // Scores of every other customer (a refit), a tier, a churn band set to NULL.
    expect(await exec(`UPDATE customer_scores SET p_alive = p_alive / 2, predicted_clv_minor = predicted_clv_minor + 7 WHERE workspace_id = $1::uuid AND (hashtext(customer_id::text) & 1) = 0`)).toBeGreaterThan(0);
    expect(await exec(`UPDATE customer_scores SET value_tier = 'low', churn_risk = NULL WHERE workspace_id = $1::uuid AND customer_id = ${oneCustomer}`)).toBe(1);
    const scores = await refreshAndCompare();
    expect(scores.updated).toBeGreaterThan(100);
    expect(scores.updated).toBeLessThan(first.copy.length);

    // Customer columns: channel, campaign gone, order dates; attributes set, then equal as JSON but written differently.
    expect(await exec(`UPDATE customers SET acquisition_channel = 'merge-test', order_count = order_count + 1, last_order_at = last_order_at + interval '1 day' WHERE id = ${oneCustomer} AND workspace_id = $1::uuid`)).toBe(1);
    expect(await exec(`UPDATE customers SET attributes = '{"plan": "pro", "seats": 1.0}' WHERE id = ${oneCustomer} AND workspace_id = $1::uuid`)).toBe(1);
    await refreshAndCompare();
    expect(await exec(`UPDATE customers SET attributes = '{"plan": "pro", "seats": 1}' WHERE id = ${oneCustomer} AND workspace_id = $1::uuid`)).toBe(1);
    expect((await refreshAndCompare()).updated).toBe(1);
    expect(await exec(`UPDATE customers SET attributes = '{}' WHERE id = ${oneCustomer} AND workspace_id = $1::uuid`)).toBe(1);
    expect((await refreshAndCompare()).updated).toBe(1);

    // -0 and 0 are equal numbers with different bytes (and row text).
    expect(await exec(`UPDATE customer_scores SET p_alive = 0 WHERE workspace_id = $1::uuid AND customer_id = ${oneCustomer}`)).toBe(1);
    await refreshAndCompare();
    expect(await exec(`UPDATE customer_scores SET p_alive = '-0'::float8 WHERE workspace_id = $1::uuid AND customer_id = ${oneCustomer}`)).toBe(1);
    expect((await refreshAndCompare()).updated).toBe(1);

    // A new customer (no order, no score) and a deleted one.
    await inWs((tx) => tx.customer.create({ data: { workspaceId: ws, externalId: "merge-new", email: "merge-new@example.com" }, select: { id: true } }));
    expect(await exec(`DELETE FROM customers WHERE workspace_id = $1::uuid AND id = (SELECT max(id::text)::uuid FROM customers WHERE workspace_id = $1::uuid AND first_order_at IS NOT NULL)`)).toBe(1);
    const grown = await refreshAndCompare();
    expect(grown.updated).toBe(2);
    expect(grown.copy.length).toBe(first.copy.length);

    // A copy row changed behind the refresh's back is put right.
    expect(await exec(`UPDATE segment_facts SET order_count = order_count + 1000, sample = (sample + 1) % 100 WHERE workspace_id = $1::uuid AND customer_id = ${oneCustomer}`)).toBe(1);
    expect((await refreshAndCompare()).updated).toBe(1);
  });

  it("writes a workspace's first copy from scratch, the same rows", async () => {
    await exec("DELETE FROM segment_facts WHERE workspace_id = $1::uuid");
    const fresh = await refreshAndCompare();
    expect(fresh.copy.length).toBeGreaterThan(300);
  });
});
