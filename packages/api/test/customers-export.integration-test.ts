/**
 * The Customers CSV export: streams every filtered row (same keyset as the page), exact money,
 * formula-like values neutralised, members and above only, nothing from another workspace.
 */
import { getDb, withWorkspace } from "@valuelens/db";
import { describe, expect, it } from "vitest";
import { recomputeWorkspace } from "../src/services/recompute/index.ts";
import { minorToDecimal } from "@valuelens/validators";
import { customersCsv } from "../src/services/predictions/index.ts";
import { addCustomers, join, signUp } from "./harness.ts";

async function collect(gen: AsyncGenerator<string>): Promise<string> {
  let out = "";
  for await (const chunk of gen) out += chunk;
  return out;
}

describe("customers CSV export", () => {
  it("streams all filtered customers with exact money and neutralised formulas", async () => {
    const owner = await signUp("export-owner", "Export Co");
    await addCustomers(owner.workspaceId, "EXP", 5);
    await withWorkspace(getDb().prisma, owner.workspaceId, (tx) =>
      tx.customer.updateMany({ where: { externalId: "EXP-c0" }, data: { name: '=HYPERLINK("http://evil.example","x")' } }),
    );
    await recomputeWorkspace(getDb().prisma, owner.workspaceId);
    const csv = await collect(customersCsv(getDb().prisma, owner.user.id, owner.workspaceId, { sort: "historicalClv", dir: "desc", filters: {} }));
    const lines = csv.trimEnd().split("\r\n");
    expect(lines[0]).toBe(
      "external_id,email,name,acquisition_channel,campaign,orders,first_order_at,last_order_at,currency,historical_clv,predicted_clv_12m,predicted_clv_12m_low,predicted_clv_12m_high,p_alive,expected_purchases_90d,churn_risk,rfm_segment,value_tier,signed_up_at,added_at",
    );
    expect(lines).toHaveLength(6);
    // Highest historical CLV first: customer 4 bought 5000 + 5001 + 5002 cents.
    expect(lines[1]).toMatch(/^EXP-c4,exp-4@example\.com,EXP 4,,,3,.*,USD,150\.03,/);
    const evil = lines.find((l) => l.startsWith("EXP-c0,"))!;
    expect(evil).toContain(`"'=HYPERLINK(""http://evil.example"",""x"")"`);

    const filtered = await collect(customersCsv(getDb().prisma, owner.user.id, owner.workspaceId, { sort: "historicalClv", dir: "desc", filters: { search: "EXP-c2" } }));
    expect(filtered.trimEnd().split("\r\n")).toHaveLength(2);

    // The "without orders" view exports the customers who have not bought yet (and only them).
    await withWorkspace(getDb().prisma, owner.workspaceId, (tx) =>
      tx.customer.create({ data: { workspaceId: owner.workspaceId, externalId: "LEAD-1", email: "lead@example.com", name: "+lead" } }),
    );
    const leads = (await collect(customersCsv(getDb().prisma, owner.user.id, owner.workspaceId, { view: "withoutOrders", sort: "historicalClv", dir: "desc", filters: {} })))
      .trimEnd()
      .split("\r\n");
    expect(leads).toHaveLength(2);
    expect(leads[1]).toMatch(/^LEAD-1,lead@example\.com,'\+lead,,,0,,,USD,0\.00,,,,,,,,,,\d{4}-/);
  });

  it("is for members and above, and never another workspace", async () => {
    const owner = await signUp("export-roles", "Roles Co");
    const viewer = await join(owner, owner.workspaceId, "export-viewer", "VIEWER");
    const member = await join(owner, owner.workspaceId, "export-member", "MEMBER");
    const other = await signUp("export-other", "Other Co");
    const run = (userId: string, ws: string) => collect(customersCsv(getDb().prisma, userId, ws, { sort: "historicalClv", dir: "desc", filters: {} }));
    await expect(run(viewer.user.id, owner.workspaceId)).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(run(other.user.id, owner.workspaceId)).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(run(member.user.id, owner.workspaceId)).resolves.toMatch(/^external_id,/);
  });

  it("formats minor units exactly", () => {
    expect(minorToDecimal("-12345", 2)).toBe("-123.45");
    expect(minorToDecimal("5", 2)).toBe("0.05");
    expect(minorToDecimal("500", 0)).toBe("500");
    expect(minorToDecimal("123456789012345678", 3)).toBe("123456789012345.678");
    expect(minorToDecimal(null, 2)).toBe("");
  });
});
