import { withWorkspace, type PrismaClient } from "@valuelens/db";
import { currencyDigits, minorToDecimal, toCsvRow, type TCustomerFilters, type TCustomerSort, type TCustomerView } from "@valuelens/validators";
import { requireRole } from "../membership.ts";
import { listCustomers } from "./list-customers.ts";

const PAGE = 2_000;

export const CUSTOMER_EXPORT_COLUMNS = [
  "external_id", "email", "name", "acquisition_channel", "campaign", "orders", "first_order_at", "last_order_at",
  "currency", "historical_clv", "predicted_clv_12m", "predicted_clv_12m_low", "predicted_clv_12m_high",
  "p_alive", "expected_purchases_90d", "churn_risk", "rfm_segment", "value_tier", "signed_up_at", "added_at",
] as const;

/**
 * The filtered customer list as CSV, streamed page by page along the same keyset as the Customers
 * page (one short tenant transaction per 2,000 rows: constant memory, no long-held snapshot). Every
 * cell goes through toCsvCell, so formula-like values are neutralised. Authorised before the first
 * byte: members and above (an export of personal data is more than looking at a page).
 */
export async function* customersCsv(
  prisma: PrismaClient,
  userId: string,
  workspaceId: string,
  input: { view?: TCustomerView; sort: TCustomerSort; dir: "asc" | "desc"; filters: TCustomerFilters },
): AsyncGenerator<string> {
  const currency = await withWorkspace(
    prisma,
    workspaceId,
    async (tx) => {
      await requireRole(tx, workspaceId, userId, "MEMBER");
      return (await tx.workspace.findUniqueOrThrow({ where: { id: workspaceId }, select: { currency: true } })).currency;
    },
    { userId },
  );
  const digits = currencyDigits(currency);
  yield toCsvRow(CUSTOMER_EXPORT_COLUMNS);
  let cursor: { v: string; id: string } | null = null;
  for (;;) {
    const page = await withWorkspace(prisma, workspaceId, (tx) => listCustomers(tx, workspaceId, { ...input, limit: PAGE, cursor }), { userId });
    let chunk = "";
    for (const r of page.rows) {
      chunk += toCsvRow([
        r.externalId, r.email, r.name, r.channel, r.campaign, r.orders,
        r.firstOrderAt?.toISOString() ?? null, r.lastOrderAt?.toISOString() ?? null, currency,
        minorToDecimal(r.historicalClvMinor, digits), minorToDecimal(r.predictedClvMinor, digits),
        minorToDecimal(r.predictedClvLowMinor, digits), minorToDecimal(r.predictedClvHighMinor, digits),
        r.pAlive === null ? null : r.pAlive.toFixed(4), r.expectedPurchases90 === null ? null : r.expectedPurchases90.toFixed(3),
        r.churnRisk, r.rfmSegment, r.valueTier, r.signedUpAt?.toISOString() ?? null, r.addedAt.toISOString(),
      ]);
    }
    if (chunk) yield chunk;
    if (!page.nextCursor) return;
    cursor = page.nextCursor;
  }
}
