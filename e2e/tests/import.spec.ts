import { expect, test } from "@playwright/test";
import { expectAccessible, shot, signUp, uniqueEmail } from "../fixtures/helpers";

/** A small orders file: 3,000 good rows and 2 bad ones; its id column has a name we do not auto-map. */
function ordersCsv(): string {
  const lines = ["order_ref,customer_id,purchase date,total,currency,notes"];
  for (let i = 1; i <= 3000; i++) {
    const d = new Date(Date.UTC(2025, 0, 1) + (i % 300) * 86_400_000).toISOString().slice(0, 10);
    lines.push(`R-${i},C-${i % 400},${d},${(i % 97) + 1}.${String(i % 100).padStart(2, "0")},USD,${i % 50 === 0 ? "=HYPERLINK(1)" : "ok"}`);
  }
  lines.push("R-bad-1,C-1,2025-02-01,-5.00,USD,negative");
  lines.push('R-bad-2,C-1,2025-02-01,"1,000.00",USD,thousands');
  return lines.join("\r\n") + "\r\n";
}

test("an admin imports orders through the browser with one mapping changed and sees progress and counts", async ({ page }) => {
  await signUp(page, { name: "Ina Importer", email: uniqueEmail("ina"), workspace: "Ina Imports" });
  await page.getByRole("link", { name: "Import" }).click();
  await expect(page.getByRole("heading", { name: "Import data" })).toBeVisible();
  await expect(page.getByText("No imports yet")).toBeVisible();
  await expectAccessible(page);

  await page.getByLabel("What are you importing?").selectOption("ORDERS");
  await page.getByLabel("CSV file").setInputFiles({ name: "orders.csv", mimeType: "text/csv", buffer: Buffer.from(ordersCsv(), "utf8") });
  await expect(page.getByTestId("detected")).toContainText("UTF-8");
  await expect(page.getByTestId("detected")).toContainText("comma");
  // Auto-mapped columns…
  await expect(page.getByLabel("Import column customer_id as")).toHaveValue("customer_external_id");
  await expect(page.getByLabel("Import column purchase date as")).toHaveValue("ordered_at");
  await expect(page.getByLabel("Import column total as")).toHaveValue("amount");
  // …and the one we change: "order_ref" is not a name we know.
  await expect(page.getByLabel("Import column order_ref as")).toHaveValue("ignore");
  await page.getByLabel("Import column order_ref as").selectOption("external_id");
  await expectAccessible(page);

  await page.getByRole("button", { name: "Start import" }).click();
  await expect(page.getByRole("progressbar")).toBeVisible();
  await expect(page.getByText("Import completed")).toBeVisible({ timeout: 60_000 });
  const result = page.getByTestId("import-result");
  await expect(result).toContainText("3,002");
  await expect(page.getByTestId("invariant")).toHaveText(/3,000 \+ 0 \+ 0 \+ 2 = 3,002 = 3,002 rows ✓/);
  await expect(page.getByRole("link", { name: /Download the error report \(2 rejected rows/ })).toBeVisible();
  await expect(page.getByText(/rows\/s/)).toBeVisible();
  // History lists it.
  await expect(page.getByRole("table", { name: "Previous imports" }).getByText("orders.csv")).toBeVisible();
  await page.screenshot({ path: shot("import"), fullPage: true });
  await expectAccessible(page);

  // The error report is a CSV with line numbers and reasons.
  const href = await page.getByRole("link", { name: /Download the error report/ }).getAttribute("href");
  const res = await page.request.get(href!);
  expect(res.status()).toBe(200);
  const text = await res.text();
  expect(text).toContain("line,column,reason,raw");
  expect(text).toMatch(/3002,total,negative amount/);
  expect(text).toMatch(/3003,total,amount contains a thousands separator/);
});
