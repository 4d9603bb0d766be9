import { Prisma, type Tx } from "@valuelens/db";
import type { TCustomerFilters, TCustomerSort, TCustomerView } from "@valuelens/validators";
import { DomainError } from "../domain-error.ts";
import { ruleSegmentPredicate } from "../segment-rules/members.ts"; // rule segments (issue 5)

export interface CustomerRow {
  id: string;
  externalId: string;
  email: string | null;
  name: string | null;
  channel: string | null;
  campaign: string | null;
  orders: number;
  firstOrderAt: Date | null;
  lastOrderAt: Date | null;
  historicalClvMinor: string;
  predictedClvMinor: string | null;
  predictedClvLowMinor: string | null;
  predictedClvHighMinor: string | null;
  pAlive: number | null;
  expectedPurchases90: number | null;
  churnRisk: string | null;
  /** Null for a customer without orders (nothing to score yet). */
  rfmSegment: string | null;
  valueTier: string | null;
  /** When the customer was added to the workspace (the sort key of the "without orders" view). */
  addedAt: Date;
  signedUpAt: Date | null;
}

export interface CustomerPage {
  rows: CustomerRow[];
  nextCursor: { v: string; id: string } | null;
}

/** Sort key per sort option: column on customer_scores (each has an index on (column, customer_id) in the workspace's leaf) and its cast. */
const SORTS: Record<TCustomerSort, { col: Prisma.Sql; cast: Prisma.Sql; nullable: boolean }> = {
  predictedClv: { col: Prisma.sql`s.predicted_clv_minor`, cast: Prisma.sql`bigint`, nullable: true },
  historicalClv: { col: Prisma.sql`s.historical_clv_minor`, cast: Prisma.sql`bigint`, nullable: false },
  pAlive: { col: Prisma.sql`s.p_alive`, cast: Prisma.sql`float8`, nullable: true },
  lastOrder: { col: Prisma.sql`s.last_order_at`, cast: Prisma.sql`timestamptz`, nullable: true },
};

function cursorValue(sort: TCustomerSort, v: unknown): string {
  if (v instanceof Date) return v.toISOString();
  if (typeof v === "bigint" || typeof v === "number") return String(v);
  return String(v);
}

function checkCursor(sort: TCustomerSort, v: string): void {
  const ok = sort === "lastOrder" ? !Number.isNaN(Date.parse(v)) : sort === "pAlive" ? Number.isFinite(Number(v)) : /^-?\d{1,19}$/.test(v);
  if (!ok) throw new DomainError("BAD_REQUEST", "Invalid page cursor.");
}

/**
 * External id exact, e-mail exact or prefix, name prefix (case-insensitive), on customers `x`; see
 * listCustomers. Only leakproof functions (=, starts_with on stored columns), so PostgreSQL can use
 * the indexes below the tenant policy (migration customer_search_leakproof); LIKE or lower() here
 * would make every search scan the workspace.
 */
function searchMatch(workspaceId: string, q: string): Prisma.Sql {
  const p = q.toLowerCase();
  return Prisma.sql`x.workspace_id = ${workspaceId}::uuid
    AND (x.external_id = ${q} OR x.email = ${q} OR starts_with(x.email, ${p}) OR starts_with(x.name_lower, ${p}))`;
}

const searchPredicate = (workspaceId: string, q: string, col: Prisma.Sql): Prisma.Sql =>
  Prisma.sql`${col} IN (SELECT x.id FROM customers x WHERE ${searchMatch(workspaceId, q)})`;

/**
 * Above this many matches a search is "broad" (see listCustomers): fetching n scores by key costs
 * about n lookups, while walking the sort order finds a page of 25 after about 25/n of the index —
 * the two meet near a few hundred matches at 1M customers.
 */
const SEARCH_FIRST_MAX = 500;

/** The ids a search matches, or null when there are more than `max`. */
async function searchIds(tx: Tx, workspaceId: string, q: string, max: number): Promise<string[] | null> {
  const rows = await tx.$queryRaw<{ id: string }[]>`
    SELECT x.id::text AS id FROM customers x WHERE ${searchMatch(workspaceId, q)} LIMIT ${max + 1}`;
  return rows.length > max ? null : rows.map((r) => r.id);
}

/** Who the customer is (every view). */
type WhoRow = { id: string; external_id: string; email: string | null; name: string | null; channel: string | null; campaign: string | null; created_at: Date; signed_up_at: Date | null };
/** Summary and latest scores (customers with orders). */
type ScoredRow = {
  orders: number;
  first_order_at: Date | null;
  last_order_at: Date | null;
  hist: bigint;
  pred: bigint | null;
  lo: bigint | null;
  hi: bigint | null;
  p_alive: number | null;
  e90: number | null;
  churn_risk: string | null;
  rfm_segment: string;
  value_tier: string;
};

/** One listed customer; without scores (no order yet) its value fields are empty and its value to date 0. */
function toRow(w: WhoRow, s: ScoredRow | null): CustomerRow {
  return {
    id: w.id,
    externalId: w.external_id,
    email: w.email,
    name: w.name,
    channel: w.channel,
    campaign: w.campaign,
    orders: s?.orders ?? 0,
    firstOrderAt: s?.first_order_at ?? null,
    lastOrderAt: s?.last_order_at ?? null,
    historicalClvMinor: s ? s.hist.toString() : "0",
    predictedClvMinor: s?.pred?.toString() ?? null,
    predictedClvLowMinor: s?.lo?.toString() ?? null,
    predictedClvHighMinor: s?.hi?.toString() ?? null,
    pAlive: s?.p_alive ?? null,
    expectedPurchases90: s?.e90 ?? null,
    churnRisk: s?.churn_risk ?? null,
    rfmSegment: s?.rfm_segment ?? null,
    valueTier: s?.value_tier ?? null,
    addedAt: w.created_at,
    signedUpAt: w.signed_up_at,
  };
}

/** The first `limit` of `limit + 1` fetched rows, and the keyset cursor after them when there are more. */
function pageOf<R extends { id: string }>(rows: R[], limit: number, row: (r: R) => CustomerRow, sortValue: (r: R) => string): CustomerPage {
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return { rows: page.map(row), nextCursor: rows.length > limit && last ? { v: sortValue(last), id: last.id } : null };
}

type ListInput = {
  view?: TCustomerView;
  sort: TCustomerSort;
  dir: "asc" | "desc";
  limit: number;
  cursor?: { v: string; id: string } | null;
  filters: TCustomerFilters;
};

/**
 * Customers of the workspace with their latest scores, keyset-paginated on (sort value, id) — no
 * OFFSET, no total count — so every page is an index range scan whatever the workspace size.
 * Customers without orders have no score row: they are listed by the "withoutOrders" view instead.
 * Rows whose sort value is NULL (e.g. predictions unavailable) are excluded from that sort.
 */
export async function listCustomers(tx: Tx, workspaceId: string, input: ListInput, opts: { searchFirstMax?: number } = {}): Promise<CustomerPage> {
  if (input.view === "withoutOrders") return listCustomersWithoutOrders(tx, workspaceId, input);
  const s = SORTS[input.sort];
  const f = input.filters;
  const where: Prisma.Sql[] = [Prisma.sql`s.workspace_id = ${workspaceId}::uuid`];
  let scores = Prisma.sql`customer_scores`;
  if (s.nullable) where.push(Prisma.sql`${s.col} IS NOT NULL`);
  if (input.cursor) {
    checkCursor(input.sort, input.cursor.v);
    where.push(
      input.dir === "desc"
        ? Prisma.sql`(${s.col}, s.customer_id) < (${input.cursor.v}::${s.cast}, ${input.cursor.id}::uuid)`
        : Prisma.sql`(${s.col}, s.customer_id) > (${input.cursor.v}::${s.cast}, ${input.cursor.id}::uuid)`,
    );
  }
  if (f.tier) where.push(Prisma.sql`s.value_tier = ${f.tier}`);
  if (f.segment) where.push(Prisma.sql`s.rfm_segment = ${f.segment}`);
  if (f.churnRisk) where.push(Prisma.sql`s.churn_risk = ${f.churnRisk}`);
  if (f.rfmR !== undefined) where.push(Prisma.sql`s.rfm_r = ${f.rfmR}::smallint`);
  if (f.rfmF !== undefined) where.push(Prisma.sql`s.rfm_f = ${f.rfmF}::smallint`);
  if (f.channel) where.push(Prisma.sql`c.acquisition_channel = ${f.channel}`);
  if (f.campaignId) where.push(Prisma.sql`c.acquisition_campaign_id = ${f.campaignId}::uuid`);
  if (f.ruleSegmentId) where.push(await ruleSegmentPredicate(tx, workspaceId, f.ruleSegmentId)); // rule segments (issue 5)
  if (f.firstOrderFrom) where.push(Prisma.sql`c.first_order_at >= ${f.firstOrderFrom}::date`);
  if (f.firstOrderTo) where.push(Prisma.sql`c.first_order_at < ${f.firstOrderTo}::date + 1`);
  if (f.lastOrderFrom) where.push(Prisma.sql`s.last_order_at >= ${f.lastOrderFrom}::date`);
  if (f.lastOrderTo) where.push(Prisma.sql`s.last_order_at < ${f.lastOrderTo}::date + 1`);
  if (f.minPredictedClv) where.push(Prisma.sql`s.predicted_clv_minor >= ${f.minPredictedClv}::bigint`);
  if (f.maxPredictedClv) where.push(Prisma.sql`s.predicted_clv_minor <= ${f.maxPredictedClv}::bigint`);
  if (f.minHistoricalClv) where.push(Prisma.sql`s.historical_clv_minor >= ${f.minHistoricalClv}::bigint`);
  if (f.maxHistoricalClv) where.push(Prisma.sql`s.historical_clv_minor <= ${f.maxHistoricalClv}::bigint`);
  if (f.search) {
    // External id: exact (unique index); e-mail: exact or prefix; name: prefix, case-insensitive —
    // each on its own (workspace_id, …) index (migration customer_name_search). A narrow search
    // (at most SEARCH_FIRST_MAX matches) fetches the matching ids first and sorts only them: left
    // to the planner, a prefix matching ~1,000 of 1M customers walked the whole sort index
    // probing each customer (1.8 s). A broad one (e.g. one letter) keeps the walk, where matches are dense.
    const ids = await searchIds(tx, workspaceId, f.search, opts.searchFirstMax ?? SEARCH_FIRST_MAX);
    if (ids === null) where.push(searchPredicate(workspaceId, f.search, Prisma.sql`c.id`));
    else if (ids.length === 0) return { rows: [], nextCursor: null };
    // MATERIALIZED: their scores are fetched by primary key first. As a plain "= ANY" filter the
    // planner still walked the sort index (it assumes matches spread evenly; with 111 matches it
    // walked a quarter of it, with one match all of it).
    else scores = Prisma.sql`(WITH picked AS MATERIALIZED (SELECT * FROM customer_scores
                                WHERE workspace_id = ${workspaceId}::uuid AND customer_id = ANY(${ids}::uuid[])) SELECT * FROM picked)`;
  }
  const order = input.dir === "desc" ? Prisma.sql`${s.col} DESC, s.customer_id DESC` : Prisma.sql`${s.col} ASC, s.customer_id ASC`;
  const rows = await tx.$queryRaw<(WhoRow & ScoredRow & { sortv: unknown })[]>`
    SELECT s.customer_id::text AS id, c.external_id, c.email, c.name, c.acquisition_channel AS channel, k.name AS campaign,
           c.order_count AS orders, c.first_order_at, s.last_order_at, s.historical_clv_minor AS hist,
           s.predicted_clv_minor AS pred, s.predicted_clv_low_minor AS lo, s.predicted_clv_high_minor AS hi,
           s.p_alive, s.expected_purchases_90 AS e90, s.churn_risk, s.rfm_segment, s.value_tier, c.created_at, c.signed_up_at,
           ${s.col} AS sortv
      FROM ${scores} s
      JOIN customers c ON c.workspace_id = s.workspace_id AND c.id = s.customer_id
      LEFT JOIN campaigns k ON k.workspace_id = c.workspace_id AND k.id = c.acquisition_campaign_id
     WHERE ${Prisma.join(where, " AND ")}
     ORDER BY ${order}
     LIMIT ${input.limit + 1}`;
  return pageOf(rows, input.limit, (r) => toRow(r, r), (r) => cursorValue(input.sort, r.sortv));
}

/** The filters that mean something for a customer without orders; any other is refused (it would match nobody). */
const WITHOUT_ORDERS_FILTERS = new Set<keyof TCustomerFilters>(["search", "channel", "campaignId"]);

/**
 * Customers imported without any order yet (prospects, sign-ups), newest first: keyset on
 * (created_at, id) over the partial index customers_without_orders_idx (migration
 * customers_without_orders), so each page is an index range scan however many customers have orders.
 */
async function listCustomersWithoutOrders(tx: Tx, workspaceId: string, input: ListInput): Promise<CustomerPage> {
  const f = input.filters;
  const other = (Object.keys(f) as (keyof TCustomerFilters)[]).filter((k) => f[k] !== undefined && !WITHOUT_ORDERS_FILTERS.has(k));
  if (other.length > 0)
    throw new DomainError("BAD_REQUEST", `Filter ${other.join(", ")} applies to customers with orders only; customers without orders can be filtered by search, channel and campaign.`);
  const where: Prisma.Sql[] = [Prisma.sql`c.workspace_id = ${workspaceId}::uuid`, Prisma.sql`c.order_count = 0`];
  if (input.cursor) {
    if (Number.isNaN(Date.parse(input.cursor.v))) throw new DomainError("BAD_REQUEST", "Invalid page cursor.");
    where.push(
      input.dir === "desc"
        ? Prisma.sql`(c.created_at, c.id) < (${input.cursor.v}::timestamptz, ${input.cursor.id}::uuid)`
        : Prisma.sql`(c.created_at, c.id) > (${input.cursor.v}::timestamptz, ${input.cursor.id}::uuid)`,
    );
  }
  if (f.channel) where.push(Prisma.sql`c.acquisition_channel = ${f.channel}`);
  if (f.campaignId) where.push(Prisma.sql`c.acquisition_campaign_id = ${f.campaignId}::uuid`);
  if (f.search) where.push(searchPredicate(workspaceId, f.search, Prisma.sql`c.id`));
  const order = input.dir === "desc" ? Prisma.sql`c.created_at DESC, c.id DESC` : Prisma.sql`c.created_at ASC, c.id ASC`;
  const rows = await tx.$queryRaw<WhoRow[]>`
    SELECT c.id::text AS id, c.external_id, c.email, c.name, c.acquisition_channel AS channel, k.name AS campaign, c.created_at, c.signed_up_at
      FROM customers c
      LEFT JOIN campaigns k ON k.workspace_id = c.workspace_id AND k.id = c.acquisition_campaign_id
     WHERE ${Prisma.join(where, " AND ")}
     ORDER BY ${order}
     LIMIT ${input.limit + 1}`;
  return pageOf(rows, input.limit, (r) => toRow(r, null), (r) => r.created_at.toISOString());
}

/** Above this many, the count of customers without orders is shown as "more than". */
export const WITHOUT_ORDERS_COUNT_CAP = 100_000;

/**
 * Filter choices for the Customers page (channels and campaigns are small sets) and how many
 * customers have no order yet (counted on the partial index, capped so a workspace of mostly
 * sign-ups does not count millions of entries on every page view).
 */
export async function customerFilterOptions(
  tx: Tx,
  workspaceId: string,
): Promise<{ channels: string[]; campaigns: { id: string; name: string }[]; withoutOrders: { count: number; capped: boolean } }> {
  const [campaigns, channels, [none]] = await Promise.all([
    tx.campaign.findMany({ where: { workspaceId }, select: { id: true, name: true, channel: true }, orderBy: { name: "asc" }, take: 500 }),
    tx.$queryRaw<{ channel: string }[]>`SELECT DISTINCT channel FROM campaigns WHERE workspace_id = ${workspaceId}::uuid ORDER BY 1 LIMIT 100`,
    tx.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM (SELECT 1 FROM customers
                                   WHERE workspace_id = ${workspaceId}::uuid AND order_count = 0 LIMIT ${WITHOUT_ORDERS_COUNT_CAP + 1}) x`,
  ]);
  const n = none?.n ?? 0;
  return {
    channels: channels.map((c) => c.channel),
    campaigns: campaigns.map((c) => ({ id: c.id, name: c.name })),
    withoutOrders: { count: Math.min(n, WITHOUT_ORDERS_COUNT_CAP), capped: n > WITHOUT_ORDERS_COUNT_CAP },
  };
}
