/**
 * T-ISO-1 (SECURITY-NOTES): walk every tRPC procedure of the app router and attack it across
 * tenants. A member of workspace A calls each workspace procedure (a) with B's workspaceId and B's
 * object ids, (b) with A's workspaceId but B's object ids; every attack must be refused with
 * NOT_FOUND/FORBIDDEN (never 200, never 500), B's data must be unchanged and no response may
 * contain B's canary. A control call with A's own ids must succeed, so the test cannot pass by
 * refusing everything. Also: every procedure declares meta.authz; role floors hold for viewers;
 * anonymous callers get UNAUTHORIZED.
 */
import { TRPCError } from "@trpc/server";
import { getDb, withWorkspace } from "@valuelens/db";
import { beforeAll, describe, expect, it } from "vitest";
import { appRouter } from "../src/root.ts";
import { recomputeWorkspace } from "../src/services/recompute/index.ts";
import { prepareDeliveries } from "../src/services/reports/index.ts";
import type { Meta } from "../src/trpc.ts";
import { addCustomers, callerFor, join, signUp, uniqueEmail, type Actor } from "./harness.ts";

interface World {
  ownerA: Actor & { workspaceId: string };
  viewerA: Actor;
  ownerB: Actor & { workspaceId: string };
  memberB: Actor;
  slugB: string;
  slugA: string;
  inviteB: { id: string; token: string };
  /** An import job of each workspace (issue 4). */
  jobA: string;
  jobB: string;
  /** A customer of each workspace (predictions, issue 9). */
  custA: string;
  custB: string;
  /** A report schedule and a delivery of each workspace (issue 8). */
  schedA: string;
  schedB: string;
  delivA: string;
  delivB: string;
  /** A rule segment of each workspace (rule segments, issue 5). */
  segRuleA: string;
  segRuleB: string;
  /** An API key of each workspace (ingestion api, issue 4). */
  apiKeyA: string;
  apiKeyB: string;
  /** Two campaigns of each workspace (campaign roi, issue 6). */
  campA: [string, string];
  campB: [string, string];
}
let w: World;

async function fingerprintB(): Promise<string> {
  return withWorkspace(getDb().prisma, w.ownerB.workspaceId, async (tx) => {
    const rows = await tx.$queryRaw<{ t: string; n: bigint; h: string | null }[]>`
      SELECT 'customers' AS t, count(*) AS n, md5(string_agg(c::text, ',' ORDER BY id)) AS h FROM customers c
      UNION ALL SELECT 'orders', count(*), md5(string_agg(o::text, ',' ORDER BY id)) FROM orders o
      UNION ALL SELECT 'memberships', count(*), md5(string_agg(m::text, ',' ORDER BY user_id)) FROM memberships m WHERE m.workspace_id = vl_current_workspace()
      UNION ALL SELECT 'invitations', count(*), md5(string_agg(i::text, ',' ORDER BY id)) FROM invitations i
      UNION ALL SELECT 'workspaces', count(*), md5(string_agg(x::text, ',' ORDER BY id)) FROM workspaces x WHERE x.id = vl_current_workspace()
      UNION ALL SELECT 'campaigns', count(*), md5(string_agg(k::text, ',' ORDER BY id)) FROM campaigns k
      UNION ALL SELECT 'campaign_spend', count(*), md5(string_agg(s::text, ',' ORDER BY campaign_id, day, currency)) FROM campaign_spend s`;
    return JSON.stringify(rows, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
  });
}

type Fixture = (ws: "A" | "B") => unknown;
/** A rule matching some customers of either workspace (rule segments, issue 5). */
const RULE_FX = { version: 1, root: { op: "or", conditions: [{ field: "orderCount", op: "gte", value: 1 }, { field: "channel", op: "isNotSet" }] } };

/** Inputs per procedure, built for workspace A or B. A procedure without an entry fails the test. */
function fixtures(): Record<string, Fixture> {
  const id = (ws: "A" | "B") => (ws === "A" ? w.ownerA.workspaceId : w.ownerB.workspaceId);
  return {
    "workspace.settings": (ws) => ({ workspaceId: id(ws) }),
    "workspace.updateSettings": (ws) => ({ workspaceId: id(ws), name: `Renamed ${ws}`, timezone: "UTC", marginRate: 0.3 }),
    "workspace.members": (ws) => ({ workspaceId: id(ws) }),
    "workspace.invite": (ws) => ({ workspaceId: id(ws), email: uniqueEmail(`inv${ws}`), role: "MEMBER" }),
    "workspace.revokeInvite": (ws) => ({ workspaceId: id(ws), invitationId: ws === "B" ? w.inviteB.id : "__fresh__" }),
    "workspace.changeRole": (ws) => ({ workspaceId: id(ws), userId: ws === "B" ? w.memberB.user.id : w.viewerA.user.id, role: "VIEWER" }),
    "workspace.removeMember": (ws) => ({ workspaceId: id(ws), userId: ws === "B" ? w.memberB.user.id : "__fresh__" }),
    "workspace.leave": (ws) => ({ workspaceId: id(ws) }),
    "workspace.auditLog": (ws) => ({ workspaceId: id(ws), limit: 10 }),
    "overview.kpis": (ws) => ({ workspaceId: id(ws) }),
    "overview.monthlyRevenue": (ws) => ({ workspaceId: id(ws), months: 12 }),
    // import (issue 4)
    "import.list": (ws) => ({ workspaceId: id(ws), limit: 5 }),
    "import.get": (ws) => ({ workspaceId: id(ws), jobId: ws === "B" ? w.jobB : w.jobA }),
    "import.rejections": (ws) => ({ workspaceId: id(ws), jobId: ws === "B" ? w.jobB : w.jobA, limit: 10 }),
    "import.cancel": (ws) => ({ workspaceId: id(ws), jobId: ws === "B" ? w.jobB : w.jobA }),
    "import.savedMapping": (ws) => ({ workspaceId: id(ws), kind: "ORDERS" }),
    // predictions (issue 9)
    "overview.predictions": (ws) => ({ workspaceId: id(ws) }),
    "customers.list": (ws) => ({ workspaceId: id(ws), sort: "historicalClv", filters: { search: ws === "B" ? "CANARY-B-c0" : "ALPHA-c0" } }),
    "customers.get": (ws) => ({ workspaceId: id(ws), customerId: ws === "B" ? w.custB : w.custA }),
    "customers.filterOptions": (ws) => ({ workspaceId: id(ws) }),
    "model.status": (ws) => ({ workspaceId: id(ws) }),
    "model.runs": (ws) => ({ workspaceId: id(ws), limit: 5 }),
    "model.recomputeNow": (ws) => ({ workspaceId: id(ws) }),
    "model.setPurchaseModel": (ws) => ({ workspaceId: id(ws), model: "bgnbd" }),
    // retention (issue 7)
    "retention.cohorts": (ws) => ({ workspaceId: id(ws), grain: "month", split: "channel" }),
    "retention.curves": (ws) => ({ workspaceId: id(ws), split: "none", windowMonths: 3, horizonMonths: 24 }),
    "retention.rates": (ws) => ({ workspaceId: id(ws) }),
    "retention.groups": (ws) => ({ workspaceId: id(ws), split: "channel" }),
    // reports (issue 8)
    "reports.schedules": (ws) => ({ workspaceId: id(ws) }),
    "reports.saveSchedule": (ws) => ({ workspaceId: id(ws), id: ws === "B" ? w.schedB : w.schedA, name: `Digest ${ws}`, recipients: ["digest@example.com"], dayOfWeek: 1, localTime: "09:00", timezone: "UTC" }),
    "reports.deleteSchedule": (ws) => ({ workspaceId: id(ws), scheduleId: ws === "B" ? w.schedB : "__fresh__" }),
    "reports.sendTest": (ws) => ({ workspaceId: id(ws), scheduleId: ws === "B" ? w.schedB : w.schedA, recipients: ["test@example.com"] }),
    "reports.preview": (ws) => ({ workspaceId: id(ws), scheduleId: ws === "B" ? w.schedB : w.schedA }),
    "reports.deliveries": (ws) => ({ workspaceId: id(ws) }),
    "reports.delivery": (ws) => ({ workspaceId: id(ws), deliveryId: ws === "B" ? w.delivB : w.delivA }),
    "reports.mySubscriptions": (ws) => ({ workspaceId: id(ws) }),
    "reports.setMySubscription": (ws) => ({ workspaceId: id(ws), scheduleId: ws === "B" ? w.schedB : w.schedA, subscribed: true }),
    // rule segments (issue 5)
    "segmentRules.fieldOptions": (ws) => ({ workspaceId: id(ws) }),
    "segmentRules.preview": (ws) => ({ workspaceId: id(ws), rule: RULE_FX }),
    "segmentRules.list": (ws) => ({ workspaceId: id(ws) }),
    "segmentRules.get": (ws) => ({ workspaceId: id(ws), segmentId: ws === "B" ? w.segRuleB : w.segRuleA }),
    "segmentRules.stats": (ws) => ({ workspaceId: id(ws), segmentId: ws === "B" ? w.segRuleB : w.segRuleA }),
    "segmentRules.history": (ws) => ({ workspaceId: id(ws), segmentId: ws === "B" ? w.segRuleB : w.segRuleA }),
    "segmentRules.compare": (ws) => ({ workspaceId: id(ws), segmentIds: [ws === "B" ? w.segRuleB : w.segRuleA] }),
    "segmentRules.create": (ws) => ({ workspaceId: id(ws), name: `Fixture ${ws} ${crypto.randomUUID().slice(0, 8)}`, rule: RULE_FX }),
    "segmentRules.update": (ws) => ({ workspaceId: id(ws), segmentId: ws === "B" ? w.segRuleB : w.segRuleA, name: `Updated ${ws}`, rule: RULE_FX }),
    "segmentRules.delete": (ws) => ({ workspaceId: id(ws), segmentId: ws === "B" ? w.segRuleB : "__fresh__" }),
    // ingestion api (issue 4)
    "apiKeys.list": (ws) => ({ workspaceId: id(ws) }),
    "apiKeys.create": (ws) => ({ workspaceId: id(ws), name: `Key ${ws}`, scopes: ["read"] }),
    "apiKeys.revoke": (ws) => ({ workspaceId: id(ws), keyId: ws === "B" ? w.apiKeyB : w.apiKeyA }),
    // segments (issue 5)
    "segments.rfmOverview": (ws) => ({ workspaceId: id(ws) }),
    "segments.tiers": (ws) => ({ workspaceId: id(ws) }),
    "segments.updateTierSettings": (ws) => ({ workspaceId: id(ws), settings: { v: 1, by: "amount", highMinor: "100000", mediumMinor: "20000" } }),
    // campaign roi (issue 6)
    "campaigns.roi": (ws) => ({ workspaceId: id(ws), measure: "margin", horizon: "historical" }),
    "campaigns.compare": (ws) => ({ workspaceId: id(ws), campaignIds: ws === "B" ? w.campB : w.campA }),
    "campaigns.budget": (ws) => ({ workspaceId: id(ws), budgetMinor: 100_000 }),
    "campaigns.get": (ws) => ({ workspaceId: id(ws), campaignId: (ws === "B" ? w.campB : w.campA)[0] }),
    "campaigns.create": (ws) => ({ workspaceId: id(ws), name: `New ${ws}`, channel: "email", startsAt: null, endsAt: null, notes: null }),
    "campaigns.update": (ws) => ({ workspaceId: id(ws), campaignId: (ws === "B" ? w.campB : w.campA)[1], name: `Edited ${ws}`, channel: "email", startsAt: "2025-01-01", endsAt: null, notes: null }),
    "campaigns.setSpend": (ws) => ({ workspaceId: id(ws), campaignId: (ws === "B" ? w.campB : w.campA)[0], from: "2025-01-01", to: "2025-01-07", amountMinor: 7_000 }),
  };
}

beforeAll(async () => {
  const ownerA = await signUp("ownerA", "Alpha");
  const ownerB = await signUp("ownerB", "CANARY-B Beta");
  const viewerA = await join(ownerA, ownerA.workspaceId, "viewerA", "VIEWER");
  const memberB = await join(ownerB, ownerB.workspaceId, "memberB", "MEMBER");
  await addCustomers(ownerA.workspaceId, "ALPHA");
  await addCustomers(ownerB.workspaceId, "CANARY-B");
  const invB = await ownerB.caller.workspace.invite({ workspaceId: ownerB.workspaceId, email: uniqueEmail("pendingB"), role: "VIEWER" });
  const membersB = await ownerB.caller.workspace.members({ workspaceId: ownerB.workspaceId });
  const list = await ownerB.caller.workspace.list();
  const listA = await ownerA.caller.workspace.list();
  // Scores for both workspaces, so the predictions procedures have B data to leak if they could.
  await recomputeWorkspace(getDb().prisma, ownerA.workspaceId);
  await recomputeWorkspace(getDb().prisma, ownerB.workspaceId);
  const firstCustomer = (ws: string) =>
    withWorkspace(getDb().prisma, ws, (tx) => tx.customer.findFirstOrThrow({ where: { workspaceId: ws }, select: { id: true } }));
  const [custA, custB] = [(await firstCustomer(ownerA.workspaceId)).id, (await firstCustomer(ownerB.workspaceId)).id];
  const importJob = (ws: string, tag: string) =>
    withWorkspace(getDb().prisma, ws, (tx) =>
      tx.importJob.create({ data: { workspaceId: ws, kind: "ORDERS", status: "COMPLETED", fileName: `${tag}.csv` }, select: { id: true } }),
    );
  const [jobA, jobB] = [(await importJob(ownerA.workspaceId, "ALPHA")).id, (await importJob(ownerB.workspaceId, "CANARY-B")).id];
  const schedule = (ws: string, tag: string) =>
    withWorkspace(getDb().prisma, ws, async (tx) => {
      const sch = await tx.reportSchedule.create({
        data: { workspaceId: ws, name: `${tag} digest`, recipients: [`${tag.toLowerCase()}@example.com`], dayOfWeek: 1, localTime: "09:00", timezone: "UTC", sections: ["kpis"] },
        select: { id: true },
      });
      const prepared = await prepareDeliveries(tx, { workspaceId: ws, scheduleId: sch.id, sendAt: new Date() });
      const d = await tx.reportDelivery.findFirstOrThrow({ where: { scheduleId: sch.id, dedupeKey: prepared.dedupeKey }, select: { id: true } });
      return { schedule: sch.id, delivery: d.id };
    });
  const [repA, repB] = [await schedule(ownerA.workspaceId, "ALPHA"), await schedule(ownerB.workspaceId, "CANARY-B")];
  const segRule = async (o: Actor & { workspaceId: string }, tag: string) =>
    (await o.caller.segmentRules.create({ workspaceId: o.workspaceId, name: `${tag} best customers`, description: `${tag} rule`, rule: RULE_FX })).id;
  const [segRuleA, segRuleB] = [await segRule(ownerA, "ALPHA"), await segRule(ownerB, "CANARY-B")];
  const apiKeyA = (await ownerA.caller.apiKeys.create({ workspaceId: ownerA.workspaceId, name: "ALPHA key", scopes: ["read"] })).id;
  const apiKeyB = (await ownerB.caller.apiKeys.create({ workspaceId: ownerB.workspaceId, name: "CANARY-B key", scopes: ["read"] })).id;
  const campaigns = (ws: string, tag: string) =>
    withWorkspace(getDb().prisma, ws, async (tx) => {
      const mk = async (i: number) =>
        (await tx.campaign.create({ data: { workspaceId: ws, externalId: `${tag}-cmp${i}`, name: `${tag} campaign ${i}`, channel: `${tag} channel`, notes: tag }, select: { id: true } })).id;
      return [await mk(1), await mk(2)] as [string, string];
    });
  const [campA, campB] = [await campaigns(ownerA.workspaceId, "ALPHA"), await campaigns(ownerB.workspaceId, "CANARY-B")];
  w = {
    segRuleA,
    segRuleB,
    apiKeyA,
    apiKeyB,
    campA,
    campB,
    schedA: repA.schedule,
    schedB: repB.schedule,
    delivA: repA.delivery,
    delivB: repB.delivery,
    jobA,
    jobB,
    custA,
    custB,
    ownerA,
    ownerB,
    viewerA,
    memberB,
    slugB: list.find((x) => x.id === ownerB.workspaceId)!.slug,
    slugA: listA.find((x) => x.id === ownerA.workspaceId)!.slug,
    inviteB: { id: membersB.invitations.find((i) => i.id === invB.invitationId)!.id, token: invB.link.split("/invite/")[1]! },
  };
});

function procedures(): [string, { _def: { meta?: Meta; type: string } }][] {
  return Object.entries(appRouter._def.procedures as unknown as Record<string, { _def: { meta?: Meta; type: string } }>);
}

async function callPath(caller: unknown, path: string, input: unknown): Promise<unknown> {
  let fn: unknown = caller;
  for (const part of path.split(".")) fn = (fn as Record<string, unknown>)[part];
  return (fn as (i: unknown) => Promise<unknown>)(input);
}

async function outcome(p: Promise<unknown>): Promise<{ ok: true; body: string } | { ok: false; code: string; body: string }> {
  try {
    const v = await p;
    return { ok: true, body: JSON.stringify(v ?? null, (_k, x: unknown) => (typeof x === "bigint" ? x.toString() : x)) };
  } catch (e) {
    if (e instanceof TRPCError) return { ok: false, code: e.code, body: e.message };
    return { ok: false, code: "THROWN", body: String(e) };
  }
}

describe("authorization across tenants (every procedure)", () => {
  it("declares meta.authz on every procedure and has an attack fixture for every workspace procedure", () => {
    const all = procedures();
    const missing = all.filter(([, p]) => !p._def.meta?.authz).map(([k]) => k);
    expect(missing).toEqual([]);
    const fx = fixtures();
    const workspaceProcs = all.filter(([, p]) => p._def.meta?.authz.scope === "workspace").map(([k]) => k);
    expect(workspaceProcs.filter((k) => !fx[k])).toEqual([]);
    console.log(`authz: ${all.length} procedures found = ${all.length} declared; ${workspaceProcs.length} workspace-scoped attacked`);
  });

  it("refuses another workspace's ids on every workspace procedure, leaves B unchanged and leaks nothing", async () => {
    const fx = fixtures();
    const before = await fingerprintB();
    let attacks = 0;
    for (const [path, p] of procedures()) {
      if (p._def.meta?.authz.scope !== "workspace") continue;
      const make = fx[path]!;
      // (a) B's workspaceId and B's ids
      const a = await outcome(callPath(w.ownerA.caller, path, make("B")));
      // (b) A's workspaceId with B's object ids (only where the input has object ids)
      const bInput = { ...(make("B") as object), workspaceId: w.ownerA.workspaceId };
      const b = await outcome(callPath(w.ownerA.caller, path, bInput));
      for (const [label, r] of [["B ids", a], ["A ws + B ids", b]] as const) {
        attacks++;
        expect(r.body, `${path} (${label}) leaked B's canary`).not.toContain("CANARY-B");
        if (label === "B ids") expect(r.ok ? "200" : r.code, `${path} (${label})`).toMatch(/^(NOT_FOUND|FORBIDDEN)$/);
        // With A's workspace but B's object ids, a read of A's own data is fine; any write must miss.
        else if (!r.ok) expect(r.code, `${path} (${label})`).toMatch(/^(NOT_FOUND|FORBIDDEN|PRECONDITION_FAILED|BAD_REQUEST|CONFLICT)$/);
      }
    }
    expect(await fingerprintB()).toBe(before);
    console.log(`authz: ${attacks} cross-tenant attacks refused`);
  });

  it("control: the same procedures succeed for the owner of A with A's ids", async () => {
    const fx = fixtures();
    const skip = new Set(["segmentRules.delete", "workspace.leave", "workspace.removeMember", "workspace.revokeInvite", "reports.deleteSchedule"]); // need fresh objects, covered below
    for (const [path, p] of procedures()) {
      if (p._def.meta?.authz.scope !== "workspace" || skip.has(path)) continue;
      const r = await outcome(callPath(w.ownerA.caller, path, fx[path]!("A")));
      expect(r.ok ? "ok" : `${r.code}: ${r.body}`, path).toBe("ok");
    }
    // The ones that consume an object, with fresh objects of A.
    const extra = await join(w.ownerA, w.ownerA.workspaceId, "extraA", "MEMBER");
    await expect(w.ownerA.caller.workspace.removeMember({ workspaceId: w.ownerA.workspaceId, userId: extra.user.id })).resolves.toBeUndefined();
    const inv = await w.ownerA.caller.workspace.invite({ workspaceId: w.ownerA.workspaceId, email: uniqueEmail("revokeA"), role: "VIEWER" });
    await expect(w.ownerA.caller.workspace.revokeInvite({ workspaceId: w.ownerA.workspaceId, invitationId: inv.invitationId })).resolves.toBeUndefined();
    const leaver = await join(w.ownerA, w.ownerA.workspaceId, "leaverA", "VIEWER");
    await expect(leaver.caller.workspace.leave({ workspaceId: w.ownerA.workspaceId })).resolves.toBeUndefined();
    const sched = await w.ownerA.caller.reports.saveSchedule({ workspaceId: w.ownerA.workspaceId, name: "Throwaway", recipients: ["x@example.com"], dayOfWeek: 2, localTime: "08:30", timezone: "UTC" });
    await expect(w.ownerA.caller.reports.deleteSchedule({ workspaceId: w.ownerA.workspaceId, scheduleId: sched })).resolves.toBeUndefined();
    const seg = await w.ownerA.caller.segmentRules.create({ workspaceId: w.ownerA.workspaceId, name: "Throwaway segment", rule: RULE_FX });
    await expect(w.ownerA.caller.segmentRules.delete({ workspaceId: w.ownerA.workspaceId, segmentId: seg.id })).resolves.toBeUndefined();
  });

  it("enforces role floors on the server: a viewer is refused every procedure above VIEWER", async () => {
    const fx = fixtures();
    let checked = 0;
    for (const [path, p] of procedures()) {
      const a = p._def.meta?.authz;
      if (a?.scope !== "workspace" || !a.minRole || a.minRole === "VIEWER") continue;
      const r = await outcome(callPath(w.viewerA.caller, path, fx[path]!("A")));
      expect(r.ok ? "200" : r.code, path).toBe("FORBIDDEN");
      checked++;
    }
    expect(checked).toBeGreaterThan(5);
  });

  it("refuses anonymous callers on every non-public procedure", async () => {
    const anon = callerFor(null);
    const fx = fixtures();
    for (const [path, p] of procedures()) {
      const scope = p._def.meta?.authz.scope;
      if (scope === "public") continue;
      const input = scope === "workspace" ? fx[path]!("A") : path === "workspace.bySlug" ? { slug: w.slugA } : path === "workspace.create" ? { name: "x y", currency: "USD" } : path === "auth.acceptInvite" ? { token: w.inviteB.token } : undefined;
      const r = await outcome(callPath(anon, path, input));
      expect(r.ok ? "200" : r.code, path).toBe("UNAUTHORIZED");
    }
  });

  it("does not list or resolve another user's workspace", async () => {
    const listA = await w.ownerA.caller.workspace.list();
    expect(listA.map((x) => x.id)).not.toContain(w.ownerB.workspaceId);
    const r = await outcome(w.ownerA.caller.workspace.bySlug({ slug: w.slugB }));
    expect(r.ok ? "200" : r.code).toBe("NOT_FOUND");
  });

  it("does not let an invitation be accepted by a different account", async () => {
    const r = await outcome(w.ownerA.caller.auth.acceptInvite({ token: w.inviteB.token }));
    expect(r.ok).toBe(false);
    expect((await w.ownerA.caller.workspace.list()).map((x) => x.id)).not.toContain(w.ownerB.workspaceId);
  });
});
