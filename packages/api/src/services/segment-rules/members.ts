/**
 * A saved segment's members: keyset pages (for the API sync and the CSV export), the streamed CSV
 * export, the Customers page filter, and the choices the rule builder offers.
 */
import { withWorkspace, type Prisma, type PrismaClient, type Tx } from "@valuelens/db";
import { currencyDigits, minorToDecimal, toCsvRow } from "@valuelens/validators";
import { DomainError } from "../domain-error.ts";
import { requireRole } from "../membership.ts";
import { compileRule } from "./compile.ts";
import { loadRuleSegment } from "./manage.ts";
import { memberPage, ruleContext, storedRule, type RuleMemberRow } from "./query.ts";

export const MEMBERS_MAX_PAGE = 1_000;

export interface SegmentMembersPage {
  segment: { id: string; name: string };
  rows: RuleMemberRow[];
  /** Pass back as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

/**
 * Members of a saved segment in customer-id order, `limit` at a time after `cursor` (the last id of
 * the previous page). Meant for GET /api/v1/segments/{id}/members (API keys, ingestion API) and any
 * sync: pages are stable under concurrent reads and cost the same at any depth. The rule is
 * evaluated against the latest scores at call time.
 */
export async function listSegmentMembers(tx: Tx, workspace: { id: string }, segmentId: string, cursor: string | null, limit: number): Promise<SegmentMembersPage> {
  if (!Number.isInteger(limit) || limit < 1 || limit > MEMBERS_MAX_PAGE) throw new DomainError("BAD_REQUEST", `limit must be a whole number from 1 to ${MEMBERS_MAX_PAGE}.`);
  if (cursor !== null && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(cursor)) throw new DomainError("BAD_REQUEST", "Invalid page cursor.");
  const seg = await loadRuleSegment(tx, workspace.id, segmentId);
  const ctx = await ruleContext(tx, workspace.id);
  const page = await memberPage(tx, workspace.id, storedRule(seg.rule, seg.name), ctx, cursor, limit);
  return { segment: { id: seg.id, name: seg.name }, ...page };
}

export const SEGMENT_EXPORT_COLUMNS = [
  "external_id", "email", "name", "acquisition_channel", "orders", "last_order_at", "currency", "historical_clv", "predicted_clv_12m", "p_alive", "rfm_segment", "value_tier",
] as const;

const PAGE = MEMBERS_MAX_PAGE;

/**
 * A segment's members as CSV, streamed one keyset page (1,000 rows, one short tenant transaction) at
 * a time; formula-safe cells (toCsvRow). Members and above, checked before the first byte.
 */
export async function* ruleSegmentCsv(prisma: PrismaClient, userId: string, workspaceId: string, segmentId: string): AsyncGenerator<string> {
  const currency = await withWorkspace(
    prisma,
    workspaceId,
    async (tx) => {
      await requireRole(tx, workspaceId, userId, "MEMBER");
      await loadRuleSegment(tx, workspaceId, segmentId);
      return (await tx.workspace.findUniqueOrThrow({ where: { id: workspaceId }, select: { currency: true } })).currency;
    },
    { userId },
  );
  const digits = currencyDigits(currency);
  yield toCsvRow(SEGMENT_EXPORT_COLUMNS);
  let cursor: string | null = null;
  for (;;) {
    const page: SegmentMembersPage = await withWorkspace(prisma, workspaceId, (tx) => listSegmentMembers(tx, { id: workspaceId }, segmentId, cursor, PAGE), { userId });
    let chunk = "";
    for (const r of page.rows) {
      chunk += toCsvRow([
        r.externalId, r.email, r.name, r.channel, r.orders, r.lastOrderAt?.toISOString() ?? null, currency,
        minorToDecimal(r.historicalClvMinor, digits), minorToDecimal(r.predictedClvMinor, digits),
        r.pAlive === null ? null : r.pAlive.toFixed(4), r.rfmSegment, r.valueTier,
      ]);
    }
    if (chunk) yield chunk;
    if (!page.nextCursor) return;
    cursor = page.nextCursor;
  }
}

/** The Customers page's "in segment" filter: the saved rule as a predicate over aliases c and s. */
export async function ruleSegmentPredicate(tx: Tx, workspaceId: string, segmentId: string): Promise<Prisma.Sql> {
  const seg = await loadRuleSegment(tx, workspaceId, segmentId);
  return compileRule(storedRule(seg.rule, seg.name), await ruleContext(tx, workspaceId));
}

export interface RuleFieldOptions {
  channels: string[];
  campaigns: { id: string; name: string }[];
  /** Attribute keys seen on a sample of customers, with the JSON types seen for each. */
  attributes: { key: string; types: string[]; customers: number }[];
  sampled: number;
}

const ATTRIBUTE_SAMPLE = 5_000;

export async function ruleFieldOptions(tx: Tx, workspaceId: string): Promise<RuleFieldOptions> {
  const [campaigns, channels, attrs] = await Promise.all([
    tx.campaign.findMany({ where: { workspaceId }, select: { id: true, name: true }, orderBy: { name: "asc" }, take: 500 }),
    tx.$queryRaw<{ ch: string }[]>`
      SELECT DISTINCT ch FROM (
        SELECT channel AS ch FROM campaigns WHERE workspace_id = ${workspaceId}::uuid
        UNION ALL SELECT acquisition_channel FROM (SELECT acquisition_channel FROM customers WHERE workspace_id = ${workspaceId}::uuid AND acquisition_channel IS NOT NULL LIMIT ${ATTRIBUTE_SAMPLE}) x
      ) y WHERE ch IS NOT NULL ORDER BY 1 LIMIT 100`,
    tx.$queryRaw<{ key: string; t: string; n: bigint; sampled: bigint }[]>`
      WITH sample AS (SELECT attributes FROM customers WHERE workspace_id = ${workspaceId}::uuid AND attributes <> '{}'::jsonb LIMIT ${ATTRIBUTE_SAMPLE})
      SELECT e.key, jsonb_typeof(e.value) AS t, count(*) AS n, (SELECT count(*) FROM sample) AS sampled
        FROM sample, jsonb_each(CASE WHEN jsonb_typeof(sample.attributes) = 'object' THEN sample.attributes ELSE '{}'::jsonb END) e
       GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 200`,
  ]);
  const byKey = new Map<string, { types: string[]; customers: number }>();
  for (const r of attrs) {
    const k = byKey.get(r.key) ?? { types: [], customers: 0 };
    k.types.push(r.t);
    k.customers += Number(r.n);
    byKey.set(r.key, k);
  }
  return {
    channels: channels.map((c) => c.ch),
    campaigns,
    attributes: [...byKey.entries()].map(([key, v]) => ({ key, ...v })).sort((a, b) => b.customers - a.customers || a.key.localeCompare(b.key)).slice(0, 60),
    sampled: Number(attrs[0]?.sampled ?? 0),
  };
}
