import { z } from "zod";
import { IMPORT_FIELDS, type TImportKind } from "@valuelens/validators";

/**
 * JSON shapes of the ingestion API. They check only the *type* of each field (and unknown fields);
 * the values are then validated and normalised by the CSV import's RowValidator, so both paths
 * accept and reject exactly the same things (dates, money, currencies, emails, lengths…).
 */
export const MAX_RECORDS = 10_000;

const required = (what: string) => ({
  error: (iss: { input?: unknown }) => (iss.input === undefined ? "is required" : `must be ${what}`),
});
const ZId = z.union([z.string(), z.int()], required("a string (or an integer)")).describe("Your identifier; the upsert key within the workspace. Up to 255 characters. Send ids above 2^53 as strings.");
const ZIdRef = z.union([z.string(), z.int()], required("a string (or an integer)")).nullish();
const ZText = (d: string) => z.string(required("a string")).nullish().describe(d);
const ZDate = (d: string) => z.union([z.string(), z.int()], required("a date string or epoch number")).describe(d);
const DATE_DOC =
  "ISO 8601 (2024-03-01, 2024-03-01T14:05:00Z, with or without an offset; without one the time is read in options.timeZone), YYYYMMDD, epoch seconds or milliseconds. Not in the future.";
const ZAmount = (d: string) => z.union([z.string(), z.number()], required("a decimal string or number")).describe(d);
const AMOUNT_DOC =
  'Decimal amount in major units of the currency, e.g. "19.99" (a string keeps it exact; JSON numbers are read as written). Thousands separators and currency symbols are accepted like in CSV; negative amounts are rejected.';
const ZCurrency = z.string(required("a 3-letter ISO 4217 code")).nullish().describe("ISO 4217 code, e.g. EUR. Default: options.defaultCurrency (the workspace currency).");

export const ZCustomerRecord = z.strictObject({
  external_id: ZId,
  email: ZText("Email address (stored lower-case). null clears it."),
  name: ZText("Display name, up to 500 characters."),
  signed_up_at: ZDate(`When the customer signed up. ${DATE_DOC}`).nullish(),
  acquisition_channel: ZText("Acquisition channel, e.g. paid_search, up to 100 characters."),
  campaign_external_id: ZIdRef.describe("external_id of a campaign already sent to /campaigns."),
  attributes: z
    .record(z.string().min(1).max(100), z.union([z.string().max(2000), z.number(), z.boolean(), z.null()]), required("an object of string/number/boolean values"))
    .refine((o) => Object.keys(o).length <= 100, "has more than 100 keys")
    .optional()
    .describe("Free-form attributes, merged into the stored ones (null values are ignored)."),
});

export const ZOrderRecord = z.strictObject({
  external_id: ZId,
  customer_external_id: ZIdRef.describe("The customer's external_id. Either this or customer_email is required."),
  customer_email: ZText("The customer's email, used when customer_external_id is absent."),
  ordered_at: ZDate(`When the order was placed. ${DATE_DOC}`),
  amount: ZAmount(`Order total. ${AMOUNT_DOC}`),
  currency: ZCurrency,
  cost: ZAmount(`Cost of goods for margin, same currency. ${AMOUNT_DOC}`).nullish(),
  refunded: z
    .union([z.boolean(), z.string(), z.number()], required("a boolean, status word or refunded amount"))
    .nullish()
    .describe('true/false, a status ("refunded", "paid"…) or a refunded amount (> 0 means refunded). Default false.'),
});

export const ZCampaignRecord = z.strictObject({
  external_id: ZId,
  name: z.string(required("a string")).describe("Campaign name, up to 500 characters."),
  channel: z.string(required("a string")).describe("Channel, e.g. email, paid_social; up to 100 characters."),
  starts_at: ZDate(`Start. ${DATE_DOC}`).nullish(),
  ends_at: ZDate(`End. ${DATE_DOC}`).nullish(),
});

export const ZCampaignSpendRecord = z.strictObject({
  campaign_external_id: z.union([z.string(), z.int()], required("a string (or an integer)")).describe("external_id of a campaign already sent to /campaigns."),
  day: ZDate(`The spend day (the calendar day in options.timeZone). ${DATE_DOC}`),
  amount: ZAmount(`Spend that day. ${AMOUNT_DOC}`),
  currency: ZCurrency,
});

export const RECORD_SCHEMAS = {
  CUSTOMERS: ZCustomerRecord,
  ORDERS: ZOrderRecord,
  CAMPAIGNS: ZCampaignRecord,
  CAMPAIGN_SPEND: ZCampaignSpendRecord,
} as const satisfies Record<TImportKind, z.ZodType>;

/** Upsert key per kind (for docs): spend is keyed by campaign + day + currency. */
export const UPSERT_KEY: Record<TImportKind, string> = {
  CUSTOMERS: "external_id",
  ORDERS: "external_id",
  CAMPAIGNS: "external_id",
  CAMPAIGN_SPEND: "campaign_external_id + day + currency",
};

export const FIELDS: Record<TImportKind, readonly string[]> = IMPORT_FIELDS;

export const ZIngestOptions = z
  .strictObject({
    timeZone: z.string().min(1).max(64).optional().describe("IANA time zone for dates without an offset and for spend days. Default: the workspace time zone."),
    dateFormat: z.enum(["auto", "MDY", "DMY"]).default("auto").describe("How to read 03/04/2024-style dates; auto refuses ambiguous ones."),
    defaultCurrency: z.string().regex(/^[A-Z]{3}$/, "must be a 3-letter ISO code").optional().describe("Currency of records without one. Default: the workspace currency."),
    unknownCustomers: z.enum(["create", "reject"]).default("create").describe("Orders for a customer that does not exist: create it from the order (id or email), or reject the order."),
  })
  .describe("Per-request options; the same meaning as the CSV import options.");

export const ZIngestRequest = z.strictObject({
  records: z.array(z.unknown(), { error: "records must be an array" }).max(MAX_RECORDS, `at most ${MAX_RECORDS} records per request`),
  options: ZIngestOptions.optional(),
});
