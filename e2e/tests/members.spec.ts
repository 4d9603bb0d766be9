import { expect, test } from "@playwright/test";
import { DEMO, expectAccessible, PASSWORD, shot, signIn, signUp, uniqueEmail } from "../fixtures/helpers";

test("an owner invites a viewer, who joins by link and cannot reach admin settings", async ({ page, browser }) => {
  await signUp(page, { name: "Ivy Inviter", email: uniqueEmail("ivy"), workspace: "Ivy Imports" });
  await page.getByRole("link", { name: "Members" }).click();
  await expect(page.getByRole("heading", { name: "Members" })).toBeVisible();
  await expectAccessible(page);
  const viewerEmail = uniqueEmail("victor");
  await page.getByLabel("Email").fill(viewerEmail);
  await page.getByLabel("Role", { exact: true }).selectOption("VIEWER");
  await page.getByRole("button", { name: "Send invitation" }).click();
  const link = (await page.getByTestId("invite-link").textContent())!.trim();
  expect(link).toContain("/invite/");
  await expect(page.getByText(/No email server is configured/)).toBeVisible();
  await expect(page.getByText(`${viewerEmail} · viewer`)).toBeVisible();
  await page.screenshot({ path: shot("members"), fullPage: true });

  const other = await browser.newContext();
  const vp = await other.newPage();
  await vp.goto(new URL(link).pathname);
  await expect(vp.getByRole("heading", { name: "Join Ivy Imports" })).toBeVisible();
  await expectAccessible(vp);
  await vp.getByLabel("Your name").fill("Victor Viewer");
  await vp.getByLabel("Password").fill(PASSWORD);
  await vp.getByRole("button", { name: "Create account and join" }).click();
  await vp.waitForURL(/\/overview/);
  await expect(vp.getByText("Victor Viewer · viewer")).toBeVisible();
  // Admin navigation is hidden, and the page itself refuses on the server.
  await expect(vp.getByRole("link", { name: "Settings" })).toHaveCount(0);
  await vp.goto(vp.url().replace("/overview", "/settings"));
  await expect(vp.getByRole("heading", { name: "You do not have access to this page" })).toBeVisible();
  await vp.goto(vp.url().replace("/settings", "/settings/members"));
  await expect(vp.getByRole("heading", { name: "You do not have access to this page" })).toBeVisible();
  await vp.screenshot({ path: shot("viewer-forbidden"), fullPage: true });
  await other.close();
});

test("switching workspaces, and a new workspace of my own", async ({ page }) => {
  await signIn(page, DEMO.email, DEMO.password);
  await page.getByRole("link", { name: "New workspace" }).click();
  await page.getByLabel("Workspace name").fill(`Second Shop ${Date.now()}`);
  await page.getByRole("button", { name: "Create workspace" }).click();
  await page.waitForURL(/\/overview/);
  await expect(page.getByText("No orders yet")).toBeVisible();
  await page.getByLabel("Switch workspace").selectOption({ label: "Northwind Roasters (demo)" });
  await page.waitForURL(/\/w\/demo\/overview/);
  await expect(page.locator("dl").getByText(/^5,00\d$/)).toBeVisible(); // 5,000 demo customers (+ the one api-keys.spec creates over the API)
});

test("settings page works for the owner and is accessible", async ({ page }) => {
  await signIn(page, DEMO.email, DEMO.password);
  await page.getByRole("link", { name: "Settings" }).click();
  await expect(page.getByRole("heading", { name: "Workspace settings" })).toBeVisible();
  await page.getByLabel("Gross margin rate (%)").fill("150");
  await page.getByRole("button", { name: "Save settings" }).click();
  await expect(page.getByText("Margin rate must be between 0 and 1")).toBeVisible();
  await expectAccessible(page);
});
