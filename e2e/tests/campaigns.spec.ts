import { expect, test, type Page } from "@playwright/test";
import { DEMO, expectAccessible, shot, signIn, signUp, uniqueEmail } from "../fixtures/helpers";

/**
 * Campaign ROI journey (issue 6): the demo owner compares three campaigns (bars of CAC vs value,
 * payback curves vs CAC, sortable table), switches the value basis, exports CSV and PNG, asks for a
 * budget hint; a viewer sees everything but no editing; a new workspace starts from the empty state
 * and creates a campaign with spend.
 */

async function openCampaigns(page: Page): Promise<void> {
  await page.getByRole("link", { name: "Campaigns", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Campaigns", level: 1 })).toBeVisible();
  // The campaign rollups are written by the first recompute after the demo is seeded (the worker runs it at start).
  await expect(async () => {
    await page.reload();
    await expect(page.getByText(/Customer figures as of the last model recompute/)).toBeVisible({ timeout: 15_000 });
  }).toPass({ timeout: 150_000, intervals: [2_000] });
}

test("demo owner compares three campaigns, switches the basis, exports, and gets a budget hint", async ({ page }) => {
  test.setTimeout(240_000);
  await signIn(page, DEMO.email, DEMO.password);
  await openCampaigns(page);
  await expect(page.getByText(/Attribution is first touch/)).toBeVisible();

  const byCampaign = page.getByRole("region", { name: /^Campaigns, / });
  await expect(byCampaign.getByRole("row")).not.toHaveCount(1);
  await expect(byCampaign.getByRole("rowheader", { name: /Referral Programme/ })).toBeVisible();
  const byChannel = page.getByRole("region", { name: /^Channels, / });
  await expect(byChannel.getByRole("rowheader", { name: "referral" })).toBeVisible();

  // Rank 1 by LTV:CAC (the default sort) among channels is the loyal channel.
  await expect(byChannel.locator("tbody tr").first().getByRole("rowheader")).toHaveText("referral");

  // Compare three campaigns.
  for (const name of [/Referral Programme/, /Google Ads/, /Meta Prospecting/]) {
    await byCampaign.getByRole("checkbox", { name: new RegExp(`Compare .*${name.source}`) }).check();
  }
  await expect(page.getByText("3 selected")).toBeVisible();
  await expect(page.getByRole("img", { name: /Bar chart of acquisition cost/ })).toBeVisible();
  await expect(page.getByRole("img", { name: /cumulative margin per acquired customer/ })).toBeVisible();
  const compared = page.getByRole("region", { name: "Compared campaigns" });
  await expect(compared.locator("tbody tr")).toHaveCount(3);
  // Sorting by CAC (ascending) puts the cheapest first; clicking again reverses.
  await compared.getByRole("button", { name: /^CAC/ }).click();
  await expect(compared.getByRole("columnheader", { name: /^CAC/ })).toHaveAttribute("aria-sort", "ascending");
  const cheapest = (await compared.locator("tbody tr").first().getByRole("rowheader").textContent()) ?? "";
  await compared.getByRole("button", { name: /^CAC/ }).click();
  await expect(compared.getByRole("columnheader", { name: /^CAC/ })).toHaveAttribute("aria-sort", "descending");
  await expect(compared.locator("tbody tr").last().getByRole("rowheader")).toHaveText(cheapest);

  // PNG and CSV exports.
  const png = page.waitForEvent("download");
  await page.getByRole("button", { name: "Download PNG of the payback curves" }).click();
  expect((await png).suggestedFilename()).toBe("campaigns-payback-curves.png");
  const csv = page.waitForEvent("download");
  await page.getByRole("link", { name: /Download CSV \(3 compared\)/ }).click();
  const file = await csv;
  expect(file.suggestedFilename()).toMatch(/^campaigns-\d{4}-\d{2}-\d{2}\.csv$/);

  await page.screenshot({ path: shot("campaigns-compare"), fullPage: true });

  // Revenue, historical: everything recomputes.
  await page.getByLabel("Value", { exact: true }).selectOption("revenue");
  await page.getByLabel("Horizon").selectOption("historical");
  await expect(page.getByRole("img", { name: /cumulative revenue per acquired customer/ })).toBeVisible();
  await expect(byCampaign.getByRole("columnheader", { name: /Revenue to date \/ customer/ })).toBeVisible();
  await expect(byCampaign.getByRole("columnheader", { name: /Payback \(revenue\)/ })).toBeVisible();

  // Budget hint.
  // Starts at today's average monthly spend: the suggestion moves money, it does not just hit caps.
  await expect(page.getByLabel(/Total budget for next month/)).toHaveValue(/^\d+\.\d{2}$/);
  await page.getByRole("button", { name: "Suggest a split" }).click();
  await expect(page.getByText(/Expected acquired value of the suggestion/)).toBeVisible();
  await expect(page.getByRole("listitem").filter({ hasText: /^referral: / })).toBeVisible();
  await expect(page.getByRole("listitem").filter({ hasText: /^organic: left out/ })).toBeVisible();

  await page.getByRole("region", { name: "Budget hint for next month" }).screenshot({ path: shot("campaigns-budget") });
  await expectAccessible(page);
  await page.screenshot({ path: shot("campaigns"), fullPage: true });
});

test("a viewer sees campaign ROI but cannot edit", async ({ page }) => {
  test.setTimeout(180_000);
  await signIn(page, DEMO.viewer, DEMO.password);
  await openCampaigns(page);
  await expect(page.getByRole("region", { name: /^Campaigns, / }).getByRole("rowheader", { name: /Referral Programme/ })).toBeVisible();
  await expect(page.getByRole("button", { name: "New campaign" })).toHaveCount(0);
  await expect(page.getByRole("button", { name: /^Edit/ })).toHaveCount(0);
  await expect(page.getByRole("columnheader", { name: "Actions" })).toHaveCount(0);
  await expectAccessible(page);
});

test("a new workspace starts empty and creates a campaign with spend", async ({ page }) => {
  test.setTimeout(120_000);
  await signUp(page, { name: "Cam Paign", email: uniqueEmail("cam"), workspace: "Campaign Co" });
  await page.getByRole("link", { name: "Campaigns", exact: true }).click();
  await expect(page.getByText("No campaigns yet")).toBeVisible();
  await expect(page.getByRole("link", { name: "Import page" })).toBeVisible();
  await expectAccessible(page);
  await page.screenshot({ path: shot("campaigns-empty"), fullPage: true });

  await page.getByRole("button", { name: "New campaign" }).click();
  await page.getByLabel("Name", { exact: true }).fill("Spring newsletter");
  await page.getByLabel("Channel", { exact: true }).fill("email");
  await page.getByLabel("Start date").fill("2026-03-01");
  await page.getByRole("button", { name: "Create campaign" }).click();
  const table = page.getByRole("region", { name: /^Campaigns, / });
  await expect(table.getByRole("rowheader", { name: /Spring newsletter/ })).toBeVisible();

  await page.getByLabel("From", { exact: true }).fill("2026-03-01");
  await page.getByLabel("To (same day for one day)").fill("2026-03-10");
  await page.getByLabel(/Total spend/).fill("1000");
  await page.getByRole("button", { name: "Save spend" }).click();
  await expect(page.getByText("Saved $1,000.00 over 10 days.")).toBeVisible();
  await expect(page.getByText(/Spend recorded: \$1,000\.00 over 10 days \(2026-03-01 → 2026-03-10\)/)).toBeVisible();
  await expectAccessible(page);
});
