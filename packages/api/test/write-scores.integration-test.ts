import { createDb, getDb, withWorkspace, type DbHandle, type Tx } from "@valuelens/db";
import { describe, expect, it } from "vitest";
import { replaceScores, upsertScores, type ScoreRow } from "../src/services/recompute/write-scores.ts";
import { signUp } from "./harness.ts";

/**
 * The score write sends each column of a batch as one PostgreSQL array in binary form (write-scores.ts;
 * a text literal before session 8). These tests read every stored row back and compare it field by
 * field with what was written: values either form could break (quotes, backslashes, commas and braces in strings, NaN,
 * tiny and huge doubles, nulls), more rows than one batch, and the upsert path of the incremental
 * refresh. customer_scores has no foreign key to customers (migration 20261124100900), so the
 * rows need no customers.
 */
const BATCH_PLUS = 20_000 * 2 + 7; // three batches, the last one short

function row(i: number): ScoreRow {
  const odd = i % 2 === 1;
  return {
    customerId: crypto.randomUUID(),
    pAlive: i === 0 ? Number.NaN : i === 1 ? null : i === 2 ? 3.357849783841986e-14 : (i % 997) / 997 + 1e-9,
    e30: i === 3 ? Number.POSITIVE_INFINITY : i / 7,
    e90: odd ? null : 0.1 + 0.2, // 0.30000000000000004 must come back as the same double
    e365: i * 1.000000000000001,
    clv: i === 4 ? null : i * 10.5, // rounds half away from zero like Math.round (x.5 → up for positives)
    clvLow: i === 5 ? Number.NaN : i * 5.25,
    clvHigh: i * 20.75,
    churnRisk: i === 6 ? null : ["low", "medium", "high"][i % 3]!,
    r: 1 + (i % 5),
    f: 1 + ((i >> 1) % 5),
    m: 1 + ((i >> 2) % 5),
    segment: i === 7 ? 'He said "no", {braces}, a\\backslash' : i === 8 ? "NULL" : i === 9 ? "" : ["Can't Lose Them", "At Risk", "Champions"][i % 3]!,
    tier: i === 10 ? "a,b" : ["high", "medium", "low"][i % 3]!,
    historical: i === 11 ? 2 ** 53 - 1 : i * 1234,
    lastAt: Date.UTC(2025, 0, 1) + i * 61_001,
  };
}

const fin = (v: number | null) => (v === null || !Number.isFinite(v) ? null : v);
const whole = (v: number | null) => (v === null || !Number.isFinite(v) ? null : Math.round(v));

interface Stored {
  customer_id: string;
  model_run_id: string;
  p_alive: number | null;
  expected_purchases_30: number | null;
  expected_purchases_90: number | null;
  expected_purchases_365: number | null;
  predicted_clv_minor: string | null;
  predicted_clv_low_minor: string | null;
  predicted_clv_high_minor: string | null;
  historical_clv_minor: string;
  churn_risk: string | null;
  rfm_r: number;
  rfm_f: number;
  rfm_m: number;
  rfm_segment: string;
  value_tier: string;
  scored_at: Date;
  last_order_at: Date | null;
}

function expectStored(got: Stored | undefined, r: ScoreRow, runId: string, scoredAt: Date) {
  expect(got, r.customerId).toBeDefined();
  const str = (v: number | null) => (v === null ? null : String(v));
  expect(got).toEqual({
    customer_id: r.customerId,
    model_run_id: runId,
    p_alive: fin(r.pAlive),
    expected_purchases_30: fin(r.e30),
    expected_purchases_90: fin(r.e90),
    expected_purchases_365: fin(r.e365),
    predicted_clv_minor: str(whole(r.clv)),
    predicted_clv_low_minor: str(whole(r.clvLow)),
    predicted_clv_high_minor: str(whole(r.clvHigh)),
    historical_clv_minor: String(Math.round(r.historical)),
    churn_risk: r.churnRisk,
    rfm_r: r.r,
    rfm_f: r.f,
    rfm_m: r.m,
    rfm_segment: r.segment,
    value_tier: r.tier,
    scored_at: scoredAt,
    last_order_at: new Date(r.lastAt),
  });
}

async function readAll(workspaceId: string): Promise<Map<string, Stored>> {
  const rows = await withWorkspace(getDb().prisma, workspaceId, (tx) =>
    tx.$queryRaw<Stored[]>`
      SELECT customer_id::text, model_run_id::text, p_alive, expected_purchases_30, expected_purchases_90, expected_purchases_365,
             predicted_clv_minor::text, predicted_clv_low_minor::text, predicted_clv_high_minor::text, historical_clv_minor::text,
             churn_risk, rfm_r, rfm_f, rfm_m, rfm_segment, value_tier, scored_at, last_order_at
        FROM customer_scores WHERE workspace_id = ${workspaceId}::uuid`,
  );
  return new Map(rows.map((r) => [r.customer_id, r]));
}

describe("score write (column arrays)", () => {
  it("stores every field of every row exactly, across batches, and replaces only the workspace's own rows", async () => {
    const a = await signUp("ScoresA");
    const b = await signUp("ScoresB");
    const rows = Array.from({ length: BATCH_PLUS }, (_, i) => row(i));
    const run1 = crypto.randomUUID();
    const at1 = new Date(Date.UTC(2026, 10, 24, 10, 0, 0, 123));
    await withWorkspace(getDb().prisma, a.workspaceId, (tx) => replaceScores(tx, a.workspaceId, run1, rows, at1), { timeoutMs: 120_000 });
    const other = [row(12), row(13)];
    await withWorkspace(getDb().prisma, b.workspaceId, (tx) => replaceScores(tx, b.workspaceId, run1, other, at1));

    const stored = await readAll(a.workspaceId);
    expect(stored.size).toBe(BATCH_PLUS);
    for (const r of rows) expectStored(stored.get(r.customerId), r, run1, at1);

    // A second full run replaces the set: old customers gone, new ones in; workspace B untouched.
    const next = rows.slice(0, 5).concat([row(14)]);
    const run2 = crypto.randomUUID();
    const at2 = new Date(Date.UTC(2026, 10, 25));
    await withWorkspace(getDb().prisma, a.workspaceId, (tx) => replaceScores(tx, a.workspaceId, run2, next, at2), { timeoutMs: 120_000 });
    const again = await readAll(a.workspaceId);
    expect(again.size).toBe(next.length);
    for (const r of next) expectStored(again.get(r.customerId), r, run2, at2);
    const untouched = await readAll(b.workspaceId);
    expect(untouched.size).toBe(2);
    for (const r of other) expectStored(untouched.get(r.customerId), r, run1, at1);
  });

  it("upserts: changed customers are overwritten in place, new ones added, the rest kept", async () => {
    const a = await signUp("ScoresUpsert");
    const rows = Array.from({ length: 50 }, (_, i) => row(i));
    const run1 = crypto.randomUUID();
    const at1 = new Date(Date.UTC(2026, 10, 24));
    await withWorkspace(getDb().prisma, a.workspaceId, (tx) => replaceScores(tx, a.workspaceId, run1, rows, at1));
    const changed = rows.slice(0, 10).map((r, i) => ({ ...r, pAlive: 0.5 + i / 100, clv: (r.clv ?? 0) + 99.4, segment: "Lost", tier: "low", churnRisk: "high" }));
    const added = [row(60), row(61)];
    const run2 = crypto.randomUUID();
    const at2 = new Date(Date.UTC(2026, 10, 25));
    await withWorkspace(getDb().prisma, a.workspaceId, (tx) => upsertScores(tx, a.workspaceId, run2, [...changed, ...added], at2));
    const stored = await readAll(a.workspaceId);
    expect(stored.size).toBe(52);
    for (const r of [...changed, ...added]) expectStored(stored.get(r.customerId), r, run2, at2);
    for (const r of rows.slice(10)) expectStored(stored.get(r.customerId), r, run1, at1);
  });

  it("an empty set clears the workspace's scores", async () => {
    const a = await signUp("ScoresEmpty");
    await withWorkspace(getDb().prisma, a.workspaceId, (tx) => replaceScores(tx, a.workspaceId, crypto.randomUUID(), [row(1), row(2)], new Date()));
    await withWorkspace(getDb().prisma, a.workspaceId, (tx) => replaceScores(tx, a.workspaceId, crypto.randomUUID(), [], new Date()));
    expect((await readAll(a.workspaceId)).size).toBe(0);
  });
});

/**
 * Large sets are loaded into a staging table, indexed, and swapped in as the workspace's partition
 * (migration 20261124107000_scores_partition_swap). `swapMinRows` forces that path on small sets.
 */
const SWAP = { swapMinRows: 1 };

/** A pool of one connection of the app role (a separate backend from the writer's). */
const appSession = (): DbHandle => createDb(process.env.DATABASE_URL!, { max: 1 });

async function ownerQuery<T>(sql: string, ...params: unknown[]): Promise<T[]> {
  const owner = createDb(process.env.DATABASE_OWNER_URL!, { max: 1 });
  try {
    return await owner.prisma.$queryRawUnsafe<T[]>(sql, ...params);
  } finally {
    await owner.close();
  }
}

async function countOf(tx: Tx, workspaceId: string): Promise<number> {
  const [r] = await tx.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM customer_scores WHERE workspace_id = ${workspaceId}::uuid`;
  return r?.n ?? -1;
}

/** Opens a tenant transaction on its own connection, runs `first`, then keeps it open until released. */
function holdOpen(db: DbHandle, workspaceId: string, first: (tx: Tx) => Promise<void>, later: (tx: Tx) => Promise<void> = async () => undefined) {
  let release!: () => void;
  const released = new Promise<void>((res) => (release = res));
  let opened!: () => void;
  const ready = new Promise<void>((res) => (opened = res));
  const done = withWorkspace(db.prisma, workspaceId, async (tx) => {
    await first(tx);
    opened();
    await released;
    await later(tx);
  }, { timeoutMs: 60_000 });
  return { ready, release, done };
}

const partitionOf = (ws: string) => `ws_${ws.replace(/-/g, "")}`;

describe("score write (staged load + partition swap)", () => {
  it("writes the same rows as the in-place path, replaces the set on the next run, and leaves other workspaces alone", async () => {
    const a = await signUp("SwapA");
    const b = await signUp("SwapB");
    const rows = Array.from({ length: BATCH_PLUS }, (_, i) => row(i));
    // The same customers and values in both workspaces: one written in place, one swapped in.
    const copy = rows.map((r) => ({ ...r }));
    const run1 = crypto.randomUUID();
    const at1 = new Date(Date.UTC(2026, 10, 24, 10, 0, 0, 123));
    expect(await withWorkspace(getDb().prisma, a.workspaceId, (tx) => replaceScores(tx, a.workspaceId, run1, rows, at1, SWAP), { timeoutMs: 120_000 })).toBe("swapped");
    expect(await withWorkspace(getDb().prisma, b.workspaceId, (tx) => replaceScores(tx, b.workspaceId, run1, copy, at1), { timeoutMs: 120_000 })).toBe("in place");
    const swapped = await readAll(a.workspaceId);
    const inPlace = await readAll(b.workspaceId);
    expect(swapped.size).toBe(BATCH_PLUS);
    expect(swapped).toEqual(inPlace);
    for (const r of rows) expectStored(swapped.get(r.customerId), r, run1, at1);

    // Second full run: a new set replaces the old one (old customers gone), B untouched.
    const next = rows.slice(0, 5).concat([row(14), row(15)]);
    const run2 = crypto.randomUUID();
    const at2 = new Date(Date.UTC(2026, 10, 25));
    expect(await withWorkspace(getDb().prisma, a.workspaceId, (tx) => replaceScores(tx, a.workspaceId, run2, next, at2, SWAP))).toBe("swapped");
    const again = await readAll(a.workspaceId);
    expect(again.size).toBe(next.length);
    for (const r of next) expectStored(again.get(r.customerId), r, run2, at2);
    expect((await readAll(b.workspaceId)).size).toBe(BATCH_PLUS);

    // The incremental path writes through the parent into the swapped-in leaf.
    const changed = { ...next[0]!, clv: 12345, segment: "Lost" };
    await withWorkspace(getDb().prisma, a.workspaceId, (tx) => upsertScores(tx, a.workspaceId, run2, [changed, row(16)], at2));
    const upserted = await readAll(a.workspaceId);
    expect(upserted.size).toBe(next.length + 1);
    expectStored(upserted.get(changed.customerId), changed, run2, at2);

    // The workspace has one partition with one leaf (the old leaves were dropped), no staging table left.
    const leaves = await ownerQuery<{ leaf: string }>(
      `SELECT c.relname AS leaf FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = to_regclass($1)`,
      `vl_scores.${partitionOf(a.workspaceId)}`,
    );
    expect(leaves).toHaveLength(1);
    const tables = await ownerQuery<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
        WHERE s.nspname = 'vl_scores' AND c.relkind IN ('r', 'p') AND c.relname LIKE $1`,
      `%${a.workspaceId.replace(/-/g, "")}%`,
    );
    expect(tables[0]?.n).toBe(2); // the partition and its leaf
  });

  it("readers in other sessions see the old set or the new one, never part of one and never none", async () => {
    const a = await signUp("SwapReaders");
    const old = Array.from({ length: 3000 }, (_, i) => row(i));
    const run1 = crypto.randomUUID();
    await withWorkspace(getDb().prisma, a.workspaceId, (tx) => replaceScores(tx, a.workspaceId, run1, old, new Date(), SWAP));
    const fresh = Array.from({ length: 2000 }, (_, i) => row(i + 5000));
    const run2 = crypto.randomUUID();

    const readers = [1, 2, 3].map(() => appSession());
    const seen: string[] = [];
    let stop = false;
    const poll = Promise.all(
      readers.map(async (db) => {
        while (!stop) {
          const [r] = await withWorkspace(db.prisma, a.workspaceId, (tx) => tx.$queryRaw<{ n: number; runs: string[] | null }[]>`
            SELECT count(*)::int AS n, array_agg(DISTINCT model_run_id::text) AS runs FROM customer_scores WHERE workspace_id = ${a.workspaceId}::uuid`);
          seen.push(`${r?.n}:${(r?.runs ?? []).map((x) => (x === run1 ? "old" : x === run2 ? "new" : x)).join(",")}`);
        }
      }),
    );
    try {
      // The readers have seen the old set before the write starts (on a loaded machine their first reads
      // could come after the swap, and the test then failed without a defect).
      while (seen.length < 3) await new Promise((r) => setTimeout(r, 10));
      let release!: () => void;
      const hold = new Promise<void>((res) => (release = res));
      const writer = withWorkspace(
        getDb().prisma,
        a.workspaceId,
        async (tx) => {
          const mode = await replaceScores(tx, a.workspaceId, run2, fresh, new Date(), SWAP);
          await hold; // swapped, not yet committed: readers must wait or still see the old set
          return mode;
        },
        { timeoutMs: 60_000 },
      );
      await new Promise((r) => setTimeout(r, 1500));
      release();
      expect(await writer).toBe("swapped");
      await new Promise((r) => setTimeout(r, 300));
    } finally {
      stop = true;
      await poll;
      await Promise.all(readers.map((db) => db.close()));
    }
    expect(seen.length).toBeGreaterThan(3);
    expect(new Set(seen)).toEqual(new Set(seen.filter((x) => x === "3000:old" || x === "2000:new")));
    expect(seen).toContain("3000:old");
    expect(seen.at(-1)).toBe("2000:new");
  });

  it("a long reader of another workspace does not hold the swap up; one of the same workspace makes it fall back to an in-place copy", async () => {
    const a = await signUp("SwapBusyA");
    const b = await signUp("SwapBusyB");
    const rowsA = Array.from({ length: 500 }, (_, i) => row(i));
    const rowsB = Array.from({ length: 400 }, (_, i) => row(i + 1000));
    await withWorkspace(getDb().prisma, a.workspaceId, (tx) => replaceScores(tx, a.workspaceId, crypto.randomUUID(), rowsA, new Date(), SWAP));
    await withWorkspace(getDb().prisma, b.workspaceId, (tx) => replaceScores(tx, b.workspaceId, crypto.randomUUID(), rowsB, new Date(), SWAP));

    // B's reader keeps its transaction open (ACCESS SHARE on customer_scores and on B's partition).
    const dbB = appSession();
    const dbA = appSession();
    try {
      let seenB = -1;
      const readerB = holdOpen(dbB, b.workspaceId, async (tx) => void (seenB = await countOf(tx, b.workspaceId)));
      await readerB.ready;
      expect(seenB).toBe(400);
      const next = rowsA.slice(0, 100);
      const mode = await withWorkspace(getDb().prisma, a.workspaceId, (tx) =>
        replaceScores(tx, a.workspaceId, crypto.randomUUID(), next, new Date(), { ...SWAP, lockTimeoutMs: 100, tries: 1 }),
      );
      expect(mode).toBe("swapped");
      readerB.release();
      await readerB.done;

      // A reader of A holding its partition: every try times out, so the set is copied in place instead.
      const seenA: number[] = [];
      const readerA = holdOpen(
        dbA,
        a.workspaceId,
        async (tx) => void seenA.push(await countOf(tx, a.workspaceId)),
        async (tx) => void seenA.push(await countOf(tx, a.workspaceId)),
      );
      await readerA.ready;
      const run3 = crypto.randomUUID();
      const third = rowsA.slice(200, 260);
      const at3 = new Date(Date.UTC(2026, 10, 26));
      const mode3 = await withWorkspace(getDb().prisma, a.workspaceId, (tx) =>
        replaceScores(tx, a.workspaceId, run3, third, at3, { ...SWAP, lockTimeoutMs: 50, tries: 2 }),
      );
      expect(mode3).toBe("copied");
      readerA.release();
      await readerA.done;
      // READ COMMITTED: the reader's next statement sees the committed new set.
      expect(seenA).toEqual([100, 60]);
      const stored = await readAll(a.workspaceId);
      expect(stored.size).toBe(60);
      for (const r of third) expectStored(stored.get(r.customerId), r, run3, at3);
      expect((await readAll(b.workspaceId)).size).toBe(400);
    } finally {
      await dbA.close();
      await dbB.close();
    }
  });

  it("a reader of the workspace that holds its partition and waits for the scoring transaction (a deadlock) is not cancelled; the write still lands", async () => {
    // Each swap try waits at most lockTimeoutMs, below deadlock_timeout (1 s) — longer only when nothing but a
    // VACUUM / ANALYZE holds the partition (next test) —, so with a reader holding it the swap never runs the
    // deadlock check itself: a cycle through it ends as lock_not_available (caught: retry, then the
    // in-place copy), and the other side's check, 1 s into its wait, finds no cycle once the swap has
    // given up. A try that waited past deadlock_timeout would let a deadlock check find the cycle: the
    // reader (if its check came first) or the scoring transaction itself (deadlock_detected is not
    // caught) would be cancelled. Session 12 (BENCHMARKS.md) weighed such a "last, longer try" and left it out.
    const a = await signUp("SwapDeadlock");
    const rows = Array.from({ length: 300 }, (_, i) => row(i));
    await withWorkspace(getDb().prisma, a.workspaceId, (tx) => replaceScores(tx, a.workspaceId, crypto.randomUUID(), rows, new Date(), SWAP));
    const key = Math.floor(Math.random() * 2 ** 31);
    const dbR = appSession();
    try {
      let writerHolds!: () => void;
      const holding = new Promise<void>((res) => (writerHolds = res));
      const seen: number[] = [];
      // The reader: reads the workspace's scores (ACCESS SHARE on its partition, kept), then waits for a
      // lock the scoring transaction holds (standing in for the workspace's advisory lock).
      const reader = holdOpen(
        dbR,
        a.workspaceId,
        async (tx) => void seen.push(await countOf(tx, a.workspaceId)),
        async (tx) => {
          await tx.$queryRaw`SELECT pg_advisory_xact_lock(${key}::bigint)::text`;
          seen.push(await countOf(tx, a.workspaceId));
        },
      );
      await reader.ready;
      const run = crypto.randomUUID();
      const next = rows.slice(0, 40);
      const writer = withWorkspace(getDb().prisma, a.workspaceId, async (tx) => {
        await tx.$queryRaw`SELECT pg_advisory_xact_lock(${key}::bigint)::text`;
        writerHolds();
        await new Promise((r) => setTimeout(r, 200)); // the reader is waiting for the lock by now
        return replaceScores(tx, a.workspaceId, run, next, new Date(), { ...SWAP, lockTimeoutMs: 100, tries: 3 });
      }, { timeoutMs: 60_000 });
      await holding;
      reader.release();
      expect(await writer).toBe("copied");
      await reader.done; // rejects if the reader was cancelled (deadlock_detected)
      expect(seen).toEqual([300, 40]);
      expect((await readAll(a.workspaceId)).size).toBe(40);
    } finally {
      await dbR.close();
    }
  });

  it("an autovacuum of the workspace's leaf does not make the swap fall back to the copy: the swap waits past deadlock_timeout and PostgreSQL cancels the vacuum", async () => {
    // A swapped-in leaf holds every score as fresh inserts, so autovacuum's insert-driven VACUUM takes it up
    // within a minute; a full run that met it copied 1M rows in place (36 s; migration 20261124109800).
    // Here a real autovacuum worker is made to hold the leaf: a 1 s naptime for the server (test files run
    // one at a time; reset below) and, on this leaf only, an insert threshold of 0 and a cost limit that
    // makes its VACUUM sleep 100 ms per page.
    const superUrl = process.env.TEST_DATABASE_SUPER_URL;
    if (!superUrl) throw new Error("TEST_DATABASE_SUPER_URL is not set: run through the test command or its globalSetup");
    const url = new URL(superUrl);
    url.pathname = new URL(process.env.DATABASE_OWNER_URL!).pathname;
    const su = createDb(url.toString(), { max: 1 });
    const a = await signUp("SwapAutovacuum");
    const rows = Array.from({ length: 3000 }, (_, i) => row(i));
    await withWorkspace(getDb().prisma, a.workspaceId, (tx) => replaceScores(tx, a.workspaceId, crypto.randomUUID(), rows, new Date(), SWAP));
    const part = `vl_scores.${partitionOf(a.workspaceId)}`;
    const [leaf] = await su.prisma.$queryRawUnsafe<{ name: string }[]>(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = to_regclass($1)`,
      part,
    );
    try {
      await su.prisma.$executeRawUnsafe(
        `ALTER TABLE vl_scores."${leaf!.name}" SET (autovacuum_vacuum_insert_threshold = 0, autovacuum_vacuum_insert_scale_factor = 0, autovacuum_vacuum_cost_delay = 100, autovacuum_vacuum_cost_limit = 1)`,
      );
      await su.prisma.$executeRawUnsafe(`ALTER SYSTEM SET autovacuum_naptime = '1s'`);
      await su.prisma.$queryRawUnsafe(`SELECT pg_reload_conf()`);
      const heldByVacuum = async () => {
        const [r] = await su.prisma.$queryRawUnsafe<{ n: number }[]>(
          `SELECT count(*)::int AS n FROM pg_locks l JOIN pg_stat_activity s ON s.pid = l.pid
            WHERE s.backend_type = 'autovacuum worker' AND l.granted AND l.relation = to_regclass($1)`,
          `vl_scores."${leaf!.name}"`,
        );
        return (r?.n ?? 0) > 0;
      };
      const until = Date.now() + 30_000;
      while (!(await heldByVacuum())) {
        if (Date.now() > until) throw new Error("no autovacuum worker took the leaf within 30 s");
        await new Promise((r) => setTimeout(r, 100));
      }
      const run = crypto.randomUUID();
      const next = rows.slice(0, 50);
      // Two tries of 100 ms: without the wait past deadlock_timeout both time out behind the vacuum ("copied").
      const mode = await withWorkspace(getDb().prisma, a.workspaceId, (tx) =>
        replaceScores(tx, a.workspaceId, run, next, new Date(), { ...SWAP, lockTimeoutMs: 100, tries: 2 }),
      );
      expect(mode).toBe("swapped");
      expect((await readAll(a.workspaceId)).size).toBe(50);
    } finally {
      await su.prisma.$executeRawUnsafe(`ALTER SYSTEM RESET autovacuum_naptime`);
      await su.prisma.$queryRawUnsafe(`SELECT pg_reload_conf()`);
      await su.close();
    }
  });

  it("builds the staged leaf's indexes with one parallel worker and 512MB (best measured on 2 cores) and without workspace_id but the primary key", async () => {
    const [fn] = await ownerQuery<{ config: string[] }>(`SELECT proconfig AS config FROM pg_proc WHERE proname = 'vl_scores_stage_index'`);
    expect(fn?.config).toEqual(expect.arrayContaining(["maintenance_work_mem=512MB", "max_parallel_maintenance_workers=1"]));
    const a = await signUp("SwapIndexes");
    await withWorkspace(getDb().prisma, a.workspaceId, (tx) => replaceScores(tx, a.workspaceId, crypto.randomUUID(), [row(1), row(2)], new Date(), SWAP));
    const defs = await ownerQuery<{ def: string }>(
      `SELECT pg_get_indexdef(i.indexrelid) AS def FROM pg_inherits h JOIN pg_index i ON i.indrelid = h.inhrelid WHERE h.inhparent = to_regclass($1)`,
      `vl_scores.${partitionOf(a.workspaceId)}`,
    );
    const cols = defs.map((d) => /USING btree \((.*)\)$/.exec(d.def)?.[1]).sort();
    expect(cols).toEqual(
      [
        "workspace_id, customer_id",
        "predicted_clv_minor DESC, customer_id DESC",
        "historical_clv_minor DESC, customer_id DESC",
        "p_alive, customer_id",
        "last_order_at DESC, customer_id DESC",
        "rfm_segment, predicted_clv_minor DESC, customer_id DESC",
        "value_tier, predicted_clv_minor DESC, customer_id DESC",
        "churn_risk, predicted_clv_minor DESC, customer_id DESC",
      ].sort(),
    );
  });

  it("the app role cannot reach another workspace's partition or staging table", async () => {
    const a = await signUp("SwapIsoA");
    const b = await signUp("SwapIsoB");
    await withWorkspace(getDb().prisma, b.workspaceId, (tx) => replaceScores(tx, b.workspaceId, crypto.randomUUID(), [row(1)], new Date(), SWAP));
    const as = <T>(sql: string, ...params: unknown[]) => withWorkspace(getDb().prisma, a.workspaceId, (tx) => tx.$queryRawUnsafe<T[]>(sql, ...params));
    // Partitions and helpers live in schema vl_scores, which the app role may not use.
    await expect(as(`SELECT * FROM vl_scores.${partitionOf(b.workspaceId)}`)).rejects.toThrow(/permission denied for schema vl_scores/);
    await expect(as(`SELECT vl_scores.new_leaf($1::uuid, 's')`, b.workspaceId)).rejects.toThrow(/permission denied for schema vl_scores/);
    // The entry points refuse any workspace but the current one.
    for (const sql of [
      "SELECT vl_scores_ensure($1::uuid)::text",
      "SELECT vl_scores_stage_begin($1::uuid)::text",
      "SELECT vl_scores_stage_index($1::uuid, 0)",
      "SELECT vl_scores_stage_swap($1::uuid, 100, 1)",
      "SELECT vl_scores_stage_copy($1::uuid)::text",
      `SELECT vl_scores_stage_load($1::uuid, $1::uuid, now(), '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}')::text`,
    ]) {
      await expect(as(sql, b.workspaceId), sql).rejects.toThrow(/current workspace only/);
    }
    // Through the parent, row-level security shows nothing of B.
    expect(await withWorkspace(getDb().prisma, a.workspaceId, (tx) => countOf(tx, b.workspaceId))).toBe(0);
    await expect(as("DROP TABLE customer_scores")).rejects.toThrow(/must be owner/);
  });

  it("deleting a workspace drops its partition", async () => {
    const a = await signUp("SwapDelete");
    await withWorkspace(getDb().prisma, a.workspaceId, (tx) => replaceScores(tx, a.workspaceId, crypto.randomUUID(), [row(1), row(2)], new Date()));
    const exists = async () =>
      (await ownerQuery<{ t: string | null }>("SELECT to_regclass($1)::text AS t", `vl_scores.${partitionOf(a.workspaceId)}`))[0]?.t ?? null;
    expect(await exists()).not.toBeNull();
    await withWorkspace(getDb().prisma, a.workspaceId, (tx) => tx.$executeRaw`DELETE FROM workspaces WHERE id = ${a.workspaceId}::uuid`);
    expect(await exists()).toBeNull();
  });
});
