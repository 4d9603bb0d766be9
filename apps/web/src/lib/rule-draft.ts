/**
 * The rule builder's editable draft (strings as typed) ↔ the rule JSON the server validates.
 * Money is typed in major units of the workspace currency and sent as minor units; P(alive) is typed
 * as a percentage. Conversion problems and the shared checker's issues both carry the condition's
 * path (root.conditions[i]…), so the builder shows each message next to its condition.
 */
import {
  checkSegmentRule,
  conditionType,
  currencyDigits,
  isRuleGroup,
  OPS_BY_TYPE,
  RULE_FIELDS,
  type RuleIssue,
  type TAttributeType,
  type TRuleCondition,
  type TRuleField,
  type TRuleGroup,
  type TRuleOp,
  type TRuleValueType,
  type TSegmentRule,
} from "@valuelens/validators";

export interface DraftCondition {
  kind: "condition";
  key: string;
  field: TRuleField | "attribute";
  attrKey: string;
  attrType: TAttributeType;
  op: TRuleOp;
  /** Single value, the first bound, or a comma-separated list. */
  value: string;
  value2: string;
  /** Chosen values of a multi-select (enum, campaign) for in / not in. */
  values: string[];
}
export interface DraftGroup {
  kind: "group";
  key: string;
  op: "and" | "or";
  items: (DraftCondition | DraftGroup)[];
}

let seq = 0;
export const newKey = () => `k${++seq}`;

export function draftType(c: Pick<DraftCondition, "field" | "attrType">): TRuleValueType {
  return c.field === "attribute" ? c.attrType : RULE_FIELDS[c.field].type;
}

export function newCondition(field: DraftCondition["field"] = "valueTier"): DraftCondition {
  const c: DraftCondition = { kind: "condition", key: newKey(), field, attrKey: "", attrType: "text", op: "eq", value: "", value2: "", values: [] };
  const t = draftType(c);
  if (!OPS_BY_TYPE[t].includes(c.op)) c.op = OPS_BY_TYPE[t][0]!;
  if (field === "valueTier") c.value = "high";
  return c;
}

export function newGroup(op: "and" | "or" = "and", items?: DraftGroup["items"]): DraftGroup {
  return { kind: "group", key: newKey(), op, items: items ?? [newCondition()] };
}

export const isPercentField = (c: Pick<DraftCondition, "field">) => c.field === "pAlive";

const NUM_RE = /^-?\d+(\.\d+)?$/;

/** "12.5" in a currency with 2 digits → "1250"; null when not a plain amount or too many decimals. */
export function majorToMinor(text: string, currency: string): string | null {
  const t = text.trim().replace(/,/g, "");
  if (!NUM_RE.test(t)) return null;
  const digits = currencyDigits(currency);
  const [i, f = ""] = t.replace(/^-/, "").split(".");
  if (f.length > digits) return null;
  const v = BigInt(i!) * 10n ** BigInt(digits) + BigInt((f + "0".repeat(digits)).slice(0, digits) || "0");
  return (t.startsWith("-") && v !== 0n ? "-" : "") + v.toString();
}

export function minorToMajorText(minor: string, currency: string): string {
  const digits = currencyDigits(currency);
  const v = BigInt(minor);
  const neg = v < 0n;
  const a = neg ? -v : v;
  if (digits === 0) return (neg ? "-" : "") + a.toString();
  const base = 10n ** BigInt(digits);
  const frac = (a % base).toString().padStart(digits, "0").replace(/0+$/, "");
  return `${neg ? "-" : ""}${a / base}${frac ? "." + frac : ""}`;
}

interface Converted {
  value: unknown;
  issue: string | null;
}

function scalar(text: string, t: TRuleValueType, c: DraftCondition, currency: string): Converted {
  const s = text.trim();
  if (s === "") return { value: undefined, issue: "enter a value" };
  switch (t) {
    case "money": {
      const m = majorToMinor(s, currency);
      return m === null ? { value: s, issue: `enter an amount in ${currency} with at most ${currencyDigits(currency)} decimals` } : { value: m, issue: null };
    }
    case "number":
    case "integer": {
      if (!NUM_RE.test(s)) return { value: s, issue: t === "integer" ? "enter a whole number" : "enter a number" };
      const n = Number(s);
      return { value: isPercentField(c) ? n / 100 : n, issue: null };
    }
    case "boolean":
      return { value: s === "true", issue: null };
    default:
      return { value: s, issue: null };
  }
}

function conditionToRaw(c: DraftCondition, currency: string, path: string, issues: RuleIssue[]): Record<string, unknown> {
  const t = draftType(c);
  const base: Record<string, unknown> = c.field === "attribute" ? { field: "attribute", key: c.attrKey.trim(), type: c.attrType, op: c.op } : { field: c.field, op: c.op };
  const at = `${path}.value`;
  const push = (r: Converted, p = at) => {
    if (r.issue) issues.push({ path: p, message: r.issue });
    return r.value;
  };
  switch (c.op) {
    case "isSet":
    case "isNotSet":
      return base;
    case "withinDays":
    case "beforeDays": {
      const s = c.value.trim();
      if (!/^\d+$/.test(s)) issues.push({ path: at, message: "enter a number of days" });
      return { ...base, value: Number(s) };
    }
    case "between":
      return { ...base, value: [push(scalar(c.value, t, c, currency), `${at}[0]`), push(scalar(c.value2, t, c, currency), `${at}[1]`)] };
    case "in":
    case "notIn": {
      if (t === "enum" || t === "id") {
        if (c.values.length === 0) issues.push({ path: at, message: "choose at least one value" });
        return { ...base, value: c.values };
      }
      const parts = c.value.split(",").map((x) => x.trim()).filter((x) => x !== "");
      if (parts.length === 0) issues.push({ path: at, message: "enter one or more values separated by commas" });
      return { ...base, value: parts.map((p, i) => push(scalar(p, t, c, currency), `${at}[${i}]`)) };
    }
    case "contains":
    case "startsWith":
      return { ...base, value: push(scalar(c.value, "text", c, currency)) };
    default:
      return { ...base, value: push(scalar(c.value, t, c, currency)) };
  }
}

function groupToRaw(g: DraftGroup, currency: string, path: string, issues: RuleIssue[]): Record<string, unknown> {
  return {
    op: g.op,
    conditions: g.items.map((x, i) => (x.kind === "group" ? groupToRaw(x, currency, `${path}.conditions[${i}]`, issues) : conditionToRaw(x, currency, `${path}.conditions[${i}]`, issues))),
  };
}

/** The draft as rule JSON plus every problem (typing first, then the shared checker's). */
export function draftToRule(root: DraftGroup, currency: string): { rule: TSegmentRule | null; raw: unknown; issues: RuleIssue[] } {
  const issues: RuleIssue[] = [];
  const raw = { version: 1, root: groupToRaw(root, currency, "root", issues) };
  if (issues.length > 0) return { rule: null, raw, issues };
  const r = checkSegmentRule(raw);
  return r.ok ? { rule: r.rule, raw, issues: [] } : { rule: null, raw, issues: r.issues };
}

function conditionToDraft(c: TRuleCondition, currency: string): DraftCondition {
  const d = newCondition(c.field);
  d.op = c.op;
  if (c.field === "attribute") {
    d.attrKey = c.key;
    d.attrType = c.type;
  }
  const t = conditionType(c);
  const text = (v: unknown): string => {
    if (t === "money") return minorToMajorText(String(v), currency);
    if (isPercentField(d) && typeof v === "number") return String(Math.round(v * 1e8) / 1e6);
    return String(v);
  };
  const v = c.value;
  if (Array.isArray(v)) {
    if (c.op === "between") {
      d.value = text(v[0]);
      d.value2 = text(v[1]);
    } else if (t === "enum" || t === "id") d.values = v.map(String);
    else d.value = v.map(text).join(", ");
  } else if (v !== undefined) d.value = c.op === "withinDays" || c.op === "beforeDays" ? String(v) : text(v);
  else d.value = "";
  return d;
}

export function ruleToDraft(rule: TSegmentRule, currency: string): DraftGroup {
  const g = (grp: TRuleGroup): DraftGroup => ({ kind: "group", key: newKey(), op: grp.op, items: grp.conditions.map((c) => (isRuleGroup(c) ? g(c) : conditionToDraft(c, currency))) });
  return g(rule.root);
}

/** Issues of one condition (its own path, its value's and its parts'). */
export function issuesAt(issues: readonly RuleIssue[], path: string): RuleIssue[] {
  return issues.filter((i) => i.path === path || i.path.startsWith(path + "."));
}

/** A rule in words, e.g. "Value tier = high and (Orders ≥ 3 or Acquisition channel is one of email, referral)". */
export function ruleSummary(rule: TSegmentRule, currency: string, campaigns: ReadonlyMap<string, string> = new Map()): string {
  const field = (c: TRuleCondition) => (c.field === "attribute" ? `attribute “${c.key}”` : RULE_FIELDS[c.field].label);
  const one = (c: TRuleCondition, v: unknown): string => {
    const t = conditionType(c);
    if (t === "money") return `${minorToMajorText(String(v), currency)} ${currency}`;
    if (c.field === "pAlive" && typeof v === "number") return `${Math.round(v * 1e6) / 1e4}%`;
    if (t === "id") return campaigns.get(String(v)) ?? "a deleted campaign";
    if (typeof v === "string" && (t === "text" || t === "enum")) return `“${v}”`;
    return String(v);
  };
  const g = (grp: TRuleGroup, top: boolean): string => {
    const parts = grp.conditions.map((c) => {
      if (isRuleGroup(c)) return g(c, false);
      const v = c.value;
      const op = OP_WORDS[c.op];
      if (v === undefined) return `${field(c)} ${op}`;
      if (c.op === "withinDays" || c.op === "beforeDays") return `${field(c)} ${c.op === "withinDays" ? "in the last" : "more than"} ${String(v)} days${c.op === "beforeDays" ? " ago" : ""}`;
      if (Array.isArray(v)) return c.op === "between" ? `${field(c)} between ${one(c, v[0])} and ${one(c, v[1])}` : `${field(c)} ${op} ${v.map((x) => one(c, x)).join(", ")}`;
      return `${field(c)} ${op} ${one(c, v)}`;
    });
    const s = parts.join(grp.op === "and" ? " and " : " or ");
    return top || parts.length === 1 ? s : `(${s})`;
  };
  return g(rule.root, true);
}

const OP_WORDS: Record<TRuleOp, string> = {
  eq: "=", neq: "≠", lt: "<", lte: "≤", gt: ">", gte: "≥", between: "between", in: "is one of", notIn: "is none of",
  contains: "contains", startsWith: "starts with", withinDays: "in the last", beforeDays: "more than", isSet: "is set", isNotSet: "is not set",
};
