import { expect, test } from "@playwright/test";
import { signUp, uniqueEmail } from "../fixtures/helpers";

test("another workspace is unreachable by page and by direct API call", async ({ page, browser }) => {
  // User A and their workspace id.
  await signUp(page, { name: "Ada A", email: uniqueEmail("ada"), workspace: "Ada Apparel" });
  const slugA = new URL(page.url()).pathname.split("/")[2]!;
  const listA = await page.request.get(`/api/trpc/workspace.list`);
  const wsA = ((await listA.json()) as { result: { data: { json: { id: string; slug: string }[] } } }).result.data.json.find((w) => w.slug === slugA)!;

  // User B tries A's page and A's data.
  const ctxB = await browser.newContext();
  const pb = await ctxB.newPage();
  await signUp(pb, { name: "Bob B", email: uniqueEmail("bob"), workspace: "Bob Bikes" });
  await pb.goto(`/w/${slugA}/overview`);
  await expect(pb.getByRole("heading", { name: "Not found" })).toBeVisible();
  const input = encodeURIComponent(JSON.stringify({ json: { workspaceId: wsA.id } }));
  const res = await pb.request.get(`/api/trpc/overview.kpis?input=${input}`);
  expect(res.status()).toBe(404);
  expect(await res.text()).not.toContain("Ada Apparel");
  // Mutations from another origin are refused before they reach a procedure (CSRF).
  const csrf = await pb.request.post(`/api/trpc/workspace.updateSettings`, {
    headers: { origin: "https://evil.example", "content-type": "application/json" },
    data: { json: { workspaceId: wsA.id, name: "pwned", timezone: "UTC", marginRate: 0.1 } },
  });
  expect(csrf.status()).toBe(403);
  await ctxB.close();
});

test("health endpoint reports the database", async ({ request }) => {
  const res = await request.get("/api/health");
  expect(res.status()).toBe(200);
  expect(await res.json()).toMatchObject({ status: "ok", database: { ok: true } });
});

test("pages carry a per-request nonce CSP and the hardening headers", async ({ request }) => {
  const a = await request.get("/sign-in");
  const b = await request.get("/sign-in");
  const csp = a.headers()["content-security-policy"] ?? "";
  expect(csp).toMatch(/script-src 'self' 'nonce-[^']+' 'strict-dynamic'/);
  expect(csp).toContain("object-src 'none'");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).not.toBe(b.headers()["content-security-policy"]);
  expect(a.headers()["x-content-type-options"]).toBe("nosniff");
  expect(a.headers()["x-powered-by"]).toBeUndefined();
  const api = await request.get("/api/health");
  expect(api.headers()["cache-control"]).toContain("no-store");
});
