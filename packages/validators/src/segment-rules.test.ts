import { describe, expect, it } from "vitest";
import { addDays, attributeValue, evaluateRule, NO_SCORE_FACTS, type TRuleFacts } from "./segment-rule-eval.ts";
import { checkSegmentRule, formatRuleIssues, ZRuleSegmentCreate, type TSegmentRule } from "./segment-rules.ts";

const ctx = { today: "2026-11-23" };

function facts(over: Partial<TRuleFacts> = {}): TRuleFacts {
  return {
    predictedClvMinor: 50_000n, historicalClvMinor: 20_000n, pAlive: 0.8, expectedPurchases30: 0.2, expectedPurchases90: 0.6,
    expectedPurchases365: 2.1, rfmR: 4, rfmF: 3, rfmM: 5, rfmSegment: "Loyal", valueTier: "high", churnRisk: "low", orderCount: 4,
    lastOrderDate: "2026-10-01", firstOrderDate: "2025-02-14", channel: "Email", campaignId: null,
    attributes: { plan: "Pro", seats: "12", vip: "TRUE", signup: "2024-05-06T10:00:00Z", score: 7.5 },
    ...over,
  };
}

function rule(root: unknown): TSegmentRule {
  const r = checkSegmentRule({ version: 1, root });
  if (!r.ok) throw new Error(formatRuleIssues(r.issues));
  return r.rule;
}

describe("checkSegmentRule", () => {
  it("accepts a two-group rule and normalises it", () => {
    const r = checkSegmentRule({
      version: 1,
      root: {
        op: "or",
        conditions: [
          { op: "and", conditions: [{ field: "valueTier", op: "eq", value: "high" }, { field: "orderCount", op: "gte", value: 3 }] },
          { op: "and", conditions: [{ field: "campaign", op: "in", value: ["6F9619FF-8B86-D011-B42D-00C04FC964FF"] }, { field: "attribute", key: "plan", type: "text", op: "isSet" }] },
        ],
      },
    });
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.rule.root.conditions[1]).toEqual({ op: "and", conditions: [{ field: "campaign", op: "in", value: ["6f9619ff-8b86-d011-b42d-00c04fc964ff"] }, { field: "attribute", key: "plan", type: "text", op: "isSet" }] });
  });

  it("points at the offending condition by path", () => {
    const r = checkSegmentRule({
      version: 1,
      root: { op: "and", conditions: [{ field: "pAlive", op: "gt", value: 0.5 }, { op: "or", conditions: [{ field: "predictedClv", op: "gt", value: 12.5 }] }] },
    });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(formatRuleIssues(r.issues)).toBe('root.conditions[1].conditions[0].value: must be an amount in minor units as a string of digits (e.g. "2500" for 25.00)');
  });

  it.each([
    [{ field: "pAlive", op: "gt", value: 1.5 }, "root.conditions[0].value: must be a number from 0 to 1"],
    [{ field: "rfmR", op: "in", value: [1, 6] }, "root.conditions[0].value[1]: must be a whole number from 1 to 5"],
    [{ field: "channel", op: "lt", value: "a" }, 'root.conditions[0].op: "lt" does not apply to Acquisition channel; use one of eq, neq, in, notIn, contains, startsWith, isSet, isNotSet'],
    [{ field: "lastOrderDate", op: "eq", value: "2026-02-30" }, "root.conditions[0].value: must be a date YYYY-MM-DD"],
    [{ field: "historicalClv", op: "between", value: ["500", "100"] }, "root.conditions[0].value: the first bound must not be greater than the second"],
    [{ field: "valueTier", op: "isSet", value: "high" }, 'root.conditions[0].value: "is set" takes no value'],
    [{ field: "nope", op: "eq", value: 1 }, "root.conditions[0].field: unknown field"],
    [{ field: "attribute", key: "", type: "text", op: "eq", value: "x" }, "root.conditions[0].key: must be an attribute name"],
    [{ field: "attribute", key: "x", type: "json", op: "eq", value: "x" }, "root.conditions[0].type: must be one of text, number, date, boolean"],
    [{ field: "channel", op: "eq", value: "a\u0000b" }, "root.conditions[0].value: must not contain a NUL character"],
    [{ field: "channel", op: "eq", value: "x", extra: 1 }, "root.conditions[0].extra: is not a known property"],
    [{ field: "lastOrderDate", op: "withinDays", value: -1 }, "root.conditions[0].value: must be a whole number of days"],
  ])("rejects %j", (cond, msg) => {
    const r = checkSegmentRule({ version: 1, root: { op: "and", conditions: [cond] } });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(formatRuleIssues(r.issues)).toContain(msg);
  });

  it("limits depth, size, version and empty groups", () => {
    let g: unknown = { field: "orderCount", op: "gt", value: 1 };
    for (let i = 0; i < 5; i++) g = { op: "and", conditions: [g] };
    const deep = checkSegmentRule({ version: 1, root: g });
    expect(deep.ok).toBe(false);
    if (!deep.ok) expect(deep.issues[0]!.message).toContain("nested at most 4 levels");
    const big = checkSegmentRule({ version: 1, root: { op: "or", conditions: Array.from({ length: 41 }, () => ({ field: "orderCount", op: "gt", value: 1 })) } });
    expect(big.ok).toBe(false);
    if (!big.ok) expect(formatRuleIssues(big.issues)).toContain("root.conditions[40]: a rule may hold at most 40 conditions");
    const v2 = checkSegmentRule({ version: 2, root: { op: "and", conditions: [{ field: "orderCount", op: "gt", value: 1 }] } });
    expect(v2.ok).toBe(false);
    const empty = checkSegmentRule({ version: 1, root: { op: "and", conditions: [] } });
    expect(empty.ok).toBe(false);
    if (!empty.ok) expect(empty.issues[0]!.path).toBe("root.conditions");
  });

  it("carries the path through the zod schema used by the procedures", () => {
    const r = ZRuleSegmentCreate.safeParse({ workspaceId: crypto.randomUUID(), name: "VIP", rule: { version: 1, root: { op: "and", conditions: [{ field: "orderCount", op: "gt", value: "3" }] } } });
    expect(r.success).toBe(false);
    if (!r.success) expect(r.error.issues[0]!.message).toBe("root.conditions[0].value: must be a whole number ≥ 0");
  });
});

describe("evaluateRule", () => {
  it("combines AND / OR groups", () => {
    const r = rule({
      op: "or",
      conditions: [
        { op: "and", conditions: [{ field: "valueTier", op: "eq", value: "high" }, { field: "orderCount", op: "gte", value: 5 }] },
        { op: "and", conditions: [{ field: "channel", op: "contains", value: "mai" }, { field: "pAlive", op: "gt", value: 0.5 }] },
      ],
    });
    expect(evaluateRule(r, facts(), ctx)).toBe(true); // second group
    expect(evaluateRule(r, facts({ channel: "Paid social" }), ctx)).toBe(false);
    expect(evaluateRule(r, facts({ channel: "Paid social", orderCount: 5 }), ctx)).toBe(true);
  });

  it("a customer without predictions matches no comparison, only 'is not set'", () => {
    const none: TRuleFacts = { ...facts(), ...NO_SCORE_FACTS };
    expect(evaluateRule(rule({ op: "and", conditions: [{ field: "predictedClv", op: "gt", value: "0" }] }), none, ctx)).toBe(false);
    expect(evaluateRule(rule({ op: "and", conditions: [{ field: "predictedClv", op: "lte", value: "0" }] }), none, ctx)).toBe(false);
    expect(evaluateRule(rule({ op: "and", conditions: [{ field: "valueTier", op: "neq", value: "high" }] }), none, ctx)).toBe(false);
    expect(evaluateRule(rule({ op: "and", conditions: [{ field: "valueTier", op: "notIn", value: ["high"] }] }), none, ctx)).toBe(false);
    expect(evaluateRule(rule({ op: "and", conditions: [{ field: "predictedClv", op: "isNotSet" }] }), none, ctx)).toBe(true);
    expect(evaluateRule(rule({ op: "and", conditions: [{ field: "channel", op: "neq", value: "Email" }] }), facts({ channel: null }), ctx)).toBe(false);
  });

  it("compares money exactly as integers, beyond float precision", () => {
    const r = rule({ op: "and", conditions: [{ field: "predictedClv", op: "gt", value: "9007199254740992" }] });
    expect(evaluateRule(r, facts({ predictedClvMinor: 9007199254740993n }), ctx)).toBe(true);
    expect(evaluateRule(r, facts({ predictedClvMinor: 9007199254740992n }), ctx)).toBe(false);
    const b = rule({ op: "and", conditions: [{ field: "historicalClv", op: "between", value: ["20000", "20000"] }] });
    expect(evaluateRule(b, facts(), ctx)).toBe(true);
  });

  it("reads relative dates from the given today", () => {
    const within = rule({ op: "and", conditions: [{ field: "lastOrderDate", op: "withinDays", value: 53 }] });
    const before = rule({ op: "and", conditions: [{ field: "lastOrderDate", op: "beforeDays", value: 53 }] });
    expect(addDays("2026-11-23", -53)).toBe("2026-10-01");
    expect(evaluateRule(within, facts(), ctx)).toBe(true);
    expect(evaluateRule(before, facts(), ctx)).toBe(false);
    expect(evaluateRule(before, facts(), { today: "2026-11-24" })).toBe(true);
    expect(evaluateRule(within, facts({ lastOrderDate: null }), ctx)).toBe(false);
    expect(evaluateRule(before, facts({ lastOrderDate: null }), ctx)).toBe(false);
  });

  it("types attributes by the rule: numbers and booleans stored as text count, other JSON types do not", () => {
    const a = facts().attributes;
    expect(attributeValue(a, "seats", "number")).toBe(12);
    expect(attributeValue(a, "seats", "text")).toBe("12");
    expect(attributeValue(a, "score", "number")).toBe(7.5);
    expect(attributeValue(a, "score", "text")).toBeNull();
    expect(attributeValue(a, "vip", "boolean")).toBe(true);
    expect(attributeValue(a, "signup", "date")).toBe("2024-05-06");
    expect(attributeValue(a, "plan", "date")).toBeNull();
    expect(attributeValue(a, "missing", "text")).toBeNull();
    expect(attributeValue({ n: "1e5" }, "n", "number")).toBeNull();
    expect(attributeValue(JSON.parse('{"__proto__": "x"}'), "__proto__", "text")).toBe("x");
    expect(attributeValue({}, "constructor", "text")).toBeNull();
    expect(attributeValue(null, "plan", "text")).toBeNull();
    const r = rule({ op: "and", conditions: [{ field: "attribute", key: "seats", type: "number", op: "between", value: [10, 20] }, { field: "attribute", key: "plan", type: "text", op: "startsWith", value: "pr" }] });
    expect(evaluateRule(r, facts(), ctx)).toBe(true);
    const notSet = rule({ op: "and", conditions: [{ field: "attribute", key: "score", type: "text", op: "isNotSet" }] });
    expect(evaluateRule(notSet, facts(), ctx)).toBe(true);
  });

  it("case-folds ASCII only in contains / starts with; = is exact", () => {
    expect(evaluateRule(rule({ op: "and", conditions: [{ field: "channel", op: "eq", value: "email" }] }), facts(), ctx)).toBe(false);
    expect(evaluateRule(rule({ op: "and", conditions: [{ field: "channel", op: "startsWith", value: "EM" }] }), facts(), ctx)).toBe(true);
    expect(evaluateRule(rule({ op: "and", conditions: [{ field: "channel", op: "contains", value: "É" }] }), facts({ channel: "café" }), ctx)).toBe(false);
  });
});
