/**
 * In-memory columns of segment_facts (issue 5, "live preview p95 ≤ 300 ms on 1,000,000 customers").
 *
 * Any per-row SQL over a million rows costs 0.4–2 s on the shared 2-core machine (a scan of even a
 * 145 MB narrow copy, BENCHMARKS.md), so large workspaces are previewed from a columnar copy of the
 * last recompute's segment_facts held in this process: typed arrays (NaN = not set) for money,
 * P(alive), expected purchases and order instants; dictionary codes for the few-valued fields and
 * for each JSON attribute key. A rule becomes a mask over the rows, condition by condition, and the
 * count, sums and top members come from one pass over it (tens of ms for 1M customers).
 *
 * Meaning is the in-memory evaluator's (validators segment-rule-eval.ts) by construction: a
 * condition on a dictionary column is decided by evaluateCondition itself once per distinct value;
 * money and numbers are compared exactly as the evaluator does (money is integer minor units ≤ 2^43,
 * exact in a double — a workspace beyond that is not loaded); dates use the compiler's local-day →
 * instant boundaries. The fuzz test checks it against the evaluator on random rules.
 *
 * The copy is loaded in the background (one statement in a tenant transaction: RLS applies) when a
 * preview finds it missing or older than the workspace's segment_facts, and dropped least recently
 * used beyond MAX_CACHED_ROWS. Until it is there, previews run in SQL as before.
 */
import { detachedFromTenant, withWorkspace, type PrismaClient, type Tx } from "@valuelens/db";
import { addDays, evaluateCondition, isRuleGroup, NO_SCORE_FACTS, type TRuleCondition, type TRuleFacts, type TRuleGroup, type TSegmentRule } from "@valuelens/validators";
import { log, logError } from "../../log.ts";
import { dayStart, type CompileContext } from "./compile.ts";

/** Workspaces from this many customers are previewed from memory (below, SQL answers in well under 300 ms). */
export const COLUMNAR_FROM_CUSTOMERS = 100_000;
/** Rows kept in memory over all workspaces (~110 bytes each plus attributes: ≈ 350 MB at the cap). */
export const MAX_CACHED_ROWS = 3_000_000;
/** JSON attribute keys kept per workspace (most frequent first in load order); rules on others run in SQL. */
const MAX_ATTRIBUTE_KEYS = 32;
/** Money beyond this (in minor units) is not exact in a double once summed over 1,024 rows: such a workspace stays in SQL. */
const MONEY_LIMIT = 2 ** 43;
const SUM_FLUSH_ROWS = 1_024;
/** The load is one statement over the whole copy: 1M rows take 10–40 s on the shared machine. */
const LOAD_STATEMENT_TIMEOUT = "300s";

type NumField = "predictedClv" | "historicalClv" | "pAlive" | "expectedPurchases30" | "expectedPurchases90" | "expectedPurchases365";
type InstantField = "lastOrderDate" | "firstOrderDate";
type DictField = "rfmR" | "rfmF" | "rfmM" | "orderCount" | "rfmSegment" | "valueTier" | "churnRisk" | "channel" | "campaign";
type DictValue = string | number | null;
type Codes = Uint16Array | Uint32Array;

interface Dict {
  codes: Codes;
  /** values[code]; for attributes the raw JSON value (null: absent, JSON null, object or array). */
  values: unknown[];
}

export interface FactColumns {
  workspaceId: string;
  refreshedAt: number;
  n: number;
  /** 16 bytes per row: the customer id (uuid byte order = PostgreSQL's uuid order). */
  ids: Uint8Array;
  num: Record<NumField, Float64Array>;
  instants: Record<InstantField, Float64Array>;
  dict: Record<DictField, Dict>;
  attributes: Map<string, Dict>;
  /** Attribute keys seen beyond MAX_ATTRIBUTE_KEYS (a rule on one is previewed in SQL). */
  attributesTruncated: boolean;
  bytes: number;
}

// --- binary arrays (array_send) ---

interface BinArray {
  view: DataView;
  bytes: Uint8Array;
  /** Offset of each element's data, -1 for NULL; and its length. */
  offsets: Int32Array;
  lengths: Int32Array;
}

/** Parses PostgreSQL's binary array format (array_send): header, then per element int32 length (-1 = NULL) and data. */
function parseBinArray(raw: Uint8Array | null, n: number, what: string): BinArray {
  const bytes = raw ?? new Uint8Array(12);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const offsets = new Int32Array(n);
  const lengths = new Int32Array(n);
  const ndim = view.getInt32(0);
  if (n === 0) return { view, bytes, offsets, lengths };
  if (ndim !== 1 || view.getInt32(12) !== n) throw new Error(`segment_facts column ${what}: expected a 1-dimensional array of ${n} elements`);
  let p = 20;
  for (let i = 0; i < n; i++) {
    const len = view.getInt32(p);
    p += 4;
    if (len < 0) {
      offsets[i] = -1;
    } else {
      offsets[i] = p;
      lengths[i] = len;
      p += len;
    }
  }
  return { view, bytes, offsets, lengths };
}

function floats(a: BinArray, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = a.offsets[i]! < 0 ? NaN : a.view.getFloat64(a.offsets[i]!);
  return out;
}

/** bigint minor units as doubles; throws past MONEY_LIMIT (the caller keeps that workspace in SQL). */
function money(a: BinArray, n: number, what: string): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (a.offsets[i]! < 0) {
      out[i] = NaN;
      continue;
    }
    const v = Number(a.view.getBigInt64(a.offsets[i]!));
    if (Math.abs(v) > MONEY_LIMIT) throw new Error(`segment_facts column ${what}: ${v} is beyond the in-memory preview's exact range`);
    out[i] = v;
  }
  return out;
}

/** timestamptz (int64 µs since 2000-01-01) as epoch milliseconds. */
function instants(a: BinArray, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = a.offsets[i]! < 0 ? NaN : Number(a.view.getBigInt64(a.offsets[i]!)) / 1000 + 946_684_800_000;
  return out;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

function uuidText(b: Uint8Array, at: number): string {
  let s = "";
  for (let k = 0; k < 16; k++) {
    s += HEX[b[at + k]!]!;
    if (k === 3 || k === 5 || k === 7 || k === 9) s += "-";
  }
  return s;
}

class DictBuilder {
  private readonly index = new Map<string, number>();
  readonly values: unknown[] = [null];
  codes: Codes;
  constructor(n: number) {
    this.index.set("x", 0);
    this.codes = new Uint16Array(n);
  }
  /** Code of a value under its dictionary key (type-tagged, so 1 and "1" differ). */
  code(key: string, value: unknown): number {
    let c = this.index.get(key);
    if (c === undefined) {
      c = this.values.length;
      this.index.set(key, c);
      this.values.push(value);
      if (c === 65_536) this.codes = Uint32Array.from(this.codes);
    }
    return c;
  }
  set(i: number, key: string, value: unknown): void {
    this.codes[i] = this.code(key, value);
  }
  done(): Dict {
    return { codes: this.codes, values: this.values };
  }
}

const decoder = new TextDecoder();

function textDict(a: BinArray, n: number): Dict {
  const d = new DictBuilder(n);
  for (let i = 0; i < n; i++) {
    const o = a.offsets[i]!;
    if (o < 0) continue;
    const s = decoder.decode(a.bytes.subarray(o, o + a.lengths[i]!));
    d.set(i, `s${s}`, s);
  }
  return d.done();
}

function uuidDict(a: BinArray, n: number): Dict {
  const d = new DictBuilder(n);
  for (let i = 0; i < n; i++) {
    const o = a.offsets[i]!;
    if (o < 0) continue;
    const s = uuidText(a.bytes, o);
    d.set(i, s, s);
  }
  return d.done();
}

function intDict(a: BinArray, n: number, width: 2 | 4): Dict {
  const d = new DictBuilder(n);
  for (let i = 0; i < n; i++) {
    const o = a.offsets[i]!;
    if (o < 0) continue;
    const v = width === 2 ? a.view.getInt16(o) : a.view.getInt32(o);
    d.set(i, `n${v}`, v);
  }
  return d.done();
}

/** Splits jsonb documents (binary: version byte + JSON text) into one dictionary column per key. */
function attributeDicts(a: BinArray, n: number): { attributes: Map<string, Dict>; truncated: boolean } {
  const builders = new Map<string, DictBuilder>();
  let truncated = false;
  for (let i = 0; i < n; i++) {
    const o = a.offsets[i]!;
    if (o < 0) continue;
    const doc: unknown = JSON.parse(decoder.decode(a.bytes.subarray(o + 1, o + a.lengths[i]!)));
    if (typeof doc !== "object" || doc === null || Array.isArray(doc)) continue;
    for (const [key, v] of Object.entries(doc)) {
      // null, objects and arrays read as "not set" for every attribute type: one code (0) for all of them.
      if (v === null || typeof v === "object") continue;
      let b = builders.get(key);
      if (!b) {
        if (builders.size >= MAX_ATTRIBUTE_KEYS) {
          truncated = true;
          continue;
        }
        b = new DictBuilder(n);
        builders.set(key, b);
      }
      b.set(i, `${typeof v}:${String(v)}`, v);
    }
  }
  return { attributes: new Map([...builders].map(([k, b]) => [k, b.done()])), truncated };
}

interface LoadRow {
  refreshed_at: Date;
  n: number;
  ids: Uint8Array | null; pred: Uint8Array | null; hist: Uint8Array | null; p_alive: Uint8Array | null;
  e30: Uint8Array | null; e90: Uint8Array | null; e365: Uint8Array | null; first_at: Uint8Array | null; last_at: Uint8Array | null;
  rfm_r: Uint8Array | null; rfm_f: Uint8Array | null; rfm_m: Uint8Array | null; order_count: Uint8Array | null; rfm_segment: Uint8Array | null;
  value_tier: Uint8Array | null; churn_risk: Uint8Array | null; channel: Uint8Array | null; campaign: Uint8Array | null; attributes: Uint8Array | null;
}

/**
 * Reads the workspace's segment_facts into columns: one statement (every array_agg over the same
 * scan, so element i of each array is the same customer), with the copy's refreshed_at read in the
 * same snapshot. Null when the workspace has no copy.
 */
export async function loadFactColumns(tx: Tx, workspaceId: string): Promise<FactColumns | null> {
  await tx.$executeRawUnsafe(`SET LOCAL statement_timeout = '${LOAD_STATEMENT_TIMEOUT}'`);
  // Aggregates of one plain scan see rows in one order; a parallel plan's partial aggregates need not.
  await tx.$executeRawUnsafe("SET LOCAL max_parallel_workers_per_gather = 0");
  const [r] = await tx.$queryRaw<LoadRow[]>`
    SELECT r.refreshed_at, x.*
      FROM segment_facts_refreshes r
     CROSS JOIN LATERAL (
       SELECT count(*)::int AS n, array_send(array_agg(f.customer_id)) AS ids,
              array_send(array_agg(f.predicted_clv_minor)) AS pred, array_send(array_agg(f.historical_clv_minor)) AS hist,
              array_send(array_agg(f.p_alive)) AS p_alive, array_send(array_agg(f.expected_purchases_30)) AS e30,
              array_send(array_agg(f.expected_purchases_90)) AS e90, array_send(array_agg(f.expected_purchases_365)) AS e365,
              array_send(array_agg(f.first_order_at)) AS first_at, array_send(array_agg(f.last_order_at)) AS last_at,
              array_send(array_agg(f.rfm_r)) AS rfm_r, array_send(array_agg(f.rfm_f)) AS rfm_f, array_send(array_agg(f.rfm_m)) AS rfm_m,
              array_send(array_agg(f.order_count)) AS order_count, array_send(array_agg(f.rfm_segment)) AS rfm_segment,
              array_send(array_agg(f.value_tier)) AS value_tier, array_send(array_agg(f.churn_risk)) AS churn_risk,
              array_send(array_agg(f.channel)) AS channel, array_send(array_agg(f.campaign_id)) AS campaign,
              array_send(array_agg(f.attributes)) AS attributes
         FROM segment_facts f WHERE f.workspace_id = r.workspace_id) x
     WHERE r.workspace_id = ${workspaceId}::uuid`;
  await tx.$executeRawUnsafe("SET LOCAL statement_timeout TO DEFAULT");
  await tx.$executeRawUnsafe("SET LOCAL max_parallel_workers_per_gather TO DEFAULT");
  if (!r) return null;
  const n = r.n;
  const arr = (b: Uint8Array | null, what: string) => parseBinArray(b, n, what);
  const idArr = arr(r.ids, "customer_id");
  const ids = new Uint8Array(16 * n);
  for (let i = 0; i < n; i++) ids.set(idArr.bytes.subarray(idArr.offsets[i]!, idArr.offsets[i]! + 16), 16 * i);
  const { attributes, truncated } = attributeDicts(arr(r.attributes, "attributes"), n);
  const cols: FactColumns = {
    workspaceId,
    refreshedAt: r.refreshed_at.getTime(),
    n,
    ids,
    num: {
      predictedClv: money(arr(r.pred, "predicted_clv_minor"), n, "predicted_clv_minor"),
      historicalClv: money(arr(r.hist, "historical_clv_minor"), n, "historical_clv_minor"),
      pAlive: floats(arr(r.p_alive, "p_alive"), n),
      expectedPurchases30: floats(arr(r.e30, "expected_purchases_30"), n),
      expectedPurchases90: floats(arr(r.e90, "expected_purchases_90"), n),
      expectedPurchases365: floats(arr(r.e365, "expected_purchases_365"), n),
    },
    instants: { firstOrderDate: instants(arr(r.first_at, "first_order_at"), n), lastOrderDate: instants(arr(r.last_at, "last_order_at"), n) },
    dict: {
      rfmR: intDict(arr(r.rfm_r, "rfm_r"), n, 2),
      rfmF: intDict(arr(r.rfm_f, "rfm_f"), n, 2),
      rfmM: intDict(arr(r.rfm_m, "rfm_m"), n, 2),
      orderCount: intDict(arr(r.order_count, "order_count"), n, 4),
      rfmSegment: textDict(arr(r.rfm_segment, "rfm_segment"), n),
      valueTier: textDict(arr(r.value_tier, "value_tier"), n),
      churnRisk: textDict(arr(r.churn_risk, "churn_risk"), n),
      channel: textDict(arr(r.channel, "channel"), n),
      campaign: uuidDict(arr(r.campaign, "campaign_id"), n),
    },
    attributes,
    attributesTruncated: truncated,
    bytes: 0,
  };
  cols.bytes = 16 * n + 8 * 8 * n + [...Object.values(cols.dict), ...attributes.values()].reduce((s, d) => s + d.codes.byteLength, 0);
  return cols;
}

// --- evaluation ---

/** Why a rule cannot be answered from the columns (it is then previewed in SQL). */
export class NotColumnar extends Error {}

const BASE_FACTS: TRuleFacts = { ...NO_SCORE_FACTS, orderCount: 0, lastOrderDate: null, firstOrderDate: null, channel: null, campaignId: null, attributes: {} };
const DICT_FACT: Record<DictField, keyof TRuleFacts> = {
  rfmR: "rfmR", rfmF: "rfmF", rfmM: "rfmM", orderCount: "orderCount", rfmSegment: "rfmSegment", valueTier: "valueTier",
  churnRisk: "churnRisk", channel: "channel", campaign: "campaignId",
};

/** For each dictionary code, does the evaluator accept a customer holding that value? */
function lookupTable(c: TRuleCondition, d: Dict, ctx: CompileContext): Uint8Array {
  const lut = new Uint8Array(d.values.length);
  for (let k = 0; k < d.values.length; k++) {
    const v = d.values[k];
    const facts: TRuleFacts =
      c.field === "attribute"
        ? { ...BASE_FACTS, attributes: v === null ? {} : Object.fromEntries([[c.key, v]]) }
        : { ...BASE_FACTS, [DICT_FACT[c.field as DictField]]: c.field === "orderCount" && v === null ? 0 : (v as DictValue) };
    lut[k] = evaluateCondition(c, facts, ctx) ? 1 : 0;
  }
  return lut;
}

const toNumber = (c: TRuleCondition, v: unknown): number => (c.field === "predictedClv" || c.field === "historicalClv" ? Number(BigInt(v as string)) : (v as number));

/** The evaluator's comparison of a number (money as exact integers) with the condition's value; NaN is "not set". */
function numberTest(c: TRuleCondition): (x: number) => boolean {
  const v = c.value;
  const one = () => toNumber(c, v);
  switch (c.op) {
    case "isSet": return (x) => x === x;
    case "isNotSet": return (x) => x !== x;
    case "eq": { const w = one(); return (x) => x === w; }
    case "neq": { const w = one(); return (x) => x === x && x !== w; }
    case "lt": { const w = one(); return (x) => x < w; }
    case "lte": { const w = one(); return (x) => x <= w; }
    case "gt": { const w = one(); return (x) => x > w; }
    case "gte": { const w = one(); return (x) => x >= w; }
    case "between": {
      const [lo, hi] = (v as unknown[]).map((w) => toNumber(c, w)) as [number, number];
      return (x) => x >= lo && x <= hi;
    }
    case "in": { const s = new Set((v as unknown[]).map((w) => toNumber(c, w))); return (x) => s.has(x); }
    case "notIn": { const s = new Set((v as unknown[]).map((w) => toNumber(c, w))); return (x) => x === x && !s.has(x); }
    default: throw new NotColumnar(`operator ${c.op} on ${c.field}`);
  }
}

/** A built-in date condition as instant boundaries: the compiler's compareInstant, on epoch milliseconds. */
function instantTest(c: TRuleCondition, ctx: CompileContext): (x: number) => boolean {
  const start = (d: string) => dayStart(d, ctx.timezone).getTime();
  const next = (d: string) => start(addDays(d, 1));
  const v = c.value;
  switch (c.op) {
    case "isSet": return (x) => x === x;
    case "isNotSet": return (x) => x !== x;
    case "eq": { const a = start(v as string); const b = next(v as string); return (x) => x >= a && x < b; }
    case "neq": { const a = start(v as string); const b = next(v as string); return (x) => x < a || x >= b; }
    case "lt": { const a = start(v as string); return (x) => x < a; }
    case "lte": { const b = next(v as string); return (x) => x < b; }
    case "gt": { const b = next(v as string); return (x) => x >= b; }
    case "gte": { const a = start(v as string); return (x) => x >= a; }
    case "between": {
      const [lo, hi] = v as [string, string];
      const a = start(lo);
      const b = next(hi);
      return (x) => x >= a && x < b;
    }
    case "withinDays": { const a = start(addDays(ctx.today, -(v as number))); return (x) => x >= a; }
    case "beforeDays": { const a = start(addDays(ctx.today, -(v as number))); return (x) => x < a; }
    default: throw new NotColumnar(`operator ${c.op} on a date`);
  }
}

type Mode = "set" | "and" | "or";

const f64 = new Float64Array(1);
const i64 = new BigInt64Array(f64.buffer);
/** The adjacent double towards +∞ (dir 1) or −∞ (dir −1): x < w ⇔ x ≤ step(w, −1) for every double x. */
function step(w: number, dir: 1 | -1): number {
  if (w === 0) return dir * Number.MIN_VALUE;
  if (!Number.isFinite(w)) return w;
  f64[0] = w;
  i64[0]! += (w > 0) === (dir > 0) ? 1n : -1n;
  return f64[0];
}

/** A number or date condition as a closed interval [lo, hi] (NaN — not set — is outside every interval), or null if it is not one. */
function interval(c: TRuleCondition, ctx: CompileContext): [number, number] | null {
  const v = c.value;
  if (c.field === "lastOrderDate" || c.field === "firstOrderDate") {
    const start = (d: string) => dayStart(d, ctx.timezone).getTime();
    const before = (ms: number) => step(ms, -1);
    const next = (d: string) => start(addDays(d, 1));
    switch (c.op) {
      case "isSet": return [-Infinity, Infinity];
      case "eq": return [start(v as string), before(next(v as string))];
      case "lt": return [-Infinity, before(start(v as string))];
      case "lte": return [-Infinity, before(next(v as string))];
      case "gt": return [next(v as string), Infinity];
      case "gte": return [start(v as string), Infinity];
      case "between": return [start((v as string[])[0]!), before(next((v as string[])[1]!))];
      case "withinDays": return [start(addDays(ctx.today, -(v as number))), Infinity];
      case "beforeDays": return [-Infinity, before(start(addDays(ctx.today, -(v as number))))];
      default: return null;
    }
  }
  switch (c.op) {
    case "isSet": return [-Infinity, Infinity];
    case "eq": { const w = toNumber(c, v); return [w, w]; }
    case "lt": return [-Infinity, step(toNumber(c, v), -1)];
    case "lte": return [-Infinity, toNumber(c, v)];
    case "gt": return [step(toNumber(c, v), 1), Infinity];
    case "gte": return [toNumber(c, v), Infinity];
    case "between": return [toNumber(c, (v as unknown[])[0]), toNumber(c, (v as unknown[])[1])];
    default: return null;
  }
}

/** Writes a condition's matches into `out` (set), or ANDs / ORs them in, testing only rows the result still depends on. */
function applyCondition(c: TRuleCondition, cols: FactColumns, ctx: CompileContext, out: Uint8Array, mode: Mode): void {
  const n = cols.n;
  if (c.field === "attribute" || c.field in DICT_FACT) {
    let d: Dict | undefined;
    if (c.field === "attribute") {
      d = cols.attributes.get(c.key);
      if (!d) {
        if (cols.attributesTruncated) throw new NotColumnar(`attribute ${c.key} is not held in memory`);
        d = { codes: new Uint16Array(n), values: [null] }; // no customer has the key
      }
    } else {
      d = cols.dict[c.field as DictField];
    }
    const lut = lookupTable(c, d, ctx);
    const codes = d.codes;
    if (mode === "set") for (let i = 0; i < n; i++) out[i] = lut[codes[i]!]!;
    else if (mode === "and") for (let i = 0; i < n; i++) { if (out[i]) out[i] = lut[codes[i]!]!; }
    else for (let i = 0; i < n; i++) { if (!out[i]) out[i] = lut[codes[i]!]!; }
    return;
  }
  const isDate = c.field === "lastOrderDate" || c.field === "firstOrderDate";
  const col = isDate ? cols.instants[c.field as InstantField] : (cols.num[c.field as NumField] as Float64Array | undefined);
  if (!col) throw new NotColumnar(`field ${c.field}`);
  const range = interval(c, ctx);
  if (range) {
    // The common comparisons, as one interval test per row (no call).
    const [lo, hi] = range;
    if (mode === "set") for (let i = 0; i < n; i++) { const x = col[i]!; out[i] = x >= lo && x <= hi ? 1 : 0; }
    else if (mode === "and") for (let i = 0; i < n; i++) { if (out[i]) { const x = col[i]!; if (!(x >= lo && x <= hi)) out[i] = 0; } }
    else for (let i = 0; i < n; i++) { if (!out[i]) { const x = col[i]!; if (x >= lo && x <= hi) out[i] = 1; } }
    return;
  }
  const t = isDate ? instantTest(c, ctx) : numberTest(c);
  if (mode === "set") for (let i = 0; i < n; i++) out[i] = t(col[i]!) ? 1 : 0;
  else if (mode === "and") for (let i = 0; i < n; i++) { if (out[i] && !t(col[i]!)) out[i] = 0; }
  else for (let i = 0; i < n; i++) { if (!out[i] && t(col[i]!)) out[i] = 1; }
}

function groupMask(g: TRuleGroup, cols: FactColumns, ctx: CompileContext): Uint8Array {
  const acc = new Uint8Array(cols.n);
  if (g.conditions.length === 0) return g.op === "and" ? acc.fill(1) : acc;
  g.conditions.forEach((c, k) => {
    const mode: Mode = k === 0 ? "set" : g.op;
    if (!isRuleGroup(c)) return applyCondition(c, cols, ctx, acc, mode);
    const m = groupMask(c, cols, ctx);
    if (mode === "set") acc.set(m);
    else if (mode === "and") for (let i = 0; i < acc.length; i++) acc[i]! &= m[i]!;
    else for (let i = 0; i < acc.length; i++) acc[i]! |= m[i]!;
  });
  return acc;
}

/** Rows matching the rule: 1 per member. Throws NotColumnar when the rule needs SQL. */
export function ruleMask(rule: TSegmentRule, cols: FactColumns, ctx: CompileContext): Uint8Array {
  return groupMask(rule.root, cols, ctx);
}

export interface ColumnarResult {
  customers: number;
  predictedClvSumMinor: string;
  historicalClvSumMinor: string;
  withPredictions: number;
  pAliveAvg: number | null;
  /** Ids of the top members by predicted CLV (historical when no member has a prediction), highest first. */
  topIds: string[];
  byPredicted: boolean;
}

function compareIds(ids: Uint8Array, a: number, b: number): number {
  for (let k = 0; k < 16; k++) {
    const d = ids[16 * a + k]! - ids[16 * b + k]!;
    if (d !== 0) return d;
  }
  return 0;
}

/** The best `limit` rows offered, by value desc then customer id desc (the SQL sample's order). */
class TopRows {
  readonly rows: number[] = [];
  /** Value of the worst kept row once full (a row below it cannot enter: the common case, one comparison). */
  floor = -Infinity;
  constructor(private readonly value: Float64Array, private readonly ids: Uint8Array, private readonly limit: number) {}
  private better(a: number, b: number): boolean {
    const va = this.value[a]!;
    const vb = this.value[b]!;
    return va > vb || (va === vb && compareIds(this.ids, a, b) > 0);
  }
  offer(i: number): void {
    const top = this.rows;
    if (top.length === this.limit && !this.better(i, top[this.limit - 1]!)) return;
    let at = top.length === this.limit ? this.limit - 1 : top.length;
    while (at > 0 && this.better(i, top[at - 1]!)) at--;
    top.splice(at, 0, i);
    if (top.length > this.limit) top.pop();
    if (top.length === this.limit) this.floor = this.value[top[this.limit - 1]!]!;
  }
}

/**
 * Count, sums and top members of a rule on the columns, in one pass over the mask. Money sums are
 * exact: doubles of integers ≤ 2^43 are added SUM_FLUSH_ROWS at a time (≤ 2^53, exact) and flushed
 * into a bigint.
 */
export function evaluateColumnar(rule: TSegmentRule, cols: FactColumns, ctx: CompileContext, limit: number): ColumnarResult {
  const mask = ruleMask(rule, cols, ctx);
  const { pAlive: pa, predictedClv: pred, historicalClv: hist } = cols.num;
  let customers = 0;
  let pSum = 0;
  let pN = 0;
  let predBig = 0n;
  let predAcc = 0;
  let predK = 0;
  let predN = 0;
  let histBig = 0n;
  let histAcc = 0;
  let histK = 0;
  const top = new TopRows(pred, cols.ids, limit);
  for (let i = 0; i < mask.length; i++) {
    if (!mask[i]) continue;
    customers++;
    const a = pa[i]!;
    if (a === a) {
      pSum += a;
      pN++;
    }
    const p = pred[i]!;
    if (p === p) {
      predAcc += p;
      predN++;
      if (++predK === SUM_FLUSH_ROWS) {
        predBig += BigInt(predAcc);
        predAcc = 0;
        predK = 0;
      }
      if (p >= top.floor) top.offer(i);
    }
    const h = hist[i]!;
    if (h === h) {
      histAcc += h;
      if (++histK === SUM_FLUSH_ROWS) {
        histBig += BigInt(histAcc);
        histAcc = 0;
        histK = 0;
      }
    }
  }
  const byPredicted = predN > 0;
  let best = top.rows;
  if (!byPredicted && customers > 0) {
    // No member has a prediction: the sample ranks by historical CLV (as the SQL path does).
    const byHist = new TopRows(hist, cols.ids, limit);
    for (let i = 0; i < mask.length; i++) if (mask[i] && hist[i]! >= byHist.floor) byHist.offer(i);
    best = byHist.rows;
  }
  return {
    customers,
    predictedClvSumMinor: (predBig + BigInt(predAcc)).toString(),
    historicalClvSumMinor: (histBig + BigInt(histAcc)).toString(),
    withPredictions: predN,
    pAliveAvg: pN > 0 ? pSum / pN : null,
    topIds: best.map((i) => uuidText(cols.ids, 16 * i)),
    byPredicted,
  };
}

/** Every member's customer id (tests). */
export function columnarMemberIds(rule: TSegmentRule, cols: FactColumns, ctx: CompileContext): string[] {
  const mask = ruleMask(rule, cols, ctx);
  const out: string[] = [];
  for (let i = 0; i < mask.length; i++) if (mask[i]) out.push(uuidText(cols.ids, 16 * i));
  return out;
}

// --- the per-process cache ---

const cache = new Map<string, FactColumns>();
const loading = new Map<string, Promise<void>>();
/** Failed loads (the copy's refreshedAt and when), so a copy is not reloaded on every preview; retried after LOAD_RETRY_MS. */
const failed = new Map<string, { refreshedAt: number; at: number }>();
const LOAD_RETRY_MS = 10 * 60_000;
/** Loads run one at a time per process (each holds the raw arrays and the columns at once: ~2× the columns' size). */
let loadQueue: Promise<unknown> = Promise.resolve();

/** The workspace's columns if they are of this copy (refreshedAt); marks them recently used. */
export function cachedFactColumns(workspaceId: string, refreshedAt: Date): FactColumns | null {
  const c = cache.get(workspaceId);
  if (!c || c.refreshedAt !== refreshedAt.getTime()) return null;
  cache.delete(workspaceId);
  cache.set(workspaceId, c);
  return c;
}

/** Keeps a workspace's columns (replacing its older copy), dropping the least recently used beyond MAX_CACHED_ROWS. */
export function rememberFactColumns(cols: FactColumns): void {
  cache.delete(cols.workspaceId);
  if (cols.n > MAX_CACHED_ROWS) return;
  let rows = cols.n;
  for (const c of cache.values()) rows += c.n;
  for (const [k, c] of cache) {
    if (rows <= MAX_CACHED_ROWS) break;
    cache.delete(k);
    rows -= c.n;
  }
  cache.set(cols.workspaceId, cols);
}

/** Loads the columns now in this transaction (tests, benchmarks) and caches them. */
export async function loadAndCacheFactColumns(tx: Tx, workspaceId: string): Promise<FactColumns | null> {
  const cols = await loadFactColumns(tx, workspaceId);
  if (cols) rememberFactColumns(cols);
  return cols;
}

/**
 * Starts loading the workspace's columns in the background (its own tenant transaction), unless a
 * load is under way or this copy could not be held before. Failures are logged; previews stay in SQL.
 */
export function warmFactColumns(prisma: PrismaClient, workspaceId: string, refreshedAt: Date): void {
  const f = failed.get(workspaceId);
  if (loading.has(workspaceId) || (f && f.refreshedAt === refreshedAt.getTime() && Date.now() - f.at < LOAD_RETRY_MS)) return;
  const started = Date.now();
  // Called from inside a request's tenant transaction: the load runs beside it, in its own.
  const p = detachedFromTenant(() => loadQueue.then(() => withWorkspace(prisma, workspaceId, (tx) => loadFactColumns(tx, workspaceId), { timeoutMs: 10 * 60_000 })))
    .then((cols) => {
      if (!cols) return;
      rememberFactColumns(cols);
      log("segment_facts.columns_loaded", { workspaceId, customers: cols.n, megabytes: Math.round(cols.bytes / 1e6), ms: Date.now() - started });
    })
    .catch((e: unknown) => {
      failed.set(workspaceId, { refreshedAt: refreshedAt.getTime(), at: Date.now() });
      logError("segment_facts.columns_load_failed", { workspaceId, error: e });
    })
    .finally(() => loading.delete(workspaceId));
  loading.set(workspaceId, p);
  loadQueue = p;
}

/** Waits for a background load of the workspace's columns, if one is running (tests, benchmarks). */
export async function factColumnsLoaded(workspaceId: string): Promise<void> {
  await loading.get(workspaceId);
}

/** Drops every cached copy (tests). */
export function clearFactColumns(): void {
  cache.clear();
  failed.clear();
}
