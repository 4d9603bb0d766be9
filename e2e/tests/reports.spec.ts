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
  await page.getByLabel("Day").selectOption({ label: "Monday" });
  await page.getByLabel("Local time").fill("09:00");
  await page.getByLabel("Time zone").fill("Europe/Paris");
  await page.getByRole("button", { name: "Save schedule" }).click();
  const row = page.getByRole("listitem").filter({ hasText: name });
  await expect(row).toContainText("Monday at 09:00 (Europe/Paris) · 2 recipients · next:");
  await row.getByRole("button", { name: /^Preview/ }).click();
  await expect(page.getByText(/^Next send .*: Northwind Roasters \(demo\): your week in customers/)).toBeVisible();
  await expect(page.frameLocator("iframe[title^='Preview:']").getByText("Headline numbers")).toBeVisible();
  await page.getByRole("button", { name: "Close preview" }).click();
  await row.getByRole("button", { name: /Send a test now/ }).click();
  await expect(page.getByText("Test report: 0 sent by email, 2 written to the outbox")).toBeVisible();
  const log = page.getByRole("table");
  await expect(log).toContainText("boss@example.com");
  await expect(log).toContainText("outbox");
  await log.getByRole("button", { name: "View message to boss@example.com" }).first().click();
  const mail = page.frameLocator("iframe[title^='Email:']");
  await expect(mail.getByText("Headline numbers")).toBeVisible();
  await expect(mail.getByRole("link", { name: "Open the overview" })).toBeVisible();
  await expectAccessible(page, { excludeFrames: "iframe" });
  await page.screenshot({ path: shot("reports"), fullPage: true });
  await page.locator("iframe").screenshot({ path: shot("reports-email") });
});

test("a viewer cannot open reports", async ({ page }) => {
  await signIn(page, DEMO.viewer, DEMO.password);
  await expect(page.getByRole("link", { name: "Reports" })).toHaveCount(0);
  await page.goto(page.url().replace("/overview", "/reports"));
  await expect(page.getByRole("heading", { name: "You do not have access to this page" })).toBeVisible();
});
