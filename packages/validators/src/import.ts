import { z } from "zod";
import { ZUuid } from "./workspace.ts";

export const IMPORT_KINDS = ["CUSTOMERS", "ORDERS", "CAMPAIGNS", "CAMPAIGN_SPEND"] as const;
export const ZImportKind = z.enum(IMPORT_KINDS);
export type TImportKind = z.infer<typeof ZImportKind>;

/** Target fields per kind; "attribute" (customers only) keeps the column in the attributes JSON; "ignore" drops it. */
export const IMPORT_FIELDS = {
  CUSTOMERS: ["external_id", "email", "name", "signed_up_at", "acquisition_channel", "campaign_external_id"],
  ORDERS: ["external_id", "customer_external_id", "customer_email", "ordered_at", "amount", "currency", "cost", "refunded"],
  CAMPAIGNS: ["external_id", "name", "channel", "starts_at", "ends_at"],
  CAMPAIGN_SPEND: ["campaign_external_id", "day", "amount", "currency"],
} as const satisfies Record<TImportKind, readonly string[]>;

export const IMPORT_REQUIRED: Record<TImportKind, readonly string[]> = {
  CUSTOMERS: ["external_id"],
  ORDERS: ["external_id", "ordered_at", "amount"],
  CAMPAIGNS: ["external_id", "name", "channel"],
  CAMPAIGN_SPEND: ["campaign_external_id", "day", "amount"],
};

export const FIELD_LABELS: Record<string, string> = {
  external_id: "External id",
  email: "Email",
  name: "Name",
  signed_up_at: "Signed up at",
  acquisition_channel: "Acquisition channel",
  campaign_external_id: "Campaign external id",
  customer_external_id: "Customer external id",
  customer_email: "Customer email",
  ordered_at: "Ordered at",
  amount: "Amount",
  currency: "Currency",
  cost: "Cost",
  refunded: "Refunded",
  channel: "Channel",
  starts_at: "Starts at",
  ends_at: "Ends at",
  day: "Day",
  attribute: "Keep as attribute",
  ignore: "Ignore",
};

export const ZImportTarget = z.string().regex(/^[a-z_]{1,40}$/);
/** Column mapping: one target per source column (by position), "ignore" to drop it. */
export const ZColumnMapping = z.array(ZImportTarget).max(500);

export const ZImportOptions = z.strictObject({
  delimiter: z.enum([",", ";", "\t", "|", "whitespace"]).optional(),
  dateFormat: z.enum(["auto", "MDY", "DMY"]).default("auto"),
  timeZone: z.string().min(1).max(64).default("UTC"),
  defaultCurrency: z.string().regex(/^[A-Z]{3}$/).default("USD"),
  unknownCustomers: z.enum(["create", "reject"]).default("create"),
  /** Orders without an id column (e.g. CDNOW): id = customer id + date text + line number (stable for an unchanged file). */
  deriveOrderIds: z.boolean().default(false),
});
export type TImportOptions = z.infer<typeof ZImportOptions>;

export const ZImportJobInput = z.strictObject({ workspaceId: ZUuid, jobId: ZUuid });
export const ZImportListInput = z.strictObject({ workspaceId: ZUuid, limit: z.number().int().min(1).max(100).default(20) });
export const ZImportMappingInput = z.strictObject({ workspaceId: ZUuid, kind: ZImportKind });
export const ZImportRejectionsInput = z.strictObject({
  workspaceId: ZUuid,
  jobId: ZUuid,
  limit: z.number().int().min(1).max(500).default(100),
});
/** The form fields sent with an upload (multipart-free: as query parameters next to the raw body). */
export const ZImportUploadParams = z.strictObject({
  workspaceId: ZUuid,
  kind: ZImportKind,
  fileName: z.string().min(1).max(255),
  mapping: ZColumnMapping.optional(),
  options: ZImportOptions,
});
export type TImportUploadParams = z.infer<typeof ZImportUploadParams>;
