import type { Tx } from "@valuelens/db";
import { getOverviewKpis } from "../overview.ts";
import { getPredictionSummary } from "../predictions/model-card.ts";
import { listRuleSegments, listSegmentMembers } from "../segment-rules/index.ts";
import { ApiError } from "./errors.ts";

type Ws = { id: string; currency: string; timezone: string };

/** GET /api/v1/metrics: the dashboard's headline KPIs and prediction totals (read from summaries; O(1)). */
export async function readMetrics(tx: Tx, ws: Ws) {
  const [kpis, predictions, w] = await Promise.all([
    getOverviewKpis(tx, ws),
    getPredictionSummary(tx, ws),
    tx.workspace.findUnique({ where: { id: ws.id }, select: { metricsStaleAt: true } }),
  ]);
  return {
    ...kpis,
    timezone: ws.timezone,
    predictions,
    /** Data changed since the last recompute finished (predictions and scores may lag). */
    stale: w?.metricsStaleAt !== null && w?.metricsStaleAt !== undefined,
    staleSince: w?.metricsStaleAt ?? null,
  };
}

const CUSTOMER_SELECT = {
  externalId: true,
  email: true,
  name: true,
  acquisitionChannel: true,
  signedUpAt: true,
  attributes: true,
  orderCount: true,
  purchaseDays: true,
  firstOrderAt: true,
  lastOrderAt: true,
  revenueMinor: true,
  createdAt: true,
  updatedAt: true,
  acquisitionCampaign: { select: { externalId: true } },
  score: {
    select: {
      historicalClvMinor: true,
      predictedClvMinor: true,
      predictedClvLowMinor: true,
      predictedClvHighMinor: true,
      pAlive: true,
      expectedPurchases30: true,
      expectedPurchases90: true,
      expectedPurchases365: true,
      churnRisk: true,
      rfmR: true,
      rfmF: true,
      rfmM: true,
      rfmSegment: true,
      valueTier: true,
      scoredAt: true,
    },
  },
} as const;

type CustomerRow = NonNullable<Awaited<ReturnType<typeof findOne>>>;
function findOne(tx: Tx, workspaceId: string, externalId: string) {
  return tx.customer.findUnique({ where: { workspaceId_externalId: { workspaceId, externalId } }, select: CUSTOMER_SELECT });
}

const money = (minor: bigint | null, currency: string) => (minor === null ? null : { minor: minor.toString(), currency });

function customerDto(c: CustomerRow, currency: string) {
  const s = c.score;
  return {
    externalId: c.externalId,
    email: c.email,
    name: c.name,
    acquisitionChannel: c.acquisitionChannel,
    campaignExternalId: c.acquisitionCampaign?.externalId ?? null,
    signedUpAt: c.signedUpAt,
    attributes: c.attributes,
    orders: c.orderCount,
    purchaseDays: c.purchaseDays,
    firstOrderAt: c.firstOrderAt,
    lastOrderAt: c.lastOrderAt,
    revenue: money(c.revenueMinor, currency),
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
    scores: s
      ? {
          historicalClv: money(s.historicalClvMinor, currency),
          predictedClv: money(s.predictedClvMinor, currency),
          predictedClvLow: money(s.predictedClvLowMinor, currency),
          predictedClvHigh: money(s.predictedClvHighMinor, currency),
          pAlive: s.pAlive,
          expectedPurchases: { d30: s.expectedPurchases30, d90: s.expectedPurchases90, d365: s.expectedPurchases365 },
          churnRisk: s.churnRisk,
          rfm: { r: s.rfmR, f: s.rfmF, m: s.rfmM, segment: s.rfmSegment },
          valueTier: s.valueTier,
          scoredAt: s.scoredAt,
        }
      : null,
  };
}

/** GET /api/v1/customers/{externalId}: the customer's summary and latest scores. */
export async function readCustomer(tx: Tx, ws: Ws, externalId: string) {
  if (externalId.length === 0 || externalId.length > 255) throw new ApiError("not_found", "Customer not found.");
  const c = await findOne(tx, ws.id, externalId);
  if (!c) throw new ApiError("not_found", `No customer with external id "${externalId}" in this workspace.`);
  return customerDto(c, ws.currency);
}

export const PAGE_DEFAULT = 100;
export const PAGE_MAX = 1000;

function encodeCursor(externalId: string): string {
  return Buffer.from(JSON.stringify({ e: externalId }), "utf8").toString("base64url");
}
function decodeCursor(cursor: string): string {
  try {
    const v = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown;
    if (typeof v === "object" && v !== null && typeof (v as { e?: unknown }).e === "string") return (v as { e: string }).e;
  } catch {
    /* fall through */
  }
  throw new ApiError("validation_failed", "Invalid cursor: pass back the nextCursor of the previous page unchanged.", [{ field: "cursor", reason: "is not a cursor from this API" }]);
}

/**
 * GET /api/v1/customers?cursor=&limit=: all customers with their latest scores, keyset-paginated on
 * external_id (the (workspace_id, external_id) unique index): every page is one index range scan,
 * stable while data is written, no OFFSET and no total count.
 */
export async function listCustomersPage(tx: Tx, ws: Ws, q: URLSearchParams) {
  const limitRaw = q.get("limit");
  const limit = limitRaw === null ? PAGE_DEFAULT : Number(limitRaw);
  if (!Number.isInteger(limit) || limit < 1 || limit > PAGE_MAX) {
    throw new ApiError("validation_failed", `limit must be a whole number from 1 to ${PAGE_MAX}.`, [{ field: "limit", reason: `must be 1–${PAGE_MAX}` }]);
  }
  const cursor = q.get("cursor");
  const after = cursor ? decodeCursor(cursor) : null;
  const rows = await tx.customer.findMany({
    where: { workspaceId: ws.id, ...(after !== null ? { externalId: { gt: after } } : {}) },
    select: CUSTOMER_SELECT,
    orderBy: { externalId: "asc" },
    take: limit + 1,
  });
  const more = rows.length > limit;
  const page = more ? rows.slice(0, limit) : rows;
  return { data: page.map((c) => customerDto(c, ws.currency)), nextCursor: more ? encodeCursor(page[page.length - 1]!.externalId) : null };
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** GET /api/v1/segments: the workspace's saved rule segments with their latest snapshot. */
export async function readSegments(tx: Tx, ws: Ws) {
  const rows = await listRuleSegments(tx, ws.id);
  return {
    data: rows.map((s) => ({
      id: s.id,
      name: s.name,
      description: s.description,
      createdAt: s.createdAt,
      updatedAt: s.updatedAt,
      latest: s.latest
        ? {
            takenAt: s.latest.takenAt,
            customers: s.latest.customers,
            predictedClvSum: { minor: s.latest.predictedClvSumMinor, currency: ws.currency },
            historicalClvSum: { minor: s.latest.historicalClvSumMinor, currency: ws.currency },
            pAliveAverage: s.latest.pAliveAvg,
          }
        : null,
    })),
  };
}

/** GET /api/v1/segments/{id}/members?cursor=&limit=: keyset pages of a saved segment's members (rule evaluated now). */
export async function readSegmentMembers(tx: Tx, ws: Ws, segmentId: string, q: URLSearchParams) {
  if (!UUID_RE.test(segmentId)) throw new ApiError("not_found", "Segment not found.");
  const limitRaw = q.get("limit");
  const limit = limitRaw === null ? PAGE_DEFAULT : Number(limitRaw);
  if (!Number.isInteger(limit) || limit < 1 || limit > PAGE_MAX) {
    throw new ApiError("validation_failed", `limit must be a whole number from 1 to ${PAGE_MAX}.`, [{ field: "limit", reason: `must be 1–${PAGE_MAX}` }]);
  }
  const cursor = q.get("cursor");
  if (cursor !== null && !UUID_RE.test(cursor)) {
    throw new ApiError("validation_failed", "Invalid cursor: pass back the nextCursor of the previous page unchanged.", [{ field: "cursor", reason: "is not a cursor from this API" }]);
  }
  const page = await listSegmentMembers(tx, ws, segmentId, cursor, limit);
  return {
    segment: page.segment,
    data: page.rows.map((r) => ({
      externalId: r.externalId,
      name: r.name,
      email: r.email,
      acquisitionChannel: r.channel,
      orders: r.orders,
      lastOrderAt: r.lastOrderAt,
      predictedClv: r.predictedClvMinor === null ? null : { minor: r.predictedClvMinor, currency: ws.currency },
      historicalClv: r.historicalClvMinor === null ? null : { minor: r.historicalClvMinor, currency: ws.currency },
      pAlive: r.pAlive,
      rfmSegment: r.rfmSegment,
      valueTier: r.valueTier,
    })),
    nextCursor: page.nextCursor,
  };
}
