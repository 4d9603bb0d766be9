/**
 * Rule segments (issue 5): the rule model, its validation, and the zod schemas of the procedures.
 *
 * A rule is versioned JSON: `{ version: 1, root: Group }`, Group = `{ op: "and" | "or", conditions }`,
 * a condition compares one field (a score, a customer summary column, the acquisition channel or
 * campaign, or a customer attribute imported as JSON) with a value. Money is integer minor units in a
 * string, dates are YYYY-MM-DD in the workspace time zone. The same validated rule is evaluated in
 * memory (segment-rule-eval.ts) and compiled to SQL (api services/segment-rules/compile.ts); both follow
 * the semantics written here:
 * - A missing value (no prediction, no channel, attribute absent or of another JSON type) matches only
 *   "is not set"; every comparison — including ≠ and "not in" — is false for it.
 * - "contains" and "starts with" ignore the case of ASCII letters A–Z only (so the database and the
 *   browser agree whatever the collation); = and "in" compare exactly.
 * - Attributes are typed by the rule: text = a JSON string; number = a JSON number or a string holding a
 *   plain decimal (CSV imports store text); boolean = a JSON boolean or the string true/false (any case);
 *   date = a string starting with YYYY-MM-DD (the date part as written).
 */
import { z } from "zod";
import { ZUuid } from "./workspace.ts";

export const RULE_VERSION = 1 as const;
export const RULE_LIMITS = { maxDepth: 4, maxConditions: 40, maxListValues: 200, maxText: 200, maxKey: 100, maxDays: 36_500 } as const;

export const RULE_OPS = [
  "eq", "neq", "lt", "lte", "gt", "gte", "between", "in", "notIn", "contains", "startsWith", "withinDays", "beforeDays", "isSet", "isNotSet",
] as const;
export type TRuleOp = (typeof RULE_OPS)[number];

export type TRuleValueType = "money" | "number" | "integer" | "date" | "text" | "enum" | "id" | "boolean";
export const ATTRIBUTE_TYPES = ["text", "number", "date", "boolean"] as const;
export type TAttributeType = (typeof ATTRIBUTE_TYPES)[number];

export interface RuleFieldSpec {
  label: string;
  type: TRuleValueType;
  /** Where the value comes from: the latest scores (missing without a recompute) or the customer. */
  source: "scores" | "customer";
  min?: number;
  max?: number;
  values?: readonly string[];
  unit?: string;
}

export const RULE_FIELDS = {
  predictedClv: { label: "Predicted 12-month CLV", type: "money", source: "scores" },
  historicalClv: { label: "Historical CLV", type: "money", source: "scores" },
  pAlive: { label: "P(alive)", type: "number", source: "scores", min: 0, max: 1 },
  expectedPurchases30: { label: "Expected purchases, next 30 days", type: "number", source: "scores", min: 0 },
  expectedPurchases90: { label: "Expected purchases, next 90 days", type: "number", source: "scores", min: 0 },
  expectedPurchases365: { label: "Expected purchases, next 365 days", type: "number", source: "scores", min: 0 },
  rfmR: { label: "RFM recency score", type: "integer", source: "scores", min: 1, max: 5 },
  rfmF: { label: "RFM frequency score", type: "integer", source: "scores", min: 1, max: 5 },
  rfmM: { label: "RFM monetary score", type: "integer", source: "scores", min: 1, max: 5 },
  rfmSegment: { label: "RFM segment", type: "enum", source: "scores" },
  valueTier: { label: "Value tier", type: "enum", source: "scores", values: ["high", "medium", "low"] },
  churnRisk: { label: "Churn risk", type: "enum", source: "scores", values: ["low", "medium", "high"] },
  orderCount: { label: "Orders", type: "integer", source: "customer", min: 0 },
  lastOrderDate: { label: "Last order date", type: "date", source: "customer" },
  firstOrderDate: { label: "First order date", type: "date", source: "customer" },
  channel: { label: "Acquisition channel", type: "text", source: "customer" },
  campaign: { label: "Acquisition campaign", type: "id", source: "customer" },
} as const satisfies Record<string, RuleFieldSpec>;
export type TRuleField = keyof typeof RULE_FIELDS;
export const RULE_FIELD_NAMES = Object.keys(RULE_FIELDS) as TRuleField[];

export const OPS_BY_TYPE: Record<TRuleValueType, readonly TRuleOp[]> = {
  money: ["eq", "neq", "lt", "lte", "gt", "gte", "between", "isSet", "isNotSet"],
  number: ["eq", "neq", "lt", "lte", "gt", "gte", "between", "in", "notIn", "isSet", "isNotSet"],
  integer: ["eq", "neq", "lt", "lte", "gt", "gte", "between", "in", "notIn", "isSet", "isNotSet"],
  date: ["eq", "neq", "lt", "lte", "gt", "gte", "between", "withinDays", "beforeDays", "isSet", "isNotSet"],
  text: ["eq", "neq", "in", "notIn", "contains", "startsWith", "isSet", "isNotSet"],
  enum: ["eq", "neq", "in", "notIn", "isSet", "isNotSet"],
  id: ["eq", "neq", "in", "notIn", "isSet", "isNotSet"],
  boolean: ["eq", "isSet", "isNotSet"],
};

export const OP_LABELS: Record<TRuleOp, string> = {
  eq: "=", neq: "≠", lt: "<", lte: "≤", gt: ">", gte: "≥", between: "between", in: "is one of", notIn: "is none of",
  contains: "contains", startsWith: "starts with", withinDays: "in the last N days", beforeDays: "more than N days ago",
  isSet: "is set", isNotSet: "is not set",
};

/** A value after validation: scalars, a [low, high] pair for between, a list for in / not in. */
export type TRuleScalar = string | number | boolean;
export type TRuleValue = TRuleScalar | readonly TRuleScalar[];

export interface TFieldCondition {
  field: TRuleField;
  op: TRuleOp;
  value?: TRuleValue;
}
export interface TAttributeCondition {
  field: "attribute";
  key: string;
  type: TAttributeType;
  op: TRuleOp;
  value?: TRuleValue;
}
export type TRuleCondition = TFieldCondition | TAttributeCondition;
export interface TRuleGroup {
  op: "and" | "or";
  conditions: (TRuleCondition | TRuleGroup)[];
}
export interface TSegmentRule {
  version: typeof RULE_VERSION;
  root: TRuleGroup;
}

export function isRuleGroup(x: TRuleCondition | TRuleGroup): x is TRuleGroup {
  return "conditions" in x;
}

/** The value type a condition compares (attributes carry their own). */
export function conditionType(c: TRuleCondition): TRuleValueType {
  return c.field === "attribute" ? c.type : RULE_FIELDS[c.field].type;
}

export interface RuleIssue {
  /** e.g. "root.conditions[1].conditions[0].value" */
  path: string;
  message: string;
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const MONEY_RE = /^-?\d{1,18}$/;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isValidDay(s: string): boolean {
  const m = DATE_RE.exec(s);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (y < 1900 || y > 2999 || mo < 1 || mo > 12 || d < 1) return false;
  return d <= new Date(Date.UTC(y, mo, 0)).getUTCDate();
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function describe(t: TRuleValueType, spec?: RuleFieldSpec): string {
  switch (t) {
    case "money": return "an amount in minor units as a string of digits (e.g. \"2500\" for 25.00)";
    case "number": return spec?.min !== undefined && spec.max !== undefined ? `a number from ${spec.min} to ${spec.max}` : spec?.min !== undefined ? `a number ≥ ${spec.min}` : "a number";
    case "integer": return spec?.min !== undefined && spec.max !== undefined ? `a whole number from ${spec.min} to ${spec.max}` : spec?.min !== undefined ? `a whole number ≥ ${spec.min}` : "a whole number";
    case "date": return "a date YYYY-MM-DD";
    case "text": return `text of 1–${RULE_LIMITS.maxText} characters`;
    case "enum": return spec?.values ? `one of ${spec.values.join(", ")}` : "a name";
    case "id": return "a campaign id";
    case "boolean": return "true or false";
  }
}

/** One scalar of the given type, normalised (ids lower-cased), or an error message. */
function checkScalar(v: unknown, t: TRuleValueType, spec?: RuleFieldSpec): { ok: true; v: TRuleScalar } | { ok: false; msg: string } {
  const bad = { ok: false as const, msg: `must be ${describe(t, spec)}` };
  switch (t) {
    case "money":
      return typeof v === "string" && MONEY_RE.test(v) ? { ok: true, v } : bad;
    case "number":
    case "integer": {
      if (typeof v !== "number" || !Number.isFinite(v)) return bad;
      if (t === "integer" && !Number.isInteger(v)) return bad;
      if (Math.abs(v) > 1e15) return bad;
      if (spec?.min !== undefined && v < spec.min) return bad;
      if (spec?.max !== undefined && v > spec.max) return bad;
      return { ok: true, v };
    }
    case "date":
      return typeof v === "string" && isValidDay(v) ? { ok: true, v } : bad;
    case "text":
    case "enum": {
      if (typeof v !== "string" || v.length < 1 || v.length > RULE_LIMITS.maxText) return bad;
      if (v.includes("\u0000")) return { ok: false, msg: "must not contain a NUL character" };
      if (spec?.values && !spec.values.includes(v)) return bad;
      return { ok: true, v };
    }
    case "id":
      return typeof v === "string" && UUID_RE.test(v) ? { ok: true, v: v.toLowerCase() } : bad;
    case "boolean":
      return typeof v === "boolean" ? { ok: true, v } : bad;
  }
}

function compareScalars(a: TRuleScalar, b: TRuleScalar, t: TRuleValueType): number {
  if (t === "money") return BigInt(a as string) < BigInt(b as string) ? -1 : BigInt(a as string) > BigInt(b as string) ? 1 : 0;
  if (typeof a === "number" && typeof b === "number") return a - b;
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
}

/** Checks a condition's value for its op and type; returns the normalised value or pushes issues. */
function checkValue(c: Record<string, unknown>, op: TRuleOp, t: TRuleValueType, spec: RuleFieldSpec | undefined, path: string, issues: RuleIssue[]): TRuleValue | undefined {
  const v = c.value;
  const at = `${path}.value`;
  if (op === "isSet" || op === "isNotSet") {
    if (v !== undefined && v !== null) issues.push({ path: at, message: `"${OP_LABELS[op]}" takes no value` });
    return undefined;
  }
  if (op === "withinDays" || op === "beforeDays") {
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > RULE_LIMITS.maxDays) {
      issues.push({ path: at, message: `must be a whole number of days from 0 to ${RULE_LIMITS.maxDays}` });
      return undefined;
    }
    return v;
  }
  if (op === "between") {
    if (!Array.isArray(v) || v.length !== 2) {
      issues.push({ path: at, message: `must be a pair [from, to] of ${describe(t, spec)}` });
      return undefined;
    }
    const a = checkScalar(v[0], t, spec);
    const b = checkScalar(v[1], t, spec);
    if (!a.ok) issues.push({ path: `${at}[0]`, message: a.msg });
    if (!b.ok) issues.push({ path: `${at}[1]`, message: b.msg });
    if (!a.ok || !b.ok) return undefined;
    if (compareScalars(a.v, b.v, t) > 0) {
      issues.push({ path: at, message: "the first bound must not be greater than the second" });
      return undefined;
    }
    return [a.v, b.v];
  }
  if (op === "in" || op === "notIn") {
    if (!Array.isArray(v) || v.length < 1 || v.length > RULE_LIMITS.maxListValues) {
      issues.push({ path: at, message: `must be a list of 1–${RULE_LIMITS.maxListValues} values, each ${describe(t, spec)}` });
      return undefined;
    }
    const out: TRuleScalar[] = [];
    v.forEach((x: unknown, i) => {
      const r = checkScalar(x, t, spec);
      if (r.ok) out.push(r.v);
      else issues.push({ path: `${at}[${i}]`, message: r.msg });
    });
    return out.length === v.length ? [...new Set(out)] : undefined;
  }
  const r = checkScalar(v, op === "contains" || op === "startsWith" ? "text" : t, op === "contains" || op === "startsWith" ? undefined : spec);
  if (!r.ok) {
    issues.push({ path: at, message: r.msg });
    return undefined;
  }
  return r.v;
}

function checkCondition(x: Record<string, unknown>, path: string, issues: RuleIssue[]): TRuleCondition | null {
  const field = x.field;
  const before = issues.length;
  const allowedKeys = field === "attribute" ? ["field", "key", "type", "op", "value"] : ["field", "op", "value"];
  for (const k of Object.keys(x)) if (!allowedKeys.includes(k)) issues.push({ path: `${path}.${k}`, message: "is not a known property of a condition" });
  let t: TRuleValueType;
  let spec: RuleFieldSpec | undefined;
  let key = "";
  let attrType: TAttributeType = "text";
  if (field === "attribute") {
    if (typeof x.key !== "string" || x.key.trim().length < 1 || x.key.length > RULE_LIMITS.maxKey || x.key.includes("\u0000")) {
      issues.push({ path: `${path}.key`, message: `must be an attribute name of 1–${RULE_LIMITS.maxKey} characters` });
    } else key = x.key;
    if (typeof x.type !== "string" || !(ATTRIBUTE_TYPES as readonly string[]).includes(x.type)) {
      issues.push({ path: `${path}.type`, message: `must be one of ${ATTRIBUTE_TYPES.join(", ")}` });
      return null;
    }
    attrType = x.type as TAttributeType;
    t = attrType;
  } else if (typeof field === "string" && Object.hasOwn(RULE_FIELDS, field)) {
    spec = RULE_FIELDS[field as TRuleField];
    t = spec.type;
  } else {
    issues.push({ path: `${path}.field`, message: `unknown field ${JSON.stringify(field)}; use one of ${RULE_FIELD_NAMES.join(", ")}, attribute` });
    return null;
  }
  const op = x.op;
  if (typeof op !== "string" || !OPS_BY_TYPE[t].includes(op as TRuleOp)) {
    issues.push({ path: `${path}.op`, message: `${JSON.stringify(op)} does not apply to ${spec ? spec.label : `a ${t} attribute`}; use one of ${OPS_BY_TYPE[t].join(", ")}` });
    return null;
  }
  const value = checkValue(x, op as TRuleOp, t, spec, path, issues);
  if (issues.length > before) return null;
  const base = { op: op as TRuleOp, ...(value === undefined ? {} : { value }) };
  return field === "attribute" ? { field: "attribute", key, type: attrType, ...base } : { field: field as TRuleField, ...base };
}

function checkGroup(x: unknown, path: string, depth: number, issues: RuleIssue[], count: { n: number }): TRuleGroup | null {
  if (!isObject(x)) {
    issues.push({ path, message: "must be a group { op, conditions }" });
    return null;
  }
  for (const k of Object.keys(x)) if (k !== "op" && k !== "conditions") issues.push({ path: `${path}.${k}`, message: "is not a known property of a group" });
  if (x.op !== "and" && x.op !== "or") issues.push({ path: `${path}.op`, message: 'must be "and" or "or"' });
  if (!Array.isArray(x.conditions) || x.conditions.length === 0) {
    issues.push({ path: `${path}.conditions`, message: "must hold at least one condition" });
    return null;
  }
  const out: (TRuleCondition | TRuleGroup)[] = [];
  x.conditions.forEach((c: unknown, i) => {
    const p = `${path}.conditions[${i}]`;
    if (isObject(c) && "conditions" in c) {
      if (depth >= RULE_LIMITS.maxDepth) {
        issues.push({ path: p, message: `groups may be nested at most ${RULE_LIMITS.maxDepth} levels deep` });
        return;
      }
      const g = checkGroup(c, p, depth + 1, issues, count);
      if (g) out.push(g);
    } else if (isObject(c)) {
      count.n++;
      if (count.n === RULE_LIMITS.maxConditions + 1) issues.push({ path: p, message: `a rule may hold at most ${RULE_LIMITS.maxConditions} conditions` });
      const cond = checkCondition(c, p, issues);
      if (cond) out.push(cond);
    } else {
      issues.push({ path: p, message: "must be a condition { field, op, value } or a group { op, conditions }" });
    }
  });
  if (x.op !== "and" && x.op !== "or") return null;
  return { op: x.op, conditions: out };
}

/** Validates untrusted JSON as a rule; every problem is reported with the path of the condition. */
export function checkSegmentRule(input: unknown): { ok: true; rule: TSegmentRule } | { ok: false; issues: RuleIssue[] } {
  const issues: RuleIssue[] = [];
  if (!isObject(input)) return { ok: false, issues: [{ path: "rule", message: "must be an object { version, root }" }] };
  for (const k of Object.keys(input)) if (k !== "version" && k !== "root") issues.push({ path: k, message: "is not a known property of a rule" });
  if (input.version !== RULE_VERSION) issues.push({ path: "version", message: `must be ${RULE_VERSION} (the only rule version this server reads)` });
  const root = checkGroup(input.root, "root", 1, issues, { n: 0 });
  if (issues.length > 0 || !root) return { ok: false, issues: issues.length ? issues : [{ path: "root", message: "is invalid" }] };
  return { ok: true, rule: { version: RULE_VERSION, root } };
}

export function formatRuleIssues(issues: readonly RuleIssue[]): string {
  return issues.map((i) => `${i.path}: ${i.message}`).join("; ");
}

/** zod wrapper for procedure inputs: the same checker, issues carried with their paths. */
export const ZSegmentRule = z.unknown().transform((v, ctx): TSegmentRule => {
  const r = checkSegmentRule(v);
  if (r.ok) return r.rule;
  for (const i of r.issues) ctx.addIssue({ code: "custom", message: `${i.path}: ${i.message}` });
  return z.NEVER;
});

export function ruleConditionCount(g: TRuleGroup): number {
  return g.conditions.reduce((n, c) => n + (isRuleGroup(c) ? ruleConditionCount(c) : 1), 0);
}

// --- procedure inputs ---

export const ZRuleSegmentName = z.string().trim().min(1, "Give the segment a name").max(80, "At most 80 characters");
export const ZRuleSegmentDescription = z.string().trim().max(500, "At most 500 characters").default("");

/** exact: false (the builder's first call) allows a labelled estimate on large workspaces; true always counts exactly. */
export const ZRulePreviewInput = z.strictObject({ workspaceId: ZUuid, rule: ZSegmentRule, exact: z.boolean().default(true) });
export const ZRuleSegmentCreate = z.strictObject({ workspaceId: ZUuid, name: ZRuleSegmentName, description: ZRuleSegmentDescription, rule: ZSegmentRule });
export const ZRuleSegmentUpdate = z.strictObject({ workspaceId: ZUuid, segmentId: ZUuid, name: ZRuleSegmentName, description: ZRuleSegmentDescription, rule: ZSegmentRule });
export const ZRuleSegmentRef = z.strictObject({ workspaceId: ZUuid, segmentId: ZUuid });
export const ZRuleSegmentHistory = z.strictObject({ workspaceId: ZUuid, segmentId: ZUuid, limit: z.number().int().min(1).max(400).default(120) });
export const ZRuleSegmentCompare = z.strictObject({
  workspaceId: ZUuid,
  segmentIds: z.array(ZUuid).min(1, "Pick at least one segment").max(4, "Compare at most four segments").refine((a) => new Set(a).size === a.length, "Each segment once"),
});
export const ZRuleSegmentMembersCursor = z.string().regex(/^[0-9a-f-]{36}$/i, "Invalid cursor");
