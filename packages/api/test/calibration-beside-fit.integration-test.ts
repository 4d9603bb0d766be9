/**
 * The holdout check's calibration read runs beside the scoring transaction's fit (issue 9, the 1M
 * target): on its own connection, in the snapshot the run's summaries were read in. Checked against a
 * real PostgreSQL: a write that commits after the summary read is not in the calibration data (it is
 * exactly what the summaries saw), and a failed calibration read stores the check as "unavailable"
 * with its reason while the run's scores stand.
 */
import { detachedFromTenant, getDb, withWorkspace } from "@valuelens/db";
import { generateDemoData, writeDemoData } from "@valuelens/db/seed";
import { beforeAll, describe, expect, it } from "vitest";
import { HOLDOUT_SHARE, recomputeWorkspace, startCalibrationRead } from "../src/services/recompute/run-recompute.ts";
import { holdoutCustomers, readCalibration, readSummaries } from "../src/services/recompute/summaries.ts";
import { signUp } from "./harness.ts";

let ws: string;

beforeAll(async () => {
  const owner = await signUp("calbeside", "Calibration beside the fit");
  ws = owner.workspaceId;
  const data = generateDemoData({ seed: 23, customers: 800, start: new Date(Date.UTC(2024, 0, 1)), end: new Date(Date.UTC(2025, 5, 30)) });
  await writeDemoData(getDb().prisma, ws, data, () => undefined);
});

const holdoutDaysOf = (s: { cutoffDay: number; firstDay: number }) => Math.max(1, Math.round((s.cutoffDay - s.firstDay) * HOLDOUT_SHARE));

describe("calibration read beside the fit", () => {
  it("reads the data the summaries were read from, not a write that committed after them", async () => {
    const { prisma } = getDb();
    // The calibration data as it is now, through the old path (a read in a transaction of its own).
    const before = await withWorkspace(prisma, ws, async (tx) => {
      const s = await readSummaries(tx, ws);
      const days = holdoutDaysOf(s);
      return readCalibration(tx, ws, s.cutoffDay - days, days, holdoutCustomers(s, s.cutoffDay - days, ws));
    });
    // A repeat customer in the calibration data: the earliest first purchase among those with ≥ 4 purchase
    // days, so it is before the calibration end. (Ordered by id alone — ids are random — it was sometimes a
    // customer whose purchases all fell in the holdout period, outside the calibration data either way.)
    const [victim] = await withWorkspace(prisma, ws, (tx) =>
      tx.$queryRaw<{ id: string }[]>`
        SELECT customer_id::text AS id FROM orders WHERE workspace_id = ${ws}::uuid AND NOT refunded
         GROUP BY customer_id HAVING count(DISTINCT ordered_at::date) >= 4 ORDER BY min(ordered_at), customer_id LIMIT 1`,
    );
    expect(victim).toBeDefined();

    const seen = await withWorkspace(prisma, ws, async (tx) => {
      const s = await readSummaries(tx, ws, undefined, { exportSnapshot: true });
      expect(s.snapshot).toMatch(/^[0-9A-F]+-[0-9A-F]+(-\d+)?$/i);
      // A write (every order of the customer refunded) commits after the summary read, while the run's
      // transaction is still open — as an import can during a 1M fit.
      await detachedFromTenant(() =>
        withWorkspace(prisma, ws, (w) => w.$executeRaw`UPDATE orders SET refunded = true WHERE workspace_id = ${ws}::uuid AND customer_id = ${victim!.id}::uuid`),
      );
      return startCalibrationRead(prisma, ws, s, holdoutDaysOf(s))?.result;
    });
    expect(seen?.ok).toBe(true);
    if (!seen?.ok) return;
    // The write changed the data (a fresh read sees it) …
    const after = await withWorkspace(prisma, ws, async (tx) => {
      const s = await readSummaries(tx, ws);
      const days = holdoutDaysOf(s);
      return readCalibration(tx, ws, s.cutoffDay - days, days, holdoutCustomers(s, s.cutoffDay - days, ws));
    });
    expect(after).not.toEqual(before);
    // … but the read beside the fit saw exactly the data of its summaries.
    expect(seen.value).toEqual(before);

    await withWorkspace(prisma, ws, (w) => w.$executeRaw`UPDATE orders SET refunded = false WHERE workspace_id = ${ws}::uuid AND customer_id = ${victim!.id}::uuid`);
  });

  it("a failed calibration read stores the check as unavailable with its reason; the scores stand", async () => {
    const { prisma } = getDb();
    let cancelled = 0;
    // Hold the orders table (only the calibration read reads it during the scoring transaction), find the
    // calibration read waiting for it and cancel it: the read fails as a statement killed by an operator would.
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => (locked = r));
    const lock = withWorkspace(
      prisma,
      ws,
      async (tx) => {
        await tx.$executeRawUnsafe("LOCK TABLE orders IN ACCESS EXCLUSIVE MODE");
        locked();
        await released;
      },
      { timeoutMs: 60_000 },
    );
    await isLocked;
    const run = recomputeWorkspace(prisma, ws, { triggeredBy: "test" });
    for (let i = 0; i < 400 && cancelled === 0; i++) {
      await new Promise((r) => setTimeout(r, 25));
      const [c] = await prisma.$queryRaw<{ n: number }[]>`
        SELECT count(pg_cancel_backend(pid))::int AS n FROM pg_stat_activity
         WHERE wait_event_type = 'Lock' AND query LIKE '%array_agg(day -%'`;
      cancelled = c?.n ?? 0;
    }
    release();
    await lock;
    expect(cancelled).toBe(1);
    const out = await run;
    expect(out.status).toBe("succeeded");
    if (out.status !== "succeeded") return;
    const [r] = await withWorkspace(prisma, ws, (tx) =>
      tx.$queryRaw<{ holdout: { unavailable?: string; bins?: unknown }; comparison: unknown[]; scored: number }[]>`
        SELECT holdout, comparison, (SELECT count(*)::int FROM customer_scores s WHERE s.workspace_id = ${ws}::uuid AND s.model_run_id = m.id) AS scored
          FROM model_runs m WHERE m.workspace_id = ${ws}::uuid AND m.id = ${out.runId}::uuid`,
    );
    expect(r!.holdout.unavailable).toMatch(/^The holdout check failed: .*canceling statement/s);
    expect(r!.holdout.bins).toBeUndefined();
    expect(r!.comparison).toEqual([]);
    expect(r!.scored).toBe(out.customers);
  });
});
