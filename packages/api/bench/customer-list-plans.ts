/**
 * Bench (issue 9): the plan of every list query the Customers page sends, at scale. For each case
 * (each sort in both directions, first and next page; the tier, segment and churn-risk filters; a
 * filter with another sort; a narrow and a broad search) it runs listCustomers as the app role in a
 * tenant transaction and EXPLAINs (ANALYZE, BUFFERS) the exact statements it sends, with their
 * parameters. Prints one JSON line per case: how customer_scores' leaf is read (node, index key
 * columns, index condition, filter, rows), execution ms (best of --repeat, default 3, warm) and
 * shared buffers hit/read. packages/api/test/customer-list-plans.integration-test.ts asserts the same
 * plan shapes on a small workspace.
 *
 * Usage (the workspace of apps/worker/bench/scale-1m.ts, slug bench-<N>):
 *   BENCH_PG_DIR=/tmp/vl-bench-pg BENCH_PG_PORT=5460 pnpm --filter @valuelens/api exec tsx bench/customer-list-plans.ts [customers] [--no-migrate] [--repeat N]
 * --no-migrate: do not deploy pending migrations first (to see the plans of the schema as it is).
 */
import os from "node:os";
import { createDb, Prisma, type Tx, withWorkspace } from "@valuelens/db";
import { grantAppRole, startEmbeddedPostgres } from "@valuelens/db/embedded";
import { deployMigrations } from "@valuelens/db/migrate";
import type { TCustomerFilters, TCustomerSort } from "@valuelens/validators";
import { listCustomers } from "../src/services/predictions/list-customers.ts";
import { benchDir, benchPort } from "./bench-db.ts";

const customers = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 1_000_000);
const repeatArg = process.argv.indexOf("--repeat");
const repeat = repeatArg > 0 ? Number(process.argv[repeatArg + 1]) : 3;

interface PlanNode {
  "Node Type": string;
  "Relation Name"?: string;
  "Index Name"?: string;
  "Index Cond"?: string;
  Filter?: string;
  "Actual Rows"?: number;
  "Rows Removed by Filter"?: number;
  "Shared Hit Blocks"?: number;
  "Shared Read Blocks"?: number;
  Plans?: PlanNode[];
}
type Explained = { Plan: PlanNode; "Execution Time": number; "Planning Time": number };

const pg = await startEmbeddedPostgres({ dir: benchDir, port: benchPort, persistent: true });
if (!process.argv.includes("--no-migrate")) await deployMigrations({ ownerUrl: pg.ownerUrl, log: () => undefined });
await grantAppRole(pg.ownerUrl, pg.appUrl);
const superDb = createDb(pg.superUrl.replace(/\/postgres$/, "/valuelens"), { max: 1 });
const appDb = createDb(pg.appUrl, { max: 1 });
const say = (event: string, data: Record<string, unknown> = {}) => console.log(JSON.stringify({ event, ...data }));

try {
  const [ws] = (await superDb.prisma.$queryRaw<{ id: string }[]>`SELECT id::text FROM workspaces WHERE slug = ${`bench-${customers}`}`).map((r) => r.id);
  if (!ws) throw new Error(`no workspace bench-${customers} in ${benchDir}`);
  const hex = ws.replace(/-/g, "");
  const defs = await superDb.prisma.$queryRaw<{ name: string; def: string }[]>`
    SELECT c.relname AS name, pg_get_indexdef(c.oid) AS def FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
      JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace
     WHERE n.nspname = 'vl_scores' AND t.relkind = 'r' AND t.relname LIKE ${`%${hex}%`}`;
  const cols = new Map(defs.map((d) => [d.name, /USING btree \((.*)\)$/.exec(d.def)?.[1] ?? d.def]));
  say("leaf_indexes", { indexes: [...cols.values()] });

  const nodes = (p: PlanNode): PlanNode[] => [p, ...(p.Plans ?? []).flatMap(nodes)];
  async function explain(input: Parameters<typeof listCustomers>[2], opts?: Parameters<typeof listCustomers>[3]) {
    return withWorkspace(appDb.prisma, ws, async (tx) => {
      const out: Explained[] = [];
      const explaining = new Proxy(tx, {
        get(target, key, receiver) {
          if (key !== "$queryRaw") return Reflect.get(target, key, receiver) as unknown;
          return async (strings: TemplateStringsArray, ...values: unknown[]) => {
            const sql = Prisma.sql(strings, ...values);
            const [row] = await target.$queryRaw<{ "QUERY PLAN": [Explained] }[]>`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${sql}`;
            out.push(row!["QUERY PLAN"][0]);
            return target.$queryRaw(sql);
          };
        },
      }) as Tx;
      await listCustomers(explaining, ws, input, opts);
      return out;
    });
  }
  async function measure(name: string, input: Parameters<typeof listCustomers>[2], opts?: Parameters<typeof listCustomers>[3]) {
    let best: Explained[] | null = null;
    for (let i = 0; i < repeat; i++) {
      const e = await explain(input, opts);
      const ms = (x: Explained[]) => x.reduce((a, p) => a + p["Execution Time"], 0);
      if (!best || ms(e) < ms(best)) best = e;
    }
    const last = best!.at(-1)!;
    const scans = nodes(last.Plan).filter((n) => n["Relation Name"]?.includes(hex));
    say("plan", {
      case: name,
      statements: best!.length,
      execMs: Math.round(best!.reduce((a, p) => a + p["Execution Time"], 0) * 100) / 100,
      planMs: Math.round(best!.reduce((a, p) => a + p["Planning Time"], 0) * 100) / 100,
      sort: nodes(last.Plan).some((n) => /Sort/.test(n["Node Type"])),
      scores: scans.map((n) => ({
        node: n["Node Type"],
        index: n["Index Name"] ? cols.get(n["Index Name"]) : undefined,
        cond: n["Index Cond"],
        filter: n.Filter,
        rows: n["Actual Rows"],
        removed: n["Rows Removed by Filter"],
        hit: n["Shared Hit Blocks"],
        read: n["Shared Read Blocks"],
      })),
    });
  }

  async function firstAndNext(name: string, sort: TCustomerSort, dir: "asc" | "desc", filters: TCustomerFilters = {}) {
    const page = await withWorkspace(appDb.prisma, ws, (tx) => listCustomers(tx, ws, { sort, dir, limit: 25, filters }));
    await measure(`${name} page 1`, { sort, dir, limit: 25, filters });
    if (page.nextCursor) await measure(`${name} page 2`, { sort, dir, limit: 25, filters, cursor: page.nextCursor });
  }
  say("start", { machine: `${os.cpus().length} cores`, load: os.loadavg().map((x) => Math.round(x * 100) / 100) });
  for (const sort of ["predictedClv", "historicalClv", "pAlive", "lastOrder"] as const)
    for (const dir of ["desc", "asc"] as const) await firstAndNext(`sort ${sort} ${dir}`, sort, dir);
  await firstAndNext("tier high", "predictedClv", "desc", { tier: "high" });
  await firstAndNext("segment Champions", "predictedClv", "desc", { segment: "Champions" });
  await firstAndNext("churn high", "predictedClv", "desc", { churnRisk: "high" });
  await firstAndNext("churn high, asc", "predictedClv", "asc", { churnRisk: "high" });
  await firstAndNext("tier medium, last order", "lastOrder", "desc", { tier: "medium" });
  await firstAndNext("rfm r=5", "predictedClv", "desc", { rfmR: 5 });
  await firstAndNext("min predicted 100000", "predictedClv", "desc", { minPredictedClv: "100000" });
  const [probe] = await superDb.prisma.$queryRaw<{ ext: string; email: string | null }[]>`
    SELECT external_id AS ext, email FROM customers WHERE workspace_id = ${ws}::uuid AND order_count > 0 ORDER BY id LIMIT 1`;
  await firstAndNext("search external id", "predictedClv", "desc", { search: probe!.ext });
  if (probe!.email) await firstAndNext("search e-mail prefix (3)", "predictedClv", "desc", { search: probe!.email.slice(0, 3) });
  await firstAndNext("search broad (1 letter)", "predictedClv", "desc", { search: (probe!.email ?? probe!.ext).slice(0, 1) });
  say("end", { load: os.loadavg().map((x) => Math.round(x * 100) / 100) });
} finally {
  await superDb.close();
  await appDb.close();
  await pg.stop();
}
