/**
 * Customers explorer and model card procedures (issue 9) on demo data: keyset pagination walks every
 * scored customer exactly once in the requested order, filters hold on every page, the profile has
 * its orders and P(alive) path, and "Recompute now" queues one run for the worker.
 */
import { getDb, withWorkspace } from "@valuelens/db";
import { generateDemoData, writeDemoData } from "@valuelens/db/seed";
import type { TCustomerListInput } from "@valuelens/validators";
import { beforeAll, describe, expect, it } from "vitest";
import { recomputeWorkspace } from "../src/services/recompute/index.ts";
import { join, signUp } from "./harness.ts";

let owner: Awaited<ReturnType<typeof signUp>>;
let scored = 0;

beforeAll(async () => {
  owner = await signUp("explorer", "Explorer demo");
  const data = generateDemoData({ seed: 11, customers: 1200, start: new Date(Date.UTC(2024, 0, 1)), end: new Date(Date.UTC(2025, 11, 31)) });
  await writeDemoData(getDb().prisma, owner.workspaceId, data, () => undefined);
  const out = await recomputeWorkspace(getDb().prisma, owner.workspaceId, { compare: false });
  if (out.status !== "succeeded") throw new Error("recompute failed");
  scored = out.customers;
});

type ListArgs = Omit<TCustomerListInput, "workspaceId">;

async function walk(args: ListArgs) {
  const seen: Awaited<ReturnType<typeof owner.caller.customers.list>>["rows"] = [];
  let cursor: { v: string; id: string } | null = null;
  for (let pages = 0; pages < 1000; pages++) {
    const page = await owner.caller.customers.list({ workspaceId: owner.workspaceId, ...args, limit: 37, cursor });
    seen.push(...page.rows);
    if (!page.nextCursor) break;
    cursor = page.nextCursor;
  }
  return seen;
}

describe("customers.list (keyset pagination)", () => {
  it.each([
    ["predictedClv", "desc"],
    ["historicalClv", "desc"],
    ["pAlive", "asc"],
    ["lastOrder", "desc"],
    ["predictedClv", "asc"],
  ] as const)("sort %s %s: every customer once, no gaps, in order", async (sort, dir) => {
    const rows = await walk({ sort, dir });
    expect(rows.length).toBe(scored);
    expect(new Set(rows.map((r) => r.id)).size).toBe(scored);
    const key = (r: (typeof rows)[number]): number =>
      sort === "predictedClv" ? Number(r.predictedClvMinor) : sort === "historicalClv" ? Number(r.historicalClvMinor) : sort === "pAlive" ? r.pAlive! : r.lastOrderAt!.getTime();
    for (let i = 1; i < rows.length; i++) {
      if (dir === "desc") expect(key(rows[i]!)).toBeLessThanOrEqual(key(rows[i - 1]!));
      else expect(key(rows[i]!)).toBeGreaterThanOrEqual(key(rows[i - 1]!));
    }
  });

  it("respects filters on every page and matches a direct count", async () => {
    const rows = await walk({ sort: "predictedClv", dir: "desc", filters: { tier: "high", churnRisk: "low" } });
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) expect([r.valueTier, r.churnRisk]).toEqual(["high", "low"]);
    const [direct] = await withWorkspace(getDb().prisma, owner.workspaceId, (tx) =>
      tx.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM customer_scores WHERE value_tier = 'high' AND churn_risk = 'low'`,
    );
    expect(rows.length).toBe(direct!.n);

    const channel = rows[0]!.channel!;
    const byChannel = await walk({ sort: "historicalClv", dir: "desc", filters: { channel, minHistoricalClv: "5000" } });
    for (const r of byChannel) {
      expect(r.channel).toBe(channel);
      expect(BigInt(r.historicalClvMinor) >= 5000n).toBe(true);
    }
  });

  it("searches by external id and e-mail prefix", async () => {
    const [first] = (await owner.caller.customers.list({ workspaceId: owner.workspaceId, sort: "historicalClv", limit: 1 })).rows;
    const byId = await owner.caller.customers.list({ workspaceId: owner.workspaceId, sort: "historicalClv", filters: { search: first!.externalId } });
    expect(byId.rows.map((r) => r.id)).toContain(first!.id);
    if (first!.email) {
      const prefix = first!.email.slice(0, Math.max(3, first!.email.indexOf("@")));
      const byEmail = await owner.caller.customers.list({ workspaceId: owner.workspaceId, sort: "historicalClv", filters: { search: prefix } });
      expect(byEmail.rows.map((r) => r.id)).toContain(first!.id);
      for (const r of byEmail.rows) expect(`${r.email} ${r.name?.toLowerCase()}`).toContain(prefix.toLowerCase());
    }
  });

  it("searches names by case-insensitive prefix, taking % and _ literally", async () => {
    const ids = await withWorkspace(getDb().prisma, owner.workspaceId, async (tx) => {
      const rows = await tx.customer.findMany({ where: { workspaceId: owner.workspaceId, orderCount: { gt: 0 } }, select: { id: true }, orderBy: { id: "asc" }, take: 2 });
      await tx.customer.update({ where: { workspaceId_id: { workspaceId: owner.workspaceId, id: rows[0]!.id } }, data: { name: "Zoë Quartermaine" } });
      await tx.customer.update({ where: { workspaceId_id: { workspaceId: owner.workspaceId, id: rows[1]!.id } }, data: { name: "Zo_ Percent%" } });
      return rows.map((r) => r.id);
    });
    const search = async (q: string) =>
      (await owner.caller.customers.list({ workspaceId: owner.workspaceId, sort: "historicalClv", filters: { search: q } })).rows.map((r) => r.id);
    expect(await search("zoë quart")).toEqual([ids[0]]);
    expect(await search("ZOË")).toEqual([ids[0]]);
    expect(await search("zo_")).toEqual([ids[1]]);
    expect(await search("zo%")).toEqual([]);
    expect(await search("quartermaine")).toEqual([]); // prefix, not substring
  });

  it("gives the same pages for a narrow search (ids first) and a broad one (walking the sort order)", async () => {
    const { listCustomers } = await import("../src/services/predictions/list-customers.ts");
    const [first] = (await owner.caller.customers.list({ workspaceId: owner.workspaceId, sort: "historicalClv", limit: 1 })).rows;
    const q = first!.email ? first!.email.slice(0, 2) : first!.externalId.slice(0, 1);
    const all = async (searchFirstMax?: number) =>
      withWorkspace(getDb().prisma, owner.workspaceId, async (tx) => {
        const ids: string[] = [];
        let cursor: { v: string; id: string } | null = null;
        for (let i = 0; i < 500; i++) {
          const page = await listCustomers(tx, owner.workspaceId, { sort: "predictedClv", dir: "desc", limit: 7, cursor, filters: { search: q } }, { searchFirstMax });
          ids.push(...page.rows.map((r) => r.id));
          if (!page.nextCursor) break;
          cursor = page.nextCursor;
        }
        return ids;
      });
    const narrow = await all();
    expect(narrow.length).toBeGreaterThan(7);
    expect(await all(1)).toEqual(narrow);
  });

  it("rejects a malformed cursor", async () => {
    await expect(
      owner.caller.customers.list({ workspaceId: owner.workspaceId, sort: "historicalClv", cursor: { v: "1; drop", id: crypto.randomUUID() } }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST" });
  });
});

describe("customer profile and model card", () => {
  it("returns the profile with orders, scores and a P(alive) path", async () => {
    const [top] = (await owner.caller.customers.list({ workspaceId: owner.workspaceId, sort: "predictedClv", limit: 1 })).rows;
    const p = await owner.caller.customers.get({ workspaceId: owner.workspaceId, customerId: top!.id });
    expect(p.orders.length).toBe(p.orderCount);
    expect(p.score?.predictedClvMinor).toBe(top!.predictedClvMinor);
    expect(BigInt(p.score!.predictedClvLowMinor!) <= BigInt(p.score!.predictedClvMinor!)).toBe(true);
    expect(p.alivepath.length).toBeGreaterThan(1);
    for (const x of p.alivepath) expect(x.pAlive).toBeGreaterThanOrEqual(0);
    // Next-purchase window: ordered dates after the data cut-off (the last P(alive) point is the cut-off).
    const np = p.nextPurchase!;
    expect(np.from).toBe(p.alivepath.at(-1)!.day);
    expect(np.from < np.low && np.low <= np.median && np.median <= np.high).toBe(true);
    expect(np.within30).toBeCloseTo(np.within30IfActive * p.score!.pAlive!, 12);
    expect(np.within30IfActive).toBeGreaterThan(0);
    expect(np.within30IfActive).toBeLessThan(1);
  });

  it("reports the model card and queues one run on 'Recompute now' (ADMIN only)", async () => {
    const st = await owner.caller.model.status({ workspaceId: owner.workspaceId });
    expect(st.latest?.status).toBe("succeeded");
    expect(st.latest?.params).not.toBeNull();
    const a = await owner.caller.model.recomputeNow({ workspaceId: owner.workspaceId });
    const b = await owner.caller.model.recomputeNow({ workspaceId: owner.workspaceId });
    expect(b).toEqual({ runId: a.runId, alreadyQueued: true });
    expect((await owner.caller.model.status({ workspaceId: owner.workspaceId })).active?.status).toBe("queued");
    const viewer = await join(owner, owner.workspaceId, "explorerViewer", "VIEWER");
    await expect(viewer.caller.model.recomputeNow({ workspaceId: owner.workspaceId })).rejects.toMatchObject({ code: "FORBIDDEN" });
    // The worker claims the queued run; the new model applies.
    await owner.caller.model.setPurchaseModel({ workspaceId: owner.workspaceId, model: "mbgnbd" });
    const out = await recomputeWorkspace(getDb().prisma, owner.workspaceId, { compare: false });
    expect(out.status === "succeeded" && out.runId).toBe(a.runId);
    const after = await owner.caller.model.status({ workspaceId: owner.workspaceId });
    expect(after.latest?.modelKind).toBe("mbgnbd");
    expect(after.active).toBeNull();
    const summary = await owner.caller.overview.predictions({ workspaceId: owner.workspaceId });
    expect(summary.available).toBe(true);
    expect(BigInt(summary.predicted12m!.lowMinor) <= BigInt(summary.predicted12m!.minor)).toBe(true);
    expect(summary.histogram.reduce((s, b) => s + b.customers, 0)).toBe(scored);
  });
});

describe("customers.list view withoutOrders", () => {
  it("lists every customer without orders once, newest first, with the count, filters and a clear refusal", async () => {
    const base = Date.UTC(2026, 0, 1);
    const made = await withWorkspace(getDb().prisma, owner.workspaceId, async (tx) => {
      const ids: string[] = [];
      for (let i = 0; i < 45; i++) {
        const c = await tx.customer.create({
          data: {
            workspaceId: owner.workspaceId,
            externalId: `LEAD-${i}`,
            email: `lead-${i}@example.com`,
            name: `Lead ${i}`,
            acquisitionChannel: i % 3 === 0 ? "Referral-leads" : null,
            // Two share a timestamp: the keyset must still hand out each exactly once.
            createdAt: new Date(base + Math.min(i, 44 - (i === 44 ? 1 : 0)) * 3_600_000),
          },
          select: { id: true },
        });
        ids.push(c.id);
      }
      return ids;
    });
    const [direct] = await withWorkspace(getDb().prisma, owner.workspaceId, (tx) =>
      tx.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM customers WHERE order_count = 0`,
    );
    expect(direct!.n).toBeGreaterThanOrEqual(45);

    const rows = await walk({ view: "withoutOrders", sort: "predictedClv", dir: "desc" });
    expect(rows.length).toBe(direct!.n);
    expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
    for (const id of made) expect(rows.map((r) => r.id)).toContain(id);
    for (let i = 1; i < rows.length; i++) expect(rows[i]!.addedAt.getTime()).toBeLessThanOrEqual(rows[i - 1]!.addedAt.getTime());
    for (const r of rows) expect([r.orders, r.rfmSegment, r.valueTier, r.predictedClvMinor]).toEqual([0, null, null, null]);
    // None of them appears among the scored customers, and none of the scored among them.
    const scoredIds = new Set((await walk({ sort: "historicalClv", dir: "desc" })).map((r) => r.id));
    for (const r of rows) expect(scoredIds.has(r.id)).toBe(false);

    const asc = await walk({ view: "withoutOrders", sort: "predictedClv", dir: "asc" });
    expect(asc.map((r) => r.id)).toEqual([...rows.map((r) => r.id)].reverse());

    const opts = await owner.caller.customers.filterOptions({ workspaceId: owner.workspaceId });
    expect(opts.withoutOrders).toEqual({ count: direct!.n, capped: false });

    const referral = await walk({ view: "withoutOrders", sort: "predictedClv", dir: "desc", filters: { channel: "Referral-leads" } });
    expect(referral.map((r) => r.externalId).sort()).toEqual(
      Array.from({ length: 15 }, (_, k) => `LEAD-${k * 3}`).sort(),
    );
    const searched = await walk({ view: "withoutOrders", sort: "predictedClv", dir: "desc", filters: { search: "lead 4" } });
    expect(searched.map((r) => r.externalId).sort()).toEqual(["LEAD-4", "LEAD-40", "LEAD-41", "LEAD-42", "LEAD-43", "LEAD-44"]);

    await expect(
      owner.caller.customers.list({ workspaceId: owner.workspaceId, view: "withoutOrders", sort: "predictedClv", filters: { tier: "high" } }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST", message: expect.stringContaining("tier applies to customers with orders only") });

    // Their profile opens without scores.
    const profile = await owner.caller.customers.get({ workspaceId: owner.workspaceId, customerId: made[0]! });
    expect(profile.score).toBeNull();
    expect(profile.orders).toEqual([]);
  });
});
