import { expect, test } from "@playwright/test";
import { DEMO, expectAccessible, shot, signIn } from "../fixtures/helpers";

/**
 * Model page (issue 9): the demo workspace's model card after the worker's first recompute — model facts,
 * parameters, holdout check, and the model comparison saying what it was computed on (all customers
 * here; a random sample of them above 200,000 customers).
 */
test("the model card shows the fit, the holdout check and a comparison that says what it was computed on", async ({ page }) => {
  await signIn(page, DEMO.email, DEMO.password);
  await page.goto(page.url().replace(/\/overview.*$/, "/model"));
  await expect(page.getByRole("heading", { name: /purchase model \+ Gamma-Gamma spend model/ })).toBeVisible({ timeout: 60_000 });
  const compare = page.getByRole("region", { name: "Model comparison on the same data" });
  // The comparison is written right after the scores (the page polls until it is there).
  await expect(compare.getByRole("row")).toHaveCount(4, { timeout: 30_000 });
  await expect(compare.getByText(/^Log-likelihoods (on all [\d,]+ customers|compared on a random sample of [\d,]+ of [\d,]+ customers)/)).toBeVisible();
  await expectAccessible(page);
  await compare.scrollIntoViewIfNeeded();
  await page.screenshot({ path: shot("model-comparison"), fullPage: true });
});
