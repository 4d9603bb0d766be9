import type { Tx } from "./tenant.ts";

/**
 * Set-based writers for many rows at once: one statement per batch, rows passed as a single JSON
 * parameter and expanded by jsonb_to_recordset. About 30× faster than Prisma's createMany here
 * (61 ms vs 1.9 s for 1,000 customers), and one statement means the summary triggers run once per
 * batch. Money travels as strings of integer minor units (no float on the way).
 */
export interface BulkCustomer {
  externalId: string;
  email?: string | null;
  name?: string | null;
  signedUpAt?: Date | null;
  acquisitionChannel?: string | null;
  acquisitionCampaignId?: string | null;
  attributes?: Record<string, unknown>;
}

export async function bulkInsertCustomers(tx: Tx, workspaceId: string, rows: BulkCustomer[]): Promise<Map<string, string>> {
  if (rows.length === 0) return new Map();
  const json = JSON.stringify(
    rows.map((r) => ({
      external_id: r.externalId,
      email: r.email ?? null,
      name: r.name ?? null,
      signed_up_at: r.signedUpAt?.toISOString() ?? null,
      acquisition_channel: r.acquisitionChannel ?? null,
      acquisition_campaign_id: r.acquisitionCampaignId ?? null,
      attributes: r.attributes ?? {},
    })),
  );
  const out = await tx.$queryRaw<{ id: string; external_id: string }[]>`
    INSERT INTO customers (workspace_id, external_id, email, name, signed_up_at, acquisition_channel, acquisition_campaign_id, attributes)
    SELECT ${workspaceId}::uuid, x.external_id, x.email, x.name, x.signed_up_at, x.acquisition_channel, x.acquisition_campaign_id, x.attributes
      FROM jsonb_to_recordset(${json}::jsonb) AS x(external_id text, email text, name text, signed_up_at timestamptz,
           acquisition_channel text, acquisition_campaign_id uuid, attributes jsonb)
    RETURNING id::text, external_id`;
  return new Map(out.map((r) => [r.external_id, r.id]));
}

export interface BulkOrder {
  externalId: string;
  customerId: string;
  orderedAt: Date;
  amountMinor: bigint | number;
  currency: string;
  costMinor?: bigint | number | null;
  refunded?: boolean;
}

export async function bulkInsertOrders(tx: Tx, workspaceId: string, rows: BulkOrder[]): Promise<number> {
  if (rows.length === 0) return 0;
  const json = JSON.stringify(
    rows.map((r) => ({
      external_id: r.externalId,
      customer_id: r.customerId,
      ordered_at: r.orderedAt.toISOString(),
      amount_minor: String(r.amountMinor),
      currency: r.currency,
      cost_minor: r.costMinor === null || r.costMinor === undefined ? null : String(r.costMinor),
      refunded: r.refunded ?? false,
    })),
  );
  return tx.$executeRaw`
    INSERT INTO orders (workspace_id, external_id, customer_id, ordered_at, amount_minor, currency, cost_minor, refunded)
    SELECT ${workspaceId}::uuid, x.external_id, x.customer_id, x.ordered_at, x.amount_minor, x.currency, x.cost_minor, x.refunded
      FROM jsonb_to_recordset(${json}::jsonb) AS x(external_id text, customer_id uuid, ordered_at timestamptz,
           amount_minor bigint, currency char(3), cost_minor bigint, refunded boolean)`;
}

export interface BulkSpend {
  campaignId: string;
  day: Date;
  amountMinor: bigint | number;
  currency: string;
}

export async function bulkInsertSpend(tx: Tx, workspaceId: string, rows: BulkSpend[]): Promise<number> {
  if (rows.length === 0) return 0;
  const json = JSON.stringify(
    rows.map((r) => ({ campaign_id: r.campaignId, day: r.day.toISOString().slice(0, 10), amount_minor: String(r.amountMinor), currency: r.currency })),
  );
  return tx.$executeRaw`
    INSERT INTO campaign_spend (workspace_id, campaign_id, day, amount_minor, currency)
    SELECT ${workspaceId}::uuid, x.campaign_id, x.day, x.amount_minor, x.currency
      FROM jsonb_to_recordset(${json}::jsonb) AS x(campaign_id uuid, day date, amount_minor bigint, currency char(3))`;
}

/**
 * Bulk summaries mode for the current transaction and workspace (migration import_fast_path):
 * order writes after this only record which customers changed; the customer summaries, rollups,
 * workspace stats and customer_months/weeks are brought up to date once, set-based, by
 * flushBulkSummaries — or, at the latest, by a deferred trigger at COMMIT, so a transaction can
 * never commit stale summaries. Worth it for large writes (an import chunk of tens of thousands of
 * orders, or several statements in one transaction); small writes need nothing (the triggers keep
 * summaries current per statement). Deleting customers is refused while it is on.
 */
export async function beginBulkSummaries(tx: Tx, workspaceId: string): Promise<void> {
  await tx.$executeRaw`SELECT vl_bulk_begin(${workspaceId}::uuid)`;
}

/**
 * Bulk summaries mode in which the order triggers put the changed customers straight on the
 * workspace's durable deferred list (migration 20261124101500_import_direct_defer) instead of the
 * per-transaction pending list: for an import chunk, whose customers are refreshed once per import
 * by flushDeferredSummaries. Saves the pending write and the move of deferBulkSummaries.
 */
export async function beginBulkSummariesDeferred(tx: Tx, workspaceId: string): Promise<void> {
  await tx.$executeRaw`SELECT vl_bulk_begin_deferred(${workspaceId}::uuid)`;
}

/** Refreshes everything derived from the orders of customers changed since beginBulkSummaries; returns how many customers. */
export async function flushBulkSummaries(tx: Tx, workspaceId: string): Promise<number> {
  const r = await tx.$queryRaw<{ n: number }[]>`SELECT vl_bulk_flush(${workspaceId}::uuid) AS n`;
  return r[0]?.n ?? 0;
}

/**
 * For an import chunk in bulk mode: instead of refreshing now, moves the customers this transaction
 * changed to the workspace's durable deferred list (migration import_deferred_summaries), committed
 * with the chunk; returns how many. flushDeferredSummaries refreshes them later, once per import.
 */
export async function deferBulkSummaries(tx: Tx, workspaceId: string): Promise<number> {
  const r = await tx.$queryRaw<{ n: number }[]>`SELECT vl_bulk_defer(${workspaceId}::uuid) AS n`;
  return r[0]?.n ?? 0;
}

/**
 * Refreshes up to `limit` customers of the workspace's deferred list (all when null) in the caller's
 * transaction — summaries, customer_months/weeks, rollups and workspace stats, set-based — and takes
 * them off the list; returns how many. Call in a loop (one transaction each) until it returns 0.
 */
export async function flushDeferredSummaries(tx: Tx, workspaceId: string, limit: number | null): Promise<number> {
  const r = await tx.$queryRaw<{ n: number }[]>`SELECT vl_flush_deferred(${workspaceId}::uuid, ${limit}::int) AS n`;
  return r[0]?.n ?? 0;
}

/**
 * The upper bounds of slices of `slice` customers of the workspace's deferred list (every
 * slice-th customer id, in id order; migration 20261124108300_import_parallel_flush). With them,
 * flushDeferredRange can refresh disjoint slices in transactions that run at the same time.
 */
export async function deferredBounds(tx: Tx, workspaceId: string, slice: number): Promise<string[]> {
  const r = await tx.$queryRaw<{ b: string[] }[]>`SELECT vl_deferred_bounds(${workspaceId}::uuid, ${slice}::int)::text[] AS b`;
  return r[0]?.b ?? [];
}

/**
 * Refreshes the workspace's deferred customers with after < id <= upto (null: unbounded) in the
 * caller's transaction, like flushDeferredSummaries, and takes them off the list; returns how many.
 */
export async function flushDeferredRange(tx: Tx, workspaceId: string, after: string | null, upto: string | null): Promise<number> {
  const r = await tx.$queryRaw<{ n: number }[]>`SELECT vl_flush_deferred_range(${workspaceId}::uuid, ${after}::uuid, ${upto}::uuid) AS n`;
  return r[0]?.n ?? 0;
}
