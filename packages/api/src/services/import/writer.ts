import type { Tx } from "@valuelens/db";
import type { ValidRow } from "./rows.ts";

/**
 * Set-based, idempotent upserts for one batch (one statement per table, rows as one JSON parameter
 * expanded by jsonb_to_recordset): new keys inserted, changed rows updated, unchanged rows untouched,
 * and the statement returns how many were inserted and updated — so created / updated / unchanged
 * are exact (upsertSql). Only mapped columns are updated (an import without a "name" column does not
 * erase names). Summaries are maintained by the table triggers.
 */
export interface BatchItem<R extends ValidRow = ValidRow> {
  line: number;
  row: R;
}

export interface WriteResult {
  created: number;
  updated: number;
  unchanged: number;
  rejected: { line: number; column: string | null; reason: string }[];
  /** Customers created from order rows (option "create"); not part of the file's row counts. */
  customersCreated: number;
}

export interface WriteOptions {
  mapped: (field: string) => boolean;
  unknownCustomers: "create" | "reject";
}

type Counts = { created: number; updated: number }[];

function tally(n: number, out: Counts): Pick<WriteResult, "created" | "updated" | "unchanged"> {
  const created = out[0]?.created ?? 0;
  const updated = out[0]?.updated ?? 0;
  return { created, updated, unchanged: n - created - updated };
}

/**
 * One batch ($1 JSON rows, $2 workspace) in one statement (one snapshot): rows whose key is new are
 * INSERTed (a plain insert, in `orderBy` order when given), rows stored with other values are
 * UPDATEd by key, rows stored with the same values are not touched (an unchanged re-import writes
 * nothing). Returns one row { created, updated }.
 * Not INSERT … ON CONFLICT DO UPDATE: measured on a 20,000-order chunk (BENCHMARKS.md "Session 6")
 * its speculative insertion and arbiter checks made the statement ~40 % slower than this. A row
 * inserted by a concurrent writer between the read and the insert raises a unique violation
 * (23505); the callers retry the whole transaction then (engine.ts, ingest/handler.ts RETRYABLE),
 * and the retry reads that row as stored.
 */
function upsertSql(
  table: string,
  conflict: string,
  cols: { name: string; type: string; update: boolean; merge?: boolean }[],
  selectFrom: string,
  orderBy?: string,
): string {
  const insertCols = cols.map((c) => c.name);
  const upd = cols.filter((c) => c.update);
  const pad = upd.length === 1 ? ", NULL" : "";
  const keys = conflict
    .split(",")
    .map((k) => k.trim())
    .filter((k) => k !== "workspace_id");
  const differs =
    upd.length === 0
      ? "t.workspace_id IS NULL"
      : `t.workspace_id IS NULL OR (${upd.map((c) => `t.${c.name}`).join(", ")}${pad}) IS DISTINCT FROM (${upd.map((c) => (c.merge ? `t.${c.name} || x.${c.name}` : `x.${c.name}`)).join(", ")}${pad})`;
  const update =
    upd.length === 0
      ? "SELECT 1 WHERE false"
      : `UPDATE ${table} t SET ${upd.map((c) => (c.merge ? `${c.name} = t.${c.name} || ch.${c.name}` : `${c.name} = ch.${c.name}`)).join(", ")}${table === "campaign_spend" ? "" : ", updated_at = now()"}
        FROM ch WHERE ch.stored AND t.workspace_id = $2::uuid AND ${keys.map((k) => `t.${k} = ch.${k}`).join(" AND ")}
      RETURNING 1`;
  return `WITH x AS MATERIALIZED (SELECT * FROM ${selectFrom}),
    ch AS MATERIALIZED (
      SELECT x.*, t.workspace_id IS NOT NULL AS stored
        FROM x LEFT JOIN ${table} t ON t.workspace_id = $2::uuid AND ${keys.map((k) => `t.${k} = x.${k}`).join(" AND ")}
       WHERE ${differs}
    ), ins AS (
      INSERT INTO ${table} (workspace_id, ${insertCols.join(", ")})
      SELECT $2::uuid, ${insertCols.map((c) => `ch.${c}`).join(", ")} FROM ch WHERE NOT ch.stored${orderBy ? ` ORDER BY ch.${orderBy}` : ""}
      RETURNING 1
    ), upd AS (
      ${update}
    )
    SELECT (SELECT count(*) FROM ins)::int AS created, (SELECT count(*) FROM upd)::int AS updated`;
}

async function lookup(tx: Tx, sql: string, workspaceId: string, keys: string[]): Promise<Map<string, string>> {
  if (keys.length === 0) return new Map();
  const rows = await tx.$queryRawUnsafe<{ k: string; id: string }[]>(sql, workspaceId, keys);
  return new Map(rows.map((r) => [r.k, r.id]));
}

const CAMPAIGNS_BY_EXT = `SELECT external_id AS k, id::text AS id FROM campaigns WHERE workspace_id = $1::uuid AND external_id = ANY($2::text[])`;
const CUSTOMERS_BY_EXT = `SELECT external_id AS k, id::text AS id FROM customers WHERE workspace_id = $1::uuid AND external_id = ANY($2::text[])`;
const CUSTOMERS_BY_EMAIL = `SELECT DISTINCT ON (email) email AS k, id::text AS id FROM customers
  WHERE workspace_id = $1::uuid AND email = ANY($2::text[]) ORDER BY email, created_at, id`;

export async function writeBatch(tx: Tx, workspaceId: string, items: BatchItem[], opts: WriteOptions): Promise<WriteResult> {
  const res: WriteResult = { created: 0, updated: 0, unchanged: 0, rejected: [], customersCreated: 0 };
  if (items.length === 0) return res;
  const kind = items[0]!.row.kind;
  const m = opts.mapped;

  if (kind === "CUSTOMERS") {
    const rows = items as BatchItem<Extract<ValidRow, { kind: "CUSTOMERS" }>>[];
    const camp = await lookup(tx, CAMPAIGNS_BY_EXT, workspaceId, [...new Set(rows.flatMap((r) => (r.row.campaignExternalId ? [r.row.campaignExternalId] : [])))]);
    const ok = rows.filter((r) => {
      if (r.row.campaignExternalId && !camp.has(r.row.campaignExternalId)) {
        res.rejected.push({ line: r.line, column: "campaign_external_id", reason: `unknown campaign "${r.row.campaignExternalId}" (import campaigns first)` });
        return false;
      }
      return true;
    });
    const json = JSON.stringify(
      ok.map(({ row: r }) => ({
        external_id: r.externalId,
        email: r.email,
        name: r.name,
        signed_up_at: r.signedUpAt?.toISOString() ?? null,
        acquisition_channel: r.acquisitionChannel,
        acquisition_campaign_id: r.campaignExternalId ? camp.get(r.campaignExternalId)! : null,
        attributes: r.attributes,
      })),
    );
    const hasAttrs = ok.some((r) => Object.keys(r.row.attributes).length > 0);
    const sql = upsertSql(
      "customers",
      "workspace_id, external_id",
      [
        { name: "external_id", type: "text", update: false },
        { name: "email", type: "text", update: m("email") },
        { name: "name", type: "text", update: m("name") },
        { name: "signed_up_at", type: "timestamptz", update: m("signed_up_at") },
        { name: "acquisition_channel", type: "text", update: m("acquisition_channel") },
        { name: "acquisition_campaign_id", type: "uuid", update: m("campaign_external_id") },
        { name: "attributes", type: "jsonb", update: hasAttrs, merge: true },
      ],
      `jsonb_to_recordset($1::jsonb) AS x(external_id text, email text, name text, signed_up_at timestamptz, acquisition_channel text, acquisition_campaign_id uuid, attributes jsonb)`,
    );
    Object.assign(res, tally(ok.length, ok.length ? await tx.$queryRawUnsafe<Counts>(sql, json, workspaceId) : []));
    return res;
  }

  if (kind === "ORDERS") {
    const rows = items as BatchItem<Extract<ValidRow, { kind: "ORDERS" }>>[];
    const byExt = await lookup(tx, CUSTOMERS_BY_EXT, workspaceId, [...new Set(rows.flatMap((r) => (r.row.customerExternalId ? [r.row.customerExternalId] : [])))]);
    const byEmail = await lookup(
      tx,
      CUSTOMERS_BY_EMAIL,
      workspaceId,
      [...new Set(rows.flatMap((r) => (!r.row.customerExternalId && r.row.customerEmail ? [r.row.customerEmail] : [])))],
    );
    const resolve = (r: Extract<ValidRow, { kind: "ORDERS" }>) => (r.customerExternalId ? byExt.get(r.customerExternalId) : byEmail.get(r.customerEmail!));
    const missing = rows.filter((r) => resolve(r.row) === undefined);
    if (missing.length > 0 && opts.unknownCustomers === "create") {
      // New customers from the order rows: external id = the row's customer id, else its email.
      const seen = new Map<string, string | null>();
      for (const { row } of missing) {
        const ext = row.customerExternalId ?? row.customerEmail!;
        if (!seen.has(ext)) seen.set(ext, row.customerEmail);
      }
      // In key order: chunks written at the same time that create the same customers take their
      // unique-index entries in one order (the second waits for the first; never a deadlock).
      const json = JSON.stringify([...seen].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([external_id, email]) => ({ external_id, email })));
      const created = await tx.$queryRawUnsafe<{ k: string; id: string }[]>(
        `INSERT INTO customers (workspace_id, external_id, email)
           SELECT $2::uuid, x.external_id, x.email FROM jsonb_to_recordset($1::jsonb) AS x(external_id text, email text)
         ON CONFLICT (workspace_id, external_id) DO NOTHING
         RETURNING external_id AS k, id::text AS id`,
        json,
        workspaceId,
      );
      res.customersCreated = created.length;
      const all = await lookup(tx, CUSTOMERS_BY_EXT, workspaceId, [...seen.keys()]);
      for (const { row } of missing) {
        const id = all.get(row.customerExternalId ?? row.customerEmail!);
        if (id === undefined) continue;
        if (row.customerExternalId) byExt.set(row.customerExternalId, id);
        else byEmail.set(row.customerEmail!, id);
      }
    }
    const ok: { row: Extract<ValidRow, { kind: "ORDERS" }>; customerId: string }[] = [];
    for (const r of rows) {
      const id = resolve(r.row);
      if (id === undefined) {
        res.rejected.push({
          line: r.line,
          column: r.row.customerExternalId ? "customer_external_id" : "customer_email",
          reason: `unknown customer "${r.row.customerExternalId ?? r.row.customerEmail}"`,
        });
      } else ok.push({ row: r.row, customerId: id });
    }
    const json = JSON.stringify(
      ok.map(({ row: r, customerId }) => ({
        external_id: r.externalId,
        customer_id: customerId,
        ordered_at: r.orderedAt.toISOString(),
        amount_minor: r.amountMinor.toString(),
        currency: r.currency,
        cost_minor: r.costMinor === null ? null : r.costMinor.toString(),
        refunded: r.refunded,
      })),
    );
    const sql = upsertSql(
      "orders",
      "workspace_id, external_id",
      [
        { name: "external_id", type: "text", update: false },
        { name: "customer_id", type: "uuid", update: true },
        { name: "ordered_at", type: "timestamptz", update: true },
        { name: "amount_minor", type: "bigint", update: true },
        { name: "currency", type: "char(3)", update: true },
        { name: "cost_minor", type: "bigint", update: m("cost") },
        { name: "refunded", type: "boolean", update: m("refunded") },
      ],
      `jsonb_to_recordset($1::jsonb) AS x(external_id text, customer_id uuid, ordered_at timestamptz, amount_minor bigint, currency char(3), cost_minor bigint, refunded boolean)`,
      // In customer order: the (workspace, customer, ordered_at) index entries and the customers
      // the statement's check locks then hit neighbouring pages, not random ones.
      "customer_id",
    );
    Object.assign(res, tally(ok.length, ok.length ? await tx.$queryRawUnsafe<Counts>(sql, json, workspaceId) : []));
    return res;
  }

  if (kind === "CAMPAIGNS") {
    const rows = items as BatchItem<Extract<ValidRow, { kind: "CAMPAIGNS" }>>[];
    const json = JSON.stringify(
      rows.map(({ row: r }) => ({ external_id: r.externalId, name: r.name, channel: r.channel, starts_at: r.startsAt?.toISOString() ?? null, ends_at: r.endsAt?.toISOString() ?? null })),
    );
    const sql = upsertSql(
      "campaigns",
      "workspace_id, external_id",
      [
        { name: "external_id", type: "text", update: false },
        { name: "name", type: "text", update: true },
        { name: "channel", type: "text", update: true },
        { name: "starts_at", type: "timestamptz", update: m("starts_at") },
        { name: "ends_at", type: "timestamptz", update: m("ends_at") },
      ],
      `jsonb_to_recordset($1::jsonb) AS x(external_id text, name text, channel text, starts_at timestamptz, ends_at timestamptz)`,
    );
    Object.assign(res, tally(rows.length, await tx.$queryRawUnsafe<Counts>(sql, json, workspaceId)));
    return res;
  }

  const rows = items as BatchItem<Extract<ValidRow, { kind: "CAMPAIGN_SPEND" }>>[];
  const camp = await lookup(tx, CAMPAIGNS_BY_EXT, workspaceId, [...new Set(rows.map((r) => r.row.campaignExternalId))]);
  const ok = rows.filter((r) => {
    if (!camp.has(r.row.campaignExternalId)) {
      res.rejected.push({ line: r.line, column: "campaign_external_id", reason: `unknown campaign "${r.row.campaignExternalId}" (import campaigns first)` });
      return false;
    }
    return true;
  });
  const json = JSON.stringify(ok.map(({ row: r }) => ({ campaign_id: camp.get(r.campaignExternalId)!, day: r.day, amount_minor: r.amountMinor.toString(), currency: r.currency })));
  const sql = upsertSql(
    "campaign_spend",
    "workspace_id, campaign_id, day, currency",
    [
      { name: "campaign_id", type: "uuid", update: false },
      { name: "day", type: "date", update: false },
      { name: "amount_minor", type: "bigint", update: true },
      { name: "currency", type: "char(3)", update: false },
    ],
    `jsonb_to_recordset($1::jsonb) AS x(campaign_id uuid, day date, amount_minor bigint, currency char(3))`,
  );
  Object.assign(res, tally(ok.length, ok.length ? await tx.$queryRawUnsafe<Counts>(sql, json, workspaceId) : []));
  return res;
}
