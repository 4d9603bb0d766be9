/**
 * The campaign comparison as CSV (issue 6): the compared campaigns (or all, without a selection),
 * on the page's value basis and range. Formula-safe cells (toCsvRow); amounts as exact decimals of
 * the workspace currency. Viewers and above (aggregates only, no personal data).
 */
import { minorToDecimal, currencyDigits, toCsvRow, type TValueHorizon, type TValueMeasure } from "@valuelens/validators";
import { withWorkspace, type PrismaClient } from "@valuelens/db";
import { requireRole } from "../membership.ts";
import { DomainError } from "../domain-error.ts";
import { computeCampaignRoi, type CampaignRow } from "./campaign-roi.ts";

export const CAMPAIGN_EXPORT_COLUMNS = [
  "campaign", "external_id", "channel", "starts", "ends", "running", "currency", "acquired_from", "acquired_to",
  "spend", "new_customers", "low_confidence", "cac", "first_order_revenue", "revenue_to_date", "margin_to_date",
  "predicted_12m", "predicted_12m_low", "predicted_12m_high", "lifetime", "lifetime_low", "lifetime_high",
  "value_basis", "value_per_customer", "ltv_to_cac", "roi", "payback_months", "payback_from", "repeat_rate", "retention_90d",
] as const;

export async function* campaignsCsv(
  prisma: PrismaClient,
  userId: string,
  workspaceId: string,
  input: { measure: TValueMeasure; horizon: TValueHorizon; fromMonth?: string | undefined; toMonth?: string | undefined; campaignIds?: string[] | undefined },
): AsyncGenerator<string> {
  const { result } = await withWorkspace(
    prisma,
    workspaceId,
    async (tx) => {
      await requireRole(tx, workspaceId, userId, "VIEWER");
      return computeCampaignRoi(tx, workspaceId, { measure: input.measure, horizon: input.horizon, fromMonth: input.fromMonth, toMonth: input.toMonth });
    },
    { userId },
  );
  let rows: CampaignRow[] = result.campaigns;
  if (input.campaignIds && input.campaignIds.length > 0) {
    const byId = new Map(rows.map((r) => [r.key, r]));
    rows = input.campaignIds.map((id) => {
      const r = byId.get(id);
      if (!r) throw new DomainError("NOT_FOUND", "Campaign not found.");
      return r;
    });
  }
  const d = currencyDigits(result.currency);
  const money = (v: string | null) => minorToDecimal(v, d);
  const ratio = (v: number | null) => (v === null ? null : v.toFixed(4));
  yield toCsvRow(CAMPAIGN_EXPORT_COLUMNS);
  let chunk = "";
  for (const r of rows) {
    chunk += toCsvRow([
      r.label, r.externalId, r.channel, r.startsAt, r.endsAt, r.running, result.currency, result.fromMonth, result.toMonth,
      money(r.spendMinor), r.customers, r.lowConfidence, money(r.cacMinor), money(r.firstOrderRevenueMinor), money(r.historicalRevenueMinor), money(r.historicalMarginMinor),
      money(r.predicted12Minor), money(r.predicted12LowMinor), money(r.predicted12HighMinor), money(r.lifetimeMinor), money(r.lifetimeLowMinor), money(r.lifetimeHighMinor),
      `${result.basis.measure}/${result.basis.horizon}`, money(r.ltvMinor), ratio(r.ltvToCac), ratio(r.roi), r.paybackMonths, r.paybackSource, ratio(r.repeatRate), ratio(r.retention90),
    ]);
  }
  yield chunk;
}
