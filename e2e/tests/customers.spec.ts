import { expect, test } from "@playwright/test";
import { DEMO, expectAccessible, shot, signIn } from "../fixtures/helpers";

/**
 * Predictions journey (issue 9): the demo owner opens Customers, filters and sorts the table, opens a
 * profile, then reads the Model card. The demo workspace is scored by the worker right after the seed.
 */
test("demo owner explores customers and the model card", async ({ page }) => {
  test.setTimeout(180_000);
  await signIn(page, DEMO.email, DEMO.password);
  await page.getByRole("link", { name: "Customers", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Customers", level: 1 })).toBeVisible();

  // The worker scores the demo shortly after start-up; wait for the table (reloading while it runs).
  await expect(async () => {
    await page.reload();
    await expect(page.getByRole("table")).toBeVisible({ timeout: 5_000 });
  }).toPass({ timeout: 150_000 });
  await expect(page.getByText(/Predictions as of/)).toBeVisible();

  // Filter: high-value customers.
  await page.getByLabel("Value tier").selectOption("high");
  await page.getByRole("button", { name: "Apply filters" }).click();
  const rows = page.getByRole("table").locator("tbody tr");
  const settled = () => expect(page.getByTestId("customers-table")).toHaveAttribute("aria-busy", "false");
  await settled();
  await expect(rows.first()).toBeVisible();
  for (const tier of await rows.locator("td:nth-child(3)").allTextContents()) expect(tier.toLowerCase()).toBe("high");

  // Sort: by P(alive), lowest first (customers most at risk).
  await page.getByLabel("Sort by").selectOption("pAlive");
  await page.getByLabel("Direction").selectOption("asc");
  await expect(page.getByRole("table").locator("caption")).toContainText("P(alive), lowest first");
  await settled();
  const pAlive = (await rows.locator("td:nth-child(6)").allTextContents()).map((t) => Number(t.replace("%", "")));
  expect(pAlive.length).toBeGreaterThan(0);
  for (let i = 1; i < pAlive.length; i++) expect(pAlive[i]!).toBeGreaterThanOrEqual(pAlive[i - 1]!);

  // Pagination.
  await page.getByLabel("Value tier").selectOption("");
  await page.getByRole("button", { name: "Apply filters" }).click();
  await page.getByLabel("Sort by").selectOption("predictedClv");
  await page.getByLabel("Direction").selectOption("desc");
  await expect(page.getByText("Page 1")).toBeVisible();
  await settled();
  await page.getByRole("button", { name: "Next" }).click();
  await expect(page.getByText("Page 2")).toBeVisible();
  await page.getByRole("button", { name: "Previous" }).click();
  await expect(page.getByText("Page 1")).toBeVisible();
  await expectAccessible(page);
  await page.screenshot({ path: shot("customers"), fullPage: true });

  // Customers without orders (demo sign-ups whose first order falls after the data's end): their own view.
  await page.getByRole("button", { name: /^Without orders \(\d+\)/ }).click();
  await expect(page.getByRole("button", { name: /^Without orders/ })).toHaveAttribute("aria-pressed", "true");
  const leads = page.getByRole("table", { name: "Customers without orders, by date added" });
  await expect(leads.locator("tbody tr").first()).toBeVisible();
  await expect(page.getByLabel("Value tier")).toHaveCount(0);
  await expectAccessible(page);
  await page.screenshot({ path: shot("customers-without-orders"), fullPage: true });
  await page.getByRole("button", { name: "With orders" }).click();
  await expect(rows.first()).toBeVisible();

  // Profile.
  await rows.first().getByRole("link").click();
  await expect(page.locator("dt", { hasText: "Predicted 12-month CLV" })).toBeVisible();
  await expect(page.getByRole("heading", { name: "Purchase timeline" })).toBeVisible();
  await expect(page.getByRole("heading", { name: "P(alive) over time" })).toBeVisible();
  await expect(page.getByText(/80 % range/)).toBeVisible();
  await expectAccessible(page);
  await page.screenshot({ path: shot("customer-profile"), fullPage: true });

  // Model card.
  await page.getByRole("link", { name: "Model", exact: true }).click();
  await expect(page.getByRole("heading", { name: /purchase model \+ Gamma-Gamma/ })).toBeVisible();
  await expect(page.getByText(/A typical customer buys about every \d+ days/)).toBeVisible();
  await expect(page.getByText(/Verdict: (good|fair|poor)/)).toBeVisible();
  await expect(page.getByRole("heading", { name: "Model comparison on the same data" })).toBeVisible();
  await expect(page.getByRole("button", { name: "Recompute now" })).toBeVisible();
  await expectAccessible(page);
  await page.screenshot({ path: shot("model"), fullPage: true });

  // ADMIN: recompute now shows progress, then finishes.
  await page.getByRole("button", { name: "Recompute now" }).click();
  await expect(page.getByText(/Recompute queued|Recomputing|already queued/).first()).toBeVisible();
});

test("a viewer sees the model card without admin controls", async ({ page }) => {
  await signIn(page, DEMO.viewer, DEMO.password);
  await page.getByRole("link", { name: "Model", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Model", level: 1 })).toBeVisible();
  await expect(page.getByRole("button", { name: "Recompute now" })).toHaveCount(0);
});

test("the filtered customer list downloads as CSV", async ({ page }) => {
  await signIn(page, DEMO.email, DEMO.password);
  await page.getByRole("link", { name: "Customers", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Customers" })).toBeVisible();
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: /Export CSV/ }).click()]);
  expect(download.suggestedFilename()).toMatch(/^customers-\d{4}-\d{2}-\d{2}\.csv$/);
  const text = await (await download.createReadStream()).toArray().then((chunks) => Buffer.concat(chunks).toString("utf8"));
  const lines = text.replace(/^\uFEFF/, "").trimEnd().split("\r\n");
  expect(lines[0]).toMatch(/^external_id,email,name,/);
  expect(lines.length).toBeGreaterThan(100);
});
