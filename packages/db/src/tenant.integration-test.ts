/**
 * Tenant transactions send no isolation level for READ COMMITTED (one round trip less per request)
 * and rely on createDb pinning the connection default instead: checked on a database whose own
 * default is SERIALIZABLE, so the test fails if the pin or the explicit level stop working.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type DbHandle } from "./client.ts";
import { withWorkspace } from "./tenant.ts";

const DB = `tenant_iso_${process.pid}`;
let h: DbHandle;

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
});

afterAll(async () => {
  await h?.close();
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
});
