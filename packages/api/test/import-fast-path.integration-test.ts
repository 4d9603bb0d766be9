/**
 * The import's fast path (issue 4): chunk transactions in bulk-summaries mode, unchanged rows filtered
 * before the upsert, parsing overlapped with writing. Checks the count invariant, idempotency, exact
 * updates, the unknown-customer option across chunks, summaries/rollups/customer_months equal to a
 * rebuild from raw orders after every import, and crash recovery: an import process killed with
 * SIGKILL mid-file leaves consistent committed chunks, is marked FAILED once its heartbeat is stale
 * (never while fresh), and re-running the file completes the data without duplicates.
 */
import { spawn } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beginBulkSummariesDeferred, createDb, getDb, withWorkspace, type DbHandle } from "@valuelens/db";
import type { TImportKind, TImportOptions } from "@valuelens/validators";
import { beforeAll, describe, expect, it } from "vitest";
import { flushDeferred, isRetryable, pgCode, runImportJob, type ImportOutcome } from "../src/services/import/engine.ts";
import { failInterruptedImportsEverywhere } from "../src/services/import/recovery.ts";
import { failInterruptedImports, getImport } from "../src/services/import/service.ts";
import { signUp, type Actor } from "./harness.ts";

const NOW = new Date("2026-11-20T00:00:00Z");
const OPTIONS: TImportOptions = { dateFormat: "auto", timeZone: "UTC", defaultCurrency: "USD", unknownCustomers: "create", deriveOrderIds: false };
let a: Actor & { workspaceId: string };
let dir: string;

let owner: DbHandle;

beforeAll(async () => {
  a = await signUp("fastA", "Fast path A");
  dir = await mkdtemp(join(tmpdir(), "vl-imp-fast-"));
  owner = createDb(process.env.DATABASE_OWNER_URL!, { max: 1 });
  return () => owner.close();
});

/** Customers of the workspace whose summaries are deferred (refreshed once per import). */
async function deferredCount(ws: string): Promise<number> {
  const r = await withWorkspace(getDb().prisma, ws, (tx) => tx.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM summary_deferred WHERE workspace_id = ${ws}::uuid`);
  return r[0]!.n;
}

let fileNo = 0;
async function job(ws: string, kind: TImportKind, csv: string, options: Partial<TImportOptions> = {}): Promise<{ id: string; path: string }> {
  const path = join(dir, `f${fileNo++}.csv`);
  await writeFile(path, csv);
  const j = await withWorkspace(getDb().prisma, ws, (tx) =>
    tx.importJob.create({ data: { workspaceId: ws, kind, fileName: "f.csv", mapping: { options: { ...OPTIONS, ...options } } }, select: { id: true } }),
  );
  return { id: j.id, path };
}

async function run(ws: string, kind: TImportKind, csv: string, batchRows: number, options: Partial<TImportOptions> = {}): Promise<ImportOutcome> {
  const j = await job(ws, kind, csv, options);
  return runImportJob(getDb().prisma, ws, j.id, j.path, { batchRows, now: NOW });
}

const counts = (o: { rows: number; created: number; updated: number; unchanged: number; rejected: number }) => ({
  rows: o.rows,
  created: o.created,
  updated: o.updated,
  unchanged: o.unchanged,
  rejected: o.rejected,
});

/** A digest of everything derived from orders in the workspace (zero rollup rows ignored, as a rebuild drops them). */
const DERIVED = `
  SELECT md5(coalesce(string_agg(x, '|' ORDER BY x), '')) AS h FROM (
    SELECT concat_ws(',', 'c', external_id, order_count, purchase_days, first_order_at, last_order_at, revenue_minor, margin_minor, first_day_revenue_minor, first_month_revenue_minor) AS x FROM customers WHERE workspace_id = $1::uuid
    UNION ALL SELECT concat_ws(',', 'm', month, orders, revenue_minor, new_customers, new_customer_revenue_minor) FROM monthly_rollups WHERE workspace_id = $1::uuid AND (orders <> 0 OR revenue_minor <> 0 OR new_customers <> 0 OR new_customer_revenue_minor <> 0)
    UNION ALL SELECT concat_ws(',', 's', customers, customers_with_orders, repeat_customers, orders, revenue_minor) FROM workspace_stats WHERE workspace_id = $1::uuid
    UNION ALL SELECT concat_ws(',', 'cm', customer_id, month, orders, revenue_minor, margin_minor) FROM customer_months WHERE workspace_id = $1::uuid
    UNION ALL SELECT concat_ws(',', 'cw', customer_id, week, orders, revenue_minor, margin_minor) FROM customer_weeks WHERE workspace_id = $1::uuid
    UNION ALL SELECT concat_ws(',', 'pending', count(*)) FROM summary_pending WHERE workspace_id = $1::uuid) s`;

class RollBack extends Error {}
/** The workspace's derived state now and after vl_rebuild_* from raw orders (the rebuild is rolled back). */
async function derivedVsRebuilt(ws: string): Promise<{ now: string; rebuilt: string }> {
  let r: { now: string; rebuilt: string } | null = null;
  await withWorkspace(getDb().prisma, ws, async (tx) => {
    const now = (await tx.$queryRawUnsafe<{ h: string }[]>(DERIVED, ws))[0]!.h;
    await tx.$executeRaw`SELECT vl_rebuild_summaries(${ws}::uuid), vl_rebuild_customer_months(${ws}::uuid)`;
    const rebuilt = (await tx.$queryRawUnsafe<{ h: string }[]>(DERIVED, ws))[0]!.h;
    r = { now, rebuilt };
    throw new RollBack();
  }).catch((e: unknown) => {
    if (!(e instanceof RollBack)) throw e;
  });
  return r!;
}

function orders(n: number, prefix: string, f: (i: number) => { amount?: string; customer?: number; refunded?: string } = () => ({})): string {
  const lines = ["order_id,customer_id,email,created_at,total,currency,refunded"];
  for (let i = 0; i < n; i++) {
    const o = f(i);
    const c = o.customer ?? i % 13;
    lines.push(`${prefix}-o${i},${prefix}-c${c},${prefix}-c${c}@example.com,2025-${String(1 + (i % 12)).padStart(2, "0")}-${String(1 + (i % 27)).padStart(2, "0")}T${String(i % 24).padStart(2, "0")}:00:00Z,${o.amount ?? `${10 + (i % 50)}.25`},${i % 9 === 0 ? "EUR" : "USD"},${o.refunded ?? "false"}`);
  }
  return lines.join("\n") + "\n";
}

describe("import fast path: bulk chunks", () => {
  it("new, unchanged and updated files across many chunks: exact counts, summaries equal a rebuild after each", async () => {
    const ws = a.workspaceId;
    const first = await run(ws, "ORDERS", orders(230, "fp"), 40);
    expect(first.status).toBe("COMPLETED");
    expect(counts(first)).toEqual({ rows: 230, created: 230, updated: 0, unchanged: 0, rejected: 0 });
    expect(first.timing.customersRefreshed).toBeGreaterThanOrEqual(13);
    let d = await derivedVsRebuilt(ws);
    expect(d.now).toBe(d.rebuilt);
    expect(await deferredCount(ws)).toBe(0);

    const again = await run(ws, "ORDERS", orders(230, "fp"), 40);
    expect(counts(again)).toEqual({ rows: 230, created: 0, updated: 0, unchanged: 230, rejected: 0 });
    expect(again.timing.customersRefreshed).toBe(0);

    // Every 7th amount changed, every 11th order moved to another customer, every 17th refunded.
    const changed = orders(230, "fp", (i) => ({
      amount: i % 7 === 0 ? "99.99" : undefined,
      customer: i % 11 === 0 ? 20 + (i % 3) : undefined,
      refunded: i % 17 === 0 ? "true" : undefined,
    }));
    const expectUpdated = Array.from({ length: 230 }, (_, i) => i).filter((i) => i % 7 === 0 || i % 11 === 0 || i % 17 === 0).length;
    const upd = await run(ws, "ORDERS", changed, 40);
    expect(counts(upd)).toEqual({ rows: 230, created: 0, updated: expectUpdated, unchanged: 230 - expectUpdated, rejected: 0 });
    d = await derivedVsRebuilt(ws);
    expect(d.now).toBe(d.rebuilt);
    const n = await withWorkspace(getDb().prisma, ws, (tx) => tx.order.count({ where: { workspaceId: ws, externalId: { startsWith: "fp-" } } }));
    expect(n).toBe(230);
  });

  it("unknown customers follow the option in every chunk; duplicates across chunks are rejected; the invariant holds", async () => {
    const ws = a.workspaceId;
    await run(ws, "CUSTOMERS", "customer_id,email\nuk-known1,k1@example.com\nuk-known2,k2@example.com\n", 10);
    const lines = ["order_id,customer_id,created_at,total"];
    for (let i = 0; i < 60; i++) lines.push(`uk-o${i},${i % 3 === 0 ? `uk-unknown${i}` : `uk-known${1 + (i % 2)}`},2025-03-0${1 + (i % 9)},5.00`);
    lines.push("uk-o3,uk-known1,2025-03-01,5.00"); // duplicate id of a row three chunks earlier
    const csv = lines.join("\n") + "\n";
    const rejected = await run(ws, "ORDERS", csv, 8, { unknownCustomers: "reject" });
    expect(counts(rejected)).toEqual({ rows: 61, created: 40, updated: 0, unchanged: 0, rejected: 21 });
    const created = await run(ws, "ORDERS", csv, 8, { unknownCustomers: "create" });
    expect(counts(created)).toEqual({ rows: 61, created: 20, updated: 0, unchanged: 40, rejected: 1 });
    const d = await derivedVsRebuilt(ws);
    expect(d.now).toBe(d.rebuilt);
  });

  it("the flush refreshes many slices two at a time and counts every customer it refreshed", async () => {
    const b = await signUp("fastP", "Fast path P");
    const ws = b.workspaceId;
    const prisma = getDb().prisma;
    await run(ws, "CUSTOMERS", "customer_id,email\n" + Array.from({ length: 23 }, (_, i) => `ps${i},ps${i}@example.com`).join("\n") + "\n", 10);
    await withWorkspace(prisma, ws, async (tx) => {
      await beginBulkSummariesDeferred(tx, ws);
      await tx.$executeRaw`INSERT INTO orders (workspace_id, external_id, customer_id, ordered_at, amount_minor, currency)
        SELECT ${ws}::uuid, 'ps-' || c.external_id || '-' || g, c.id, TIMESTAMPTZ '2025-12-28' + g * interval '9 days' + length(c.external_id) * interval '1 hour', 700 * g, 'USD'
          FROM customers c CROSS JOIN generate_series(1, 3) g WHERE c.workspace_id = ${ws}::uuid`;
    });
    expect(await deferredCount(ws)).toBe(23);
    // Slices of 3 customers (8 slices), two transactions at a time.
    expect(await flushDeferred(prisma, ws, {}, 2, 3)).toBe(23);
    expect(await deferredCount(ws)).toBe(0);
    const d = await derivedVsRebuilt(ws);
    expect(d.now).toBe(d.rebuilt);
    expect(await flushDeferred(prisma, ws, {}, 2, 3)).toBe(0);
  });

  it("chunks written two at a time: the same unknown customers created once, stored counters and progress add up", async () => {
    const ws = a.workspaceId;
    // 200 orders of 5 customers nobody imported, 10 rows a chunk: every chunk (two in flight at a
    // time) creates the same customers, so concurrent chunks meet on their unique keys.
    const lines = ["order_id,customer_id,created_at,total"];
    for (let i = 0; i < 200; i++) lines.push(`par-o${i},par-c${(i * 7) % 5},2025-0${1 + (i % 9)}-1${i % 10},${1 + (i % 13)}.25`);
    const csv = lines.join("\n") + "\n";
    const j = await job(ws, "ORDERS", csv);
    const out = await runImportJob(getDb().prisma, ws, j.id, j.path, { batchRows: 10, now: NOW });
    expect(out.status).toBe("COMPLETED");
    expect(counts(out)).toEqual({ rows: 200, created: 200, updated: 0, unchanged: 0, rejected: 0 });
    const stored = await withWorkspace(getDb().prisma, ws, (tx) =>
      tx.importJob.findUniqueOrThrow({
        where: { workspaceId_id: { workspaceId: ws, id: j.id } },
        select: { rowsTotal: true, rowsCreated: true, rowsUpdated: true, rowsUnchanged: true, rowsRejected: true, bytesProcessed: true, bytesTotal: true },
      }),
    );
    expect(stored).toEqual({ rowsTotal: 200, rowsCreated: 200, rowsUpdated: 0, rowsUnchanged: 0, rowsRejected: 0, bytesProcessed: stored.bytesTotal, bytesTotal: BigInt(Buffer.byteLength(csv)) });
    const customers = await withWorkspace(getDb().prisma, ws, (tx) =>
      tx.customer.findMany({ where: { workspaceId: ws, externalId: { startsWith: "par-c" } }, select: { externalId: true, orderCount: true }, orderBy: { externalId: "asc" } }),
    );
    expect(customers).toEqual([0, 1, 2, 3, 4].map((c) => ({ externalId: `par-c${c}`, orderCount: 40 })));
    const d = await derivedVsRebuilt(ws);
    expect(d.now).toBe(d.rebuilt);
    expect(await deferredCount(ws)).toBe(0);
    // Again: nothing changes, and no customer is created twice.
    const again = await run(ws, "ORDERS", csv, 10);
    expect(counts(again)).toEqual({ rows: 200, created: 0, updated: 0, unchanged: 200, rejected: 0 });
  });
});

describe("orders → customers without a per-row foreign key (migration 20261124101100)", () => {
  it("an order for a customer that does not exist is refused (23503); deleting a customer deletes its orders, months and weeks", async () => {
    const ws = a.workspaceId;
    await run(ws, "ORDERS", orders(26, "fk"), 10);
    const prisma = getDb().prisma;
    const missing = crypto.randomUUID();
    const err = await withWorkspace(prisma, ws, (tx) =>
      tx.$executeRaw`INSERT INTO orders (workspace_id, external_id, customer_id, ordered_at, amount_minor, currency)
        VALUES (${ws}::uuid, 'fk-orphan', ${missing}::uuid, now(), 100, 'USD')`,
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(String((err as Error).message)).toMatch(/23503|foreign key/);
    // Moving an order to a customer that does not exist is refused the same way.
    const moved = await withWorkspace(prisma, ws, (tx) =>
      tx.$executeRaw`UPDATE orders SET customer_id = ${missing}::uuid WHERE workspace_id = ${ws}::uuid AND external_id = 'fk-o0'`,
    ).catch((e: unknown) => e);
    expect(String((moved as Error).message)).toMatch(/23503|foreign key/);

    const count = (sql: string) =>
      withWorkspace(prisma, ws, async (tx) => (await tx.$queryRawUnsafe<{ n: number }[]>(sql, ws))[0]!.n);
    const ofC0 = (table: string) =>
      `SELECT count(*)::int AS n FROM ${table} x JOIN customers c ON c.workspace_id = x.workspace_id AND c.id = x.customer_id WHERE x.workspace_id = $1::uuid AND c.external_id = 'fk-c0'`;
    expect(await count(ofC0("orders"))).toBe(2);
    expect(await count(ofC0("customer_months"))).toBeGreaterThan(0);
    const before = await count(`SELECT count(*)::int AS n FROM orders WHERE workspace_id = $1::uuid`);
    const monthsBefore = await count(`SELECT count(*)::int AS n FROM customer_months WHERE workspace_id = $1::uuid`);
    const c0 = await withWorkspace(prisma, ws, (tx) => tx.customer.findFirstOrThrow({ where: { workspaceId: ws, externalId: "fk-c0" }, select: { id: true } }));
    await withWorkspace(prisma, ws, (tx) => tx.customer.delete({ where: { workspaceId_id: { workspaceId: ws, id: c0.id } } }));
    const left = (table: string) => count(`SELECT count(*)::int AS n FROM ${table} WHERE workspace_id = $1::uuid AND customer_id = '${c0.id}'::uuid`);
    expect(await left("orders")).toBe(0);
    expect(await left("customer_months")).toBe(0);
    expect(await left("customer_weeks")).toBe(0);
    expect(await count(`SELECT count(*)::int AS n FROM orders WHERE workspace_id = $1::uuid`)).toBe(before - 2);
    expect(await count(`SELECT count(*)::int AS n FROM customer_months WHERE workspace_id = $1::uuid`)).toBeLessThan(monthsBefore);
    const d = await derivedVsRebuilt(ws);
    expect(d.now).toBe(d.rebuilt);
  });
});

describe("direct-defer bulk mode and new-key inserts (migration 20261124101500)", () => {
  it("a chunk's customers go straight to the deferred list (nothing pending), are refreshed once, and a workspace delete leaves no list behind", async () => {
    const b = await signUp("fastD", "Fast path D");
    const ws = b.workspaceId;
    const prisma = getDb().prisma;
    await run(ws, "CUSTOMERS", "customer_id,email\nd1,d1@example.com\nd2,d2@example.com\nd3,d3@example.com\n", 10);
    const inTx = await withWorkspace(prisma, ws, async (tx) => {
      await beginBulkSummariesDeferred(tx, ws);
      await tx.$executeRaw`INSERT INTO orders (workspace_id, external_id, customer_id, ordered_at, amount_minor, currency)
        SELECT ${ws}::uuid, 'dd-' || c.external_id || '-' || g, c.id, TIMESTAMPTZ '2026-01-05' + g * interval '40 days', 1000 * g, 'USD'
          FROM customers c CROSS JOIN generate_series(1, 2) g WHERE c.workspace_id = ${ws}::uuid AND c.external_id <> 'd3'`;
      const q = (sql: string) => tx.$queryRawUnsafe<{ n: number }[]>(sql, ws).then((r) => r[0]!.n);
      return {
        pending: await q(`SELECT count(*)::int AS n FROM summary_pending WHERE workspace_id = $1::uuid`),
        deferred: await q(`SELECT count(*)::int AS n FROM summary_deferred WHERE workspace_id = $1::uuid`),
      };
    });
    expect(inTx).toEqual({ pending: 0, deferred: 2 });
    // Committed with the chunk; the summaries wait for the flush (once per import).
    expect(await deferredCount(ws)).toBe(2);
    const orderCounts = () =>
      withWorkspace(prisma, ws, (tx) => tx.customer.findMany({ where: { workspaceId: ws }, orderBy: { externalId: "asc" }, select: { externalId: true, orderCount: true } }));
    expect((await orderCounts()).map((c) => c.orderCount)).toEqual([0, 0, 0]);
    // A recompute that ran before the flush saw (and cleared) this mark; the flush leaves a new one.
    const seen = new Date(Date.now() - 60_000);
    await withWorkspace(prisma, ws, (tx) => tx.$executeRaw`UPDATE workspaces SET metrics_stale_at = ${seen} WHERE id = ${ws}::uuid`);
    expect(await flushDeferred(prisma, ws)).toBe(2);
    const mark = await withWorkspace(prisma, ws, (tx) => tx.workspace.findUniqueOrThrow({ where: { id: ws }, select: { metricsStaleAt: true } }));
    expect(mark.metricsStaleAt!.getTime()).toBeGreaterThan(seen.getTime());
    expect(await orderCounts()).toEqual([
      { externalId: "d1", orderCount: 2 },
      { externalId: "d2", orderCount: 2 },
      { externalId: "d3", orderCount: 0 },
    ]);
    const d = await derivedVsRebuilt(ws);
    expect(d.now).toBe(d.rebuilt);

    // The list has no foreign key to workspaces any more: a workspace delete still removes it. (Its
    // customers go first: their delete trigger would flush the list itself.)
    await withWorkspace(prisma, ws, async (tx) => {
      await tx.$executeRaw`DELETE FROM customers WHERE workspace_id = ${ws}::uuid`;
      await tx.$executeRaw`INSERT INTO summary_deferred (workspace_id, customer_id) VALUES (${ws}::uuid, gen_random_uuid()), (${ws}::uuid, gen_random_uuid())`;
    });
    expect(await deferredCount(ws)).toBe(2);
    await owner.prisma.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT set_config('app.current_workspace', ${ws}, true)`;
      await tx.$executeRaw`DELETE FROM workspaces WHERE id = ${ws}::uuid`;
    });
    const left = await owner.prisma.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM summary_deferred WHERE workspace_id = ${ws}::uuid`;
    expect(left[0]!.n).toBe(0);
  });

  it("an order whose external id appears between a chunk's read and its insert fails the chunk with 23505, which is retried", async () => {
    expect(isRetryable("23505")).toBe(true);
    const ws = a.workspaceId;
    await run(ws, "ORDERS", orders(4, "race"), 10);
    const prisma = getDb().prisma;
    // A plain insert of a key that exists is refused (what a concurrent writer's row causes).
    const err = await withWorkspace(prisma, ws, (tx) =>
      tx.$executeRaw`INSERT INTO orders (workspace_id, external_id, customer_id, ordered_at, amount_minor, currency)
        SELECT workspace_id, external_id, customer_id, ordered_at, amount_minor, currency FROM orders WHERE workspace_id = ${ws}::uuid AND external_id = 'race-o0'`,
    ).catch((e: unknown) => e);
    expect(pgCode(err)).toBe("23505");
    // Re-running the file afterwards reads every row as stored.
    const again = await run(ws, "ORDERS", orders(4, "race"), 10);
    expect(counts(again)).toMatchObject({ created: 0, updated: 0, rejected: 0 });
    expect(again.unchanged).toBe(again.rows);
  });
});

describe("import fast path: crash recovery", () => {
  it("a killed import leaves consistent chunks, is marked FAILED only once its heartbeat is stale, and a re-run completes it without duplicates", async () => {
    const b = await signUp("fastCrash", "Fast path crash");
    const ws = b.workspaceId;
    const N = 12_000;
    const csv = orders(N, "crash");
    const j = await job(ws, "ORDERS", csv);
    const child = spawn(process.execPath, ["--import", "tsx", join(import.meta.dirname, "fixtures/import-child.ts"), ws, j.id, j.path, "400"], {
      cwd: join(import.meta.dirname, ".."),
      env: process.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    // Kill it (no cleanup, like a server killed) once at least two chunks are committed.
    const deadline = Date.now() + 240_000;
    let killedAt = 0;
    while (Date.now() < deadline) {
      const p = await withWorkspace(getDb().prisma, ws, (tx) => getImport(tx, ws, j.id));
      if (p.rows >= 800) {
        child.kill("SIGKILL");
        killedAt = p.rows;
        break;
      }
      if (child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await exited;
    expect(killedAt, `the child never committed two chunks (stderr: ${stderr.slice(0, 2000)})`).toBeGreaterThanOrEqual(800);

    // A COMMIT the killed process had already sent still completes on the server (with two chunk
    // transactions at a time, one may be committing): wait until the committed rows stop moving.
    const progress = () => withWorkspace(getDb().prisma, ws, (tx) => getImport(tx, ws, j.id));
    for (let last = -1, now = (await progress()).rows; now !== last; ) {
      await new Promise((r) => setTimeout(r, 500));
      [last, now] = [now, (await progress()).rows];
    }
    // Committed progress and committed data agree (same transaction per chunk), read in one snapshot …
    const [dead, committed] = await withWorkspace(
      getDb().prisma,
      ws,
      async (tx) => [await getImport(tx, ws, j.id), await tx.order.count({ where: { workspaceId: ws, externalId: { startsWith: "crash-" } } })] as const,
      { isolationLevel: "RepeatableRead" },
    );
    expect(dead.status).toBe("RUNNING");
    expect(dead.rows).toBeLessThan(N);
    expect(committed).toBe(dead.created);
    expect(dead.created + dead.updated + dead.unchanged + dead.rejected).toBe(dead.rows);
    // … and every customer a committed chunk touched is on the durable deferred list (summaries are
    // refreshed once per import, so they lag until the import's end or the recovery sweep).
    const deferred = await deferredCount(ws);
    expect(deferred).toBeGreaterThan(0);
    expect(deferred).toBeLessThanOrEqual(13);
    // The sweep leaves the deferred list alone while the import's heartbeat is fresh …
    await failInterruptedImportsEverywhere(owner.prisma, getDb().prisma);
    expect((await withWorkspace(getDb().prisma, ws, (tx) => getImport(tx, ws, j.id))).status).toBe("RUNNING");

    // Its heartbeat is fresh: no sweep (any process) takes it for dead yet …
    expect(await withWorkspace(getDb().prisma, ws, (tx) => failInterruptedImports(tx, ws))).toBe(0);
    // … once it is older than the limit (simulated: cut-off in the future), it is marked FAILED.
    expect(await withWorkspace(getDb().prisma, ws, (tx) => failInterruptedImports(tx, ws, new Date(Date.now() + 1_000)))).toBe(1);
    const failed = await withWorkspace(getDb().prisma, ws, (tx) => getImport(tx, ws, j.id));
    expect(failed.status).toBe("FAILED");
    expect(failed.error).toMatch(/interrupted/);
    // … and the worker's sweep then refreshes the summaries it left deferred: equal to a rebuild.
    await failInterruptedImportsEverywhere(owner.prisma, getDb().prisma);
    let d = await derivedVsRebuilt(ws);
    expect(d.now).toBe(d.rebuilt);
    expect(await deferredCount(ws)).toBe(0);

    // Re-running the same file completes the data, nothing duplicated.
    const rerun = await run(ws, "ORDERS", csv, 4_000);
    expect(rerun.status).toBe("COMPLETED");
    expect(counts(rerun)).toEqual({ rows: N, created: N - committed, updated: 0, unchanged: committed, rejected: 0 });
    const total = await withWorkspace(getDb().prisma, ws, (tx) => tx.order.count({ where: { workspaceId: ws, externalId: { startsWith: "crash-" } } }));
    expect(total).toBe(N);
    d = await derivedVsRebuilt(ws);
    expect(d.now).toBe(d.rebuilt);
    expect(await deferredCount(ws)).toBe(0);
  }, 300_000);
});
