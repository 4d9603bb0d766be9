import { describe, expect, it } from "vitest";
import { autoMap, checkMapping } from "./mapping.ts";

describe("autoMap", () => {
  it("maps Shopify's order export", () => {
    const h = ["Name", "Email", "Financial Status", "Created at", "Total", "Currency", "Id"];
    expect(autoMap("ORDERS", h)).toEqual(["ignore", "customer_email", "refunded", "ordered_at", "amount", "currency", "external_id"]);
    expect(checkMapping("ORDERS", h, autoMap("ORDERS", h))).toEqual({ ok: true });
  });
  it("maps Stripe's payments export", () => {
    const h = ["id", "Created (UTC)", "Amount", "Amount Refunded", "Currency", "Status", "Customer", "Customer Email"];
    expect(autoMap("ORDERS", h)).toEqual(["external_id", "ordered_at", "amount", "refunded", "currency", "ignore", "customer_external_id", "customer_email"]);
  });
  it("maps generic customer columns and keeps the rest as attributes", () => {
    expect(autoMap("CUSTOMERS", ["customer_id", "Email Address", "Full Name", "signup_date", "plan"])).toEqual([
      "external_id",
      "email",
      "name",
      "signed_up_at",
      "attribute",
    ]);
  });
  it("explains missing and doubled fields", () => {
    expect(checkMapping("ORDERS", ["a", "b"], ["external_id", "amount"])).toMatchObject({ ok: false, reason: expect.stringMatching(/missing required columns: ordered_at/) });
    expect(checkMapping("CAMPAIGNS", ["a", "b"], ["name", "name"])).toMatchObject({ ok: false, reason: expect.stringMatching(/twice/) });
    expect(checkMapping("CAMPAIGNS", ["a"], ["bogus"])).toMatchObject({ ok: false, reason: expect.stringMatching(/unknown field/) });
  });
});
