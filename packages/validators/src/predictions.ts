import { z } from "zod";
import { ZUuid, ZWorkspaceInput } from "./workspace.ts";

export const PURCHASE_MODEL_NAMES = ["bgnbd", "pnbd", "mbgnbd"] as const;
export const ZPurchaseModel = z.enum(PURCHASE_MODEL_NAMES);
export type TPurchaseModel = z.infer<typeof ZPurchaseModel>;

export const CUSTOMER_SORTS = ["predictedClv", "historicalClv", "pAlive", "lastOrder"] as const;
export const ZCustomerSort = z.enum(CUSTOMER_SORTS);
export type TCustomerSort = z.infer<typeof ZCustomerSort>;

export const ZValueTier = z.enum(["high", "medium", "low"]);
export const ZChurnRisk = z.enum(["low", "medium", "high"]);

/** Integer minor units as a string (money never travels as a float). */
const ZMinor = z.string().regex(/^-?\d{1,18}$/, "Must be an amount in minor units");
const ZDay = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "Must be a date YYYY-MM-DD");

/** Opaque keyset cursor: the sort value of the last row (as text) and its id. */
export const ZCustomerCursor = z.strictObject({ v: z.string().max(40), id: ZUuid });

export const ZCustomerFilters = z.strictObject({
  tier: ZValueTier.optional(),
  segment: z.string().min(1).max(40).optional(),
  churnRisk: ZChurnRisk.optional(),
  /** RFM map cell: recency and frequency scores (1–5), from the Segments page. */
  rfmR: z.number().int().min(1).max(5).optional(),
  rfmF: z.number().int().min(1).max(5).optional(),
  channel: z.string().min(1).max(100).optional(),
  campaignId: ZUuid.optional(),
  /** Members of a saved rule segment (issue 5). */
  ruleSegmentId: ZUuid.optional(),
  firstOrderFrom: ZDay.optional(),
  firstOrderTo: ZDay.optional(),
  lastOrderFrom: ZDay.optional(),
  lastOrderTo: ZDay.optional(),
  minPredictedClv: ZMinor.optional(),
  maxPredictedClv: ZMinor.optional(),
  minHistoricalClv: ZMinor.optional(),
  maxHistoricalClv: ZMinor.optional(),
  /** Exact external id, e-mail prefix, or name prefix. */
  search: z.string().trim().min(1).max(200).optional(),
});
export type TCustomerFilters = z.infer<typeof ZCustomerFilters>;

/**
 * Which customers the list shows: "scored" (every customer with at least one order, with the latest
 * scores; sortable by value) or "withoutOrders" (imported customers who have not bought yet, newest
 * first; only the search, channel and campaign filters apply to them).
 */
export const CUSTOMER_VIEWS = ["scored", "withoutOrders"] as const;
export const ZCustomerView = z.enum(CUSTOMER_VIEWS);
export type TCustomerView = z.infer<typeof ZCustomerView>;

export const ZCustomerListInput = z.strictObject({
  workspaceId: ZUuid,
  view: ZCustomerView.default("scored"),
  sort: ZCustomerSort.default("predictedClv"),
  dir: z.enum(["asc", "desc"]).default("desc"),
  limit: z.number().int().min(1).max(100).default(25),
  cursor: ZCustomerCursor.nullish(),
  filters: ZCustomerFilters.default({}),
});
export type TCustomerListInput = z.input<typeof ZCustomerListInput>;

export const ZCustomerGetInput = z.strictObject({ workspaceId: ZUuid, customerId: ZUuid });

export const ZModelRunsInput = ZWorkspaceInput.extend({ limit: z.number().int().min(1).max(50).default(10) }).strict();
export const ZSetPurchaseModel = z.strictObject({ workspaceId: ZUuid, model: ZPurchaseModel });

/** The Customers page's export: the same sort and filters as the list, without paging. */
export const ZCustomerExportInput = ZCustomerListInput.omit({ limit: true, cursor: true });
