export { handleApiRequest, apiV1Route, API_ROUTES, type ApiRouteName, type ApiHandlerOptions } from "./handler.ts";
export { openApiDocument } from "./openapi.ts";
export { ApiError, API_ERROR_CODES, type ApiErrorCode } from "./errors.ts";
export { MAX_RECORDS } from "./schemas.ts";
