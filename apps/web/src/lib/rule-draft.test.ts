import { describe, expect, it } from "vitest";
import { draftToRule, majorToMinor, minorToMajorText, newCondition, newGroup, ruleToDraft } from "./rule-draft";

describe("rule draft", () => {
  it("converts money in major units exactly, per currency digits", () => {
    expect(majorToMinor("12.5", "USD")).toBe("1250");
    expect(majorToMinor("1,250.05", "USD")).toBe("125005");
    expect(majorToMinor("12.345", "USD")).toBeNull();
    expect(majorToMinor("500", "JPY")).toBe("500");
    expect(majorToMinor("1.5", "JPY")).toBeNull();
    expect(majorToMinor("0.001", "KWD")).toBe("1");
    expect(minorToMajorText("1250", "USD")).toBe("12.5");
    expect(minorToMajorText("-5", "USD")).toBe("-0.05");
  });

  it("builds a two-group rule, with P(alive) typed as a percentage", () => {
    const a = newCondition("predictedClv");
    a.op = "gt";
    a.value = "250";
    const b = newCondition("pAlive");
    b.op = "gte";
    b.value = "60";
    const c = newCondition("channel");
    c.op = "in";
    c.value = "email, referral";
    const root = newGroup("or", [newGroup("and", [a, b]), newGroup("and", [c])]);
    const r = draftToRule(root, "USD");
    expect(r.issues).toEqual([]);
    expect(r.rule).toEqual({
      version: 1,
      root: { op: "or", conditions: [
        { op: "and", conditions: [{ field: "predictedClv", op: "gt", value: "25000" }, { field: "pAlive", op: "gte", value: 0.6 }] },
        { op: "and", conditions: [{ field: "channel", op: "in", value: ["email", "referral"] }] },
      ] },
    });
    // Round trip back to a draft and again to the same rule.
    expect(draftToRule(ruleToDraft(r.rule!, "USD"), "USD").rule).toEqual(r.rule);
  });

  it("reports typing problems and checker problems at the condition's path", () => {
    const a = newCondition("historicalClv");
    a.op = "between";
    a.value = "10";
    a.value2 = "abc";
    const b = newCondition("pAlive");
    b.op = "gt";
    b.value = "150";
    expect(draftToRule(newGroup("and", [a]), "USD").issues).toEqual([{ path: "root.conditions[0].value[1]", message: "enter an amount in USD with at most 2 decimals" }]);
    expect(draftToRule(newGroup("and", [newGroup("or", [b])]), "USD").issues).toEqual([{ path: "root.conditions[0].conditions[0].value", message: "must be a number from 0 to 1" }]);
  });
});

describe("ruleSummary", () => {
  it("says the rule in words with money, percentages and campaign names", async () => {
    const { ruleSummary } = await import("./rule-draft");
    const s = ruleSummary(
      { version: 1, root: { op: "and", conditions: [
        { field: "predictedClv", op: "gte", value: "25000" },
        { op: "or", conditions: [{ field: "pAlive", op: "lt", value: 0.35 }, { field: "campaign", op: "in", value: ["6f9619ff-8b86-d011-b42d-00c04fc964ff"] }, { field: "lastOrderDate", op: "beforeDays", value: 90 }] },
      ] } },
      "USD",
      new Map([["6f9619ff-8b86-d011-b42d-00c04fc964ff", "Spring sale"]]),
    );
    expect(s).toBe("Predicted 12-month CLV ≥ 250 USD and (P(alive) < 35% or Acquisition campaign is one of Spring sale or Last order date more than 90 days ago)");
  });
});
