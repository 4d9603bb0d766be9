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

describe("opening batch: BEGIN, RLS settings and the first read in one round trip", () => {
  /** The SQL texts the pool's connections send while fn runs. */
  async function sent<T>(fn: () => Promise<T>): Promise<{ result: T; texts: string[] }> {
    const texts: string[] = [];
    const original = pg.Client.prototype.query;
    pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
      const c = args[0];
      texts.push(typeof c === "string" ? c : String((c as { text?: unknown }).text));
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof original;
    try {
      return { result: await fn(), texts };
    } finally {
      pg.Client.prototype.query = original;
    }
  }
  const echo = (v: string) => ({ sql: "SELECT current_setting('app.current_workspace') AS ws, current_setting('app.current_user') AS usr, $1::text AS v", params: [v] });

  it("sends the settings and the first read with BEGIN, and hands fn the read's rows", async () => {
    const ws = crypto.randomUUID();
    const user = crypto.randomUUID();
    const { result, texts } = await sent(() =>
      withWorkspace(
        h.prisma,
        ws,
        async (tx, first) => ({ first, inTx: (await tx.$queryRaw<{ ws: string }[]>`SELECT current_setting('app.current_workspace') AS ws`)[0]!.ws }),
        { userId: user, first: echo("plain") },
      ),
    );
    expect(result).toEqual({ first: [{ ws, usr: user, v: "plain" }], inTx: ws });
    expect(texts[0]).toMatch(/^BEGIN;\s*SELECT set_config\('app.current_workspace'/);
    expect(texts[0]).toContain("AS v");
    expect(texts.filter((t) => /set_config/.test(t))).toHaveLength(1);
    expect(texts).toHaveLength(3); // the batch, fn's query, COMMIT
  });

  it("inlines values as literals that come back exactly, whatever quotes, backslashes or $n they hold", async () => {
    for (const v of ["it's", "back\\slash\\'", "$1 $2 '; DROP TABLE snap_probe; --", "ünï €", ""]) {
      const rows = await withWorkspace(h.prisma, crypto.randomUUID(), async (_tx, first) => first, { first: echo(v) });
      expect(rows?.[0]?.v).toBe(v);
    }
    await ownerOfDb((c) => c.query("SELECT count(*) FROM snap_probe")); // still there
  });

  it("leaves nothing set on the pooled connection after the transaction", async () => {
    await withWorkspace(h.prisma, crypto.randomUUID(), async () => 1, { userId: crypto.randomUUID(), first: echo("x") });
    // h has one connection: the next statement runs on the same one, outside any transaction.
    const { rows } = await h.pool.query<{ ws: string | null; usr: string | null }>(
      "SELECT current_setting('app.current_workspace', true) AS ws, current_setting('app.current_user', true) AS usr",
    );
    expect([rows[0]!.ws ?? "", rows[0]!.usr ?? ""]).toEqual(["", ""]);
  });

  it("runs the statements separately where a SET TRANSACTION must come first, with the same result", async () => {
    const ws = crypto.randomUUID();
    const { result, texts } = await sent(() => withWorkspace(h.prisma, ws, async (_tx, first) => first, { isolationLevel: "Serializable", first: echo("s") }));
    expect(result).toEqual([{ ws, usr: "", v: "s" }]);
    expect(texts[0]).toBe("BEGIN");
    expect(texts[1]).toMatch(/SET TRANSACTION ISOLATION LEVEL SERIALIZABLE/);
  });

  it("a failing first read fails the transaction and leaves the pool usable", async () => {
    await expect(withWorkspace(h.prisma, crypto.randomUUID(), async () => 1, { first: { sql: "SELECT 1 / 0 AS x", params: [] } })).rejects.toThrow();
    expect(await withWorkspace(h.prisma, crypto.randomUUID(), async (_tx, first) => first, { first: echo("after") }).then((r) => r?.[0]?.v)).toBe("after");
  });

  it("does not rewrite a BEGIN outside withTenant", async () => {
    const { texts } = await sent(() => h.prisma.$transaction(async (tx) => tx.$queryRaw`SELECT 1`));
    expect(texts[0]).toBe("BEGIN");
  });
});
