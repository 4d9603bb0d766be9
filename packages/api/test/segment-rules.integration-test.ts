/**
 * Rule segments (issue 5) through the procedures, on demo data: create / update / delete by admins
 * only (members and viewers get FORBIDDEN from a direct call), every change in the audit log with
 * before and after, names unique per workspace, another workspace sees nothing, an invalid rule is
 * refused with the path of the condition, snapshots after save and after each recompute, the member
 * pages and the Customers filter agree with the preview count, comparison and the timeout guard.
 */
import { TRPCError } from "@trpc/server";
import { getDb, withWorkspace } from "@valuelens/db";
import { generateDemoData, writeDemoData } from "@valuelens/db/seed";
import { checkSegmentRule, evaluateRule, formatRuleIssues, type TSegmentRule } from "@valuelens/validators";
import { beforeAll, describe, expect, it } from "vitest";
import { recomputeWorkspace } from "../src/services/recompute/index.ts";
import { listSegmentMembers, ruleSegmentCsv } from "../src/services/segment-rules/index.ts";
import { cachedFactColumns, clearFactColumns, factColumnsLoaded } from "../src/services/segment-rules/columnar.ts";
import { refreshSegmentFacts } from "../src/services/segment-rules/facts.ts";
import { prepareRulePreview, previewRule, withRuleTimeout } from "../src/services/segment-rules/query.ts";
import { join, signUp, type Actor } from "./harness.ts";

let owner: Actor & { workspaceId: string };
let admin: Actor;
let member: Actor;
let viewer: Actor;
let outsider: Actor & { workspaceId: string };
let ws = "";

const TWO_GROUPS = {
  version: 1,
  root: {
    op: "or",
    conditions: [
      { op: "and", conditions: [{ field: "valueTier", op: "eq", value: "high" }, { field: "orderCount", op: "gte", value: 3 }] },
      { op: "and", conditions: [{ field: "channel", op: "in", value: ["referral", "email"] }, { field: "pAlive", op: "gte", value: 0.6 }] },
    ],
  },
} as const;

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "OK";
  } catch (e) {
    return e instanceof TRPCError ? e.code : `THROWN ${String(e)}`;
  }
}

async function audit(action: string, target: string) {
  return withWorkspace(getDb().prisma, ws, (tx) =>
    tx.auditLog.findMany({ where: { workspaceId: ws, action, target }, select: { actorUserId: true, details: true } }),
  );
}

beforeAll(async () => {
  owner = await signUp("rsOwner", "Rule segments demo");
  ws = owner.workspaceId;
  admin = await join(owner, ws, "rsAdmin", "ADMIN");
  member = await join(owner, ws, "rsMember", "MEMBER");
  viewer = await join(owner, ws, "rsViewer", "VIEWER");
  outsider = await signUp("rsOutsider", "Elsewhere");
  const data = generateDemoData({ seed: 5, customers: 1500, start: new Date(Date.UTC(2024, 0, 1)), end: new Date(Date.UTC(2025, 11, 31)) });
  await writeDemoData(getDb().prisma, ws, data, () => undefined);
  const out = await recomputeWorkspace(getDb().prisma, ws, { compare: false });
  if (out.status !== "succeeded") throw new Error("recompute failed");
});

describe("rule segments", () => {
  it("lets admins create, update and delete, audits each change with before/after, and refuses members and viewers", async () => {
    const preview = await admin.caller.segmentRules.preview({ workspaceId: ws, rule: TWO_GROUPS });
    expect(preview.customers).toBeGreaterThan(0);
    expect(preview.customers).toBeLessThan(1500);
    expect(preview.sample.length).toBe(Math.min(10, preview.customers));
    for (let i = 1; i < preview.sample.length; i++) expect(BigInt(preview.sample[i]!.predictedClvMinor!) <= BigInt(preview.sample[i - 1]!.predictedClvMinor!)).toBe(true);

    const { id } = await admin.caller.segmentRules.create({ workspaceId: ws, name: "Best and warm", description: "High tier repeaters or warm referrals", rule: TWO_GROUPS });
    const created = await audit("rule_segment.created", id);
    expect(created).toHaveLength(1);
    expect(created[0]!.actorUserId).toBe(admin.user.id);
    expect(created[0]!.details).toMatchObject({ before: null, after: { name: "Best and warm", rule: TWO_GROUPS } });

    // Everyone sees it.
    for (const a of [owner, admin, member, viewer]) {
      const list = await a.caller.segmentRules.list({ workspaceId: ws });
      const s = list.find((x) => x.id === id);
      expect(s?.ownerName).toBe("rsAdmin");
      expect(s?.latest?.customers).toBe(preview.customers);
    }
    const got = await viewer.caller.segmentRules.get({ workspaceId: ws, segmentId: id });
    expect(got.rule).toEqual(TWO_GROUPS);

    // Members and viewers calling the mutations directly are refused, and nothing changes.
    for (const a of [member, viewer]) {
      expect(await code(a.caller.segmentRules.create({ workspaceId: ws, name: "Sneaky", rule: TWO_GROUPS }))).toBe("FORBIDDEN");
      expect(await code(a.caller.segmentRules.update({ workspaceId: ws, segmentId: id, name: "Sneaky", rule: TWO_GROUPS }))).toBe("FORBIDDEN");
      expect(await code(a.caller.segmentRules.delete({ workspaceId: ws, segmentId: id }))).toBe("FORBIDDEN");
      expect(await code(a.caller.segmentRules.preview({ workspaceId: ws, rule: TWO_GROUPS }))).toBe("FORBIDDEN");
    }
    expect((await owner.caller.segmentRules.get({ workspaceId: ws, segmentId: id })).name).toBe("Best and warm");

    const narrower = { version: 1, root: { op: "and", conditions: [{ field: "valueTier", op: "eq", value: "high" }] } } as const;
    await owner.caller.segmentRules.update({ workspaceId: ws, segmentId: id, name: "High tier", description: "", rule: narrower });
    const updated = await audit("rule_segment.updated", id);
    expect(updated[0]!.actorUserId).toBe(owner.user.id);
    expect(updated[0]!.details).toMatchObject({ before: { name: "Best and warm", rule: TWO_GROUPS }, after: { name: "High tier", rule: narrower } });
    const history = await viewer.caller.segmentRules.history({ workspaceId: ws, segmentId: id });
    expect(history.map((h) => h.reason)).toEqual(["created", "updated"]);

    await admin.caller.segmentRules.delete({ workspaceId: ws, segmentId: id });
    expect(await code(owner.caller.segmentRules.get({ workspaceId: ws, segmentId: id }))).toBe("NOT_FOUND");
    const deleted = await audit("rule_segment.deleted", id);
    expect(deleted[0]!.details).toMatchObject({ before: { name: "High tier" }, after: null });
  });

  it("refuses an invalid rule with the path of the condition, and a duplicate name", async () => {
    const bad = { version: 1, root: { op: "and", conditions: [{ field: "valueTier", op: "eq", value: "high" }, { op: "or", conditions: [{ field: "pAlive", op: "gt", value: 2 }] }] } };
    try {
      await admin.caller.segmentRules.create({ workspaceId: ws, name: "Bad", rule: bad });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(TRPCError);
      expect((e as TRPCError).code).toBe("BAD_REQUEST");
      expect((e as TRPCError).message).toContain("root.conditions[1].conditions[0].value: must be a number from 0 to 1");
    }
    await admin.caller.segmentRules.create({ workspaceId: ws, name: "Lapsed", rule: { version: 1, root: { op: "and", conditions: [{ field: "lastOrderDate", op: "beforeDays", value: 180 }] } } });
    expect(await code(admin.caller.segmentRules.create({ workspaceId: ws, name: "lapsed", rule: TWO_GROUPS }))).toBe("CONFLICT");
  });

  it("keeps segments inside their workspace", async () => {
    const { id } = await owner.caller.segmentRules.create({ workspaceId: ws, name: "Private", rule: TWO_GROUPS });
    expect(await code(outsider.caller.segmentRules.get({ workspaceId: ws, segmentId: id }))).toBe("NOT_FOUND");
    expect(await code(outsider.caller.segmentRules.get({ workspaceId: outsider.workspaceId, segmentId: id }))).toBe("NOT_FOUND");
    expect(await code(outsider.caller.segmentRules.update({ workspaceId: outsider.workspaceId, segmentId: id, name: "Mine", rule: TWO_GROUPS }))).toBe("NOT_FOUND");
    expect(await code(outsider.caller.segmentRules.delete({ workspaceId: outsider.workspaceId, segmentId: id }))).toBe("NOT_FOUND");
    expect(await outsider.caller.segmentRules.list({ workspaceId: outsider.workspaceId })).toEqual([]);
    expect(await code(outsider.caller.customers.list({ workspaceId: outsider.workspaceId, filters: { ruleSegmentId: id } }))).toBe("NOT_FOUND");
    expect((await owner.caller.segmentRules.get({ workspaceId: ws, segmentId: id })).name).toBe("Private");
  });

  it("snapshots every saved segment after each successful recompute", async () => {
    const { id } = await admin.caller.segmentRules.create({ workspaceId: ws, name: "At risk value", rule: { version: 1, root: { op: "and", conditions: [{ field: "churnRisk", op: "eq", value: "high" }, { field: "historicalClv", op: "gt", value: "5000" }] } } });
    const before = await owner.caller.segmentRules.history({ workspaceId: ws, segmentId: id });
    expect(before).toHaveLength(1);
    const out = await recomputeWorkspace(getDb().prisma, ws, { compare: false });
    expect(out.status).toBe("succeeded");
    const after = await owner.caller.segmentRules.history({ workspaceId: ws, segmentId: id });
    expect(after).toHaveLength(2);
    expect(after[1]!.reason).toBe("recompute");
    const stats = await owner.caller.segmentRules.stats({ workspaceId: ws, segmentId: id });
    expect(after[1]!.customers).toBe(stats.customers);
    expect(after[1]!.predictedClvSumMinor).toBe(stats.predictedClvSumMinor);
    const runs = await withWorkspace(getDb().prisma, ws, (tx) => tx.ruleSegmentSnapshot.findMany({ where: { segmentId: id, reason: "recompute" }, select: { modelRunId: true } }));
    expect(runs[0]!.modelRunId).toBe(out.status === "succeeded" ? out.runId : null);
  });

  it("pages members by keyset, matching the preview, the in-memory evaluator and the Customers filter", async () => {
    const { id } = await admin.caller.segmentRules.create({ workspaceId: ws, name: "Two groups", rule: TWO_GROUPS });
    const stats = await viewer.caller.segmentRules.stats({ workspaceId: ws, segmentId: id });
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 100; i++) {
      const page = await withWorkspace(getDb().prisma, ws, (tx) => listSegmentMembers(tx, { id: ws }, id, cursor, 97));
      seen.push(...page.rows.map((r) => r.id));
      if (!page.nextCursor) break;
      cursor = page.nextCursor;
    }
    expect(seen.length).toBe(stats.customers);
    expect(new Set(seen).size).toBe(seen.length);
    expect([...seen].sort()).toEqual(seen);
    // The Customers page lists customers with scores; every one of them must be a member and vice versa.
    const listed: string[] = [];
    let cc: { v: string; id: string } | null = null;
    for (let i = 0; i < 100; i++) {
      const p = await viewer.caller.customers.list({ workspaceId: ws, sort: "historicalClv", limit: 100, cursor: cc, filters: { ruleSegmentId: id } });
      listed.push(...p.rows.map((r) => r.id));
      if (!p.nextCursor) break;
      cc = p.nextCursor;
    }
    const scored = new Set(
      (await withWorkspace(getDb().prisma, ws, (tx) => tx.customerScore.findMany({ where: { workspaceId: ws }, select: { customerId: true } }))).map((x) => x.customerId),
    );
    expect(listed.length).toBeGreaterThan(0);
    expect([...listed].sort()).toEqual(seen.filter((x) => scored.has(x)).sort());
    // In-memory evaluation of the same rule on the demo customers agrees.
    const rule = checkSegmentRule(TWO_GROUPS);
    if (!rule.ok) throw new Error(formatRuleIssues(rule.issues));
    const rows = await withWorkspace(getDb().prisma, ws, (tx) =>
      tx.$queryRaw<{ id: string; tier: string | null; orders: number; channel: string | null; p: number | null }[]>`
        SELECT c.id::text, s.value_tier AS tier, c.order_count AS orders, c.acquisition_channel AS channel, s.p_alive AS p
          FROM customers c LEFT JOIN customer_scores s ON s.workspace_id = c.workspace_id AND s.customer_id = c.id WHERE c.workspace_id = ${ws}::uuid`,
    );
    const r: TSegmentRule = rule.rule;
    const expected = rows.filter((x) =>
      evaluateRule(r, { predictedClvMinor: null, historicalClvMinor: null, pAlive: x.p, expectedPurchases30: null, expectedPurchases90: null, expectedPurchases365: null, rfmR: null, rfmF: null, rfmM: null, rfmSegment: null, valueTier: x.tier, churnRisk: null, orderCount: x.orders, lastOrderDate: null, firstOrderDate: null, channel: x.channel, campaignId: null, attributes: {} }, { today: "2026-01-01" }),
    );
    expect(expected.length).toBe(stats.customers);
  });

  it("compares up to four segments with value, frequency and a retention curve", async () => {
    const a = await admin.caller.segmentRules.create({ workspaceId: ws, name: "Referral", rule: { version: 1, root: { op: "and", conditions: [{ field: "channel", op: "eq", value: "referral" }] } } });
    const b = await admin.caller.segmentRules.create({ workspaceId: ws, name: "Affiliate", rule: { version: 1, root: { op: "and", conditions: [{ field: "channel", op: "eq", value: "affiliate" }] } } });
    const cmp = await viewer.caller.segmentRules.compare({ workspaceId: ws, segmentIds: [a.id, b.id] });
    expect(cmp.map((c) => c.name)).toEqual(["Referral", "Affiliate"]);
    for (const c of cmp) {
      expect(c.customers).toBeGreaterThan(0);
      expect(Number(c.aovMinor)).toBeGreaterThan(0);
      expect(c.ordersPerCustomer).toBeGreaterThanOrEqual(1);
      expect(c.retention.length).toBeGreaterThan(3);
      for (const p of c.retention) expect(p.rate).toBeGreaterThanOrEqual(0);
    }
    // The demo's referral customers are loyal, affiliate ones one-off bargain hunters.
    expect(cmp[0]!.ordersPerCustomer!).toBeGreaterThan(cmp[1]!.ordersPerCustomer!);
    expect(await code(viewer.caller.segmentRules.compare({ workspaceId: ws, segmentIds: [a.id, b.id, a.id] }))).toBe("BAD_REQUEST");
    expect(await code(viewer.caller.segmentRules.compare({ workspaceId: ws, segmentIds: [a.id, crypto.randomUUID()] }))).toBe("NOT_FOUND");
  });

  it("exports every member as formula-safe CSV across page boundaries, members and above", async () => {
    const { id } = await admin.caller.segmentRules.create({ workspaceId: ws, name: "Everyone", rule: { version: 1, root: { op: "and", conditions: [{ field: "orderCount", op: "gte", value: 0 }] } } });
    const stats = await owner.caller.segmentRules.stats({ workspaceId: ws, segmentId: id });
    expect(stats.customers).toBeGreaterThan(1000); // more than one export page
    let csv = "";
    for await (const chunk of ruleSegmentCsv(getDb().prisma, member.user.id, ws, id)) csv += chunk;
    const lines = csv.trim().split("\r\n");
    expect(lines[0]).toBe("external_id,email,name,acquisition_channel,orders,last_order_at,currency,historical_clv,predicted_clv_12m,p_alive,rfm_segment,value_tier");
    expect(lines.length - 1).toBe(stats.customers);
    expect(new Set(lines.slice(1).map((l) => l.split(",")[0])).size).toBe(stats.customers);
    const refused = await (async () => {
      try {
        for await (const _ of ruleSegmentCsv(getDb().prisma, viewer.user.id, ws, id)) break;
        return "OK";
      } catch (e) {
        return (e as { code?: string }).code;
      }
    })();
    expect(refused).toBe("FORBIDDEN");
  });

  it("previews on the recompute's copy exactly, and as a labelled estimate whose margin covers the exact count", async () => {
    const rule = checkSegmentRule(TWO_GROUPS);
    if (!rule.ok) throw new Error(formatRuleIssues(rule.issues));
    const r: TSegmentRule = rule.rule;
    const [exact, estimated, allBuckets] = await withWorkspace(getDb().prisma, ws, async (tx) => [
      await previewRule(tx, ws, r),
      // The builder's first call on a large workspace (the threshold lowered to this one's 1,500 customers).
      await previewRule(tx, ws, r, { allowEstimate: true, estimateFromCustomers: 1 }),
      await previewRule(tx, ws, r, { allowEstimate: true, estimateFromCustomers: 1_000_000 }),
    ]);
    const [live] = await withWorkspace(getDb().prisma, ws, (tx) =>
      tx.$queryRaw<{ n: bigint }[]>`SELECT count(*) AS n FROM customers c LEFT JOIN customer_scores s ON s.workspace_id = c.workspace_id AND s.customer_id = c.id
        WHERE c.workspace_id = ${ws}::uuid AND ((s.value_tier = 'high' AND c.order_count >= 3) OR (c.acquisition_channel IN ('referral', 'email') AND s.p_alive >= 0.6))`,
    );
    expect(exact).toMatchObject({ source: "facts", estimate: null, customers: Number(live!.n) });
    expect(exact.asOf).toBeInstanceOf(Date);
    expect(allBuckets.estimate).toBeNull(); // below the threshold: exact
    expect(allBuckets.customers).toBe(exact.customers);
    const e = estimated.estimate!;
    expect(e).not.toBeNull();
    // 30,000 sample rows wanted of 1,500 customers: every bucket is read, so the "estimate" is the count itself.
    expect(e.sampleShare).toBe(1);
    expect(e.sampledCustomers).toBe(1500);
    expect(estimated.customers).toBe(exact.customers);
    expect(e.marginCustomers).toBe(0);
    expect(estimated.sample.map((m) => m.id)).toEqual(exact.sample.map((m) => m.id));
    // A real sample: ≈ 300 of the 1,500 (buckets 0–19 of the id hash), scaled up.
    const part = await withWorkspace(getDb().prisma, ws, (tx) => previewRule(tx, ws, r, { allowEstimate: true, estimateFromCustomers: 1, estimateSampleRows: 300 }));
    const [inSample] = await withWorkspace(getDb().prisma, ws, (tx) =>
      tx.$queryRaw<{ n: bigint; m: bigint }[]>`SELECT count(*) AS n, count(*) FILTER (WHERE (f.value_tier = 'high' AND f.order_count >= 3) OR (f.channel IN ('referral', 'email') AND f.p_alive >= 0.6)) AS m
        FROM segment_facts f WHERE f.workspace_id = ${ws}::uuid AND f.sample < 20`,
    );
    const pe = part.estimate!;
    expect(pe.sampledCustomers).toBe(Number(inSample!.n));
    expect(pe.matchedInSample).toBe(Number(inSample!.m));
    expect(pe.sampleShare).toBeCloseTo(Number(inSample!.n) / 1500, 10);
    expect(part.customers).toBe(Math.round(pe.matchedInSample / pe.sampleShare));
    expect(pe.marginCustomers).toBeGreaterThan(0);
    // The 95 % margin; twice it (≈ 4 standard errors) bounds the error of any run.
    expect(Math.abs(part.customers - exact.customers)).toBeLessThanOrEqual(2 * pe.marginCustomers);
    for (const m of part.sample) expect(m.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("answers from the in-memory columns once loaded in the background: the SQL copy's exact figures and sample, never a stale copy", async () => {
    const rule = checkSegmentRule(TWO_GROUPS);
    if (!rule.ok) throw new Error(formatRuleIssues(rule.issues));
    const r: TSegmentRule = rule.rule;
    clearFactColumns();
    const prisma = getDb().prisma;
    const sql = await withWorkspace(prisma, ws, (tx) => previewRule(tx, ws, r));
    // Threshold lowered to this workspace: the first call answers in SQL (an estimate when allowed) and starts the load.
    const first = await withWorkspace(prisma, ws, (tx) => previewRule(tx, ws, r, { allowEstimate: true, estimateFromCustomers: 1, estimateSampleRows: 300, prisma, columnarFromCustomers: 1 }));
    expect(first.estimate).not.toBeNull();
    await factColumnsLoaded(ws);
    const asOf = sql.asOf!;
    expect(cachedFactColumns(ws, asOf)?.n).toBe(1500);
    // Loaded: both the builder's first call and the exact call are exact, from memory, equal to SQL.
    for (const allowEstimate of [true, false]) {
      const mem = await withWorkspace(prisma, ws, (tx) => previewRule(tx, ws, r, { allowEstimate, estimateFromCustomers: 1, prisma, columnarFromCustomers: 1 }));
      expect(mem.estimate).toBeNull();
      expect({ ...mem, ms: 0, pAliveAvg: null }).toEqual({ ...sql, ms: 0, pAliveAvg: null });
      expect(mem.pAliveAvg!).toBeCloseTo(sql.pAliveAvg!, 9); // summed in another order
    }
    // A newer copy (the next recompute) is not answered from the old columns: SQL again until reloaded.
    await withWorkspace(prisma, ws, (tx) => refreshSegmentFacts(tx, ws, null));
    const after = await withWorkspace(prisma, ws, (tx) => previewRule(tx, ws, r, { allowEstimate: true, estimateFromCustomers: 1, estimateSampleRows: 300, prisma, columnarFromCustomers: 1 }));
    expect(after.estimate).not.toBeNull();
    expect(after.asOf!.getTime()).toBeGreaterThan(asOf.getTime());
    await factColumnsLoaded(ws);
    expect(cachedFactColumns(ws, asOf)).toBeNull();
    expect(cachedFactColumns(ws, after.asOf!)?.n).toBe(1500);
    // The editor's opening call (fieldOptions, for admins) starts the load before the first preview.
    clearFactColumns();
    await withWorkspace(prisma, ws, (tx) => prepareRulePreview(tx, ws, prisma, 1));
    await factColumnsLoaded(ws);
    expect(cachedFactColumns(ws, after.asOf!)?.n).toBe(1500);
    clearFactColumns();
  });

  it("turns a statement timeout into a clear 'narrow the rule' error", async () => {
    const err = await withWorkspace(getDb().prisma, ws, (tx) => withRuleTimeout(tx, 100, () => tx.$queryRaw`SELECT pg_sleep(2)`)).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "PRECONDITION_FAILED" });
    expect(String((err as Error).message)).toMatch(/longer than .* Narrow it/);
  });
});
