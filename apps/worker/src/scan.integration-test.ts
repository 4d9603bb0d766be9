/**
 * The worker's scan (scan.ts) decides which workspaces get a recompute and in which order their jobs are
 * enqueued: a queued "Recompute now" first, then the most recently written or created workspaces; a
 * write younger than the debounce waits. Checked as the owner role (through the worker_scan policies)
 * on workspaces set up with the superuser; other tests' workspaces in a shared database are ignored.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type DbHandle } from "@valuelens/db";
import { findDueWorkspaces } from "./scan.ts";

const DEBOUNCE_MS = 5_000;
let owner: DbHandle;
let sup: DbHandle;
const ids: Record<string, string> = {};

/** One workspace: created `createdAgoS` seconds ago, stale since `staleAgoS` (or not stale), with these runs. */
async function workspace(label: string, createdAgoS: number, staleAgoS: number | null, runs: string[]): Promise<void> {
  const id = randomUUID();
  ids[label] = id;
  const slug = `scan-${label.toLowerCase()}-${id.slice(0, 8)}`;
  await sup.prisma.$executeRaw`
    INSERT INTO workspaces (id, name, slug, created_at, updated_at, metrics_stale_at)
    VALUES (${id}::uuid, ${`Scan ${label}`}, ${slug}, now() - make_interval(secs => ${createdAgoS}::float8), now(),
            CASE WHEN ${staleAgoS}::float8 IS NULL THEN NULL ELSE now() - make_interval(secs => ${staleAgoS}::float8) END)`;
  for (const status of runs) {
    await sup.prisma.$executeRaw`INSERT INTO model_runs (workspace_id, model_kind, status) VALUES (${id}::uuid, 'bgnbd', ${status})`;
  }
}

beforeAll(async () => {
  const superUrl = process.env.TEST_DATABASE_SUPER_URL;
  if (!superUrl) throw new Error("TEST_DATABASE_SUPER_URL is not set: run through the test command or its globalSetup");
  const dbName = new URL(process.env.DATABASE_URL!).pathname; // the app's database, not the superuser's default one
  sup = createDb(superUrl.replace(/\/postgres$/, dbName), { max: 1 });
  owner = createDb(process.env.DATABASE_OWNER_URL!, { max: 1 });
  // Inserted in the opposite of the expected order, so that table order cannot pass for the scan's order.
  await workspace("OlderWrite", 600, 300, ["succeeded"]); // written five minutes ago
  await workspace("RecentWrite", 3_600, 60, ["succeeded"]); // written a minute ago
  await workspace("Fresh", 1, null, []); // just signed up: never scored
  await workspace("Queued", 2 * 86_400, null, ["succeeded", "queued"]); // old, not stale, but someone pressed "Recompute now"
  await workspace("Typing", 7_200, 1, ["succeeded"]); // written a second ago: inside the debounce
  await workspace("Idle", 7_200, null, ["succeeded"]); // nothing to do
  await workspace("Failed", 30, null, ["failed"]); // only a failed run: neither stale nor never-run
});

afterAll(async () => {
  if (sup) {
    await sup.prisma.$executeRaw`DELETE FROM workspaces WHERE id = ANY(${Object.values(ids)}::uuid[])`;
    await sup.close();
  }
  await owner?.close();
});

describe("findDueWorkspaces", () => {
  it("enqueues a queued run first, then the most recently written or created; skips idle and debouncing ones", async () => {
    const mine = new Map(Object.entries(ids).map(([label, id]) => [id, label]));
    const due = (await findDueWorkspaces(owner.prisma, DEBOUNCE_MS)).filter((d) => mine.has(d.id));
    expect(due.map((d) => [mine.get(d.id), d.why])).toEqual([
      ["Queued", "queued"],
      ["Fresh", "never"],
      ["RecentWrite", "stale"],
      ["OlderWrite", "stale"],
    ]);
  });

  it("takes a write once it has been quiet for the debounce", async () => {
    const due = await findDueWorkspaces(owner.prisma, 500);
    expect(due.some((d) => d.id === ids.Typing)).toBe(true);
    expect(due.some((d) => d.id === ids.Idle || d.id === ids.Failed)).toBe(false);
  });
});
