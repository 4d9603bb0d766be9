/**
 * The meaning of a segment rule, as a pure in-memory evaluation (no I/O, no clock: "today" is given).
 * The SQL compiler (api services/segment-rules/compile.ts) must agree with this on every customer;
 * a fuzz test checks it on random rules × random customers in a real database.
 */
import { conditionType, isRuleGroup, type TAttributeType, type TRuleCondition, type TRuleGroup, type TRuleScalar, type TSegmentRule } from "./segment-rules.ts";

/** What a rule can look at for one customer. Dates are local days (YYYY-MM-DD, workspace time zone). */
export interface TRuleFacts {
  predictedClvMinor: bigint | null;
  historicalClvMinor: bigint | null;
  pAlive: number | null;
  expectedPurchases30: number | null;
  expectedPurchases90: number | null;
  expectedPurchases365: number | null;
  rfmR: number | null;
  rfmF: number | null;
  rfmM: number | null;
  rfmSegment: string | null;
  valueTier: string | null;
  churnRisk: string | null;
  orderCount: number;
  lastOrderDate: string | null;
  firstOrderDate: string | null;
  channel: string | null;
  campaignId: string | null;
  /** customers.attributes as parsed JSON. */
  attributes: unknown;
}

export interface TRuleContext {
  /** Today in the workspace time zone, YYYY-MM-DD (for "in the last N days"). */
  today: string;
}

/** Plain decimal text accepted as a number attribute (CSV imports store attributes as text). */
export const ATTR_NUMBER_RE = /^-?[0-9]{1,15}(\.[0-9]{1,6})?$/;
/** A string whose first ten characters are a calendar-shaped day is a date attribute. */
export const ATTR_DATE_RE = /^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])/;
export const ATTR_BOOL_RE = /^(true|false)$/i;

/** Lower-cases ASCII A–Z only (what SQL translate() does identically under any collation). */
export function asciiLower(s: string): string {
  return s.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

/** YYYY-MM-DD plus n days (n may be negative), calendar arithmetic in UTC. */
export function addDays(day: string, n: number): string {
  const t = Date.UTC(Number(day.slice(0, 4)), Number(day.slice(5, 7)) - 1, Number(day.slice(8, 10))) + n * 86_400_000;
  return new Date(t).toISOString().slice(0, 10);
}

/** An attribute read as the rule's type; anything else (absent, null, another JSON type) is missing. */
export function attributeValue(attributes: unknown, key: string, type: TAttributeType): string | number | boolean | null {
  if (typeof attributes !== "object" || attributes === null || Array.isArray(attributes) || !Object.hasOwn(attributes, key)) return null;
  const v: unknown = (attributes as Record<string, unknown>)[key];
  switch (type) {
    case "text":
      return typeof v === "string" ? v : null;
    case "number":
      if (typeof v === "number" && Number.isFinite(v)) return v;
      return typeof v === "string" && ATTR_NUMBER_RE.test(v) ? Number(v) : null;
    case "boolean":
      if (typeof v === "boolean") return v;
      return typeof v === "string" && ATTR_BOOL_RE.test(v) ? v.toLowerCase() === "true" : null;
    case "date":
      return typeof v === "string" && ATTR_DATE_RE.test(v) ? v.slice(0, 10) : null;
  }
}

type Val = string | number | boolean | bigint;

function factValue(c: TRuleCondition, f: TRuleFacts): Val | null {
  if (c.field === "attribute") return attributeValue(f.attributes, c.key, c.type);
  switch (c.field) {
    case "predictedClv": return f.predictedClvMinor;
    case "historicalClv": return f.historicalClvMinor;
    case "pAlive": return f.pAlive;
    case "expectedPurchases30": return f.expectedPurchases30;
    case "expectedPurchases90": return f.expectedPurchases90;
    case "expectedPurchases365": return f.expectedPurchases365;
    case "rfmR": return f.rfmR;
    case "rfmF": return f.rfmF;
    case "rfmM": return f.rfmM;
    case "rfmSegment": return f.rfmSegment;
    case "valueTier": return f.valueTier;
    case "churnRisk": return f.churnRisk;
    case "orderCount": return f.orderCount;
    case "lastOrderDate": return f.lastOrderDate;
    case "firstOrderDate": return f.firstOrderDate;
    case "channel": return f.channel;
    case "campaign": return f.campaignId;
  }
}

function cmp(a: Val, b: Val): number {
  if (typeof a === "bigint" || typeof b === "bigint") {
    const x = BigInt(a as bigint | string);
    const y = BigInt(b as bigint | string);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (typeof a === "number" && typeof b === "number") return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === "boolean" || typeof b === "boolean") return a === b ? 0 : 1;
  // Dates (YYYY-MM-DD) and ids compare as code-unit strings, like COLLATE "C".
  const x = String(a);
  const y = String(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

const asList = (v: unknown): readonly TRuleScalar[] => (Array.isArray(v) ? (v as TRuleScalar[]) : []);

export function evaluateCondition(c: TRuleCondition, f: TRuleFacts, ctx: TRuleContext): boolean {
  const x = factValue(c, f);
  if (c.op === "isSet") return x !== null;
  if (c.op === "isNotSet") return x === null;
  if (x === null) return false;
  const t = conditionType(c);
  const v = c.value;
  const one = (w: TRuleScalar): Val => (t === "money" ? BigInt(w as string) : w);
  switch (c.op) {
    case "eq": return cmp(x, one(v as TRuleScalar)) === 0;
    case "neq": return cmp(x, one(v as TRuleScalar)) !== 0;
    case "lt": return cmp(x, one(v as TRuleScalar)) < 0;
    case "lte": return cmp(x, one(v as TRuleScalar)) <= 0;
    case "gt": return cmp(x, one(v as TRuleScalar)) > 0;
    case "gte": return cmp(x, one(v as TRuleScalar)) >= 0;
    case "between": {
      const [lo, hi] = asList(v);
      return cmp(x, one(lo!)) >= 0 && cmp(x, one(hi!)) <= 0;
    }
    case "in": return asList(v).some((w) => cmp(x, one(w)) === 0);
    case "notIn": return asList(v).every((w) => cmp(x, one(w)) !== 0);
    case "contains": return asciiLower(String(x)).includes(asciiLower(String(v)));
    case "startsWith": return asciiLower(String(x)).startsWith(asciiLower(String(v)));
    case "withinDays": return String(x) >= addDays(ctx.today, -(v as number));
    case "beforeDays": return String(x) < addDays(ctx.today, -(v as number));
  }
}

export function evaluateGroup(g: TRuleGroup, f: TRuleFacts, ctx: TRuleContext): boolean {
  const each = (c: TRuleCondition | TRuleGroup) => (isRuleGroup(c) ? evaluateGroup(c, f, ctx) : evaluateCondition(c, f, ctx));
  return g.op === "and" ? g.conditions.every(each) : g.conditions.some(each);
}

/** Does this customer belong to the segment? (The rule must have passed checkSegmentRule.) */
export function evaluateRule(rule: TSegmentRule, facts: TRuleFacts, ctx: TRuleContext): boolean {
  return evaluateGroup(rule.root, facts, ctx);
}

/** Does the rule read anything from the customer row (beyond the scores)? */
export function ruleReadsCustomer(g: TRuleGroup): boolean {
  return g.conditions.some((c) => (isRuleGroup(c) ? ruleReadsCustomer(c) : c.field === "attribute" || c.field === "orderCount" || c.field === "lastOrderDate" || c.field === "firstOrderDate" || c.field === "channel" || c.field === "campaign"));
}

/** A customer with no score row (no orders at the last recompute, or newer than it). */
export const NO_SCORE_FACTS: Omit<TRuleFacts, "orderCount" | "lastOrderDate" | "firstOrderDate" | "channel" | "campaignId" | "attributes"> = {
  predictedClvMinor: null, historicalClvMinor: null, pAlive: null, expectedPurchases30: null, expectedPurchases90: null,
  expectedPurchases365: null, rfmR: null, rfmF: null, rfmM: null, rfmSegment: null, valueTier: null, churnRisk: null,
};

/** Human-readable rule, e.g. "(Value tier = high AND Orders ≥ 3) OR …", for lists and audit entries. */
export function describeRule(rule: TSegmentRule, labels: { field: (c: TRuleCondition) => string; value: (c: TRuleCondition) => string; op: (c: TRuleCondition) => string }): string {
  const g = (grp: TRuleGroup, top: boolean): string => {
    const parts = grp.conditions.map((c) => (isRuleGroup(c) ? g(c, false) : `${labels.field(c)} ${labels.op(c)}${c.value === undefined ? "" : " " + labels.value(c)}`));
    const s = parts.join(grp.op === "and" ? " and " : " or ");
    return top || parts.length === 1 ? s : `(${s})`;
  };
  return g(rule.root, true);
}
