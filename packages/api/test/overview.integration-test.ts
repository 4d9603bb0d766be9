import { describe, expect, it } from "vitest";
import { addCustomers, join, signUp } from "./harness.ts";

describe("overview procedures", () => {
  it("reports KPIs from the on-write totals, exact to the cent", async () => {
    const owner = await signUp("kpi");
    const empty = await owner.caller.overview.kpis({ workspaceId: owner.workspaceId });
    expect(empty).toMatchObject({ customers: 0, orders: 0, averageOrderValue: null, repeatPurchaseRate: null, averageHistoricalClv: null });
    expect(await owner.caller.overview.monthlyRevenue({ workspaceId: owner.workspaceId, months: 12 })).toEqual([]);

    await addCustomers(owner.workspaceId, "KPI", 3);
    // 3 customers × orders on days 0, 40, 95 with amounts 1000·(i+1)+j cents.
    const k = await owner.caller.overview.kpis({ workspaceId: owner.workspaceId });
    const revenue = [0, 1, 2].reduce((s, i) => s + [0, 1, 2].reduce((t, j) => t + 1000 * (i + 1) + j, 0), 0);
    expect(k).toMatchObject({
      customers: 3,
      customersWithOrders: 3,
      orders: 9,
      revenue: { minor: String(revenue), currency: "USD" },
      averageOrderValue: { minor: String(Math.round(revenue / 9)), currency: "USD" },
      repeatPurchaseRate: 1,
      averageHistoricalClv: { minor: String(Math.round(revenue / 3)), currency: "USD" },
    });
  });

  it("splits monthly revenue into new and returning customers and fills empty months", async () => {
    const owner = await signUp("monthly");
    await addCustomers(owner.workspaceId, "MON", 1);
    // One customer: orders on 2025-01-03 (1000), 2025-02-12 (1001), 2025-04-08 (1002) in the workspace zone (UTC default).
    const m = await owner.caller.overview.monthlyRevenue({ workspaceId: owner.workspaceId, months: 12 });
    expect(m).toEqual([
      { month: "2025-01-01", orders: 1, newCustomers: 1, newCustomerRevenueMinor: "1000", returningCustomerRevenueMinor: "0" },
      { month: "2025-02-01", orders: 1, newCustomers: 0, newCustomerRevenueMinor: "0", returningCustomerRevenueMinor: "1001" },
      { month: "2025-03-01", orders: 0, newCustomers: 0, newCustomerRevenueMinor: "0", returningCustomerRevenueMinor: "0" },
      { month: "2025-04-01", orders: 1, newCustomers: 0, newCustomerRevenueMinor: "0", returningCustomerRevenueMinor: "1002" },
    ]);
  });

  it("lets a viewer read the overview but not change settings", async () => {
    const owner = await signUp("roles");
    const viewer = await join(owner, owner.workspaceId, "roles-viewer", "VIEWER");
    await expect(viewer.caller.overview.kpis({ workspaceId: owner.workspaceId })).resolves.toMatchObject({ customers: 0 });
    await expect(viewer.caller.workspace.updateSettings({ workspaceId: owner.workspaceId, name: "Hacked", timezone: "UTC", marginRate: 0.1 })).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
  });

  it("keeps at least one owner and lets only owners grant ownership", async () => {
    const owner = await signUp("owners");
    const admin = await join(owner, owner.workspaceId, "owners-admin", "ADMIN");
    await expect(owner.caller.workspace.changeRole({ workspaceId: owner.workspaceId, userId: owner.user.id, role: "ADMIN" })).rejects.toMatchObject({ code: "PRECONDITION_FAILED" });
    await expect(admin.caller.workspace.changeRole({ workspaceId: owner.workspaceId, userId: admin.user.id, role: "OWNER" })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(admin.caller.workspace.removeMember({ workspaceId: owner.workspaceId, userId: owner.user.id })).rejects.toMatchObject({ code: "FORBIDDEN" });
  });
});
