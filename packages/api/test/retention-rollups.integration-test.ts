/**
 * Retention rollups (issue 7): after a recompute the page's procedures read retention_rollups, and
 * every answer equals the live queries' answer (random data and the demo data, every grain, split and
 * precomputed window); the rollups are really read while fresh and never once a write happened.
 */
import { mulberry32 } from "@valuelens/clv-core";
import { getDb, withWorkspace } from "@valuelens/db";
import { generateDemoData, writeDemoData } from "@valuelens/db/seed";
import type { TCohortGrain, TCohortSplit } from "@valuelens/validators";
import { describe, expect, it } from "vitest";
import { recomputeWorkspace } from "../src/services/recompute/index.ts";
import { readRetentionFreshness, ROLLUP_WINDOWS } from "../src/services/retention-rollups.ts";
import { signUp, type Actor } from "./harness.ts";

const DAY = 86_400_000;
const prisma = () => getDb().prisma;
const GRAINS: TCohortGrain[] = ["week", "month", "quarter"];
const SPLITS: TCohortSplit[] = ["none", "channel", "campaign", "segment", "tier"];

async function setStale(ws: string, stale: boolean): Promise<void> {
  await withWorkspace(prisma(), ws, (tx) => tx.$executeRaw`UPDATE workspaces SET metrics_stale_at = ${stale ? new Date() : null} WHERE id = ${ws}::uuid`);
}

const fresh = (ws: string) => withWorkspace(prisma(), ws, (tx) => readRetentionFreshness(tx, ws));

/** Every answer of the page's procedures for this workspace. */
async function answers(owner: Actor, ws: string) {
  const out: Record<string, unknown> = {};
  for (const grain of GRAINS) for (const split of SPLITS) out[`cohorts:${grain}:${split}`] = await owner.caller.retention.cohorts({ workspaceId: ws, grain, split });
  for (const w of ROLLUP_WINDOWS)
    for (const split of SPLITS) out[`curves:${w}:${split}`] = await owner.caller.retention.curves({ workspaceId: ws, split, windowMonths: w, horizonMonths: 24 });
  out["rates"] = await owner.caller.retention.rates({ workspaceId: ws });
  // One split group at a time (what the page asks for), and older weekly cohorts.
  for (const split of SPLITS) {
    const g = await owner.caller.retention.groups({ workspaceId: ws, split });
    out[`groups:${split}`] = g;
    for (const grain of GRAINS)
      for (const { value } of g.groups) out[`cohorts:${grain}:${split}:${value}`] = await owner.caller.retention.cohorts({ workspaceId: ws, grain, split, group: value });
  }
  const latest = await owner.caller.retention.cohorts({ workspaceId: ws, grain: "week", split: "channel", weeks: 10 });
  out["cohorts:week:older"] = await owner.caller.retention.cohorts({ workspaceId: ws, grain: "week", split: "channel", weeks: 10, until: latest.window!.from });
  return out;
}

const addWeeks = (day: string, n: number) => new Date(Date.parse(`${day}T00:00:00Z`) + n * 7 * DAY).toISOString().slice(0, 10);

/**
 * The group filter and the weekly window against the whole matrix: one group's cohorts are exactly that
 * group's rows of every group's matrix; the groups are the matrix's groups with their cohort sizes; weekly
 * pages of 9 cohorts, newest first, add up to every weekly cohort, and the default shows the latest 52.
 */
async function expectGroupsAndWindows(owner: Actor, ws: string): Promise<void> {
  const call = owner.caller.retention;
  for (const split of SPLITS) {
    const { groups } = await call.groups({ workspaceId: ws, split });
    const all = await call.cohorts({ workspaceId: ws, grain: "month", split });
    const sizes = new Map<string, number>();
    for (const r of all.rows) sizes.set(r.group, (sizes.get(r.group) ?? 0) + r.size);
    expect(groups.map((g) => [g.value, g.customers]).sort(), split).toEqual([...sizes].sort());
    expect(groups.map((g) => g.label), split).toEqual([...groups.map((g) => g.label)].sort((a, b) => a.localeCompare(b)));
    for (const grain of GRAINS) {
      const every = await call.cohorts({ workspaceId: ws, grain, split, weeks: 104 });
      expect(every.group).toBeNull();
      for (const g of groups) {
        const one = await call.cohorts({ workspaceId: ws, grain, split, group: g.value, weeks: 104 });
        expect(one.group).toBe(g.value);
        expect(one.rows.length, `${grain} ${split} ${g.label}`).toBeGreaterThan(0);
        expect(one.rows, `${grain} ${split} ${g.label}`).toEqual(every.rows.filter((r) => r.group === g.value));
      }
      expect((await call.cohorts({ workspaceId: ws, grain, split, group: "no such group" })).rows).toEqual([]);
    }
  }
  const full = await call.cohorts({ workspaceId: ws, grain: "week", split: "none", weeks: 104 });
  const weeks = full.rows.map((r) => r.cohort);
  expect(weeks.length).toBeGreaterThan(60); // the random data's first orders span 500 days
  expect(weeks.length).toBeLessThanOrEqual(104);
  expect(full.window).toMatchObject({ first: weeks[0], last: weeks.at(-1), until: weeks.at(-1) });
  const byDefault = await call.cohorts({ workspaceId: ws, grain: "week", split: "none" });
  expect(byDefault.window).toMatchObject({ weeks: 52, from: addWeeks(weeks.at(-1)!, -51), until: weeks.at(-1), first: weeks[0], last: weeks.at(-1) });
  expect(byDefault.rows).toEqual(full.rows.filter((r) => r.cohort >= byDefault.window!.from));
  const paged: string[] = [];
  let until: string | undefined = undefined;
  for (let page = 0; page < 20; page++) {
    const m = await call.cohorts({ workspaceId: ws, grain: "week", split: "none", weeks: 9, ...(until === undefined ? {} : { until }) });
    expect(m.window!.weeks).toBe(9);
    expect(m.rows.every((r) => r.cohort >= m.window!.from && r.cohort <= m.window!.until)).toBe(true);
    expect(m.rows).toEqual(full.rows.filter((r) => r.cohort >= m.window!.from && r.cohort <= m.window!.until));
    paged.unshift(...m.rows.map((r) => r.cohort));
    if (m.window!.from <= m.window!.first!) break;
    until = addWeeks(m.window!.from, -1);
  }
  expect(paged).toEqual(weeks);
  // Month and quarter grains ignore the weekly window.
  expect((await call.cohorts({ workspaceId: ws, grain: "month", split: "none", weeks: 1 })).window).toBeNull();
}

/** Rollup-backed answers (fresh), then live answers (stale) for the same data: must be equal. */
async function expectRollupsEqualLive(owner: Actor, ws: string): Promise<void> {
  expect(await fresh(ws)).not.toBeNull();
  const fromRollups = await answers(owner, ws);
  await setStale(ws, true);
  expect(await fresh(ws)).toBeNull();
  const live = await answers(owner, ws);
  for (const key of Object.keys(live)) expect(fromRollups[key], key).toEqual(live[key]);
  await setStale(ws, false);
}

async function loadRandom(ws: string, seed: number, customers: number): Promise<void> {
  const rng = mulberry32(seed);
  const start = Date.UTC(2024, 0, 1);
  await withWorkspace(prisma(), ws, async (tx) => {
    const camp = await tx.campaign.create({ data: { workspaceId: ws, externalId: "spring", name: "Spring sale", channel: "paid" }, select: { id: true } });
    await tx.customer.createMany({
      data: Array.from({ length: customers }, (_, c) => ({
        workspaceId: ws,
        externalId: `r${c}`,
        acquisitionChannel: c % 4 === 0 ? null : ["email", "paid", "social"][c % 3]!,
        acquisitionCampaignId: c % 5 === 0 ? camp.id : null,
      })),
    });
    const ids = new Map((await tx.customer.findMany({ where: { workspaceId: ws }, select: { id: true, externalId: true } })).map((r) => [r.externalId, r.id]));
    const orders: { workspaceId: string; externalId: string; customerId: string; orderedAt: Date; amountMinor: bigint; currency: string; refunded: boolean }[] = [];
    for (let c = 0; c < customers; c++) {
      const first = start + Math.floor(rng() * 500) * DAY + Math.floor(rng() * 86_400) * 1000;
      const n = 1 + Math.floor(rng() * 7);
      for (let i = 0; i < n; i++)
        orders.push({
          workspaceId: ws,
          externalId: `o${c}-${i}`,
          customerId: ids.get(`r${c}`)!,
          orderedAt: new Date(i === 0 ? first : first + Math.floor(rng() * 400) * DAY),
          amountMinor: BigInt(100 + Math.floor(rng() * 10_000)),
          currency: rng() < 0.1 ? "EUR" : "USD",
          refunded: i > 0 && rng() < 0.1,
        });
    }
    for (let i = 0; i < orders.length; i += 500) await tx.order.createMany({ data: orders.slice(i, i + 500) });
  });
}

describe("retention rollups", () => {
  it("give exactly the live answers on random data (every grain, split and precomputed window), and are really read while fresh", async () => {
    const owner = await signUp("retroll");
    const ws = owner.workspaceId;
    await loadRandom(ws, 20261124, 400);
    expect(await fresh(ws)).toBeNull(); // no recompute yet: live
    const run = await recomputeWorkspace(prisma(), ws, { compare: false });
    expect(run.status).toBe("succeeded");
    await expectRollupsEqualLive(owner, ws);
    await expectGroupsAndWindows(owner, ws);
    await setStale(ws, true);
    await expectGroupsAndWindows(owner, ws);
    await setStale(ws, false);

    // Proof the procedures read the rollups while fresh: a doctored rollup row shows up, and is gone once stale.
    const before = await owner.caller.retention.cohorts({ workspaceId: ws, grain: "month", split: "none" });
    await withWorkspace(prisma(), ws, (tx) => tx.$executeRaw`UPDATE retention_rollups SET customers = customers + 1000 WHERE workspace_id = ${ws}::uuid AND kind = 'cell' AND grain = 'month' AND split = 'none' AND k = 0`);
    const doctored = await owner.caller.retention.cohorts({ workspaceId: ws, grain: "month", split: "none" });
    expect(doctored.rows.map((r) => r.size)).toEqual(before.rows.map((r) => r.size + 1000));
    await setStale(ws, true);
    expect((await owner.caller.retention.cohorts({ workspaceId: ws, grain: "month", split: "none" })).rows.map((r) => r.size)).toEqual(before.rows.map((r) => r.size));
  });

  it("right after a newer run's scores, before its own refresh: order-only rows from the rollups, score-dependent rows live", async () => {
    const owner = await signUp("retroll-window");
    const ws = owner.workspaceId;
    await loadRandom(ws, 99, 200);
    const run = await recomputeWorkspace(prisma(), ws, { compare: false });
    expect(run.status).toBe("succeeded");
    expect(await fresh(ws)).toMatchObject({ scoresCurrent: true });
    const none = await owner.caller.retention.cohorts({ workspaceId: ws, grain: "month", split: "none" });
    const tier = await owner.caller.retention.cohorts({ workspaceId: ws, grain: "month", split: "tier" });
    expect(none.rows.some((r) => r.forecast !== null)).toBe(true);
    // Doctor a cell, a tier cell and a forecast in the rollups, then record a newer succeeded run (its scores
    // committed, its derived refresh not yet written: run-recompute.ts refreshDerived).
    await withWorkspace(prisma(), ws, async (tx) => {
      await tx.$executeRaw`UPDATE retention_rollups SET customers = customers + 1000 WHERE workspace_id = ${ws}::uuid AND kind = 'cell' AND grain = 'month' AND split IN ('none', 'tier') AND k = 0`;
      await tx.$executeRaw`UPDATE retention_rollups SET revenue_minor = revenue_minor + 777 WHERE workspace_id = ${ws}::uuid AND kind = 'pred' AND split = 'none' AND k = 12`;
    });
    const doctoredNone = await owner.caller.retention.cohorts({ workspaceId: ws, grain: "month", split: "none" });
    expect(doctoredNone.rows.map((r) => r.size)).toEqual(none.rows.map((r) => r.size + 1000));
    expect(doctoredNone.rows.find((r) => r.forecast)!.forecast!.m12Minor).not.toBe(none.rows.find((r) => r.forecast)!.forecast!.m12Minor);
    await withWorkspace(prisma(), ws, (tx) =>
      tx.$executeRaw`INSERT INTO model_runs (workspace_id, model_kind, status, step, triggered_by, finished_at) VALUES (${ws}::uuid, 'bgnbd', 'succeeded', 'done', 'test', now() + interval '1 second')`,
    );
    expect(await fresh(ws)).toMatchObject({ scoresCurrent: false });
    const windowNone = await owner.caller.retention.cohorts({ workspaceId: ws, grain: "month", split: "none" });
    expect(windowNone.rows.map((r) => r.size)).toEqual(none.rows.map((r) => r.size + 1000)); // still the rollups
    expect(windowNone.rows.map((r) => r.forecast)).toEqual(none.rows.map((r) => r.forecast)); // live, not the doctored row
    expect(await owner.caller.retention.cohorts({ workspaceId: ws, grain: "month", split: "tier" })).toEqual(tier); // live
  });

  it("fall back to live queries after any order write, even one that did not mark the workspace stale", async () => {
    const owner = await signUp("retroll2");
    const ws = owner.workspaceId;
    await loadRandom(ws, 7, 120);
    await recomputeWorkspace(prisma(), ws, { compare: false });
    expect(await fresh(ws)).not.toBeNull();
    const before = await owner.caller.retention.cohorts({ workspaceId: ws, grain: "month", split: "none" });
    // A new customer with an order in the first cohort month, written straight through the triggers (no onWorkspaceDataChanged).
    const first = before.rows[0]!;
    await withWorkspace(prisma(), ws, async (tx) => {
      const c = await tx.customer.create({ data: { workspaceId: ws, externalId: "late" }, select: { id: true } });
      await tx.order.create({ data: { workspaceId: ws, externalId: "late-1", customerId: c.id, orderedAt: new Date(`${first.cohort}T12:00:00Z`), amountMinor: 500n, currency: "USD", refunded: false } });
    });
    expect(await fresh(ws)).toBeNull();
    const after = await owner.caller.retention.cohorts({ workspaceId: ws, grain: "month", split: "none" });
    expect(after.rows[0]!.size).toBe(first.size + 1);
    // The next recompute makes them fresh again, with the new customer.
    await recomputeWorkspace(prisma(), ws, { compare: false });
    expect(await fresh(ws)).not.toBeNull();
    expect((await owner.caller.retention.cohorts({ workspaceId: ws, grain: "month", split: "none" })).rows[0]!.size).toBe(first.size + 1);
  });

  it("give exactly the live answers on the demo data, with segment and tier splits that partition the cohorts", async () => {
    const owner = await signUp("retroll-demo");
    const ws = owner.workspaceId;
    const data = generateDemoData({ seed: 42, customers: 800, start: new Date(Date.UTC(2024, 0, 1)), end: new Date(Date.UTC(2025, 11, 31, 23, 59, 59, 999)) });
    await writeDemoData(prisma(), ws, data, () => undefined);
    const run = await recomputeWorkspace(prisma(), ws, { compare: false });
    expect(run).toMatchObject({ status: "succeeded", predictions: true });
    await expectRollupsEqualLive(owner, ws);
    const all = await owner.caller.retention.cohorts({ workspaceId: ws, grain: "month", split: "none" });
    for (const split of ["segment", "tier"] as const) {
      const m = await owner.caller.retention.cohorts({ workspaceId: ws, grain: "month", split });
      expect(new Set(m.rows.map((r) => r.group)).size).toBeGreaterThanOrEqual(3);
      expect(m.rows.every((r) => r.cacMinor === null)).toBe(true);
      for (const c of all.rows) expect(m.rows.filter((r) => r.cohort === c.cohort).reduce((s, r) => s + r.size, 0), `${split} ${c.cohort}`).toBe(c.size);
    }
    const tiers = await owner.caller.retention.cohorts({ workspaceId: ws, grain: "quarter", split: "tier" });
    expect(new Set(tiers.rows.map((r) => r.groupLabel))).toEqual(new Set(["High value", "Medium value", "Low value"]));
    expect(tiers.rows.every((r) => r.forecast === null)).toBe(true); // forecasts are for month cohorts

    // Cohort LTV forecasts = the scores summed per acquisition month (12-month CLV spread like expected purchases).
    const scored = await withWorkspace(prisma(), ws, async (tx) => {
      const tz = (await tx.workspace.findUniqueOrThrow({ where: { id: ws }, select: { timezone: true } })).timezone;
      const month = new Intl.DateTimeFormat("en-CA", { timeZone: tz, year: "numeric", month: "2-digit" });
      const rows = await tx.customerScore.findMany({ where: { workspaceId: ws, predictedClvMinor: { not: null } }, include: { customer: { select: { firstOrderAt: true } } } });
      return rows.map((r) => ({ ...r, cohort: `${month.format(r.customer.firstOrderAt!)}-01` }));
    });
    expect(scored.length).toBeGreaterThan(500);
    let checked = 0;
    for (const r of all.rows) {
      const mine = scored.filter((x) => x.cohort === r.cohort);
      if (mine.length === 0) {
        expect(r.forecast).toBeNull();
        continue;
      }
      const f = r.forecast!;
      const share = (x: (typeof mine)[number], e: number | null, even: number) => (x.expectedPurchases365! > 0 ? (Number(x.predictedClvMinor) * e!) / x.expectedPurchases365! : (Number(x.predictedClvMinor) * even) / 12);
      expect(f.scored, r.cohort).toBe(mine.length);
      expect(BigInt(f.m12Minor)).toBe(mine.reduce((s, x) => s + x.predictedClvMinor!, 0n));
      expect(BigInt(f.lowMinor)).toBe(mine.reduce((s, x) => s + (x.predictedClvLowMinor ?? x.predictedClvMinor!), 0n));
      expect(BigInt(f.highMinor)).toBe(mine.reduce((s, x) => s + (x.predictedClvHighMinor ?? x.predictedClvMinor!), 0n));
      expect(Math.abs(Number(f.m1Minor) - mine.reduce((s, x) => s + share(x, x.expectedPurchases30, 1), 0))).toBeLessThanOrEqual(1);
      expect(Math.abs(Number(f.m3Minor) - mine.reduce((s, x) => s + share(x, x.expectedPurchases90, 3), 0))).toBeLessThanOrEqual(1);
      expect(BigInt(f.m1Minor)).toBeLessThanOrEqual(BigInt(f.m3Minor));
      expect(BigInt(f.m3Minor)).toBeLessThanOrEqual(BigInt(f.m12Minor));
      checked++;
    }
    expect(checked).toBeGreaterThan(12);

    // Curves for one split group: only that group, its 12 latest cohorts fitted, the same churn trend as all groups.
    const allCh = await owner.caller.retention.curves({ workspaceId: ws, split: "channel", windowMonths: 3, horizonMonths: 24 });
    const group = allCh.curves[0]!.group;
    const one = await owner.caller.retention.curves({ workspaceId: ws, split: "channel", windowMonths: 3, horizonMonths: 24, group });
    expect(one.curves.length).toBeGreaterThan(12);
    expect(one.curves.every((c) => c.group === group)).toBe(true);
    expect(one.curves).toEqual(allCh.curves.filter((c) => c.group === group));
    expect(one.churnTrend).toEqual(allCh.churnTrend);
    expect(one.curves.slice(0, -12).every((c) => c.fit === null && c.projection.length === 0)).toBe(true);
    const none = await owner.caller.retention.curves({ workspaceId: ws, split: "none", windowMonths: 3, horizonMonths: 24, group: "" });
    expect(none.curves.length).toBeGreaterThan(12);
    expect(none.curves.slice(0, -12).every((c) => c.fit === null)).toBe(true);
    expect(none.curves.slice(-12).filter((c) => c.fit !== null).length).toBeGreaterThan(3);
  });
});
