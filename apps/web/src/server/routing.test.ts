import { describe, expect, it } from "vitest";
import config from "../../next.config";
import { compileHeaderRules, isDirectTrpcRequest, type HeaderRule } from "./routing";

describe("which requests the production server answers itself", () => {
  it("takes GET and POST of /api/trpc/<procedures>, with or without a query", () => {
    for (const url of ["/api/trpc/workspace.list", "/api/trpc/customers.list?batch=1&input=%7B%7D", "/api/trpc/customers.list,model.status?batch=1", "/api/trpc/a%2Fb"]) {
      expect(isDirectTrpcRequest({ method: "GET", url })).toBe(true);
      expect(isDirectTrpcRequest({ method: "POST", url })).toBe(true);
    }
  });

  it("leaves every other method and path to Next.js, as the route would see them", () => {
    for (const method of ["HEAD", "OPTIONS", "PUT", "DELETE", "PATCH"]) expect(isDirectTrpcRequest({ method, url: "/api/trpc/workspace.list" })).toBe(false);
    for (const url of ["/api/trpc", "/api/trpc/", "/api/trpc?x=1", "/api/trpc/a/b", "/api/trpc/a/", "//api/trpc/a", "/api/trpcx/a", "/API/trpc/a", "/api/auth/session", "/w/demo/customers", "http://evil/api/trpc/a"]) {
      expect(isDirectTrpcRequest({ method: "GET", url })).toBe(false);
    }
    expect(isDirectTrpcRequest({ method: "GET", url: undefined })).toBe(false);
  });
});

describe("next.config.ts headers for /api/trpc", () => {
  it("gives /api/trpc paths the security headers next.config.ts sets on every path", async () => {
    const headersFor = compileHeaderRules(((await config.headers?.()) ?? []) as HeaderRule[]);
    const got = Object.fromEntries(headersFor("/api/trpc/customers.list").map(([k, v]) => [k.toLowerCase(), v]));
    expect(got).toMatchObject({
      "x-content-type-options": "nosniff",
      "x-frame-options": "DENY",
      "referrer-policy": "strict-origin-when-cross-origin",
      "cross-origin-opener-policy": "same-origin",
    });
    expect(got["permissions-policy"]).toContain("camera=()");
  });

  it("applies only matching rules, a later rule's value winning, and refuses conditions it cannot evaluate", () => {
    const headersFor = compileHeaderRules([
      { source: "/:path*", headers: [{ key: "X-A", value: "1" }, { key: "X-B", value: "1" }] },
      { source: "/api/trpc/:proc", headers: [{ key: "x-b", value: "2" }] },
      { source: "/w/:slug", headers: [{ key: "X-C", value: "3" }] },
    ]);
    expect(headersFor("/api/trpc/a")).toEqual([["X-A", "1"], ["x-b", "2"]]);
    expect(headersFor("/w/demo")).toEqual([["X-A", "1"], ["X-B", "1"], ["X-C", "3"]]);
    expect(() => compileHeaderRules([{ source: "/:path*", headers: [], has: [{ type: "header", key: "x" }] }])).toThrow(/has\/missing/);
  });
});
