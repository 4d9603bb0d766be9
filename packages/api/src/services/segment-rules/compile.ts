/**
 * Rule → one parameterised SQL predicate over `customers c LEFT JOIN customer_scores s` (source
 * "live"), or over the per-recompute copy of the same columns `segment_facts f` (source "facts",
 * see facts.ts): the same expressions, only the column references differ.
 *
 * Every user-supplied value and attribute key travels as a bind parameter (Prisma.sql placeholders);
 * the only SQL text produced is fixed by this file. Attribute reads are guarded by jsonb_typeof /
 * a regular expression inside CASE (evaluated in order) so a cast can never fail on bad data.
 * Semantics follow packages/validators segment-rule-eval.ts (a missing value matches only "is not
 * set"); the fuzz test checks both agree on random rules and customers. The predicate never negates
 * a sub-expression, so SQL's NULL (unknown) always acts as "no match".
 */
import { Prisma } from "@valuelens/db";
import {
  addDays,
  asciiLower,
  conditionType,
  isRuleGroup,
  RULE_FIELDS,
  type TRuleCondition,
  type TRuleField,
  type TRuleGroup,
  type TRuleScalar,
  type TRuleValueType,
  type TSegmentRule,
} from "@valuelens/validators";
import { zonedInstant } from "../zoned-time.ts";

export interface CompileContext {
  /** The workspace's IANA time zone: rule dates are local days there. */
  timezone: string;
  /** Today in that zone, YYYY-MM-DD (for "in the last N days"). */
  today: string;
}

type Cast = "bigint" | "float8" | "int" | "text" | "uuid" | "numeric" | "boolean";

type ColumnField = Exclude<TRuleField, "lastOrderDate" | "firstOrderDate">;
const CASTS_BY_FIELD: Record<ColumnField, Cast> = {
  predictedClv: "bigint", historicalClv: "bigint", pAlive: "float8", expectedPurchases30: "float8", expectedPurchases90: "float8",
  expectedPurchases365: "float8", rfmR: "int", rfmF: "int", rfmM: "int", rfmSegment: "text", valueTier: "text", churnRisk: "text",
  orderCount: "int", channel: "text", campaign: "uuid",
};

/** Where a rule's values are read: live tables (aliases c, s) or the facts copy (alias f). */
export type RuleSource = "live" | "facts";

interface SourceColumns {
  columns: Record<ColumnField, Prisma.Sql>;
  instants: Record<"lastOrderDate" | "firstOrderDate", Prisma.Sql>;
  attributes: Prisma.Sql;
}

const SOURCES: Record<RuleSource, SourceColumns> = {
  live: {
    columns: {
      predictedClv: Prisma.sql`s.predicted_clv_minor`, historicalClv: Prisma.sql`s.historical_clv_minor`, pAlive: Prisma.sql`s.p_alive`,
      expectedPurchases30: Prisma.sql`s.expected_purchases_30`, expectedPurchases90: Prisma.sql`s.expected_purchases_90`,
      expectedPurchases365: Prisma.sql`s.expected_purchases_365`, rfmR: Prisma.sql`s.rfm_r`, rfmF: Prisma.sql`s.rfm_f`, rfmM: Prisma.sql`s.rfm_m`,
      rfmSegment: Prisma.sql`s.rfm_segment`, valueTier: Prisma.sql`s.value_tier`, churnRisk: Prisma.sql`s.churn_risk`,
      orderCount: Prisma.sql`c.order_count`, channel: Prisma.sql`c.acquisition_channel`, campaign: Prisma.sql`c.acquisition_campaign_id`,
    },
    instants: { lastOrderDate: Prisma.sql`c.last_order_at`, firstOrderDate: Prisma.sql`c.first_order_at` },
    attributes: Prisma.sql`c.attributes`,
  },
  facts: {
    columns: {
      predictedClv: Prisma.sql`f.predicted_clv_minor`, historicalClv: Prisma.sql`f.historical_clv_minor`, pAlive: Prisma.sql`f.p_alive`,
      expectedPurchases30: Prisma.sql`f.expected_purchases_30`, expectedPurchases90: Prisma.sql`f.expected_purchases_90`,
      expectedPurchases365: Prisma.sql`f.expected_purchases_365`, rfmR: Prisma.sql`f.rfm_r`, rfmF: Prisma.sql`f.rfm_f`, rfmM: Prisma.sql`f.rfm_m`,
      rfmSegment: Prisma.sql`f.rfm_segment`, valueTier: Prisma.sql`f.value_tier`, churnRisk: Prisma.sql`f.churn_risk`,
      orderCount: Prisma.sql`f.order_count`, channel: Prisma.sql`f.channel`, campaign: Prisma.sql`f.campaign_id`,
    },
    instants: { lastOrderDate: Prisma.sql`f.last_order_at`, firstOrderDate: Prisma.sql`f.first_order_at` },
    attributes: Prisma.sql`f.attributes`,
  },
};

const CASTS: Record<Cast, Prisma.Sql> = {
  bigint: Prisma.sql`bigint`, float8: Prisma.sql`float8`, int: Prisma.sql`int`, text: Prisma.sql`text`,
  uuid: Prisma.sql`uuid`, numeric: Prisma.sql`numeric`, boolean: Prisma.sql`boolean`,
};
const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const LOWER = "abcdefghijklmnopqrstuvwxyz";

function param(v: TRuleScalar, cast: Cast): Prisma.Sql {
  // Numbers go as their shortest round-trip text so float8/numeric read the same value JS compares.
  const raw = typeof v === "number" ? String(v) : v;
  return Prisma.sql`${raw}::${CASTS[cast]}`;
}

/** The start of local day `day` in the zone, as an instant (a DST gap at midnight starts the day after it). */
export function dayStart(day: string, tz: string): Date {
  return new Date(zonedInstant({ year: Number(day.slice(0, 4)), month: Number(day.slice(5, 7)), day: Number(day.slice(8, 10)), hour: 0, minute: 0 }, tz));
}

const list = (v: unknown): readonly TRuleScalar[] => (Array.isArray(v) ? (v as TRuleScalar[]) : []);

/** Comparison of a scalar SQL expression (NULL when missing) with the condition's value. */
function compare(e: Prisma.Sql, c: TRuleCondition, cast: Cast, ctx: CompileContext): Prisma.Sql {
  const v = c.value;
  const p = (w: TRuleScalar) => param(w, cast);
  // Dates held as text (YYYY-MM-DD) compare byte-wise, never by the database's collation.
  const ce = cast === "text" && conditionType(c) === "date" ? Prisma.sql`(${e} COLLATE "C")` : e;
  switch (c.op) {
    case "isSet": return Prisma.sql`(${e} IS NOT NULL)`;
    case "isNotSet": return Prisma.sql`(${e} IS NULL)`;
    case "eq": return Prisma.sql`(${e} = ${p(v as TRuleScalar)})`;
    case "neq": return Prisma.sql`(${e} <> ${p(v as TRuleScalar)})`;
    case "lt": return Prisma.sql`(${ce} < ${p(v as TRuleScalar)})`;
    case "lte": return Prisma.sql`(${ce} <= ${p(v as TRuleScalar)})`;
    case "gt": return Prisma.sql`(${ce} > ${p(v as TRuleScalar)})`;
    case "gte": return Prisma.sql`(${ce} >= ${p(v as TRuleScalar)})`;
    case "between": {
      const [lo, hi] = list(v);
      return Prisma.sql`(${ce} >= ${p(lo!)} AND ${ce} <= ${p(hi!)})`;
    }
    case "in": return Prisma.sql`(${e} IN (${Prisma.join(list(v).map(p))}))`;
    case "notIn": return Prisma.sql`(${e} NOT IN (${Prisma.join(list(v).map(p))}))`;
    case "contains": return Prisma.sql`(strpos(translate(${e}, ${UPPER}, ${LOWER}), ${asciiLower(String(v))}::text) > 0)`;
    case "startsWith": return Prisma.sql`starts_with(translate(${e}, ${UPPER}, ${LOWER}), ${asciiLower(String(v))}::text)`;
    case "withinDays": return Prisma.sql`(${ce} >= ${addDays(ctx.today, -(v as number))}::text)`;
    case "beforeDays": return Prisma.sql`(${ce} < ${addDays(ctx.today, -(v as number))}::text)`;
  }
}

/** Built-in dates are instants: a local-day comparison becomes an instant range (index-friendly). */
function compareInstant(col: Prisma.Sql, c: TRuleCondition, ctx: CompileContext): Prisma.Sql {
  const start = (d: string) => Prisma.sql`${dayStart(d, ctx.timezone)}::timestamptz`;
  const next = (d: string) => start(addDays(d, 1));
  const v = c.value;
  const d = v as string;
  switch (c.op) {
    case "isSet": return Prisma.sql`(${col} IS NOT NULL)`;
    case "isNotSet": return Prisma.sql`(${col} IS NULL)`;
    case "eq": return Prisma.sql`(${col} >= ${start(d)} AND ${col} < ${next(d)})`;
    case "neq": return Prisma.sql`(${col} < ${start(d)} OR ${col} >= ${next(d)})`;
    case "lt": return Prisma.sql`(${col} < ${start(d)})`;
    case "lte": return Prisma.sql`(${col} < ${next(d)})`;
    case "gt": return Prisma.sql`(${col} >= ${next(d)})`;
    case "gte": return Prisma.sql`(${col} >= ${start(d)})`;
    case "between": {
      const [lo, hi] = list(v) as string[];
      return Prisma.sql`(${col} >= ${start(lo!)} AND ${col} < ${next(hi!)})`;
    }
    case "withinDays": return Prisma.sql`(${col} >= ${start(addDays(ctx.today, -(v as number)))})`;
    case "beforeDays": return Prisma.sql`(${col} < ${start(addDays(ctx.today, -(v as number)))})`;
    default: throw new Error(`operator ${c.op} does not apply to a date`);
  }
}

/** customers.attributes[key] read as the rule's type, NULL when absent or of another shape. */
function attributeExpr(attributes: Prisma.Sql, key: string, type: TRuleValueType): Prisma.Sql {
  const j = Prisma.sql`(${attributes} -> ${key}::text)`;
  const t = Prisma.sql`(${attributes} ->> ${key}::text)`;
  switch (type) {
    case "text":
      return Prisma.sql`(CASE WHEN jsonb_typeof(${j}) = 'string' THEN ${t} END)`;
    case "number":
      return Prisma.sql`(CASE jsonb_typeof(${j}) WHEN 'number' THEN (${j})::numeric WHEN 'string' THEN (CASE WHEN ${t} ~ '^-?[0-9]{1,15}(\\.[0-9]{1,6})?$' THEN ${t}::numeric END) END)`;
    case "boolean":
      return Prisma.sql`(CASE jsonb_typeof(${j}) WHEN 'boolean' THEN (${j})::boolean WHEN 'string' THEN (CASE translate(${t}, 'TRUEFALS', 'truefals') WHEN 'true' THEN true WHEN 'false' THEN false END) END)`;
    case "date":
      return Prisma.sql`(CASE WHEN jsonb_typeof(${j}) = 'string' AND ${t} ~ '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])' THEN left(${t}, 10) END)`;
    default:
      throw new Error(`attribute type ${type}`);
  }
}

const ATTR_CAST: Record<string, Cast> = { text: "text", number: "numeric", boolean: "boolean", date: "text" };

export function compileCondition(c: TRuleCondition, ctx: CompileContext, source: RuleSource = "live"): Prisma.Sql {
  const src = SOURCES[source];
  if (c.field === "attribute") return compare(attributeExpr(src.attributes, c.key, c.type), c, ATTR_CAST[c.type]!, ctx);
  if (c.field === "lastOrderDate" || c.field === "firstOrderDate") return compareInstant(src.instants[c.field], c, ctx);
  const col = src.columns[c.field];
  if (RULE_FIELDS[c.field].type === "enum" || c.field === "channel") return compare(col, c, "text", ctx);
  return compare(col, c, CASTS_BY_FIELD[c.field], ctx);
}

export function compileGroup(g: TRuleGroup, ctx: CompileContext, source: RuleSource = "live"): Prisma.Sql {
  const parts = g.conditions.map((c) => (isRuleGroup(c) ? compileGroup(c, ctx, source) : compileCondition(c, ctx, source)));
  return Prisma.sql`(${Prisma.join(parts, g.op === "and" ? " AND " : " OR ")})`;
}

/**
 * The rule as one SQL boolean expression over aliases c (customers) and s (customer_scores), or
 * over alias f (segment_facts) with source "facts".
 */
export function compileRule(rule: TSegmentRule, ctx: CompileContext, source: RuleSource = "live"): Prisma.Sql {
  return compileGroup(rule.root, ctx, source);
}
