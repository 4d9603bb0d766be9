import { IMPORT_FIELDS, IMPORT_REQUIRED, type TImportKind } from "@valuelens/validators";

/** Lowercase, strip accents and everything but letters and digits: "Created at (UTC)" → "createdatutc". */
export function normaliseHeader(h: string): string {
  return h
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]/g, "");
}

/**
 * Known names per kind and target (normalised), including Shopify's and Stripe's standard export
 * columns. Shopify orders: Name (order number), Email, Created at, Total, Currency, Financial Status,
 * Id. Stripe payments: id, Customer, Customer Email, Created (UTC), Amount, Currency, Status,
 * Amount Refunded. Shopify customers: Customer ID, Email, First Name… Stripe customers: id, Email,
 * Name, Created (UTC).
 */
const ALIASES: Record<TImportKind, Record<string, string[]>> = {
  CUSTOMERS: {
    external_id: ["externalid", "customerid", "id", "customer", "customernumber", "clientid", "userid"],
    email: ["email", "emailaddress", "customeremail", "mail"],
    name: ["name", "fullname", "customername", "description"],
    signed_up_at: ["signedupat", "signupdate", "createdat", "createdutc", "created", "createddate", "registeredat", "joined"],
    acquisition_channel: ["acquisitionchannel", "channel", "source", "utmsource", "acquisitionsource"],
    campaign_external_id: ["campaignexternalid", "campaignid", "campaign", "utmcampaign"],
  },
  ORDERS: {
    external_id: ["externalid", "orderid", "id", "ordernumber", "name", "transactionid", "chargeid", "paymentid", "invoiceid"],
    customer_external_id: ["customerexternalid", "customerid", "customer", "clientid", "userid"],
    customer_email: ["customeremail", "email", "emailaddress", "buyeremail"],
    ordered_at: ["orderedat", "orderdate", "createdat", "createdutc", "created", "date", "paidat", "purchasedate", "processedat"],
    amount: ["amount", "total", "ordertotal", "totalprice", "revenue", "value", "grandtotal", "dollarvalue"],
    currency: ["currency", "currencycode"],
    cost: ["cost", "cogs", "totalcost", "costofgoods"],
    refunded: ["refunded", "amountrefunded", "refundedamount", "financialstatus", "status", "isrefunded"],
  },
  CAMPAIGNS: {
    external_id: ["externalid", "campaignid", "id", "campaignexternalid"],
    name: ["name", "campaignname", "campaign", "title"],
    channel: ["channel", "source", "medium", "platform"],
    starts_at: ["startsat", "startdate", "start", "startedat", "begins"],
    ends_at: ["endsat", "enddate", "end", "endedat"],
  },
  CAMPAIGN_SPEND: {
    campaign_external_id: ["campaignexternalid", "campaignid", "campaign", "id"],
    day: ["day", "date", "spenddate", "reportingdate", "reportingstarts"],
    amount: ["amount", "spend", "cost", "amountspent", "amountspentusd", "spent"],
    currency: ["currency", "currencycode"],
  },
};

/**
 * Proposes a target per column. Exact alias matches first (in alias order, so "Id" beats "Name" for
 * an order's external id when both exist), each target used at most once; unmatched columns become
 * "attribute" for customers and "ignore" otherwise.
 */
export function autoMap(kind: TImportKind, headers: readonly string[]): string[] {
  const norm = headers.map(normaliseHeader);
  const out: string[] = headers.map(() => (kind === "CUSTOMERS" ? "attribute" : "ignore"));
  const used = new Set<number>();
  for (const target of IMPORT_FIELDS[kind]) {
    const aliases = ALIASES[kind][target] ?? [];
    for (const a of aliases) {
      const idx = norm.findIndex((h, i) => h === a && !used.has(i));
      if (idx >= 0) {
        out[idx] = target;
        used.add(idx);
        break;
      }
    }
  }
  return out;
}

export type MappingCheck = { ok: true } | { ok: false; reason: string };

/** A mapping must name every required field once and only use known targets. */
export function checkMapping(kind: TImportKind, headers: readonly string[], mapping: readonly string[], opts: { deriveOrderIds?: boolean } = {}): MappingCheck {
  if (mapping.length !== headers.length) return { ok: false, reason: `the mapping has ${mapping.length} entries for ${headers.length} columns` };
  const allowed = new Set<string>([...IMPORT_FIELDS[kind], "ignore", ...(kind === "CUSTOMERS" ? ["attribute"] : [])]);
  const seen = new Set<string>();
  for (const [i, t] of mapping.entries()) {
    if (!allowed.has(t)) return { ok: false, reason: `column "${headers[i] ?? i}" maps to unknown field "${t}"` };
    if (t !== "ignore" && t !== "attribute") {
      if (seen.has(t)) return { ok: false, reason: `field "${t}" is mapped twice` };
      seen.add(t);
    }
  }
  const missing = IMPORT_REQUIRED[kind].filter((f) => !seen.has(f) && !(f === "external_id" && kind === "ORDERS" && opts.deriveOrderIds));
  if (kind === "ORDERS" && !seen.has("customer_external_id") && !seen.has("customer_email")) missing.push("customer_external_id or customer_email");
  if (missing.length > 0) return { ok: false, reason: `missing required column${missing.length > 1 ? "s" : ""}: ${missing.join(", ")}` };
  return { ok: true };
}
