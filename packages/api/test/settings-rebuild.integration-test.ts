/**
 * A time-zone or margin change moves month buckets and margins, so the summaries are rebuilt from raw
 * orders: inside the request for a small workspace, by the worker (runRequestedRebuild) for a large one,
 * whose rebuild would outlast the request's 30 s statement limit (≈ 2 min at 1M customers).
 */
import { getDb, withWorkspace } from "@valuelens/db";
import { beforeAll, describe, expect, it } from "vitest";
import { INLINE_REBUILD_MAX_ORDERS, runRequestedRebuild } from "../src/services/workspaces.ts";
import { signUp, type Actor } from "./harness.ts";

/** One customer with one order at 23:30 UTC on 31 January: January in UTC, February in Tokyo. */
async function lateJanuaryOrder(workspaceId: string): Promise<void> {
  await withWorkspace(getDb().prisma, workspaceId, async (tx) => {
    const c = await tx.customer.create({ data: { workspaceId, externalId: "tz-c1", email: "tz@example.com" }, select: { id: true } });
    await tx.order.create({
      data: { workspaceId, externalId: "tz-o1", customerId: c.id, orderedAt: new Date("2025-01-31T23:30:00Z"), amountMinor: 10_000n, currency: "USD" },
      select: { id: true },
    });
  });
}

async function state(workspaceId: string) {
  return withWorkspace(getDb().prisma, workspaceId, async (tx) => {
    const months = await tx.$queryRaw<{ month: string; margin: bigint }[]>`
      SELECT to_char(month, 'YYYY-MM') AS month, margin_minor AS margin FROM customer_months WHERE workspace_id = ${workspaceId}::uuid`;
    const [ws] = await tx.$queryRaw<{ pending: boolean; stale: boolean }[]>`
      SELECT summaries_rebuild_at IS NOT NULL AS pending, metrics_stale_at IS NOT NULL AS stale FROM workspaces WHERE id = ${workspaceId}::uuid`;
    return { months: months.map((m) => `${m.month} ${m.margin}`), ...ws! };
  });
}

const tokyo = (ws: string, marginRate = 0.3) => ({ workspaceId: ws, name: "Settings rebuild", timezone: "Asia/Tokyo", marginRate });

describe("settings change: summaries rebuilt for the new time zone and margin", () => {
  let small: Actor & { workspaceId: string };
  let large: Actor & { workspaceId: string };
  beforeAll(async () => {
    small = await signUp("RebuildSmall");
    large = await signUp("RebuildLarge");
    await lateJanuaryOrder(small.workspaceId);
    await lateJanuaryOrder(large.workspaceId);
  });

  it("a small workspace is rebuilt inside the request", async () => {
    expect((await state(small.workspaceId)).months).toEqual(["2025-01 3000"]);
    const out = await small.caller.workspace.updateSettings(tokyo(small.workspaceId, 0.4));
    expect(out.rebuildPendingSince).toBeNull();
    const s = await state(small.workspaceId);
    expect(s.months).toEqual(["2025-02 4000"]);
    expect(s.pending).toBe(false);
  });

  it("a large workspace is saved at once and rebuilt by the worker, once", async () => {
    // Pretend the workspace is large: the choice reads the order count kept in workspace_stats.
    await withWorkspace(getDb().prisma, large.workspaceId, (tx) =>
      tx.$executeRaw`UPDATE workspace_stats SET orders = ${INLINE_REBUILD_MAX_ORDERS + 1} WHERE workspace_id = ${large.workspaceId}::uuid`,
    );
    const out = await large.caller.workspace.updateSettings(tokyo(large.workspaceId, 0.4));
    expect(out.timezone).toBe("Asia/Tokyo");
    expect(out.rebuildPendingSince).toBeInstanceOf(Date);
    const before = await state(large.workspaceId);
    expect(before).toMatchObject({ months: ["2025-01 3000"], pending: true, stale: true }); // not yet: the worker's job
    expect((await large.caller.workspace.settings({ workspaceId: large.workspaceId })).rebuildPendingSince).toBeInstanceOf(Date);

    const first = await runRequestedRebuild(getDb().prisma, large.workspaceId);
    expect(first.rebuilt).toBe(true);
    const after = await state(large.workspaceId);
    expect(after).toMatchObject({ months: ["2025-02 4000"], pending: false, stale: true }); // stale: rescore on the new figures
    expect((await large.caller.workspace.settings({ workspaceId: large.workspaceId })).rebuildPendingSince).toBeNull();
    expect((await runRequestedRebuild(getDb().prisma, large.workspaceId)).rebuilt).toBe(false);
  });

  it("a change with the same time zone and margin rate rebuilds nothing", async () => {
    const out = await large.caller.workspace.updateSettings({ ...tokyo(large.workspaceId, 0.4), name: "Renamed only" });
    expect(out.name).toBe("Renamed only");
    expect(out.rebuildPendingSince).toBeNull();
  });
});
