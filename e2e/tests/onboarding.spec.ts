import { expect, test } from "@playwright/test";
import { DEMO, expectAccessible, shot, signIn, signOut, signUp, uniqueEmail } from "../fixtures/helpers";

test("sign up creates a workspace I own and shows an empty overview", async ({ page }) => {
  await page.goto("/sign-up");
  await expectAccessible(page);
  // Bad input gets field-level messages and keeps what was typed.
  await page.getByLabel("Your name").fill("Olive Owner");
  await page.getByLabel("Work email").fill("not-an-email");
  await page.getByLabel("Password").fill("short");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByText("Enter a valid email address")).toBeVisible();
  await expect(page.getByText("Password must be at least 12 characters")).toBeVisible();
  await expect(page.getByLabel("Your name")).toHaveValue("Olive Owner");

  await signUp(page, { name: "Olive Owner", email: uniqueEmail("olive"), workspace: "Olive's Oils" });
  await expect(page.getByRole("heading", { name: "Overview" })).toBeVisible();
  await expect(page.getByText("Olive Owner · owner")).toBeVisible();
  await expect(page.getByRole("term").filter({ hasText: "Customers" })).toBeVisible();
  await expect(page.getByText("No orders yet")).toBeVisible();
  await expectAccessible(page);
  await page.screenshot({ path: shot("overview-empty"), fullPage: true });
});

test("the demo owner sees KPIs and the monthly revenue chart", async ({ page }) => {
  await page.goto("/sign-in");
  await expectAccessible(page);
  await signIn(page, DEMO.email, DEMO.password);
  const kpis = page.locator("dl");
  for (const label of ["Customers", "Orders", "Revenue", "Average order value", "Repeat-purchase rate", "Average historical CLV"]) {
    await expect(kpis.getByText(label, { exact: true })).toBeVisible();
  }
  await expect(kpis.getByText(/^5,00\d$/)).toBeVisible(); // 5,000 demo customers (+ the one api-keys.spec creates over the API)
  const chart = page.getByRole("img", { name: /Monthly revenue in USD/ });
  await expect(chart).toBeVisible();
  // The chart draws real bars: the canvas is not blank.
  const painted = await chart.evaluate((c) => {
    const canvas = c as HTMLCanvasElement;
    const data = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height).data;
    let colored = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i + 3]! > 0 && !(data[i]! > 240 && data[i + 1]! > 240 && data[i + 2]! > 240)) colored++;
    return colored / (data.length / 4);
  });
  expect(painted).toBeGreaterThan(0.05);
  // Tooltip shows money on hover.
  const box = (await chart.boundingBox())!;
  await page.mouse.move(box.x + box.width * 0.9, box.y + box.height * 0.5);
  const monthly = page.getByRole("region", { name: "Monthly revenue: new vs returning customers" });
  await monthly.getByText("Show the numbers as a table").click();
  await expect(monthly.getByRole("table")).toContainText("$");
  await expectAccessible(page);
  await page.screenshot({ path: shot("overview-demo"), fullPage: true });
});

test("sign in with a wrong password is refused, then sign in and out works", async ({ page }) => {
  await page.goto("/sign-in");
  await page.getByLabel("Email").fill(DEMO.email);
  await page.getByLabel("Password").fill("wrong password here");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByText("Wrong email or password.")).toBeVisible();
  await signIn(page, DEMO.email, DEMO.password);
  await signOut(page);
  // Signed out: workspace pages send you to sign in.
  await page.goto("/w/demo/overview");
  await expect(page).toHaveURL(/\/sign-in/);
});
