import { expect, test } from "@playwright/test";
import { DEMO, expectAccessible, shot, signIn } from "../fixtures/helpers";

/**
 * Retention journey (issue 7): the demo owner opens Retention, reads the cohort heat-map (incomplete
 * last period marked), switches grain and split, the metric and the churn window, exports the CSV.
 */
test("demo owner reads cohorts, retention curves and cohort LTV", async ({ page }) => {
  test.setTimeout(120_000);
  await signIn(page, DEMO.email, DEMO.password);
  await page.getByRole("link", { name: "Retention", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Retention", level: 1 })).toBeVisible();

  const heat = page.getByRole("region", { name: "Cohort heat-map" });
  await expect(heat.getByRole("table")).toBeVisible();
  await expect(heat.getByText("(incomplete period)").first()).toBeAttached();
  const monthRows = await heat.locator("tbody tr").count();
  expect(monthRows).toBeGreaterThan(12);
  await expect(page.getByRole("img", { name: /Share of each selected cohort still active/ })).toBeVisible();
  await expect(page.getByRole("img", { name: /Cumulative revenue per acquired customer/ })).toBeVisible();

  // Week grain: more rows, labelled by week.
  await page.getByLabel("Cohort grain").selectOption("week");
  await expect(heat.locator("tbody tr th").first()).toHaveText(/^Wk of [A-Z][a-z]{2} \d+, \d{4}$/);
  expect(await heat.locator("tbody tr").count()).toBeGreaterThan(monthRows);

  // Quarter grain: fewer rows.
  await page.getByLabel("Cohort grain").selectOption("quarter");
  await expect(heat.locator("tbody tr th").first()).toHaveText(/^Q\d \d{4}$/);
  expect(await heat.locator("tbody tr").count()).toBeLessThan(monthRows);

  // Split by channel, then pick one channel.
  await page.getByLabel("Split by").selectOption("channel");
  const channel = page.getByLabel("Channel", { exact: true });
  await expect(channel).toBeVisible();
  const options = await channel.locator("option").allTextContents();
  expect(options.length).toBeGreaterThan(1);
  await channel.selectOption({ label: options[1]! });
  await expect(heat.getByRole("table")).toBeVisible();

  // Revenue metric and a different churn window.
  await page.getByLabel("Heat-map shows").selectOption("revenue");
  await expect(heat.locator("tbody td").nth(1)).toHaveText(/\$/);
  await page.getByLabel("Churned after a gap of").selectOption("2");
  await expect(page.getByText(/buying at least once in every 2-month window/)).toBeVisible();

  // CSV export.
  const download = page.waitForEvent("download");
  await page.getByRole("button", { name: "Download CSV" }).click();
  expect((await download).suggestedFilename()).toBe("cohorts-quarter-channel.csv");

  await page.getByLabel("Cohort grain").selectOption("month");
  await page.getByLabel("Heat-map shows").selectOption("active");
  await expect(heat.locator("tbody tr th").first()).toHaveText(/^[A-Z][a-z]{2} \d{4}$/);
  await expectAccessible(page);
  await page.screenshot({ path: shot("retention"), fullPage: true });
});
