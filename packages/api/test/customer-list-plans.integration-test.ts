/**
 * The Customers page's list queries keep their index plans (issue 9). customer_scores' sort and
 * filter indexes leave out workspace_id, which is constant inside each workspace's leaf (migration
 * 20261124109500_scores_leaf_indexes): every page must still read its rows from the one index that
 * gives its order — a range scan that stops after a page, with the keyset cursor and the filter's
 * equality as index conditions, not a filter over a walk or a sort of the workspace.
 *
 * Each query is the exact statement listCustomers sends (captured from its $queryRaw calls), with its
 * parameters, EXPLAINed as the app role in a tenant transaction. The demo workspace is small, so
 * sequential scans and sorts are priced out (enable_seqscan, enable_sort off): that leaves the plan
 * shape to the indexes that exist. Without the right index (e.g. the churn-risk one) the planner
 * walks another index and filters, or sorts, and the test fails. The same plans at 1,000,000
 * customers: BENCHMARKS.md, "Session 12: writing 1M scores".
 */
import { getDb, Prisma, withWorkspace, type Tx } from "@valuelens/db";
import { generateDemoData, writeDemoData } from "@valuelens/db/seed";
import type { TCustomerFilters, TCustomerSort } from "@valuelens/validators";
import { beforeAll, describe, expect, it } from "vitest";
import { listCustomers } from "../src/services/predictions/list-customers.ts";
import { recomputeWorkspace } from "../src/services/recompute/index.ts";
import { signUp } from "./harness.ts";

interface PlanNode {
  "Node Type": string;
  "Relation Name"?: string;
  "Index Name"?: string;
  "Index Cond"?: string;
  "Filter"?: string;
  "Scan Direction"?: string;
  Plans?: PlanNode[];
}

let ws = "";
/** Key columns of each index on customer_scores' leaves, by index name ("predicted_clv_minor DESC, customer_id DESC"). */
let indexCols = new Map<string, string>();

beforeAll(async () => {
  const owner = await signUp("plans", "Plans demo");
  ws = owner.workspaceId;
  const data = generateDemoData({ seed: 12, customers: 1200, start: new Date(Date.UTC(2024, 0, 1)), end: new Date(Date.UTC(2025, 11, 31)) });
  await writeDemoData(getDb().prisma, ws, data, () => undefined);
  const out = await recomputeWorkspace(getDb().prisma, ws, { compare: false });
  if (out.status !== "succeeded") throw new Error("recompute failed");
  // The leaves live in schema vl_scores, which the app role cannot read: the owner lists their indexes.
  const owner2 = (await import("@valuelens/db")).createDb(process.env.DATABASE_OWNER_URL!, { max: 1 });
  try {
    const rows = await owner2.prisma.$queryRaw<{ name: string; def: string }[]>`
      SELECT c.relname AS name, pg_get_indexdef(c.oid) AS def
        FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid
        JOIN pg_namespace n ON n.oid = t.relnamespace
       WHERE n.nspname = 'vl_scores' AND t.relkind = 'r' AND t.relname LIKE ${`%${ws.replace(/-/g, "")}%`}`;
    indexCols = new Map(rows.map((r) => [r.name, /USING btree \((.*)\)$/.exec(r.def)?.[1] ?? r.def]));
  } finally {
    await owner2.close();
  }
}, 120_000);

/** Runs listCustomers, EXPLAINing (with the same parameters) each statement it sends. */
async function plansOf(input: Parameters<typeof listCustomers>[2], opts?: Parameters<typeof listCustomers>[3]): Promise<{ sql: string; plan: PlanNode }[]> {
  return withWorkspace(getDb().prisma, ws, async (tx) => {
    await tx.$executeRaw`SET LOCAL enable_seqscan = off`;
    await tx.$executeRaw`SET LOCAL enable_sort = off`;
    const plans: { sql: string; plan: PlanNode }[] = [];
    const explaining = new Proxy(tx, {
      get(target, key, receiver) {
        if (key !== "$queryRaw") return Reflect.get(target, key, receiver) as unknown;
        return async (strings: TemplateStringsArray, ...values: unknown[]) => {
          const sql = Prisma.sql(strings, ...values);
          const [row] = await target.$queryRaw<{ "QUERY PLAN": [{ Plan: PlanNode }] }[]>`EXPLAIN (FORMAT JSON) ${sql}`;
          plans.push({ sql: sql.sql, plan: row!["QUERY PLAN"][0].Plan });
          return target.$queryRaw(sql);
        };
      },
    }) as Tx;
    await listCustomers(explaining, ws, input, opts);
    return plans;
  });
}

function nodes(p: PlanNode): PlanNode[] {
  return [p, ...(p.Plans ?? []).flatMap(nodes)];
}

/** The plan's reads of customer_scores (the workspace's leaf, vl_scores.[sl]_<workspace hex>_<txid>). */
const scoreScans = (p: PlanNode) => nodes(p).filter((n) => n["Relation Name"]?.includes(ws.replace(/-/g, "")));

const SORT_COLS: Record<TCustomerSort, string> = {
  predictedClv: "predicted_clv_minor DESC, customer_id DESC",
  historicalClv: "historical_clv_minor DESC, customer_id DESC",
  pAlive: "p_alive, customer_id",
  lastOrder: "last_order_at DESC, customer_id DESC",
};
const SORT_COL: Record<TCustomerSort, string> = { predictedClv: "predicted_clv_minor", historicalClv: "historical_clv_minor", pAlive: "p_alive", lastOrder: "last_order_at" };

/** First page and the next one (keyset cursor from the first) of one list, with their plans. */
async function pagesWithPlans(sort: TCustomerSort, dir: "asc" | "desc", filters: TCustomerFilters = {}) {
  const first = await plansOf({ sort, dir, limit: 25, filters });
  const page = await withWorkspace(getDb().prisma, ws, (tx) => listCustomers(tx, ws, { sort, dir, limit: 25, filters }));
  expect(page.nextCursor, "the demo workspace has more than one page").not.toBeNull();
  const next = await plansOf({ sort, dir, limit: 25, filters, cursor: page.nextCursor });
  return { first: first.at(-1)!.plan, next: next.at(-1)!.plan };
}

/** One index scan of the scores leaf, on the index with these key columns, in the list's order, and no sort anywhere. */
function expectIndexOrder(plan: PlanNode, cols: string, dir: "asc" | "desc") {
  const scans = scoreScans(plan);
  expect(scans.map((n) => n["Node Type"]), JSON.stringify(plan)).toEqual(["Index Scan"]);
  const scan = scans[0]!;
  expect(indexCols.get(scan["Index Name"]!), `index ${scan["Index Name"]}`).toBe(cols);
  const indexDesc = cols.includes("customer_id DESC");
  expect(scan["Scan Direction"]).toBe((dir === "desc") === indexDesc ? "Forward" : "Backward");
  expect(nodes(plan).filter((n) => n["Node Type"] === "Sort" || n["Node Type"] === "Incremental Sort")).toEqual([]);
  return scan;
}

describe("Customers page list plans (customer_scores' leaf indexes)", () => {
  it("has the leaf indexes without workspace_id, plus the primary key", () => {
    expect([...indexCols.values()].sort()).toEqual(
      [
        "workspace_id, customer_id",
        ...Object.values(SORT_COLS),
        "rfm_segment, predicted_clv_minor DESC, customer_id DESC",
        "value_tier, predicted_clv_minor DESC, customer_id DESC",
        "churn_risk, predicted_clv_minor DESC, customer_id DESC",
      ].sort(),
    );
  });

  it.each([
    ["predictedClv", "desc"],
    ["predictedClv", "asc"],
    ["historicalClv", "desc"],
    ["historicalClv", "asc"],
    ["pAlive", "asc"],
    ["pAlive", "desc"],
    ["lastOrder", "desc"],
    ["lastOrder", "asc"],
  ] as const)("sort %s %s: a range scan of its index, the next page starting at the cursor", async (sort, dir) => {
    const { first, next } = await pagesWithPlans(sort, dir);
    expectIndexOrder(first, SORT_COLS[sort], dir);
    const scan = expectIndexOrder(next, SORT_COLS[sort], dir);
    // The keyset condition bounds the scan (index condition), so page n does not walk pages 1…n-1.
    expect(scan["Index Cond"] ?? "").toContain(`ROW(${SORT_COL[sort]}, customer_id)`);
  });

  it.each([
    ["tier", { tier: "high" }, "value_tier"],
    ["segment", { segment: "Champions" }, "rfm_segment"],
    ["churn risk", { churnRisk: "high" }, "churn_risk"],
  ] as const)("filter by %s, sorted by predicted CLV: its own index, the filter an index condition", async (_name, filters, col) => {
    const { first, next } = await pagesWithPlans("predictedClv", "desc", filters);
    for (const plan of [first, next]) {
      const scan = expectIndexOrder(plan, `${col}, predicted_clv_minor DESC, customer_id DESC`, "desc");
      expect(scan["Index Cond"] ?? "").toContain(`${col} =`);
    }
  });

  it("a filter with another sort walks that sort's index", async () => {
    const { first, next } = await pagesWithPlans("lastOrder", "desc", { tier: "medium" });
    expectIndexOrder(first, SORT_COLS.lastOrder, "desc");
    expectIndexOrder(next, SORT_COLS.lastOrder, "desc");
  });

  it("a narrow search fetches the matches by primary key; a broad one walks the sort index", async () => {
    const [top] = (await withWorkspace(getDb().prisma, ws, (tx) => listCustomers(tx, ws, { sort: "predictedClv", dir: "desc", limit: 1, filters: {} }))).rows;
    const narrow = await plansOf({ sort: "predictedClv", dir: "desc", limit: 25, filters: { search: top!.externalId } });
    expect(narrow).toHaveLength(2); // the ids, then the page
    const picked = scoreScans(narrow[1]!.plan);
    expect(picked.map((n) => indexCols.get(n["Index Name"] ?? ""))).toEqual(["workspace_id, customer_id"]);
    const broad = await plansOf({ sort: "predictedClv", dir: "desc", limit: 25, filters: { search: top!.externalId } }, { searchFirstMax: 0 });
    expectIndexOrder(broad.at(-1)!.plan, SORT_COLS.predictedClv, "desc");
  });
});
