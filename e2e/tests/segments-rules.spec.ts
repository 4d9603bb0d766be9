import { expect, test, type Locator, type Page } from "@playwright/test";
import { DEMO, expectAccessible, shot, signIn } from "../fixtures/helpers";

/**
 * Rule segments (issue 5): the demo owner builds a two-group rule (high-tier repeat buyers OR warm
 * referral customers), watches the live count change as the second group is filled in, and saves it;
 * the viewer sees the segment but no edit controls, and a direct call to the mutation is refused.
 */

const NAME = `Loyal or warm referrals ${Date.now().toString(36)}`;

async function count(page: Page): Promise<number> {
  const preview = page.getByTestId("rule-preview");
  // "fresh" = the answer is for the rule as it is now (not a debounce or a request behind).
  await expect(preview).toHaveAttribute("data-state", "fresh", { timeout: 20_000 });
  await expect(preview.getByText(/Counted in \d+ ms/)).toBeVisible();
  return Number((await page.getByTestId("preview-count").textContent())!.replace(/[^\d]/g, ""));
}

async function setCondition(group: Locator, index: number, field: string, op: string, value: string): Promise<void> {
  const row = group.getByTestId("rule-condition").nth(index);
  await row.getByLabel("Field").selectOption(field);
  await row.getByLabel("Operator").selectOption(op);
  const v = row.getByLabel(/^Value for /);
  if ((await v.evaluate((el) => el.tagName)) === "SELECT") await v.selectOption(value);
  else await v.fill(value);
}

async function workspaceId(page: Page): Promise<string> {
  const res = await page.request.get(`/api/trpc/workspace.list`);
  return ((await res.json()) as { result: { data: { json: { id: string; slug: string }[] } } }).result.data.json.find((w) => w.slug === "demo")!.id;
}

test("an admin builds a two-group rule with a live count and saves it; the viewer sees it read-only", async ({ page, browser }) => {
  test.setTimeout(240_000);
  await signIn(page, DEMO.email, DEMO.password);
  await page.goto("/w/demo/segments?view=rules");
  await expect(page.getByRole("heading", { name: "Rule segments" })).toBeVisible();
  await expectAccessible(page);
  await page.screenshot({ path: shot("segments-rule-list-owner"), fullPage: true });
  await page.getByRole("link", { name: "New segment" }).first().click();
  await expect(page.getByRole("heading", { name: "New rule segment", level: 1 })).toBeVisible();

  // The starter rule (value tier = high) counts once the demo is scored (the worker scores it after start-up).
  await expect(async () => {
    await page.reload();
    expect(await count(page)).toBeGreaterThan(0);
  }).toPass({ timeout: 150_000 });

  const root = page.getByTestId("rule-root");
  await root.getByLabel("Match", { exact: true }).first().selectOption("or");
  await root.getByRole("button", { name: "+ Group" }).last().click();
  await root.getByRole("button", { name: "+ Group" }).last().click();
  await root.getByRole("button", { name: "Remove condition 1", exact: true }).click();
  const groups = root.getByTestId("rule-group");
  await expect(groups).toHaveCount(2);

  // Group 1: high tier AND at least 3 orders.
  const g1 = groups.nth(0);
  await g1.getByRole("button", { name: "+ Condition" }).click();
  await setCondition(g1, 1, "orderCount", "gte", "3");
  // Group 2 still says "value tier = high", so the OR holds every high-tier customer.
  const allHigh = await count(page);
  expect(allHigh).toBeGreaterThan(0);

  // Group 2: referral customers … the count changes …
  const g2 = groups.nth(1);
  await setCondition(g2, 0, "channel", "eq", "referral");
  const withReferral = await count(page);
  expect(withReferral).not.toBe(allHigh);
  // … AND P(alive) ≥ 60 %: a narrower second group, so fewer customers.
  await g2.getByRole("button", { name: "+ Condition" }).click();
  await setCondition(g2, 1, "pAlive", "gte", "60");
  const second = await count(page);
  expect(second).toBeLessThan(withReferral);
  expect(second).toBeGreaterThan(0);

  // An invalid value is pointed at its condition and the preview waits for a fix.
  await g2.getByTestId("rule-condition").nth(1).getByLabel(/^Value for /).fill("150");
  await expect(g2.getByTestId("rule-condition").nth(1).getByRole("alert")).toContainText("must be a number from 0 to 1");
  await expect(page.getByTestId("rule-preview")).toContainText("Fix the highlighted conditions");
  await g2.getByTestId("rule-condition").nth(1).getByLabel(/^Value for /).fill("60");
  await expect(async () => expect(await count(page)).toBe(second)).toPass({ timeout: 20_000 });

  await expectAccessible(page);
  await page.screenshot({ path: shot("segments-rule-builder"), fullPage: true });

  await page.getByLabel("Name").fill(NAME);
  await page.getByLabel("Description (optional)").fill("High-tier repeat buyers, or referral customers likely still active");
  await page.getByRole("button", { name: "Save segment" }).click();
  await expect(page.getByRole("heading", { name: NAME, level: 1 })).toBeVisible();
  await expect(page.getByTestId("segment-count")).toHaveText(new Intl.NumberFormat("en-US").format(second));
  await expect(page.getByTestId("rule-summary")).toContainText("(Value tier = “high” and Orders ≥ 3) or (Acquisition channel = “referral” and P(alive) ≥ 60%)");
  await expect(page.getByRole("img", { name: /Segment size and value at 1 measurements/ })).toBeVisible();
  await expect(page.getByRole("link", { name: "Edit" })).toBeVisible();
  await expectAccessible(page);
  await page.screenshot({ path: shot("segments-rule-detail"), fullPage: true });
  const segmentUrl = new URL(page.url()).pathname;
  const segmentId = segmentUrl.split("/").pop()!;

  // Open in Customers: the list is filtered to the segment.
  await page.getByRole("link", { name: "Open in Customers" }).click();
  await expect(page.getByTestId("rule-segment-filter")).toContainText(NAME);

  // The viewer sees it, without edit controls; direct mutations are refused by the server.
  const ctx = await browser.newContext();
  const viewer = await ctx.newPage();
  await signIn(viewer, DEMO.viewer, DEMO.password);
  await viewer.goto("/w/demo/segments?view=rules");
  await expect(viewer.getByRole("link", { name: NAME })).toBeVisible();
  await expect(viewer.getByRole("link", { name: "New segment" })).toHaveCount(0);
  await expectAccessible(viewer);
  await viewer.screenshot({ path: shot("segments-rule-list-viewer"), fullPage: true });
  await viewer.getByRole("link", { name: NAME }).click();
  await expect(viewer.getByRole("heading", { name: NAME, level: 1 })).toBeVisible();
  await expect(viewer.getByTestId("segment-count")).toHaveText(new Intl.NumberFormat("en-US").format(second));
  await expect(viewer.getByRole("link", { name: "Edit" })).toHaveCount(0);
  await expect(viewer.getByRole("button", { name: "Delete" })).toHaveCount(0);
  await expect(viewer.getByRole("link", { name: /Export CSV/ })).toHaveCount(0);
  await viewer.goto(`${segmentUrl}/edit`);
  await expect(viewer.getByRole("heading", { name: "You do not have access to this page" })).toBeVisible();

  const wsId = await workspaceId(viewer);
  const origin = new URL(viewer.url()).origin;
  for (const [path, json] of [
    ["segmentRules.delete", { workspaceId: wsId, segmentId }],
    ["segmentRules.update", { workspaceId: wsId, segmentId, name: "Hijacked", rule: { version: 1, root: { op: "and", conditions: [{ field: "orderCount", op: "gte", value: 0 }] } } }],
    ["segmentRules.create", { workspaceId: wsId, name: "Viewer made", rule: { version: 1, root: { op: "and", conditions: [{ field: "orderCount", op: "gte", value: 0 }] } } }],
  ] as const) {
    const res = await viewer.request.post(`/api/trpc/${path}`, { headers: { origin, "content-type": "application/json" }, data: { json } });
    expect(res.status(), path).toBe(403);
    expect(await res.text()).toContain("FORBIDDEN");
  }
  // Nothing changed: the segment is still there under its name.
  await viewer.goto(segmentUrl);
  await expect(viewer.getByRole("heading", { name: NAME, level: 1 })).toBeVisible();
  await ctx.close();

  // The owner exports the members as CSV (members and above).
  await page.goto(segmentUrl);
  const href = await page.getByRole("link", { name: /Export CSV/ }).getAttribute("href");
  const csv = await page.request.get(href!);
  expect(csv.status()).toBe(200);
  const lines = (await csv.text()).trim().split(/\r\n/);
  expect(lines[0]).toContain("external_id,email,name");
  expect(lines.length - 1).toBe(second);
});
