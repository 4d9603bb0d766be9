import { describe, expect, test } from "vitest";
import { decimalToMinor, spreadEvenly, ZCampaignBasis, ZCampaignCompareInput, ZCampaignSpendSet } from "./campaigns.ts";

const ws = "7f1d7c9e-8a3b-4c6d-9e2f-0a1b2c3d4e5f";
const id = (n: number) => `7f1d7c9e-8a3b-4c6d-9e2f-0a1b2c3d4e5${n}`;

describe("campaign inputs", () => {
  test("decimalToMinor is exact and strict", () => {
    expect(decimalToMinor("1,234.5", 2)).toBe(123450);
    expect(decimalToMinor("0.07", 2)).toBe(7);
    expect(decimalToMinor("500", 0)).toBe(500); // JPY
    expect(decimalToMinor("1.005", 2)).toBeNull();
    expect(decimalToMinor("-3", 2)).toBeNull();
    expect(decimalToMinor("=1+1", 2)).toBeNull();
  });
  test("spreadEvenly sums exactly, differs by at most one cent", () => {
    expect(spreadEvenly(1000, 3)).toEqual([334, 333, 333]);
    expect(spreadEvenly(0, 2)).toEqual([0, 0]);
    expect(spreadEvenly(7, 7)).toEqual([1, 1, 1, 1, 1, 1, 1]);
    expect(() => spreadEvenly(5, 0)).toThrow(RangeError);
  });
  test("schemas reject unknown keys, reversed ranges and too many campaigns", () => {
    expect(ZCampaignBasis.safeParse({ workspaceId: ws, role: "OWNER" }).success).toBe(false);
    expect(ZCampaignBasis.safeParse({ workspaceId: ws, fromMonth: "2025-05", toMonth: "2025-01" }).success).toBe(false);
    expect(ZCampaignBasis.parse({ workspaceId: ws })).toMatchObject({ measure: "revenue", horizon: "lifetime" });
    expect(ZCampaignCompareInput.safeParse({ workspaceId: ws, campaignIds: [id(1)] }).success).toBe(false);
    expect(ZCampaignCompareInput.safeParse({ workspaceId: ws, campaignIds: [1, 2, 3, 4, 5, 6, 7].map(id) }).success).toBe(false);
    expect(ZCampaignCompareInput.safeParse({ workspaceId: ws, campaignIds: [id(1), id(1)] }).success).toBe(false);
    expect(ZCampaignSpendSet.safeParse({ workspaceId: ws, campaignId: id(1), from: "2025-02-30", to: "2025-03-01", amountMinor: 1 }).success).toBe(false);
    expect(ZCampaignSpendSet.safeParse({ workspaceId: ws, campaignId: id(1), from: "2025-03-02", to: "2025-03-01", amountMinor: 1 }).success).toBe(false);
    expect(ZCampaignSpendSet.safeParse({ workspaceId: ws, campaignId: id(1), from: "2024-01-01", to: "2025-03-01", amountMinor: 1 }).success).toBe(false);
    expect(ZCampaignSpendSet.safeParse({ workspaceId: ws, campaignId: id(1), from: "2025-03-01", to: "2025-03-31", amountMinor: 100000 }).success).toBe(true);
  });
});
