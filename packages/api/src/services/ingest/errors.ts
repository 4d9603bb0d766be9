/**
 * The one error shape of the HTTP API (documented in openapi.json and the README):
 *   { "error": { "code": "validation_failed", "message": "…", "requestId": "…", "details": [{ "index": 3, "field": "amount", "reason": "…" }] } }
 * `details` is present when there is something per item to say; `code` is stable, `message` is for people.
 */
export const API_ERROR_CODES = {
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  payload_too_large: 413,
  unsupported_media_type: 415,
  invalid_json: 400,
  validation_failed: 400,
  invalid_idempotency_key: 400,
  idempotency_key_reused: 422,
  rate_limited: 429,
  internal_error: 500,
  service_unavailable: 503,
} as const;
export type ApiErrorCode = keyof typeof API_ERROR_CODES;

export interface ApiErrorDetail {
  index?: number;
  field: string | null;
  reason: string;
}

export class ApiError extends Error {
  constructor(
    public readonly code: ApiErrorCode,
    message: string,
    public readonly details?: ApiErrorDetail[],
    public readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "ApiError";
  }
  get status(): number {
    return API_ERROR_CODES[this.code];
  }
  body(requestId: string) {
    return { error: { code: this.code, message: this.message, requestId, ...(this.details ? { details: this.details } : {}) } };
  }
}
