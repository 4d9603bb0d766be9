/**
 * A full recompute commits the scores first and refreshes the derived summaries (campaign and
 * retention rollups, the rule-segment facts copy and history) in a second transaction (issue 9:
 * predictions visible sooner at 1M customers), with the holdout check and model comparison. Checked
 * against a real PostgreSQL: while the second transaction is held up, the run is already "succeeded",
 * its scores are readable and its holdout check says "pending"; afterwards
 * every derived summary carries the run's id; a run superseded by a newer full run skips it, while a
 * held lock or a newer incremental refresh (which writes no derived summaries) only delays it.
 */
import { getDb, withWorkspace } from "@valuelens/db";
import { generateDemoData, writeDemoData } from "@valuelens/db/seed";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { recomputeWorkspace } from "../src/services/recompute/index.ts";
import { refreshDerived } from "../src/services/recompute/run-recompute.ts";
import { signUp } from "./harness.ts";

let ws: string;

beforeAll(async () => {
  const owner = await signUp("derived", "Derived summaries");
  ws = owner.workspaceId;
  const data = generateDemoData({ seed: 11, customers: 600, start: new Date(Date.UTC(2024, 0, 1)), end: new Date(Date.UTC(2025, 5, 30)) });
  await writeDemoData(getDb().prisma, ws, data, () => undefined);
});

/**
 * Runs `sql` (a lock statement, parameters `params`) in a transaction of its own that stays open until `release()`;
 * resolves once the lock is held. `done` settles when that transaction has ended.
 */
async function holdLock(sql: string, params: unknown[] = [], timeout = 120_000): Promise<{ release: () => void; done: Promise<void> }> {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let taken!: () => void;
  const lockTaken = new Promise<void>((r) => (taken = r));
  const done = getDb().prisma.$transaction(
    async (tx) => {
      await tx.$executeRawUnsafe(sql, ...params);
      taken();
      await released;
    },
    { timeout, maxWait: 10_000 },
  );
  await Promise.race([lockTaken, done]);
  return { release, done };
}

/** The run id each derived summary was last built from. */
async function derivedRuns(): Promise<{ campaign: string | null; retention: string | null; facts: string | null }> {
  const [r] = await withWorkspace(getDb().prisma, ws, (tx) =>
    tx.$queryRaw<{ campaign: string | null; retention: string | null; facts: string | null }[]>`
      SELECT (SELECT model_run_id::text FROM campaign_stats_refreshes WHERE workspace_id = ${ws}::uuid) AS campaign,
             (SELECT model_run_id::text FROM retention_rollup_refreshes WHERE workspace_id = ${ws}::uuid) AS retention,
             (SELECT model_run_id::text FROM segment_facts_refreshes WHERE workspace_id = ${ws}::uuid) AS facts`,
  );
  return r!;
}

async function latestSucceeded(): Promise<{ id: string; scored: number; check: string | null } | null> {
  const rows = await withWorkspace(getDb().prisma, ws, (tx) =>
    tx.$queryRaw<{ id: string; scored: number; check: string | null }[]>`
      SELECT m.id::text, (SELECT count(*)::int FROM customer_scores s WHERE s.workspace_id = ${ws}::uuid AND s.model_run_id = m.id) AS scored,
             CASE WHEN m.holdout ? 'pending' THEN 'pending' WHEN m.holdout ? 'bins' THEN 'done' END AS "check"
        FROM model_runs m WHERE m.workspace_id = ${ws}::uuid AND m.status = 'succeeded'
       ORDER BY m.finished_at DESC NULLS LAST, m.started_at DESC LIMIT 1`,
  );
  return rows[0] ?? null;
}

describe("derived summaries after the scores", () => {
  it("the scores and the run are visible while the derived summaries are still being written", async () => {
    const { prisma } = getDb();
    const first = await recomputeWorkspace(prisma, ws, { compare: false, triggeredBy: "test" });
    expect(first.status).toBe("succeeded");
    if (first.status !== "succeeded") return;
    expect(await derivedRuns()).toEqual({ campaign: first.runId, retention: first.runId, facts: first.runId });

    // A write since the first run, so the second run rebuilds its derived summaries (over unchanged data
    // it would only re-label them, derived-keys.ts, and write nothing the held lock below could stop).
    await withWorkspace(prisma, ws, (tx) => tx.$executeRaw`UPDATE workspaces SET metrics_stale_at = now() WHERE id = ${ws}::uuid`);
    // Hold the first table the campaign refresh writes, so the second transaction waits on it.
    const { release, done: blocker } = await holdLock("LOCK TABLE campaign_key_totals IN ACCESS EXCLUSIVE MODE");
    const second = recomputeWorkspace(prisma, ws, { compare: false, triggeredBy: "test" });
    try {
      let seen: { id: string; scored: number; check: string | null } | null = null;
      for (let i = 0; i < 600 && (seen === null || seen.id === first.runId); i++) {
        await new Promise((r) => setTimeout(r, 100));
        seen = await latestSucceeded();
      }
      expect(seen).not.toBeNull();
      expect(seen!.id).not.toBe(first.runId);
      expect(seen!.scored).toBeGreaterThan(500);
      expect(seen!.check).toBe("pending"); // the holdout check is written by the second transaction
      // Not yet refreshed: the campaign rollups (behind the held lock) still come from the first run. The
      // other parts run on whichever of the phase's two connections is free (derived-lanes.ts); the one not
      // held up commits what it ran, so the facts copy and the retention rollups may already name either run.
      const during = await derivedRuns();
      expect(during.campaign).toBe(first.runId);
      expect([first.runId, seen!.id]).toContain(during.facts);
      expect([first.runId, seen!.id]).toContain(during.retention);
    } finally {
      release();
      await blocker;
    }
    const out = await second;
    expect(out.status).toBe("succeeded");
    if (out.status !== "succeeded") return;
    expect(await derivedRuns()).toEqual({ campaign: out.runId, retention: out.runId, facts: out.runId });
    expect(await latestSucceeded()).toMatchObject({ id: out.runId, check: "done" });
  });

  it("while one part is held up on one connection, the other connection runs every other part", async () => {
    const { prisma } = getDb();
    const run = await recomputeWorkspace(prisma, ws, { compare: false, triggeredBy: "test" });
    if (run.status !== "succeeded") throw new Error("run failed");
    // A write, so every part rebuilds (the campaign rollups then write campaign_key_totals, held below).
    await withWorkspace(prisma, ws, (tx) => tx.$executeRaw`UPDATE workspaces SET metrics_stale_at = now() WHERE id = ${ws}::uuid`);
    const parts: { part: string; lane: string; failed?: boolean }[] = [];
    const write = process.stdout.write.bind(process.stdout);
    const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
      for (const line of String(chunk).split("\n")) {
        if (!line.includes('"recompute.derived_part"')) continue;
        const e = JSON.parse(line) as { part: string; lane: string; failed?: boolean; runId: string };
        if (e.runId === run.runId) parts.push({ part: e.part, lane: e.lane, ...(e.failed ? { failed: e.failed } : {}) });
      }
      return write(chunk);
    });
    const { release, done: blocker } = await holdLock("LOCK TABLE campaign_key_totals IN ACCESS EXCLUSIVE MODE");
    try {
      const refresh = refreshDerived(prisma, ws, run.runId, 60_000);
      for (let i = 0; i < 300 && parts.length < 2; i++) await new Promise((r) => setTimeout(r, 100));
      // The campaign rollups wait for the lock on one connection; the retention rollups and the rule segments
      // (facts copy and history) are done meanwhile, both on the other one.
      expect(parts.map((p) => p.part).sort()).toEqual(["retention rollups", "rule segments"]);
      expect(new Set(parts.map((p) => p.lane)).size).toBe(1);
      release();
      await blocker;
      expect(await refresh).toBe("done");
      const campaign = parts.find((p) => p.part === "campaign rollups");
      expect(campaign).toBeDefined();
      expect(campaign!.lane).not.toBe(parts[0]!.lane);
      expect(parts.filter((p) => p.failed)).toEqual([]);
      expect(await derivedRuns()).toEqual({ campaign: run.runId, retention: run.runId, facts: run.runId });
    } finally {
      release();
      await blocker.catch(() => undefined);
      spy.mockRestore();
    }
  });

  it("a run superseded by a newer full run leaves the derived summaries alone; a held lock or an incremental refresh only delays them", async () => {
    const { prisma } = getDb();
    const older = await recomputeWorkspace(prisma, ws, { compare: false, triggeredBy: "test" });
    const newer = await recomputeWorkspace(prisma, ws, { compare: false, triggeredBy: "test" });
    if (older.status !== "succeeded" || newer.status !== "succeeded") throw new Error("runs failed");
    expect(await refreshDerived(prisma, ws, older.runId, 60_000)).toBe("superseded");
    expect(await derivedRuns()).toEqual({ campaign: newer.runId, retention: newer.runId, facts: newer.runId });

    const { release, done: holder } = await holdLock("SELECT pg_advisory_xact_lock(hashtext($1))", [ws], 60_000);
    // Another job holds the workspace's lock: the refresh waits for it, then runs.
    const waiting = refreshDerived(prisma, ws, newer.runId, 60_000);
    let settled = false;
    void waiting.then(() => (settled = true));
    await new Promise((r) => setTimeout(r, 1500));
    expect(settled).toBe(false);
    release();
    await holder;
    expect(await waiting).toBe("done");

    // An incremental refresh after new orders writes no derived summaries, so it supersedes nothing.
    await withWorkspace(prisma, ws, (tx) =>
      tx.$executeRaw`
        INSERT INTO orders (workspace_id, external_id, customer_id, ordered_at, amount_minor, currency, updated_at)
        SELECT ${ws}::uuid, 'late-' || c.id, c.id, now(), 2500, 'USD', now()
          FROM customers c WHERE c.workspace_id = ${ws}::uuid AND c.first_order_at IS NOT NULL ORDER BY c.id LIMIT 10`,
    );
    const inc = await recomputeWorkspace(prisma, ws, { mode: "incremental", triggeredBy: "data-change" });
    expect(inc).toMatchObject({ status: "succeeded", customers: 10 });
    expect(await refreshDerived(prisma, ws, newer.runId, 60_000)).toBe("done");
    expect(await derivedRuns()).toEqual({ campaign: newer.runId, retention: newer.runId, facts: newer.runId });
  });
});
