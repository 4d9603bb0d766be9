import { z } from "zod";
import { API_ERROR_CODES } from "./errors.ts";
import { MAX_RECORDS, RECORD_SCHEMAS, UPSERT_KEY, ZIngestOptions } from "./schemas.ts";
import { PAGE_DEFAULT, PAGE_MAX } from "./read.ts";

/**
 * The OpenAPI 3.1 description served at GET /api/v1/openapi.json. Record schemas are generated from
 * the same zod schemas the handler validates with (z.toJSONSchema, JSON Schema 2020-12 = OpenAPI 3.1),
 * so the document cannot drift from what the API accepts.
 */
const schema = (s: z.ZodType) => {
  const { $schema: _drop, ...rest } = z.toJSONSchema(s, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
  return rest;
};

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const MONEY = { type: "object", properties: { minor: { type: "string", pattern: "^-?\\d+$", description: "Integer minor units (e.g. cents) as a string: exact." }, currency: { type: "string" } }, required: ["minor", "currency"] };

const errorResponse = (description: string) => ({ description, content: { "application/json": { schema: ref("Error") } } });
const COMMON_ERRORS = {
  "401": errorResponse("Missing, malformed, unknown or revoked API key (code unauthorized)."),
  "403": errorResponse("The key lacks the scope this endpoint needs (code forbidden)."),
  "429": {
    ...errorResponse("Rate limit exceeded (code rate_limited); see Retry-After."),
    headers: { "Retry-After": { schema: { type: "integer" }, description: "Seconds to wait." } },
  },
  "500": errorResponse("Unexpected error (code internal_error); nothing was applied."),
};

const RATE_HEADERS = {
  "RateLimit-Limit": { schema: { type: "integer" }, description: "Requests allowed per window for this key." },
  "RateLimit-Remaining": { schema: { type: "integer" }, description: "Requests left in the current window." },
  "RateLimit-Reset": { schema: { type: "integer" }, description: "Seconds until the window resets." },
  "RateLimit-Policy": { schema: { type: "string" }, description: 'e.g. "600;w=60".' },
  "X-Request-Id": { schema: { type: "string" }, description: "Echoed in errors and logs; quote it in support requests." },
};

function upsertPath(kind: keyof typeof RECORD_SCHEMAS, resource: string, summary: string) {
  const recordRef = `${kind === "CAMPAIGN_SPEND" ? "CampaignSpend" : kind.charAt(0) + kind.slice(1).toLowerCase().replace(/s$/, "")}Record`;
  return {
    post: {
      operationId: `upsert_${resource.replace("-", "_")}`,
      summary,
      description: `Upserts up to ${MAX_RECORDS.toLocaleString("en-US")} records keyed by workspace + ${UPSERT_KEY[kind]}. Fields are validated exactly like the CSV import. Valid records are applied even when others are rejected; each rejection is listed in \`errors\` with its index, field and reason. A field present in a record (even null) is written; an absent field is left unchanged. Needs the \`write\` scope.`,
      tags: ["Ingestion"],
      parameters: [{ $ref: "#/components/parameters/IdempotencyKey" }],
      requestBody: {
        required: true,
        content: {
          "application/json": {
            schema: {
              type: "object",
              additionalProperties: false,
              required: ["records"],
              properties: { records: { type: "array", maxItems: MAX_RECORDS, items: ref(recordRef) }, options: ref("IngestOptions") },
            },
          },
        },
      },
      responses: {
        "200": { description: "Applied (possibly with per-record rejections). Replays carry Idempotent-Replayed: true.", headers: { ...RATE_HEADERS, "Idempotent-Replayed": { schema: { type: "string", enum: ["true"] } } }, content: { "application/json": { schema: ref("IngestResult") } } },
        "400": errorResponse("Body is not JSON (invalid_json) or not { records: [...] } (validation_failed), or a bad Idempotency-Key (invalid_idempotency_key)."),
        "413": errorResponse("Body larger than the limit (payload_too_large)."),
        "415": errorResponse("Content-Type is not application/json (unsupported_media_type)."),
        "422": errorResponse("Idempotency-Key reused with a different request (idempotency_key_reused)."),
        ...COMMON_ERRORS,
      },
    },
  };
}

export function openApiDocument(serverUrl: string) {
  return {
    openapi: "3.1.0",
    info: {
      title: "ValueLens ingestion API",
      version: "1.0.0",
      description:
        "Send customers, orders, campaigns and campaign spend in batches and read workspace metrics and customer scores. Authenticate with a workspace API key (Settings → API keys): `Authorization: Bearer vl_…`. Keys carry scopes `read` (GET) and/or `write` (POST). Every error has the shape `{ \"error\": { \"code\", \"message\", \"requestId\", \"details\"? } }`. Money is exchanged as integer minor units in strings.",
    },
    servers: [{ url: `${serverUrl}/api/v1` }],
    security: [{ apiKey: [] }],
    tags: [{ name: "Ingestion" }, { name: "Metrics" }],
    paths: {
      "/customers": {
        ...upsertPath("CUSTOMERS", "customers", "Upsert customers"),
        get: {
          operationId: "list_customers",
          summary: "List customers with their latest scores",
          description: `Keyset pages ordered by external_id. Pass \`nextCursor\` back as \`cursor\` until it is null. Needs the \`read\` scope.`,
          tags: ["Metrics"],
          parameters: [
            { name: "cursor", in: "query", schema: { type: "string" }, description: "nextCursor of the previous page." },
            { name: "limit", in: "query", schema: { type: "integer", minimum: 1, maximum: PAGE_MAX, default: PAGE_DEFAULT } },
          ],
          responses: {
            "200": {
              description: "A page of customers.",
              headers: RATE_HEADERS,
              content: { "application/json": { schema: { type: "object", required: ["data", "nextCursor"], properties: { data: { type: "array", items: ref("Customer") }, nextCursor: { type: ["string", "null"] } } } } },
            },
            "400": errorResponse("Bad limit or cursor (validation_failed)."),
            ...COMMON_ERRORS,
          },
        },
      },
      "/customers/{externalId}": {
        get: {
          operationId: "get_customer",
          summary: "One customer's summary and scores",
          tags: ["Metrics"],
          parameters: [{ name: "externalId", in: "path", required: true, schema: { type: "string" }, description: "URL-encode it." }],
          responses: {
            "200": { description: "The customer.", headers: RATE_HEADERS, content: { "application/json": { schema: { type: "object", required: ["data"], properties: { data: ref("Customer") } } } } },
            "404": errorResponse("No such customer in this workspace (not_found)."),
            ...COMMON_ERRORS,
          },
        },
      },
      "/orders": upsertPath("ORDERS", "orders", "Upsert orders"),
      "/campaigns": upsertPath("CAMPAIGNS", "campaigns", "Upsert campaigns"),
      "/campaign-spend": upsertPath("CAMPAIGN_SPEND", "campaign-spend", "Upsert daily campaign spend"),
      "/metrics": {
        get: {
          operationId: "get_metrics",
          summary: "Workspace KPIs and prediction totals",
          tags: ["Metrics"],
          responses: {
            "200": { description: "The workspace's headline metrics.", headers: RATE_HEADERS, content: { "application/json": { schema: { type: "object", required: ["data"], properties: { data: ref("Metrics") } } } } },
            ...COMMON_ERRORS,
          },
        },
      },
      "/segments": {
        get: {
          operationId: "list_segments",
          summary: "Saved rule segments",
          description: "The workspace's saved segments with their latest snapshot (customers, value). Needs the `read` scope.",
          tags: ["Metrics"],
          responses: {
            "200": { description: "The segments.", headers: RATE_HEADERS, content: { "application/json": { schema: { type: "object", required: ["data"], properties: { data: { type: "array", items: ref("Segment") } } } } } },
            ...COMMON_ERRORS,
          },
        },
      },
      "/segments/{segmentId}/members": {
        get: {
          operationId: "list_segment_members",
          summary: "Members of a saved segment",
          description: `The segment's rule evaluated now against the latest scores, in keyset pages (stable at any depth) for syncing audiences. Pass \`nextCursor\` back as \`cursor\` until it is null. Needs the \`read\` scope.`,
          tags: ["Metrics"],
          parameters: [
            { name: "segmentId", in: "path", required: true, schema: { type: "string", format: "uuid" } },
            { name: "cursor", in: "query", schema: { type: "string" } },
            { name: "limit", in: "query", schema: { type: "integer", minimum: 1, maximum: PAGE_MAX, default: PAGE_DEFAULT } },
          ],
          responses: {
            "200": {
              description: "A page of members.",
              headers: RATE_HEADERS,
              content: {
                "application/json": {
                  schema: {
                    type: "object",
                    required: ["segment", "data", "nextCursor"],
                    properties: {
                      segment: { type: "object", properties: { id: { type: "string" }, name: { type: "string" } } },
                      data: { type: "array", items: ref("SegmentMember") },
                      nextCursor: { type: ["string", "null"] },
                    },
                  },
                },
              },
            },
            "400": errorResponse("Bad limit or cursor (validation_failed)."),
            "404": errorResponse("No such segment in this workspace (not_found)."),
            ...COMMON_ERRORS,
          },
        },
      },
    },
    components: {
      securitySchemes: { apiKey: { type: "http", scheme: "bearer", bearerFormat: "vl_<prefix>_<secret>", description: "A workspace API key, created by an admin in Settings → API keys." } },
      parameters: {
        IdempotencyKey: {
          name: "Idempotency-Key",
          in: "header",
          required: false,
          schema: { type: "string", minLength: 1, maxLength: 255 },
          description:
            "Makes a retry safe: the first request with a key is applied and its response stored for 24 h; a retry with the same key and byte-identical body returns the stored response (Idempotent-Replayed: true) without applying anything; the same key with a different body is refused with 422. Concurrent requests with one key are applied once.",
        },
      },
      schemas: {
        CustomerRecord: schema(RECORD_SCHEMAS.CUSTOMERS),
        OrderRecord: schema(RECORD_SCHEMAS.ORDERS),
        CampaignRecord: schema(RECORD_SCHEMAS.CAMPAIGNS),
        CampaignSpendRecord: schema(RECORD_SCHEMAS.CAMPAIGN_SPEND),
        IngestOptions: schema(ZIngestOptions),
        IngestResult: {
          type: "object",
          required: ["received", "created", "updated", "unchanged", "rejected", "customersCreated", "errors", "requestId"],
          description: "created + updated + unchanged + rejected = received, always.",
          properties: {
            received: { type: "integer" },
            created: { type: "integer" },
            updated: { type: "integer" },
            unchanged: { type: "integer", description: "Records identical to what is stored." },
            rejected: { type: "integer" },
            customersCreated: { type: "integer", description: "Customers created from order records (options.unknownCustomers = create); not part of the record counts." },
            errors: { type: "array", items: ref("ErrorDetail") },
            requestId: { type: "string" },
          },
        },
        ErrorDetail: {
          type: "object",
          required: ["field", "reason"],
          properties: {
            index: { type: "integer", description: "Position of the record in `records` (0-based)." },
            field: { type: ["string", "null"], description: "The field at fault; null when the whole record is." },
            reason: { type: "string" },
          },
        },
        Error: {
          type: "object",
          required: ["error"],
          properties: {
            error: {
              type: "object",
              required: ["code", "message", "requestId"],
              properties: {
                code: { type: "string", enum: Object.keys(API_ERROR_CODES) },
                message: { type: "string" },
                requestId: { type: "string" },
                details: { type: "array", items: ref("ErrorDetail") },
              },
            },
          },
        },
        Money: MONEY,
        Customer: {
          type: "object",
          properties: {
            externalId: { type: "string" },
            email: { type: ["string", "null"] },
            name: { type: ["string", "null"] },
            acquisitionChannel: { type: ["string", "null"] },
            campaignExternalId: { type: ["string", "null"] },
            signedUpAt: { type: ["string", "null"], format: "date-time" },
            attributes: { type: "object" },
            orders: { type: "integer" },
            purchaseDays: { type: "integer" },
            firstOrderAt: { type: ["string", "null"], format: "date-time" },
            lastOrderAt: { type: ["string", "null"], format: "date-time" },
            revenue: ref("Money"),
            scores: {
              type: ["object", "null"],
              description: "From the latest recompute; null until the customer has been scored.",
              properties: {
                historicalClv: ref("Money"),
                predictedClv: { oneOf: [ref("Money"), { type: "null" }] },
                predictedClvLow: { oneOf: [ref("Money"), { type: "null" }] },
                predictedClvHigh: { oneOf: [ref("Money"), { type: "null" }] },
                pAlive: { type: ["number", "null"] },
                expectedPurchases: { type: "object", properties: { d30: { type: ["number", "null"] }, d90: { type: ["number", "null"] }, d365: { type: ["number", "null"] } } },
                churnRisk: { type: ["string", "null"], enum: ["low", "medium", "high", null] },
                rfm: { type: "object", properties: { r: { type: "integer" }, f: { type: "integer" }, m: { type: "integer" }, segment: { type: "string" } } },
                valueTier: { type: "string" },
                scoredAt: { type: "string", format: "date-time" },
              },
            },
          },
        },
        Segment: {
          type: "object",
          properties: {
            id: { type: "string", format: "uuid" },
            name: { type: "string" },
            description: { type: "string" },
            createdAt: { type: "string", format: "date-time" },
            updatedAt: { type: "string", format: "date-time" },
            latest: {
              type: ["object", "null"],
              properties: {
                takenAt: { type: "string", format: "date-time" },
                customers: { type: "integer" },
                predictedClvSum: ref("Money"),
                historicalClvSum: ref("Money"),
                pAliveAverage: { type: ["number", "null"] },
              },
            },
          },
        },
        SegmentMember: {
          type: "object",
          properties: {
            externalId: { type: "string" },
            name: { type: ["string", "null"] },
            email: { type: ["string", "null"] },
            acquisitionChannel: { type: ["string", "null"] },
            orders: { type: "integer" },
            lastOrderAt: { type: ["string", "null"], format: "date-time" },
            predictedClv: { oneOf: [ref("Money"), { type: "null" }] },
            historicalClv: { oneOf: [ref("Money"), { type: "null" }] },
            pAlive: { type: ["number", "null"] },
            rfmSegment: { type: ["string", "null"] },
            valueTier: { type: ["string", "null"] },
          },
        },
        Metrics: {
          type: "object",
          properties: {
            currency: { type: "string" },
            timezone: { type: "string" },
            customers: { type: "integer" },
            customersWithOrders: { type: "integer" },
            orders: { type: "integer" },
            revenue: ref("Money"),
            averageOrderValue: { oneOf: [ref("Money"), { type: "null" }] },
            repeatPurchaseRate: { type: ["number", "null"] },
            averageHistoricalClv: { oneOf: [ref("Money"), { type: "null" }] },
            dataUpdatedAt: { type: ["string", "null"], format: "date-time" },
            predictions: { type: "object", description: "Totals of the latest recompute (available=false until the first one)." },
            stale: { type: "boolean", description: "Data changed since the last recompute; a recompute is queued." },
            staleSince: { type: ["string", "null"], format: "date-time" },
          },
        },
      },
    },
  };
}
