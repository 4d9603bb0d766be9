import { expect, test } from "@playwright/test";
import { DEMO, expectAccessible, shot, signIn } from "../fixtures/helpers";

test("an admin creates a weekly report, sends a test and reads it in the outbox", async ({ page }) => {
  await signIn(page, DEMO.email, DEMO.password);
  await page.getByRole("link", { name: "Reports" }).click();
  await expect(page.getByRole("heading", { name: "Weekly reports" })).toBeVisible();
  await expectAccessible(page);
  const name = `Monday digest ${Date.now()}`;
  await page.getByRole("button", { name: "New schedule" }).click();
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("Recipients").fill("team@example.com, Boss@Example.com");
  await page.getByLabel("Day", { exact: true }).selectOption({ label: "Monday" });
  await page.getByLabel("Local time").fill("09:00");
  await page.getByLabel("Time zone").fill("Europe/Paris");
  // Every section is on by default; the admin leaves out the campaign leaderboard.
  const sections = page.getByRole("group", { name: "Sections" });
  await expect(sections.getByRole("checkbox", { checked: true })).toHaveCount(6);
  await sections.getByLabel("Campaign leaderboard").uncheck();
  await page.getByRole("button", { name: "Save schedule" }).click();
  const row = page.getByRole("region", { name: "Schedules" }).getByRole("listitem").filter({ hasText: name });
  await expect(row).toContainText("Monday at 09:00 (Europe/Paris) · 2 recipients · next:");
  await row.getByRole("button", { name: /^Preview/ }).click();
  await expect(page.getByText(/^Next send .*: Northwind Roasters \(demo\): your week in customers/)).toBeVisible();
  const preview = page.frameLocator("iframe[title^='Preview:']");
  await expect(preview.getByRole("heading", { name: "Headline numbers" })).toBeVisible();
  await expect(preview.getByRole("heading", { name: "Segment movement" })).toBeVisible();
  await expect(preview.getByRole("heading", { name: "Campaign leaderboard" })).toHaveCount(0);
  // Charts rendered on the server, shown inline with alt text.
  await expect(preview.getByRole("img", { name: /^Bar chart of revenue per week/ })).toBeVisible();
  await page.getByRole("button", { name: "Close preview" }).click();
  // The admin is a member too: their own subscription switch for the new schedule starts off.
  await expect(page.getByRole("region", { name: "My subscriptions" }).getByRole("switch", { name: `Not subscribed to ${name}` })).not.toBeChecked();
  await row.getByRole("button", { name: /Send a test now/ }).click();
  await expect(page.getByText("Test report: 0 sent by email, 2 written to the outbox")).toBeVisible();
  const log = page.getByRole("table");
  await expect(log).toContainText("boss@example.com");
  await expect(log).toContainText("outbox");
  await log.getByRole("button", { name: "View message to boss@example.com" }).first().click();
  const mail = page.frameLocator("iframe[title^='Email:']");
  await expect(mail.getByRole("heading", { name: "Headline numbers" })).toBeVisible();
  await expect(mail.getByRole("link", { name: "Open the overview" })).toBeVisible();
  await expect(mail.getByRole("img", { name: /^Bar chart of customers per RFM segment/ })).toBeVisible();
  await expect(mail.getByRole("link", { name: "Unsubscribe from this report" })).toBeVisible();
  await expectAccessible(page, { excludeFrames: "iframe" });
  await page.screenshot({ path: shot("reports"), fullPage: true });
  await page.locator("iframe").screenshot({ path: shot("reports-email") });
});

test("a viewer manages only their own subscriptions and sees no schedules or delivery log", async ({ page }) => {
  await signIn(page, DEMO.viewer, DEMO.password);
  await page.getByRole("link", { name: "Reports" }).click();
  await expect(page.getByRole("heading", { name: "My subscriptions" })).toBeVisible();
  await expect(page.getByRole("button", { name: "New schedule" })).toHaveCount(0);
  await expect(page.getByRole("heading", { name: "Delivery log and outbox" })).toHaveCount(0);
  const first = page.getByRole("switch").first();
  await expect(first).toBeVisible();
  const was = await first.isChecked();
  await first.click();
  await expect(first).toBeChecked({ checked: !was });
  await page.reload();
  await expect(page.getByRole("switch").first()).toBeChecked({ checked: !was });
  await expectAccessible(page);
  await page.screenshot({ path: shot("reports-viewer"), fullPage: true });
  await page.getByRole("switch").first().click(); // back as it was
  await expect(page.getByRole("switch").first()).toBeChecked({ checked: was });
});
