/**
 * Import benchmark (issue 4): generates N orders (default 1,000,000) for N/5 customers as CSV files,
 * imports customers, then orders, through the real import path (runImportJob: stream → decode → parse
 * → validate → 50,000-row chunk transactions under RLS with bulk summaries), then the same orders file
 * again (all unchanged) and a version with every 10th amount changed (updates). Then loads the same
 * orders file with PostgreSQL's own COPY into a bare temporary table (no triggers, RLS or indexes) as
 * the ceiling, and measures the Node-side ceiling (decode + parse + validate, no database).
 * Reports rows/s, where the database time went (upserts vs summary refresh), peak RSS of this process,
 * and checks the summaries of the workspace against a rebuild from raw orders.
 *   pnpm bench:import [orders] [--dry] [--no-changed] [--no-rebuild-check] [--writers N]      (--dry: print only, do not append to BENCHMARKS.md)
 */
import { execFileSync } from "node:child_process";
import { appendFileSync, createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from "node:fs";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import path from "node:path";
import { getHeapStatistics } from "node:v8";
import { fileURLToPath } from "node:url";
import { createDb, dbEnv, withTenant, withWorkspace } from "@valuelens/db";
import { grantAppRole, startEmbeddedPostgres } from "@valuelens/db/embedded";
import { deployMigrations } from "@valuelens/db/migrate";
import { ChunkDecoder, detectEncoding } from "../src/services/import/decode.ts";
import { runImportJob, type ImportOutcome } from "../src/services/import/engine.ts";
import { autoMap } from "../src/services/import/mapping.ts";
import { CsvParser } from "../src/services/import/parser.ts";
import { RowValidator } from "../src/services/import/rows.ts";

const args = process.argv.slice(2);
const dry = args.includes("--dry");
// --no-changed: skip the fourth import (every 10th amount changed), e.g. to fit a loaded machine.
const withChanged = !args.includes("--no-changed");
// --no-rebuild-check: skip the comparison with vl_rebuild_summaries (it ran > 13 min at 1M on
// 2026-11-24 05:20, against 31 s before); check with bench/sql/derived-check.sql instead.
const withRebuildCheck = !args.includes("--no-rebuild-check");
// --writers N: chunk transactions and flush slices at a time (default the import's, CHUNK_WRITERS /
// FLUSH_WRITERS = 2); --writers 1 runs the import as before session 8, for an A/B in one run.
const writersAt = args.indexOf("--writers");
const writers = writersAt >= 0 ? Number(args[writersAt + 1]) : undefined;
const N = Number(args.find((a, i) => /^\d+$/.test(a) && args[i - 1] !== "--writers") ?? 1_000_000);
const CUSTOMERS = Math.max(1, Math.floor(N / 5));
const dir = mkdtempSync(path.join(tmpdir(), "vl-import-bench-"));
const here = path.dirname(fileURLToPath(import.meta.url));
const OPTIONS = { dateFormat: "auto", timeZone: "UTC", defaultCurrency: "USD", unknownCustomers: "reject", deriveOrderIds: false } as const;

async function write(file: string, header: string, rows: number, line: (i: number) => string): Promise<void> {
  const out = createWriteStream(file);
  out.write(header + "\n");
  let buf = "";
  for (let i = 0; i < rows; i++) {
    buf += line(i) + "\n";
    if (buf.length > 1 << 20) {
      if (!out.write(buf)) await new Promise((r) => out.once("drain", r));
      buf = "";
    }
  }
  out.end(buf);
  await new Promise((r) => out.once("finish", r));
}

const customersFile = path.join(dir, "customers.csv");
const ordersFile = path.join(dir, "orders.csv");
const changedFile = path.join(dir, "orders-changed.csv");
const day0 = Date.UTC(2023, 0, 1);
const orderLine = (bump: boolean) => (i: number) => {
  const c = (i * 7919) % CUSTOMERS;
  const cents = (i % 500) * 100 + 100 + (i % 100) + (bump && i % 10 === 0 ? 1 : 0);
  // A customer's orders (every CUSTOMERS-th row) fall on different days over ~2.7 years.
  const day = (i * 13 + Math.floor(i / CUSTOMERS) * 53) % 1000;
  return `o${i},c${c},${new Date(day0 + day * 86_400_000 + (i % 86_400) * 1000).toISOString()},${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, "0")},USD`;
};
await write(customersFile, "customer_id,email,name,signup_date", CUSTOMERS, (i) => `c${i},c${i}@example.com,Customer ${i},${new Date(day0 + (i % 700) * 86_400_000).toISOString().slice(0, 10)}`);
await write(ordersFile, "order_id,customer_id,created_at,total,currency", N, orderLine(false));
await write(changedFile, "order_id,customer_id,created_at,total,currency", N, orderLine(true));

let peakRss = 0;
let peakHeap = 0;
const sampler = setInterval(() => {
  const m = process.memoryUsage();
  peakRss = Math.max(peakRss, m.rss);
  peakHeap = Math.max(peakHeap, m.heapUsed + m.external + m.arrayBuffers);
}, 100);

// Node-side ceiling: decode + parse + validate the orders file, no database.
async function nodeOnly(file: string): Promise<{ rows: number; s: number }> {
  const t = performance.now();
  let parser: CsvParser | null = null;
  let decoder: ChunkDecoder | null = null;
  let v: RowValidator | null = null;
  let rows = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    if (!parser) {
      decoder = new ChunkDecoder(detectEncoding(chunk));
      parser = new CsvParser({ delimiter: "," });
    }
    for (const e of parser.push(decoder!.write(chunk))) {
      if (e.kind !== "record") continue;
      if (!v) {
        v = new RowValidator("ORDERS", e.fields, autoMap("ORDERS", e.fields), OPTIONS, new Date());
        continue;
      }
      if (v.validate(e.fields, e.line).ok) rows++;
    }
  }
  return { rows, s: (performance.now() - t) / 1000 };
}
const jsOnly = await nodeOnly(ordersFile);
const rssAfterJs = peakRss;

// BENCH_PG_PORT (+ BENCH_PG_DIR): a private embedded PostgreSQL for this run (started and migrated
// here, stopped at the end); otherwise DATABASE_URL.
const benchPort = process.env.BENCH_PG_PORT ? Number(process.env.BENCH_PG_PORT) : null;
// BENCH_PG_LOG=<file>: the private server's log (e.g. auto_explain output) appended to that file.
const pgLog = process.env.BENCH_PG_LOG;
const own = benchPort
  ? await startEmbeddedPostgres({
      dir: process.env.BENCH_PG_DIR ?? `/tmp/vl-import-bench-pg-${benchPort}`,
      port: benchPort,
      persistent: true,
      ...(pgLog ? { log: (m: string) => appendFileSync(pgLog, m + "\n") } : {}),
    })
  : null;
if (own) {
  await deployMigrations({ ownerUrl: own.ownerUrl, log: () => undefined });
  await grantAppRole(own.ownerUrl, own.appUrl);
}
const dbUrl = own?.appUrl ?? dbEnv().DATABASE_URL;
const db = createDb(dbUrl);
const prisma = db.prisma;
const workspaceId = crypto.randomUUID();
await withTenant(prisma, { workspaceId }, (tx) =>
  tx.workspace.create({ data: { id: workspaceId, name: `Import bench ${new Date().toISOString()}`, slug: `import-bench-${workspaceId.slice(0, 8)}` }, select: { id: true } }),
);

async function run(kind: "CUSTOMERS" | "ORDERS", file: string): Promise<{ out: ImportOutcome; s: number; load: number }> {
  const job = await withWorkspace(prisma, workspaceId, (tx) =>
    tx.importJob.create({ data: { workspaceId, kind, fileName: path.basename(file), mapping: { options: OPTIONS } }, select: { id: true } }),
  );
  const t = performance.now();
  const out = await runImportJob(prisma, workspaceId, job.id, file, writers === undefined ? {} : { writers });
  return { out, s: (performance.now() - t) / 1000, load: loadavg()[0] ?? 0 };
}

const load0 = loadavg();
const cust = await run("CUSTOMERS", customersFile);
const ord = await run("ORDERS", ordersFile);
const again = await run("ORDERS", ordersFile);
const changed = withChanged ? await run("ORDERS", changedFile) : null;
clearInterval(sampler);

// Summaries after the bulk imports must equal a rebuild from raw orders (the bench workspace keeps
// the rebuilt state, which is the same when they match).
const check = !withRebuildCheck
  ? { same: false, rebuildS: NaN, error: "skipped (--no-rebuild-check); run bench/sql/derived-check.sql on workspace " + workspaceId }
  : await withWorkspace(
  prisma,
  workspaceId,
  async (tx) => {
    await tx.$executeRawUnsafe(`SET LOCAL statement_timeout = 0`);
    const snap = () =>
      tx.$queryRaw<{ h: string }[]>`
      SELECT md5(string_agg(x, '|' ORDER BY x)) AS h FROM (
        SELECT concat_ws(',', 'c', external_id, order_count, purchase_days, first_order_at, last_order_at, revenue_minor, margin_minor, first_day_revenue_minor, first_month_revenue_minor) AS x FROM customers WHERE workspace_id = ${workspaceId}::uuid
        UNION ALL SELECT concat_ws(',', 'm', month, orders, revenue_minor, new_customers, new_customer_revenue_minor) FROM monthly_rollups WHERE workspace_id = ${workspaceId}::uuid AND (orders <> 0 OR revenue_minor <> 0 OR new_customers <> 0 OR new_customer_revenue_minor <> 0)
        UNION ALL SELECT concat_ws(',', 's', customers, customers_with_orders, repeat_customers, orders, revenue_minor) FROM workspace_stats WHERE workspace_id = ${workspaceId}::uuid
        UNION ALL SELECT concat_ws(',', 'cm', customer_id, month, orders, revenue_minor, margin_minor) FROM customer_months WHERE workspace_id = ${workspaceId}::uuid
        UNION ALL SELECT concat_ws(',', 'cw', customer_id, week, orders, revenue_minor, margin_minor) FROM customer_weeks WHERE workspace_id = ${workspaceId}::uuid) s`;
    const before = (await snap())[0]?.h;
    const t = performance.now();
    await tx.$executeRaw`SELECT vl_rebuild_summaries(${workspaceId}::uuid), vl_rebuild_customer_months(${workspaceId}::uuid)`;
    const rebuildS = (performance.now() - t) / 1000;
    const after = (await snap())[0]?.h;
    return { same: before === after, rebuildS };
  },
  { timeoutMs: 1_800_000 },
).catch((e: unknown) => ({ same: false, rebuildS: NaN, error: e instanceof Error ? e.message : String(e) }));
await db.close();

// PostgreSQL's own COPY of the same orders file into a bare temporary table, as the ceiling.
// Then the same COPY into a table shaped like orders' keys (a uuid primary key, the unique external
// id and the secondary index (customer, time), no foreign keys, triggers or RLS): what index
// maintenance alone costs for these rows, i.e. the floor of any write path into this schema. Since
// session 9 orders have no (workspace_id, ordered_at) index, so neither has this table.
// statement_timeout 0: the app role's 30 s limit cut the keyed COPY of 1M rows at load ≈ 5 (session 9).
const copySql = `SET temp_buffers = '256MB';
SET statement_timeout = 0;
CREATE TEMP TABLE bench_orders (order_id text, customer_id text, created_at timestamptz, total numeric, currency text);
CREATE TEMP TABLE bench_orders_keyed (id uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY, order_id text UNIQUE, customer_id text, created_at timestamptz, total numeric, currency text);
CREATE INDEX ON bench_orders_keyed (customer_id, created_at);
CREATE TEMP TABLE bench_orders_keyed7 (LIKE bench_orders_keyed INCLUDING INDEXES);
ALTER TABLE bench_orders_keyed7 ALTER COLUMN id SET DEFAULT uuidv7();
\\timing on
\\copy bench_orders FROM '${ordersFile}' WITH (FORMAT csv, HEADER true)
\\copy bench_orders_keyed (order_id, customer_id, created_at, total, currency) FROM '${ordersFile}' WITH (FORMAT csv, HEADER true)
\\copy bench_orders_keyed7 (order_id, customer_id, created_at, total, currency) FROM '${ordersFile}' WITH (FORMAT csv, HEADER true)`;
const psqlOut = execFileSync("psql", [dbUrl, "-v", "ON_ERROR_STOP=1", "-q"], { input: copySql, encoding: "utf8" });
const timed = [...psqlOut.matchAll(/Time: ([\d.]+) ms/g)].map((m) => Number(m[1]) / 1000);
if (timed.length !== 3) throw new Error(`COPY did not report three times (psql said: ${psqlOut.slice(0, 500)})`);
const [copyS, copyKeyedS, copyKeyed7S] = timed as [number, number, number];

const fmt = (x: number) => Math.round(x).toLocaleString("en-US");
const rate = (rows: number, s: number) => fmt(rows / s);
const mb = (statSync(ordersFile).size / 1024 ** 2).toFixed(1);
const status = (r: { out: ImportOutcome }) => r.out.status + (r.out.error ? ` (${r.out.error})` : "");
const invariant = (o: ImportOutcome) => (o.created + o.updated + o.unchanged + o.rejected === o.rows ? "holds" : "BROKEN");
const row = (label: string, r: { out: ImportOutcome; s: number; load: number }) =>
  `| ${label} | ${fmt(r.out.rows)} | ${r.s.toFixed(1)} s | ${rate(r.out.rows, r.s)} | ${(r.out.timing.writeMs / 1000).toFixed(1)} s | ${(r.out.timing.summaryMs / 1000).toFixed(1)} s (${fmt(r.out.timing.customersRefreshed)} customers) | created ${fmt(r.out.created)}, updated ${fmt(r.out.updated)}, unchanged ${fmt(r.out.unchanged)}, rejected ${fmt(r.out.rejected)} (invariant ${invariant(r.out)}) | ${r.load.toFixed(1)} |`;
const lines = [
  "",
  `### Run of ${new Date().toISOString().slice(0, 16)}Z: \`pnpm bench:import ${N}\``,
  "",
  `Machine: ${cpus()[0]?.model ?? "?"}, ${cpus().length} cores, ${(totalmem() / 1024 ** 3).toFixed(1)} GiB RAM, Node ${process.version}; PostgreSQL on the same machine. Load average at start ${load0.map((x) => x.toFixed(1)).join(" / ")} (shared machine).`,
  `Chunk transactions and flush slices at a time: ${writers ?? "the import's default (2)"}. Job statuses: customers ${status(cust)}, orders ${status(ord)}, unchanged re-run ${status(again)}, changed file ${changed ? status(changed) : "not run (--no-changed)"}.`,
  "",
  "| What | Rows | Time | Rows/s | Chunk writes (DB) | Summary refresh (DB, once per import) | Counts | Load after |",
  "|---|---|---|---|---|---|---|---|",
  row("Customers file", cust),
  row(`Orders file (${mb} MB), all new`, ord),
  row("Same orders file again (all unchanged)", again),
  ...(changed ? [row("Orders file with every 10th amount changed", changed)] : []),
  `| PostgreSQL \`\\copy\` of the orders file into a bare temp table (ceiling) | ${fmt(N)} | ${copyS.toFixed(1)} s | ${rate(N, copyS)} | — | — | — | — |`,
  `| The same \`\\copy\` into a temp table with orders' three keys (uuid primary key, unique external id, (customer, time) index; no FK, trigger or RLS) | ${fmt(N)} | ${copyKeyedS.toFixed(1)} s | ${rate(N, copyKeyedS)} | — | — | — | — |`,
  `| The same keyed \`\\copy\` with time-ordered primary keys (\`uuidv7()\`, as orders now use) | ${fmt(N)} | ${copyKeyed7S.toFixed(1)} s | ${rate(N, copyKeyed7S)} | — | — | — | — |`,
  `| Node only: decode + parse + validate the orders file, no database | ${fmt(jsOnly.rows)} | ${jsOnly.s.toFixed(1)} s | ${rate(jsOnly.rows, jsOnly.s)} | — | — | — | — |`,
  "",
  `End to end (customers file + new orders file): ${fmt(cust.out.rows + ord.out.rows)} rows in ${(cust.s + ord.s).toFixed(1)} s = ${rate(cust.out.rows + ord.out.rows, cust.s + ord.s)} rows/s. ` +
    `New orders at ${((copyS / ord.s) * 100).toFixed(1)} % of COPY's rate (ratio 1 : ${fmt(ord.s / copyS)}) and ${((copyKeyedS / ord.s) * 100).toFixed(1)} % of the keyed COPY's, unchanged re-run at ${((copyS / again.s) * 100).toFixed(1)} %. ` +
    `End to end at ${(((cust.out.rows + ord.out.rows) / (cust.s + ord.s) / (N / copyS)) * 100).toFixed(1)} % of COPY's rate (ratio 1 : ${fmt((cust.s + ord.s) / (cust.out.rows + ord.out.rows) / (copyS / N))}). ` +
    `Peak RSS of this process: ${fmt(peakRss / 1024 ** 2)} MiB (${fmt(rssAfterJs / 1024 ** 2)} MiB after the Node-only pass, before any import); peak JS heap + external + array buffers ${fmt(peakHeap / 1024 ** 2)} MiB (V8 old-space limit ${fmt(getHeapStatistics().heap_size_limit / 1024 ** 2)} MiB). ` +
    `Summaries after the imports ${"error" in check ? `could not be checked (${check.error})` : check.same ? "equal" : "DIFFER FROM"} a rebuild from raw orders (vl_rebuild_summaries + vl_rebuild_customer_months: ${check.rebuildS.toFixed(1)} s).`,
];
if (!dry) appendFileSync(path.join(here, "../../../BENCHMARKS.md"), lines.join("\n") + "\n");
console.log(lines.join("\n"));
rmSync(dir, { recursive: true, force: true });
await own?.stop();
process.exit(0);
