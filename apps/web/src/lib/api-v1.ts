import { apiV1Route, type ApiRouteName } from "@valuelens/api/services";
import { clientIp } from "@valuelens/auth/next";

/** The handlers of one /api/v1 route file: everything happens in @valuelens/api (handleApiRequest). */
export function v1(routes: Partial<Record<"GET" | "POST" | "PUT" | "PATCH" | "DELETE", ApiRouteName>>) {
  return apiV1Route(routes, clientIp);
}
