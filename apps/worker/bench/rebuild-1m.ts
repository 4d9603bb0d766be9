/**
 * Benchmark (issue 9): the repair rebuild from raw orders — vl_rebuild_summaries and
 * vl_rebuild_customer_months — on the N-customer workspace of bench/scale-1m.ts (default 1,000,000,
 * generate it there first), as the app role in the workspace's tenant transaction, the way the app
 * calls it. Everything runs in one transaction that is rolled back, so every run starts from the same
 * data and the data dir does not grow.
 *
 * Before the timed calls it takes a digest (row count + sum of row hashes) of everything the rebuild
 * derives: the customers' summary columns, monthly_rollups, workspace_stats, customer_months and
 * customer_weeks; after them, the same digest must come out (the stored summaries of a workspace
 * kept by the triggers are what a rebuild from raw orders produces). With --drift it first damages
 * them inside the transaction (untimed): every 10th customer's summary zeroed, every 10th month and
 * week row deleted, every 7th changed, the rollups and stats deleted; the rebuild must restore the
 * digest. With --wipe it damages everything (all summaries zeroed, all month/week rows deleted), the
 * state right after a bulk load with triggers off.
 *
 * Since 20261124108500 the rebuild the app runs is rebuildFromOrders (@valuelens/db): the pass split by
 * customer-id range over --connections transactions (default 2) that import the timed transaction's
 * snapshot. --split times that (with --summaries-only: only the whole rebuild; otherwise also the
 * months-and-weeks one). Its range transactions commit: on consistent data they write nothing; with
 * --drift / --wipe the damage is committed first and the rebuild repairs it for real (the digest after
 * must equal the one before the damage, so the data dir ends where it started).
 *
 * Usage: BENCH_PG_DIR=/tmp/vl-bench-pg BENCH_PG_PORT=5460 \
 *   pnpm --filter @valuelens/worker exec tsx bench/rebuild-1m.ts [customers] [--drift | --wipe] [--upto STAMP] [--summaries-only]
 *        [--split [--connections N] [--ranges N]] [--sql FILE]
 *   --upto STAMP deploys only the migrations up to that stamp (default: every migration of the branch),
 *   e.g. --upto 20261124108000 to time the definitions before it.
 *   --sql FILE runs that SQL file as the tables' owner after the migrations and before the timing (e.g. a
 *   candidate definition of vl_rebuild_range); it stays in the data dir (the next run's migrations do not
 *   undo a CREATE OR REPLACE of a function they do not touch: run --sql with the old definition to go back).
 * Prints one JSON line per phase and a summary.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createDb, rebuildFromOrders, type DbHandle, type Tx } from "@valuelens/db";
import { grantAppRole, startEmbeddedPostgres } from "@valuelens/db/embedded";
import { DEFAULT_MIGRATIONS_DIR, deployMigrations } from "@valuelens/db/migrate";

const customers = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 1_000_000);
const mode = process.argv.includes("--wipe") ? "wipe" : process.argv.includes("--drift") ? "drift" : "consistent";
/** Time vl_rebuild_summaries only (since 20261124108100 it is the whole rebuild). */
const summariesOnly = process.argv.includes("--summaries-only");
const uptoArg = process.argv.indexOf("--upto");
const upto = uptoArg > 0 ? (process.argv[uptoArg + 1] ?? "") : "99999999999999";
const sqlArg = process.argv.indexOf("--sql");
const sqlFile = sqlArg > 0 ? (process.argv[sqlArg + 1] ?? "") : undefined;
const split = process.argv.includes("--split");
const intArg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(name);
  const v = i > 0 ? Number(process.argv[i + 1]) : dflt;
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name} wants a positive integer, got "${process.argv[i + 1]}"`);
  return v;
};
const connections = intArg("--connections", 2);
const ranges = intArg("--ranges", connections * 8);
if (!/^\d{14}$/.test(upto)) throw new Error(`--upto wants a 14-digit migration stamp, got "${upto}"`);
const dir = process.env.BENCH_PG_DIR ?? "/tmp/vl-bench-pg";
const port = Number(process.env.BENCH_PG_PORT ?? 5460);

class RollBack extends Error {}
const say = (event: string, data: Record<string, unknown> = {}) => console.log(JSON.stringify({ event, ...data }));
const load = () => os.loadavg().map((x) => Math.round(x * 100) / 100);

// Deploy only the migrations up to `upto` (a copy of those folders), so the old definitions can be timed.
const migrationsDir = mkdtempSync(path.join(os.tmpdir(), "vl-rebuild-migrations-"));
for (const entry of readdirSync(DEFAULT_MIGRATIONS_DIR)) {
  const stamp = /^(\d{14})_/.exec(entry)?.[1];
  if (stamp ? stamp <= upto : entry === "migration_lock.toml") cpSync(path.join(DEFAULT_MIGRATIONS_DIR, entry), path.join(migrationsDir, entry), { recursive: true });
}

const pg = await startEmbeddedPostgres({ dir, port, persistent: true });
let appDb: DbHandle | undefined;
try {
  await deployMigrations({ ownerUrl: pg.ownerUrl, migrationsDir, log: () => undefined });
  await grantAppRole(pg.ownerUrl, pg.appUrl);
  if (sqlFile !== undefined) {
    const ownerDb = createDb(pg.ownerUrl, { max: 1 });
    await ownerDb.prisma.$executeRawUnsafe(readFileSync(sqlFile, "utf8"));
    await ownerDb.close();
  }
  const superDb = createDb(pg.superUrl.replace(/\/postgres$/, "/valuelens"), { max: 1 });
  const ws = (await superDb.prisma.$queryRaw<{ id: string }[]>`SELECT id::text FROM workspaces WHERE slug = ${`bench-${customers}`}`)[0]?.id;
  const rebuild = (await superDb.prisma.$queryRaw<{ def: string }[]>`SELECT pg_get_functiondef('vl_rebuild_summaries(uuid)'::regprocedure) AS def`)[0]?.def ?? "";
  await superDb.close();
  if (!ws) throw new Error(`No workspace bench-${customers} in ${dir}: generate it with bench/scale-1m.ts ${customers} --generate-only`);
  say("setup", { dir, upto, sql: sqlFile ?? null, mode, workspaceId: ws, onePassRebuild: rebuild.includes("vl_rebuild_from_orders") });

  appDb = createDb(pg.appUrl, { max: split ? connections + 1 : 1 });
  const summary: Record<string, unknown> = { customers, mode, upto, sql: sqlFile ?? null, split: split ? { connections, ranges } : false, machine: `${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`, loadBefore: load() };
  // Row count and an order-independent sum of row hashes per table (values only: not the
  // summary_updated_at / updated_at times, which a rebuild may move).
  const digestOf = async (tx: Tx) => {
    const rows = await tx.$queryRaw<{ t: string; n: bigint; h: bigint | null }[]>`
      SELECT 'customers' AS t, count(*) AS n, sum(hashtextextended(row(id, order_count, purchase_days, first_order_at, last_order_at, revenue_minor,
             margin_minor, first_day_revenue_minor, first_month_revenue_minor)::text, 0) % 1000000007)::bigint AS h
        FROM customers WHERE workspace_id = ${ws}::uuid
      UNION ALL
      SELECT 'customer_months', count(*), sum(hashtextextended(row(customer_id, month, orders, revenue_minor, margin_minor)::text, 0) % 1000000007)::bigint
        FROM customer_months WHERE workspace_id = ${ws}::uuid
      UNION ALL
      SELECT 'customer_weeks', count(*), sum(hashtextextended(row(customer_id, week, orders, revenue_minor, margin_minor)::text, 0) % 1000000007)::bigint
        FROM customer_weeks WHERE workspace_id = ${ws}::uuid
      UNION ALL
      SELECT 'monthly_rollups', count(*), sum(hashtextextended(row(month, orders, revenue_minor, new_customers, new_customer_revenue_minor)::text, 0) % 1000000007)::bigint
        FROM monthly_rollups WHERE workspace_id = ${ws}::uuid
      UNION ALL
      SELECT 'workspace_stats', count(*), sum(hashtextextended(row(customers, customers_with_orders, repeat_customers, orders, revenue_minor)::text, 0) % 1000000007)::bigint
        FROM workspace_stats WHERE workspace_id = ${ws}::uuid`;
    return Object.fromEntries(rows.map((r) => [r.t, `${r.n}:${r.h ?? 0}`]));
  };
  // Damage inside `tx` (see the header): --drift or --wipe.
  const damage = async (tx: Tx) => {
    const every = mode === "wipe" ? 1 : 10;
    await tx.$executeRaw`
      UPDATE customers SET order_count = 0, purchase_days = 0, first_order_at = NULL, last_order_at = NULL, revenue_minor = 0,
             margin_minor = 0, first_day_revenue_minor = 0, first_month_revenue_minor = 0
       WHERE workspace_id = ${ws}::uuid AND (${every} = 1 OR abs(hashtext(id::text)) % ${every} = 0)`;
    await tx.$executeRaw`DELETE FROM customer_months WHERE workspace_id = ${ws}::uuid AND (${every} = 1 OR abs(hashtext(customer_id::text || month)) % ${every} = 0)`;
    await tx.$executeRaw`DELETE FROM customer_weeks WHERE workspace_id = ${ws}::uuid AND (${every} = 1 OR abs(hashtext(customer_id::text || week)) % ${every} = 0)`;
    if (mode === "drift") {
      await tx.$executeRaw`UPDATE customer_months SET orders = orders + 1, margin_minor = 0 WHERE workspace_id = ${ws}::uuid AND abs(hashtext(customer_id::text || month)) % 7 = 1`;
      await tx.$executeRaw`UPDATE customer_weeks SET revenue_minor = revenue_minor - 1 WHERE workspace_id = ${ws}::uuid AND abs(hashtext(customer_id::text || week)) % 7 = 1`;
      // Rows the orders do not back (a month with no order) must go.
      await tx.$executeRaw`
        INSERT INTO customer_months (workspace_id, customer_id, month, orders, revenue_minor, margin_minor)
        SELECT workspace_id, id, date '1999-01-01', 1, 1, 1 FROM customers WHERE workspace_id = ${ws}::uuid AND abs(hashtext(id::text)) % 100 = 3`;
    }
    await tx.$executeRaw`DELETE FROM monthly_rollups WHERE workspace_id = ${ws}::uuid`;
    await tx.$executeRaw`DELETE FROM workspace_stats WHERE workspace_id = ${ws}::uuid`;
  };
  const inWorkspace = async (tx: Tx) => {
    await tx.$executeRawUnsafe(`SET LOCAL statement_timeout = 0`);
    await tx.$executeRaw`SELECT set_config('app.current_workspace', ${ws}, true)`;
  };
  // The split rebuild commits, so its damage must be committed before it (the other connections
  // would not see damage inside the timed transaction); the digest before comes from before it.
  let committedBefore: Record<string, string> | undefined;
  if (split && mode !== "consistent") {
    await appDb.prisma.$transaction(
      async (tx) => {
        await inWorkspace(tx);
        let t = performance.now();
        committedBefore = await digestOf(tx);
        say("digest", { before: committedBefore, s: Math.round(performance.now() - t) / 1000 });
        t = performance.now();
        await damage(tx);
        say("damaged", { damaged: await digestOf(tx), s: Math.round(performance.now() - t) / 1000, committed: true });
      },
      { timeout: 60 * 60_000, maxWait: 60_000 },
    );
  }
  await appDb.prisma
    .$transaction(
      async (tx) => {
        await inWorkspace(tx);
        const [{ orders } = { orders: 0n }] = await tx.$queryRaw<{ orders: bigint }[]>`SELECT count(*) AS orders FROM orders WHERE workspace_id = ${ws}::uuid`;
        summary.orders = Number(orders);
        const digest = () => digestOf(tx);
        let t = performance.now();
        const before = committedBefore ?? (await digest());
        if (!committedBefore) say("digest", { before, s: Math.round(performance.now() - t) / 1000 });

        if (mode !== "consistent" && !split) {
          t = performance.now();
          await damage(tx);
          const damaged = await digest();
          say("damaged", { damaged, s: Math.round(performance.now() - t) / 1000 });
        }

        for (const fn of summariesOnly ? (["vl_rebuild_summaries"] as const) : (["vl_rebuild_summaries", "vl_rebuild_customer_months"] as const)) {
          const loadBefore = load();
          t = performance.now();
          const how = split
            ? await rebuildFromOrders(appDb!.prisma, tx, ws, { summaries: fn === "vl_rebuild_summaries", connections, ranges, minOrders: 0 })
            : await tx.$executeRawUnsafe(`SELECT ${fn}($1::uuid)`, ws);
          const s = Math.round(performance.now() - t) / 1000;
          const after = await digest();
          const same = Object.keys(before).every((k) => before[k] === after[k]);
          const name = split ? `${fn} split` : fn;
          say(name, { s, loadBefore, loadAfter: load(), sameAsBefore: same, ...(typeof how === "object" ? how : {}), ...(same ? {} : { after }) });
          summary[`${name}S`] = s;
          summary[`${name}Same`] = same;
        }
        throw new RollBack();
      },
      { timeout: 60 * 60_000, maxWait: 60_000 },
    )
    .catch((e: unknown) => {
      if (!(e instanceof RollBack)) throw e;
    });
  summary.loadAfter = load();
  say("summary", summary);
} finally {
  await appDb?.close();
  await pg.stop();
  if (existsSync(migrationsDir)) rmSync(migrationsDir, { recursive: true, force: true });
}

