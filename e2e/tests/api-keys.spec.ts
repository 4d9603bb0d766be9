import { expect, test } from "@playwright/test";
import { DEMO, expectAccessible, shot, signIn } from "../fixtures/helpers";

/**
 * Ingestion API end to end (issue 4): an admin creates a key in Settings and sees it once, a client
 * uses it over real HTTP (Playwright's request context, no browser session) to POST orders and GET
 * metrics and a customer, the key's last use shows up, the admin revokes it and the next call is 401.
 */
test("an admin creates an API key, uses it over HTTP, and revokes it", async ({ page, request }) => {
  test.setTimeout(180_000); // several page loads, axe passes and HTTP calls on a shared 2-core machine
  await signIn(page, DEMO.email, DEMO.password);
  await page.getByRole("link", { name: "Settings" }).click();
  await expect(page.getByRole("heading", { name: "API keys" })).toBeVisible();
  await expectAccessible(page);

  const name = `E2E sync ${Date.now()}`;
  await page.getByLabel("Key name").fill(name);
  await expect(page.getByLabel(/^read/)).toBeChecked();
  await expect(page.getByLabel(/^write/)).toBeChecked();
  await page.getByRole("button", { name: "Create API key" }).click();
  await expect(page.getByText("Copy it now: you will not see it again.")).toBeVisible();
  const key = await page.getByLabel("New API key").inputValue();
  expect(key).toMatch(/^vl_[a-z0-9]{8}_[0-9A-Za-z]{43}$/);
  await page.getByRole("button", { name: "Copy" }).click();
  await expect(page.getByText(/Copied to the clipboard|the key is selected/)).toBeVisible();
  await expectAccessible(page);
  await page.screenshot({ path: shot("api-keys-created"), fullPage: true });

  const auth = { authorization: `Bearer ${key}` };
  const before = await request.get("/api/v1/metrics", { headers: auth });
  expect(before.status()).toBe(200);
  expect(before.headers()["ratelimit-limit"]).toBeTruthy();
  const ordersBefore = ((await before.json()) as { data: { orders: number } }).data.orders;

  const tag = Date.now().toString(36);
  const customer = `e2e buyer ${tag}`; // a space: exercises URL encoding of the path parameter
  const body = {
    records: [
      { external_id: `e2e-${tag}-1`, customer_external_id: customer, customer_email: `buyer-${tag}@example.com`, ordered_at: "2025-06-01T10:00:00Z", amount: "49.90", currency: "USD" },
      { external_id: `e2e-${tag}-2`, customer_external_id: customer, ordered_at: "2025-07-15", amount: 12.5 },
      { external_id: `e2e-${tag}-3`, customer_external_id: customer, ordered_at: "2025-07-16", amount: "-3" },
    ],
  };
  const headers = { ...auth, "idempotency-key": `e2e-${tag}` };
  const post = await request.post("/api/v1/orders", { headers, data: body });
  expect(post.status()).toBe(200);
  const result = (await post.json()) as Record<string, unknown>;
  expect(result).toMatchObject({ received: 3, created: 2, updated: 0, unchanged: 0, rejected: 1, customersCreated: 1 });
  expect(result.errors).toEqual([{ index: 2, field: "amount", reason: expect.stringMatching(/negative/) as unknown }]);

  // A retry with the same Idempotency-Key is answered from the ledger, not applied again.
  const retry = await request.post("/api/v1/orders", { headers, data: body });
  expect(retry.status()).toBe(200);
  expect(retry.headers()["idempotent-replayed"]).toBe("true");
  expect(await retry.json()).toEqual(result);
  const reused = await request.post("/api/v1/orders", { headers, data: { records: body.records.slice(0, 1) } });
  expect(reused.status()).toBe(422);
  expect(((await reused.json()) as { error: { code: string } }).error.code).toBe("idempotency_key_reused");

  const after = await request.get("/api/v1/metrics", { headers: auth });
  const metrics = ((await after.json()) as { data: { orders: number; stale: boolean } }).data;
  expect(metrics.orders).toBe(ordersBefore + 2);
  expect(metrics.stale).toBe(true);
  const one = await request.get(`/api/v1/customers/${encodeURIComponent(customer)}`, { headers: auth });
  expect(one.status()).toBe(200);
  expect(((await one.json()) as { data: { externalId: string; orders: number; revenue: { minor: string } } }).data).toMatchObject({ externalId: customer, orders: 2, revenue: { minor: "6240" } });
  const doc = await request.get("/api/v1/openapi.json");
  expect(((await doc.json()) as { openapi: string }).openapi).toBe("3.1.0");

  // The list shows the key's prefix and last use, never the key again.
  await page.getByRole("button", { name: "I have stored it" }).click();
  await page.reload();
  const row = page.getByRole("row").filter({ hasText: name });
  await expect(row).toContainText(key.slice(0, 12));
  await expect(row).toContainText("read, write");
  await expect(row.getByRole("cell").nth(4)).not.toHaveText("Never");
  await expect(page.getByLabel("New API key")).toHaveCount(0);
  expect(await page.content()).not.toContain(key.slice(13));
  await expectAccessible(page);
  await page.screenshot({ path: shot("api-keys-list"), fullPage: true });

  page.once("dialog", (d) => void d.accept());
  await row.getByRole("button", { name: `Revoke ${name}` }).click();
  await expect(row).toContainText("Revoked");
  const denied = await request.get("/api/v1/metrics", { headers: auth });
  expect(denied.status()).toBe(401);
  expect(((await denied.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: "unauthorized", message: "This API key has been revoked." });
});

test("a viewer sees no way to create API keys", async ({ page, request }) => {
  await signIn(page, DEMO.viewer, DEMO.password);
  await expect(page.getByRole("link", { name: "Settings" })).toHaveCount(0);
  await page.goto(page.url().replace("/overview", "/settings"));
  await expect(page.getByRole("heading", { name: "You do not have access to this page" })).toBeVisible();
  await expect(page.getByRole("button", { name: "Create API key" })).toHaveCount(0);
  await expectAccessible(page);
  // And the API itself refuses calls without a key, in its error shape.
  const anon = await request.get("/api/v1/metrics");
  expect(anon.status()).toBe(401);
  expect(((await anon.json()) as { error: { code: string } }).error.code).toBe("unauthorized");
});
