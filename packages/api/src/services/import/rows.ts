import { z } from "zod";
import type { TImportKind, TImportOptions } from "@valuelens/validators";
import { parseDate } from "./dates.ts";
import { isKnownCurrency, parseMoney } from "./money.ts";

/** A validated row, ready to write. Money in minor units, dates as instants. */
export type ValidRow =
  | {
      kind: "CUSTOMERS";
      externalId: string;
      email: string | null;
      name: string | null;
      signedUpAt: Date | null;
      acquisitionChannel: string | null;
      campaignExternalId: string | null;
      attributes: Record<string, string>;
    }
  | {
      kind: "ORDERS";
      externalId: string;
      customerExternalId: string | null;
      customerEmail: string | null;
      orderedAt: Date;
      amountMinor: bigint;
      currency: string;
      costMinor: bigint | null;
      refunded: boolean;
    }
  | { kind: "CAMPAIGNS"; externalId: string; name: string; channel: string; startsAt: Date | null; endsAt: Date | null }
  | { kind: "CAMPAIGN_SPEND"; campaignExternalId: string; day: string; amountMinor: bigint; currency: string };

export interface RowError {
  column: string | null;
  reason: string;
}

export type RowResult = { ok: true; row: ValidRow; key: string } | { ok: false; error: RowError };

const ZText = (max: number) => z.string().max(max, `longer than ${max} characters`);
const ZId = z.string().min(1, "is empty").max(255, "longer than 255 characters");
const ZEmailOpt = z.email("is not an email address").max(320).nullable();

const schemas = {
  CUSTOMERS: z.object({
    external_id: ZId,
    email: ZEmailOpt,
    name: ZText(500).nullable(),
    acquisition_channel: ZText(100).nullable(),
    campaign_external_id: ZText(255).nullable(),
  }),
  ORDERS: z.object({
    external_id: ZId,
    customer_external_id: ZText(255).nullable(),
    customer_email: ZEmailOpt,
    currency: z.string().regex(/^[A-Z]{3}$/, "is not a 3-letter ISO currency code").refine(isKnownCurrency, "is not a known currency"),
  }),
  CAMPAIGNS: z.object({ external_id: ZId, name: ZText(500).min(1, "is empty"), channel: ZText(100).min(1, "is empty") }),
  CAMPAIGN_SPEND: z.object({
    campaign_external_id: ZId,
    currency: z.string().regex(/^[A-Z]{3}$/, "is not a 3-letter ISO currency code").refine(isKnownCurrency, "is not a known currency"),
  }),
};

const REFUND_TRUE = new Set(["true", "yes", "y", "1", "refunded", "t"]);
const REFUND_FALSE = new Set(["", "false", "no", "n", "0", "f", "paid", "succeeded", "pending", "authorized", "partially_refunded", "partially refunded", "complete", "completed"]);

/** Validates one record under a mapping. `headers` name the columns for error messages. */
export class RowValidator {
  private readonly idx = new Map<string, number>();
  private readonly attrCols: number[] = [];
  private readonly now: Date;

  constructor(
    private readonly kind: TImportKind,
    private readonly headers: readonly string[],
    mapping: readonly string[],
    private readonly opts: TImportOptions,
    now = new Date(),
  ) {
    mapping.forEach((t, i) => {
      if (t === "attribute") this.attrCols.push(i);
      else if (t !== "ignore") this.idx.set(t, i);
    });
    this.now = now;
  }

  /** Which target fields this mapping fills (for partial updates). */
  mapped(field: string): boolean {
    return this.idx.has(field);
  }

  private col(field: string): string {
    const i = this.idx.get(field);
    return i === undefined ? field : (this.headers[i] ?? field);
  }

  private get(fields: readonly string[], field: string): string | null {
    const i = this.idx.get(field);
    if (i === undefined) return null;
    const v = (fields[i] ?? "").trim();
    return v === "" ? null : v;
  }

  private date(fields: readonly string[], field: string, required: boolean): { ok: true; v: Date | null } | { ok: false; error: RowError } {
    const s = this.get(fields, field);
    if (s === null) return required ? { ok: false, error: { column: this.col(field), reason: "is empty" } } : { ok: true, v: null };
    const r = parseDate(s, { format: this.opts.dateFormat, timeZone: this.opts.timeZone, now: this.now });
    return r.ok ? { ok: true, v: r.date } : { ok: false, error: { column: this.col(field), reason: r.reason } };
  }

  private money(fields: readonly string[], field: string, currency: string, required: boolean): { ok: true; v: bigint | null } | { ok: false; error: RowError } {
    const s = this.get(fields, field);
    if (s === null) return required ? { ok: false, error: { column: this.col(field), reason: "amount is empty" } } : { ok: true, v: null };
    const r = parseMoney(s, currency);
    return r.ok ? { ok: true, v: r.minor } : { ok: false, error: { column: this.col(field), reason: r.reason } };
  }

  private zod<T extends z.ZodType>(schema: T, value: unknown): { ok: true; v: z.infer<T> } | { ok: false; error: RowError } {
    const r = schema.safeParse(value);
    if (r.success) return { ok: true, v: r.data };
    const issue = r.error.issues[0]!;
    const field = String(issue.path[0] ?? "");
    return { ok: false, error: { column: this.col(field), reason: `${FIELD_NAME[field] ?? field} ${issue.message}` } };
  }

  validate(fields: readonly string[], line = 0): RowResult {
    switch (this.kind) {
      case "CUSTOMERS": {
        const z1 = this.zod(schemas.CUSTOMERS, {
          external_id: this.get(fields, "external_id") ?? "",
          email: this.get(fields, "email")?.toLowerCase() ?? null,
          name: this.get(fields, "name"),
          acquisition_channel: this.get(fields, "acquisition_channel"),
          campaign_external_id: this.get(fields, "campaign_external_id"),
        });
        if (!z1.ok) return z1;
        const su = this.date(fields, "signed_up_at", false);
        if (!su.ok) return su;
        const attributes: Record<string, string> = {};
        for (const i of this.attrCols) {
          const v = fields[i];
          const h = this.headers[i];
          if (v !== undefined && v !== "" && h !== undefined && h !== "") attributes[h] = v;
        }
        const v = z1.v;
        return {
          ok: true,
          key: v.external_id,
          row: {
            kind: "CUSTOMERS",
            externalId: v.external_id,
            email: v.email,
            name: v.name,
            signedUpAt: su.v,
            acquisitionChannel: v.acquisition_channel,
            campaignExternalId: v.campaign_external_id,
            attributes,
          },
        };
      }
      case "ORDERS": {
        const derived = this.opts.deriveOrderIds && !this.idx.has("external_id");
        const z1 = this.zod(schemas.ORDERS, {
          external_id: derived ? `${this.get(fields, "customer_external_id") ?? this.get(fields, "customer_email") ?? ""}-${this.get(fields, "ordered_at") ?? ""}-L${line}` : (this.get(fields, "external_id") ?? ""),
          customer_external_id: this.get(fields, "customer_external_id"),
          customer_email: this.get(fields, "customer_email")?.toLowerCase() ?? null,
          currency: (this.get(fields, "currency") ?? this.opts.defaultCurrency).toUpperCase(),
        });
        if (!z1.ok) return z1;
        const v = z1.v;
        if (!v.customer_external_id && !v.customer_email) {
          return { ok: false, error: { column: this.col(this.idx.has("customer_external_id") ? "customer_external_id" : "customer_email"), reason: "no customer id or email" } };
        }
        const at = this.date(fields, "ordered_at", true);
        if (!at.ok) return at;
        const amount = this.money(fields, "amount", v.currency, true);
        if (!amount.ok) return amount;
        const cost = this.money(fields, "cost", v.currency, false);
        if (!cost.ok) return cost;
        const refunded = this.refunded(fields);
        if (!refunded.ok) return refunded;
        return {
          ok: true,
          key: v.external_id,
          row: {
            kind: "ORDERS",
            externalId: v.external_id,
            customerExternalId: v.customer_external_id,
            customerEmail: v.customer_email,
            orderedAt: at.v!,
            amountMinor: amount.v!,
            currency: v.currency,
            costMinor: cost.v,
            refunded: refunded.v,
          },
        };
      }
      case "CAMPAIGNS": {
        const z1 = this.zod(schemas.CAMPAIGNS, { external_id: this.get(fields, "external_id") ?? "", name: this.get(fields, "name") ?? "", channel: this.get(fields, "channel") ?? "" });
        if (!z1.ok) return z1;
        const s = this.date(fields, "starts_at", false);
        if (!s.ok) return s;
        const e = this.date(fields, "ends_at", false);
        if (!e.ok) return e;
        const v = z1.v;
        return { ok: true, key: v.external_id, row: { kind: "CAMPAIGNS", externalId: v.external_id, name: v.name, channel: v.channel, startsAt: s.v, endsAt: e.v } };
      }
      case "CAMPAIGN_SPEND": {
        const z1 = this.zod(schemas.CAMPAIGN_SPEND, {
          campaign_external_id: this.get(fields, "campaign_external_id") ?? "",
          currency: (this.get(fields, "currency") ?? this.opts.defaultCurrency).toUpperCase(),
        });
        if (!z1.ok) return z1;
        const d = this.date(fields, "day", true);
        if (!d.ok) return d;
        const amount = this.money(fields, "amount", z1.v.currency, true);
        if (!amount.ok) return amount;
        // The spend day is the calendar day in the chosen time zone.
        const day = new Intl.DateTimeFormat("en-CA", { timeZone: this.opts.timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(d.v!);
        return {
          ok: true,
          key: `${z1.v.campaign_external_id}\u0000${day}\u0000${z1.v.currency}`,
          row: { kind: "CAMPAIGN_SPEND", campaignExternalId: z1.v.campaign_external_id, day, amountMinor: amount.v!, currency: z1.v.currency },
        };
      }
    }
  }

  /**
   * refunded: a boolean, a status word (Shopify "Financial Status": refunded / paid …), or an amount
   * refunded (Stripe "Amount Refunded": > 0 means refunded).
   */
  private refunded(fields: readonly string[]): { ok: true; v: boolean } | { ok: false; error: RowError } {
    const s = (this.get(fields, "refunded") ?? "").toLowerCase();
    if (REFUND_TRUE.has(s)) return { ok: true, v: true };
    if (REFUND_FALSE.has(s)) return { ok: true, v: false };
    if (/^\d+(\.\d+)?$/.test(s)) return { ok: true, v: /[1-9]/.test(s) };
    return { ok: false, error: { column: this.col("refunded"), reason: `refunded must be true/false, a status or an amount, not "${s}"` } };
  }
}

const FIELD_NAME: Record<string, string> = {
  external_id: "external id",
  email: "email",
  customer_email: "customer email",
  customer_external_id: "customer id",
  campaign_external_id: "campaign id",
  currency: "currency",
  name: "name",
  channel: "channel",
  acquisition_channel: "channel",
};
