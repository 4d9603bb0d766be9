import { expect, test, type Page } from "@playwright/test";
import { DEMO, expectAccessible, shot, signIn, signUp, uniqueEmail } from "../fixtures/helpers";

/**
 * Segments — RFM and value tiers (issue 5): the demo owner reads the RFM map, opens a cell (mouse and
 * keyboard) and a segment on the Customers page, checks the tier thresholds form; a viewer sees the
 * same figures but cannot change the thresholds.
 */

async function openSegments(page: Page): Promise<void> {
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Segments", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Segments", level: 1 })).toBeVisible();
  // The first recompute of the freshly seeded demo may still be running: wait for the map.
  await expect(page.getByTestId("rfm-map")).toBeVisible({ timeout: 90_000 });
}

test("demo owner reads the RFM map, segments and tiers, and opens a cell and a segment as filtered customers", async ({ page }) => {
  test.setTimeout(180_000);
  await signIn(page, DEMO.email, DEMO.password);
  await openSegments(page);
  await expect(page.getByRole("link", { name: "RFM & value tiers" })).toHaveAttribute("aria-current", "page");

  const map = page.getByTestId("rfm-map");
  await expect(map.getByRole("columnheader", { name: /Frequency 5/ })).toBeVisible();
  await expect(map.getByRole("rowheader", { name: /Recency 5/ })).toBeVisible();
  await expect(map.locator("tbody tr")).toHaveCount(5);
  await expect(map.locator("tbody td")).toHaveCount(25);
  const cells = map.getByRole("link");
  expect(await cells.count()).toBeGreaterThan(10);
  await expect(page.getByTestId("segments-runs")).toContainText("Figures from the recompute of");

  // Colour by another measure: the legend follows.
  await page.getByLabel("Colour by").selectOption("customers");
  await expect(page.locator("#rfm-legend")).toContainText("Customers: 0");

  const segments = page.getByTestId("rfm-segments");
  await expect(segments.getByRole("rowheader", { name: /Champions/ })).toBeVisible();
  await expect(segments.getByRole("columnheader", { name: "Change since previous recompute" })).toBeVisible();
  const tiers = page.getByTestId("tiers-table");
  await expect(tiers.getByRole("rowheader", { name: /High/ })).toBeVisible();
  await expect(tiers).toContainText("≥ 80th percentile (top 20 %)");

  // The owner may edit the thresholds; an impossible pair is refused with a clear message, the default is already in use.
  await expect(page.getByRole("button", { name: "Save thresholds" })).toBeVisible();
  await page.getByLabel("Medium tier: at or above percentile").fill("90");
  await page.getByRole("button", { name: "Save thresholds" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "must not be above the high tier" })).toBeVisible();
  await page.getByLabel("Medium tier: at or above percentile").fill("50");
  await page.getByRole("button", { name: "Save thresholds" }).click();
  await expect(page.getByText("These thresholds are already in use.")).toBeVisible();

  await expectAccessible(page);
  await page.screenshot({ path: shot("segments-rfm"), fullPage: true });

  // Click a cell: the Customers page opens filtered to it.
  const cell = map.locator('[data-testid^="rfm-cell-"]').first();
  const id = (await cell.getAttribute("data-testid"))!;
  const [, r, f] = /rfm-cell-(\d)-(\d)/.exec(id)!;
  await cell.click();
  await page.waitForURL(new RegExp(`/customers\\?rfmR=${r}&rfmF=${f}$`));
  await expect(page.getByTestId("rfm-cell-filter")).toContainText(`recency ${r} × frequency ${f}`);
  await expect(page.getByTestId("customers-table").locator("tbody tr").first()).toBeVisible();
  await expectAccessible(page);

  // Keyboard: focus another cell and press Enter.
  await page.goBack();
  await expect(page.getByTestId("rfm-map")).toBeVisible();
  const other = page.getByTestId("rfm-map").locator('[data-testid^="rfm-cell-"]').last();
  const id2 = (await other.getAttribute("data-testid"))!;
  const [, r2, f2] = /rfm-cell-(\d)-(\d)/.exec(id2)!;
  await other.focus();
  await page.keyboard.press("Enter");
  await page.waitForURL(new RegExp(`/customers\\?rfmR=${r2}&rfmF=${f2}$`));
  await expect(page.getByTestId("rfm-cell-filter")).toContainText(`recency ${r2} × frequency ${f2}`);
  // Removing the cell filter lists everyone again.
  await page.getByRole("button", { name: "Remove RFM cell filter" }).click();
  await expect(page.getByTestId("rfm-cell-filter")).toHaveCount(0);

  // A named segment opens the Customers page filtered by segment (the filter form shows it).
  await page.goto(page.url().replace(/\/customers.*$/, "/segments"));
  await page.getByTestId("rfm-segments").getByRole("link", { name: /Champions/ }).click();
  await page.waitForURL(/\/customers\?segment=Champions$/);
  await expect(page.getByLabel("RFM segment")).toHaveValue("Champions");
  const seg = page.getByTestId("customers-table").locator("tbody tr td:nth-child(2)");
  await expect(seg.first()).toHaveText("Champions");
  expect(new Set(await seg.allTextContents())).toEqual(new Set(["Champions"]));
});

test("a viewer sees segments and tiers but cannot change the thresholds", async ({ page }) => {
  test.setTimeout(120_000);
  await signIn(page, DEMO.viewer, DEMO.password);
  await openSegments(page);
  await expect(page.getByTestId("tiers-table")).toBeVisible();
  await expect(page.getByTestId("tier-settings-readonly")).toContainText("Only admins and owners can change the thresholds.");
  await expect(page.getByRole("button", { name: "Save thresholds" })).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Reset to default" })).toHaveCount(0);
  await expectAccessible(page);
  await page.screenshot({ path: shot("segments-rfm-viewer"), fullPage: true });
});

test("a new workspace without data gets an empty state pointing to Import", async ({ page }) => {
  await signUp(page, { name: "Sam Segments", email: uniqueEmail("segments-empty"), workspace: "Empty segments" });
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Segments", exact: true }).click();
  await expect(page.getByText("No segments yet")).toBeVisible();
  await page.getByRole("link", { name: "Import customers and orders" }).click();
  await page.waitForURL(/\/import$/);
  await page.goBack();
  await expect(page.getByText("No segments yet")).toBeVisible();
  await expectAccessible(page);
  await page.screenshot({ path: shot("segments-rfm-empty"), fullPage: true });
});
