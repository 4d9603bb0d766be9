import type { Tx } from "@valuelens/db";
import type { TImportKind, TImportOptions } from "@valuelens/validators";
import { isValidTimeZone } from "../import/dates.ts";
import { RowValidator, type ValidRow } from "../import/rows.ts";
import { writeBatch, type BatchItem } from "../import/writer.ts";
import { FIELDS, RECORD_SCHEMAS } from "./schemas.ts";

/** One rejected record: its position in `records`, the field at fault (null: the whole record), why. */
export interface RecordError {
  index: number;
  field: string | null;
  reason: string;
}

export interface IngestResult {
  received: number;
  created: number;
  updated: number;
  unchanged: number;
  rejected: number;
  /** Customers created from order records (unknownCustomers = "create"); not part of the record counts. */
  customersCreated: number;
  errors: RecordError[];
}

export interface IngestOptions {
  timeZone: string;
  dateFormat: "auto" | "MDY" | "DMY";
  defaultCurrency: string;
  unknownCustomers: "create" | "reject";
}

interface Group {
  present: Set<string>;
  items: BatchItem[];
}

export interface Validated {
  groups: Group[];
  errors: RecordError[];
}

function toCell(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "string") return v;
  return String(v);
}

/**
 * Validates records with the CSV import's row rules. A field present in a record (even as null) is
 * "mapped" for it, exactly like a CSV column: null clears the stored value, an absent field leaves
 * it unchanged. Records are grouped by their set of present fields so each group is one upsert with
 * the right partial-update columns. Later duplicates of a key are rejected (the first one is applied),
 * the same rule as inside one CSV file.
 */
export function validateRecords(kind: TImportKind, records: readonly unknown[], opts: IngestOptions, now = new Date()): Validated {
  const schema = RECORD_SCHEMAS[kind];
  const all = FIELDS[kind];
  const importOpts: TImportOptions = { ...opts, deriveOrderIds: false };
  const errors: RecordError[] = [];
  const groups = new Map<string, Group & { validator: RowValidator }>();
  const seen = new Map<string, number>();
  records.forEach((rec, index) => {
    if (typeof rec !== "object" || rec === null || Array.isArray(rec)) {
      errors.push({ index, field: null, reason: "must be a JSON object" });
      return;
    }
    const shape = schema.safeParse(rec);
    if (!shape.success) {
      const issue = shape.error.issues[0]!;
      if (issue.code === "unrecognized_keys") {
        const k = issue.keys[0] ?? null;
        errors.push({ index, field: k, reason: `unknown field "${k}" (allowed: ${[...all, ...(kind === "CUSTOMERS" ? ["attributes"] : [])].join(", ")})` });
      } else {
        const field = issue.path.length ? String(issue.path[0]) : null;
        const sub = issue.path.length > 1 ? `.${issue.path.slice(1).map(String).join(".")}` : "";
        errors.push({ index, field, reason: `${field ?? "record"}${sub} ${issue.message}` });
      }
      return;
    }
    const data = shape.data as Record<string, unknown>;
    const present = all.filter((f) => Object.prototype.hasOwnProperty.call(data, f) && data[f] !== undefined);
    const gk = present.join(",");
    let g = groups.get(gk);
    if (!g) {
      g = { present: new Set(present), items: [], validator: new RowValidator(kind, present, present, importOpts, now) };
      groups.set(gk, g);
    }
    const r = g.validator.validate(
      present.map((f) => toCell(data[f])),
      index,
    );
    if (!r.ok) {
      errors.push({ index, field: r.error.column, reason: r.error.reason });
      return;
    }
    const first = seen.get(r.key);
    if (first !== undefined) {
      errors.push({
        index,
        field: kind === "CAMPAIGN_SPEND" ? "day" : "external_id",
        reason: `duplicate: the same key is at index ${first} of this batch (the first one is applied)`,
      });
      return;
    }
    seen.set(r.key, index);
    const row: ValidRow = r.row;
    if (row.kind === "CUSTOMERS" && data.attributes && typeof data.attributes === "object") {
      const attrs: Record<string, string> = {};
      for (const [k, v] of Object.entries(data.attributes as Record<string, unknown>)) if (v !== null && v !== undefined) attrs[k] = toCell(v);
      row.attributes = attrs;
    }
    g.items.push({ line: index, row });
  });
  return { groups: [...groups.values()].map(({ present, items }) => ({ present, items })), errors };
}

/** Applies validated groups in the caller's transaction; writer-side rejections (unknown customer or campaign) join the errors. */
export async function applyRecords(tx: Tx, workspaceId: string, v: Validated, received: number, unknownCustomers: "create" | "reject"): Promise<IngestResult> {
  const out: IngestResult = { received, created: 0, updated: 0, unchanged: 0, rejected: 0, customersCreated: 0, errors: [...v.errors] };
  for (const g of v.groups) {
    if (g.items.length === 0) continue;
    const w = await writeBatch(tx, workspaceId, g.items, { mapped: (f) => g.present.has(f), unknownCustomers });
    out.created += w.created;
    out.updated += w.updated;
    out.unchanged += w.unchanged;
    out.customersCreated += w.customersCreated;
    for (const r of w.rejected) out.errors.push({ index: r.line, field: r.column, reason: r.reason });
  }
  out.errors.sort((a, b) => a.index - b.index);
  out.rejected = out.errors.length;
  if (out.created + out.updated + out.unchanged + out.rejected !== received) {
    // Never report counts that do not add up: fail the request (the transaction rolls back).
    throw new Error(`ingest count invariant broken: ${out.created} + ${out.updated} + ${out.unchanged} + ${out.rejected} ≠ ${received}`);
  }
  return out;
}

export function checkTimeZone(tz: string): boolean {
  return isValidTimeZone(tz);
}
