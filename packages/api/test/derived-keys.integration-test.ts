/**
 * A full recompute rebuilds a derived part (retention rollups, campaign rollups, segment facts) only
 * when what it depends on changed since it was built (issue 9, derived-keys.ts): checked against a
 * real PostgreSQL on demo data. Skipped work is proven by a doctored row that survives; rebuilt parts
 * must equal what a forced full rebuild writes (the old path, which the rollup tests compare with
 * the live queries).
 */
import { getDb, withWorkspace, type Tx } from "@valuelens/db";
import { generateDemoData, writeDemoData } from "@valuelens/db/seed";
import { beforeAll, describe, expect, it } from "vitest";
import { refreshCampaignStats } from "../src/services/campaigns/refresh-campaign-stats.ts";
import { onWorkspaceDataChanged } from "../src/services/data-changed.ts";
import { recomputeWorkspace } from "../src/services/recompute/index.ts";
import { refreshRetentionRollups } from "../src/services/retention-rollups.ts";
import { refreshSegmentFacts } from "../src/services/segment-rules/facts.ts";
import { signUp } from "./harness.ts";

let ws: string;
/** The full run the second test starts from. */
let first: string;
const prisma = () => getDb().prisma;
const inWs = <T>(fn: (tx: Tx) => Promise<T>) => withWorkspace(prisma(), ws, fn, { timeoutMs: 120_000 });

beforeAll(async () => {
  const owner = await signUp("derivedkeys", "Derived keys");
  ws = owner.workspaceId;
  const data = generateDemoData({ seed: 23, customers: 500, start: new Date(Date.UTC(2024, 0, 1)), end: new Date(Date.UTC(2025, 5, 30)) });
  await writeDemoData(prisma(), ws, data, () => undefined);
  const run = await recomputeWorkspace(prisma(), ws, { compare: false, triggeredBy: "test" });
  expect(run.status).toBe("succeeded");
});

type Part = "retention" | "campaigns" | "facts";
const CONTENTS: Record<Part, string> = {
  retention: "SELECT r::text AS t FROM retention_rollups r WHERE workspace_id = $1::uuid",
  campaigns: `SELECT 'c' || r::text AS t FROM campaign_cohorts r WHERE workspace_id = $1::uuid
              UNION ALL SELECT 'm' || r::text FROM campaign_cohort_months r WHERE workspace_id = $1::uuid
              UNION ALL SELECT 't' || r::text FROM campaign_key_totals r WHERE workspace_id = $1::uuid`,
  facts: "SELECT r::text AS t FROM segment_facts r WHERE workspace_id = $1::uuid",
};

/** A part's rows, each as its row text, sorted: equal contents = equal rows. */
async function contents(part: Part): Promise<string[]> {
  const rows = await inWs((tx) => tx.$queryRawUnsafe<{ t: string }[]>(`${CONTENTS[part]} ORDER BY 1`, ws));
  return rows.map((r) => r.t);
}

async function all(): Promise<Record<Part, string[]>> {
  return { retention: await contents("retention"), campaigns: await contents("campaigns"), facts: await contents("facts") };
}

/** The run each part's refresh row names. */
async function refreshRuns(): Promise<Record<Part, string | null>> {
  const [r] = await inWs((tx) =>
    tx.$queryRawUnsafe<Record<Part, string | null>[]>(
      `SELECT (SELECT model_run_id::text FROM retention_rollup_refreshes WHERE workspace_id = $1::uuid) AS retention,
              (SELECT model_run_id::text FROM campaign_stats_refreshes WHERE workspace_id = $1::uuid) AS campaigns,
              (SELECT model_run_id::text FROM segment_facts_refreshes WHERE workspace_id = $1::uuid) AS facts`,
      ws,
    ),
  );
  return r!;
}

/**
 * One order-only row of each part moved by +1000 (or back by −1000): a rebuild of that row would
 * overwrite it, a kept part keeps it.
 */
async function doctor(by: number, parts: readonly Part[] = ["retention", "campaigns", "facts"]): Promise<void> {
  await inWs(async (tx) => {
    const a = !parts.includes("retention") ? 1 : await tx.$executeRawUnsafe(
      `UPDATE retention_rollups SET customers = customers + $2 WHERE workspace_id = $1::uuid AND kind = 'cell' AND grain = 'month' AND split = 'none' AND k = 0
          AND c0 = (SELECT min(c0) FROM retention_rollups WHERE workspace_id = $1::uuid AND kind = 'cell' AND grain = 'month' AND split = 'none')`,
      ws,
      by,
    );
    const b = !parts.includes("campaigns") ? 1 : await tx.$executeRawUnsafe(
      `UPDATE campaign_cohort_months SET active = active + $2 WHERE workspace_id = $1::uuid AND month_offset = 0
          AND (campaign_key, channel, cohort_month) = (SELECT campaign_key, channel, min(cohort_month) FROM campaign_cohort_months
                                                        WHERE workspace_id = $1::uuid GROUP BY 1, 2 ORDER BY 1, 2 LIMIT 1)`,
      ws,
      by,
    );
    const c = !parts.includes("facts") ? 1 : await tx.$executeRawUnsafe(
      `UPDATE segment_facts SET order_count = order_count + $2 WHERE workspace_id = $1::uuid
          AND customer_id = (SELECT min(customer_id::text)::uuid FROM segment_facts WHERE workspace_id = $1::uuid)`,
      ws,
      by,
    );
    expect([a, b, c]).toEqual([1, 1, 1]);
  });
}

/** Every part rebuilt the old way (force), in this transaction's data: what a partial rebuild must equal. */
async function forcedRebuild(runId: string): Promise<void> {
  await inWs(async (tx) => {
    expect(await refreshRetentionRollups(tx, ws, runId, { force: true })).toBe(true);
    expect(await refreshCampaignStats(tx, ws, runId, { force: true })).toBe(true);
    expect(await refreshSegmentFacts(tx, ws, runId, { force: true })).toBe(true);
  });
}

/** The run's holdout check as stored (computed, or taken from an earlier run over the same data: sameDataAs). */
async function holdoutOf(runId: string): Promise<{ sameDataAs?: string; bins?: unknown; checkKey?: string }> {
  const [r] = await inWs((tx) => tx.$queryRawUnsafe<{ h: { sameDataAs?: string; checkKey?: string } }[]>("SELECT holdout AS h FROM model_runs WHERE id = $1::uuid", runId));
  return r!.h;
}

async function fullRun(): Promise<string> {
  const run = await recomputeWorkspace(prisma(), ws, { compare: false, triggeredBy: "test" });
  expect(run.status).toBe("succeeded");
  if (run.status !== "succeeded") throw new Error("recompute failed");
  return run.runId;
}

describe("derived parts rebuilt only when what they depend on changed", () => {
  it("data_version moves with every stale mark, never back", async () => {
    const version = async () => (await inWs((tx) => tx.$queryRawUnsafe<{ v: string }[]>("SELECT data_version::text AS v FROM workspaces WHERE id = $1::uuid", ws)))[0]!.v;
    const v0 = BigInt(await version());
    await inWs((tx) => onWorkspaceDataChanged(tx, ws));
    expect(BigInt(await version())).toBe(v0 + 1n);
    await inWs((tx) => tx.$executeRawUnsafe("UPDATE workspaces SET metrics_stale_at = NULL WHERE id = $1::uuid", ws));
    expect(BigInt(await version())).toBe(v0 + 1n);
    await inWs((tx) => tx.$executeRawUnsafe("UPDATE workspaces SET name = name || '' WHERE id = $1::uuid", ws));
    expect(BigInt(await version())).toBe(v0 + 1n);
    first = await fullRun(); // back to a state where every part was built from the current data
  });

  it("a full run over unchanged data keeps every part (same rows, now the new run's) and the holdout check; after a write it rebuilds them", async () => {
    const before = await all();
    await doctor(1000);
    const doctored = await all();
    expect(doctored).not.toEqual(before);
    const second = await fullRun();
    expect(await refreshRuns()).toEqual({ retention: second, campaigns: second, facts: second });
    // Nothing rebuilt: the doctored rows are still there, everything else as before.
    expect(await all()).toEqual(doctored);
    // The holdout check too: the same check over the same data, taken from the first run.
    const check = await holdoutOf(first);
    expect(check.bins).toBeDefined();
    expect(await holdoutOf(second)).toEqual({ ...check, sameDataAs: first });

    // A write (here a customer's channel, which no summary trigger sees; the write marks the workspace stale
    // as every write path does): campaigns and facts are rebuilt (their doctored rows gone), retention applies the change.
    await inWs(async (tx) => {
      await tx.$executeRawUnsafe(
        `UPDATE customers SET acquisition_channel = 'derived-keys-test' WHERE workspace_id = $1::uuid
            AND id = (SELECT min(id::text)::uuid FROM customers WHERE workspace_id = $1::uuid AND first_order_at IS NOT NULL)`,
        ws,
      );
      await onWorkspaceDataChanged(tx, ws);
    });
    const third = await fullRun();
    expect(await refreshRuns()).toEqual({ retention: third, campaigns: third, facts: third });
    // Retention applied only the changed customer's contributions (mode delta, retention-rollups.ts): its doctored
    // row, which that customer's change does not touch, is still there; moved back, the rows equal a full rebuild.
    await doctor(-1000, ["retention"]);
    const thirdCheck = await holdoutOf(third);
    expect(thirdCheck.sameDataAs).toBeUndefined(); // computed again
    expect(thirdCheck.checkKey).not.toBe(check.checkKey);
    const rebuilt = await all();
    expect(rebuilt.retention.some((t) => t.includes("derived-keys-test"))).toBe(true);
    await forcedRebuild(third);
    expect(await all()).toEqual(rebuilt);
  });

  it("new score values alone: only the score-dependent rows are rebuilt, and they equal a full rebuild", async () => {
    const runId = (await refreshRuns()).retention!;
    // Scores as a different model or tier setting would give them: tiers rotated for a third of the
    // customers, predicted values raised for half.
    const changeScores = (sql: string) => inWs((tx) => tx.$executeRawUnsafe(sql, ws));
    const partial = async () => {
      await inWs(async (tx) => {
        expect(await refreshRetentionRollups(tx, ws, runId)).toBe(true);
        expect(await refreshCampaignStats(tx, ws, runId)).toBe(true);
        expect(await refreshSegmentFacts(tx, ws, runId)).toBe(true);
      });
    };

    // The doctored order-only rows are moved back after the partial refresh: equal to the full rebuild then
    // only if the partial refresh kept them (a rebuild would have overwritten them, and the move back break them).
    const orderOnly: Part[] = ["retention", "campaigns"];

    // 1. Predicted values only: retention rebuilds the forecasts, campaigns the predicted sums, facts the copy.
    expect(
      await changeScores(
        `UPDATE customer_scores SET predicted_clv_minor = predicted_clv_minor + 1234, predicted_clv_high_minor = predicted_clv_high_minor + 2000
          WHERE workspace_id = $1::uuid AND predicted_clv_minor IS NOT NULL AND (hashtext(customer_id::text) & 1) = 0`,
      ),
    ).toBeGreaterThan(0);
    const forecasts = (rows: string[]) => rows.filter((t) => t.includes(",pred,"));
    const beforePred = await all();
    await doctor(1000, orderOnly);
    await partial();
    await doctor(-1000, orderOnly);
    const predPartial = await all();
    expect(forecasts(predPartial.retention)).not.toEqual(forecasts(beforePred.retention));
    expect(predPartial.campaigns).not.toEqual(beforePred.campaigns);
    expect(predPartial.facts).not.toEqual(beforePred.facts);
    await forcedRebuild(runId);
    expect(predPartial).toEqual(await all());

    // 2. Value tiers (and so the tier split) too, for a tenth of the customers: retention replaces their contributions
    // (mode delta; above DELTA_MAX_SHARE it would rebuild everything), which leaves the order-only rows as they are;
    // campaigns keep everything.
    expect(
      await changeScores(
        `UPDATE customer_scores SET value_tier = CASE value_tier WHEN 'high' THEN 'medium' WHEN 'medium' THEN 'low' ELSE 'high' END
          WHERE workspace_id = $1::uuid AND value_tier IS NOT NULL AND (hashtext(customer_id::text) % 10) = 0`,
      ),
    ).toBeGreaterThan(0);
    const tierRows = (rows: string[]) => rows.filter((t) => t.includes(",tier,"));
    const beforeTiers = await all();
    await doctor(1000, orderOnly);
    await partial();
    await doctor(-1000, orderOnly);
    const tierPartial = await all();
    expect(tierRows(tierPartial.retention)).not.toEqual(tierRows(beforeTiers.retention));
    expect(tierPartial.campaigns).toEqual(beforeTiers.campaigns);
    await forcedRebuild(runId);
    expect(tierPartial).toEqual(await all());
  });
});
