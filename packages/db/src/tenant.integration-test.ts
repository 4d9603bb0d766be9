/**
 * Tenant transactions send no isolation level for READ COMMITTED (one round trip less per request)
 * and rely on createDb pinning the connection default instead: checked on a database whose own
 * default is SERIALIZABLE, so the test fails if the pin or the explicit level stop working.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type DbHandle } from "./client.ts";
import { detachedFromTenant, withWorkspace } from "./tenant.ts";

const DB = `tenant_iso_${process.pid}`;
let h: DbHandle;
let h2: DbHandle;

/** Owner connection to the throwaway database. */
async function ownerOfDb(fn: (c: pg.Client) => Promise<unknown>): Promise<void> {
  const url = new URL(process.env.DATABASE_OWNER_URL!);
  url.pathname = `/${DB}`;
  const c = new pg.Client({ connectionString: url.toString() });
  await c.connect();
  try {
    await fn(c);
  } finally {
    await c.end();
  }
}

async function asOwner(fn: (c: pg.Client) => Promise<unknown>): Promise<void> {
  const c = new pg.Client({ connectionString: process.env.DATABASE_OWNER_URL! });
  await c.connect();
  try {
    await fn(c);
  } finally {
    await c.end();
  }
}

beforeAll(async () => {
  await asOwner(async (c) => {
    await c.query(`CREATE DATABASE ${DB}`);
    await c.query(`ALTER DATABASE ${DB} SET default_transaction_isolation = 'serializable'`);
  });
  const url = new URL(process.env.DATABASE_URL!);
  url.pathname = `/${DB}`;
  h = createDb(url.toString(), { max: 1 });
  h2 = createDb(url.toString(), { max: 3 });
  const appRole = decodeURIComponent(url.username);
  await ownerOfDb(async (c) => {
    await c.query("CREATE TABLE snap_probe (n int)");
    await c.query(`GRANT SELECT ON snap_probe TO "${appRole.replace(/"/g, '""')}"`);
  });
});

afterAll(async () => {
  await h?.close();
  await h2?.close();
  await asOwner((c) => c.query(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`));
});

const level = (opts?: Parameters<typeof withWorkspace>[3]) =>
  withWorkspace(
    h.prisma,
    crypto.randomUUID(),
    async (tx) => (await tx.$queryRaw<{ transaction_isolation: string }[]>`SHOW transaction_isolation`)[0]!.transaction_isolation,
    opts,
  );

describe("tenant transaction isolation", () => {
  it("is READ COMMITTED by default even where the server's default is SERIALIZABLE", async () => {
    expect(await level()).toBe("read committed");
    expect(await level({ isolationLevel: "ReadCommitted" })).toBe("read committed");
  });

  it("uses the level a caller asks for", async () => {
    expect(await level({ isolationLevel: "Serializable" })).toBe("serializable");
    expect(await level({ isolationLevel: "RepeatableRead" })).toBe("repeatable read");
  });

  it("imports a snapshot another open transaction exported: both read the same data", async () => {
    const ws = crypto.randomUUID();
    const count = (tx: Parameters<Parameters<typeof withWorkspace>[2]>[0]) =>
      tx.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM snap_probe`.then((r) => r[0]!.n);
    const seen = await withWorkspace(
      h2.prisma,
      ws,
      async (tx) => {
        const [snap] = await tx.$queryRaw<{ id: string }[]>`SELECT pg_export_snapshot() AS id`;
        // Committed after the export: invisible in the exported snapshot, visible to a new one.
        await ownerOfDb((c) => c.query("INSERT INTO snap_probe VALUES (1)"));
        const imported = await detachedFromTenant(() => withWorkspace(h2.prisma, ws, count, { isolationLevel: "RepeatableRead", snapshot: snap!.id }));
        const fresh = await detachedFromTenant(() => withWorkspace(h2.prisma, ws, count, { isolationLevel: "RepeatableRead" }));
        return { imported, fresh, own: await count(tx) };
      },
      { isolationLevel: "RepeatableRead" },
    );
    expect(seen).toEqual({ imported: 0, fresh: 1, own: 0 });
  });

  it("refuses a snapshot id that is not one, and an import under READ COMMITTED", async () => {
    const ws = crypto.randomUUID();
    await expect(withWorkspace(h2.prisma, ws, async () => 1, { isolationLevel: "RepeatableRead", snapshot: "1'; DROP TABLE snap_probe; --" })).rejects.toThrow(/Not a PostgreSQL snapshot id/);
    await expect(withWorkspace(h2.prisma, ws, async () => 1, { snapshot: "00000003-0000001B-1" })).rejects.toThrow(/RepeatableRead or Serializable/);
  });
});
