/**
 * The benches' shared start: the embedded PostgreSQL of a bench data dir (BENCH_PG_DIR, default
 * /tmp/vl-bench-pg; BENCH_PG_PORT, default 5460; persistent), its pending migrations and the app role's
 * grants, then a superuser connection (setup, lookups) and an app-role connection (RLS in force).
 */
import { createDb, type DbHandle } from "@valuelens/db";
import { grantAppRole, startEmbeddedPostgres } from "@valuelens/db/embedded";
import { deployMigrations } from "@valuelens/db/migrate";

export const benchDir = process.env.BENCH_PG_DIR ?? "/tmp/vl-bench-pg";
export const benchPort = Number(process.env.BENCH_PG_PORT ?? 5460);

/** Starts the bench database (migrated, app role granted). */
export async function startBenchPg() {
  const pg = await startEmbeddedPostgres({ dir: benchDir, port: benchPort, persistent: true });
  await deployMigrations({ ownerUrl: pg.ownerUrl, log: () => undefined });
  await grantAppRole(pg.ownerUrl, pg.appUrl);
  return pg;
}

export interface BenchDb {
  pg: Awaited<ReturnType<typeof startBenchPg>>;
  superDb: DbHandle;
  appDb: DbHandle;
  /** The id of the workspace with this slug (throws when the data dir has none). */
  workspaceId(slug: string): Promise<string>;
  /** Closes both connections and stops the server. */
  close(): Promise<void>;
}

/** The bench database with a superuser pool of one and an app-role pool of `appMax` connections. */
export async function openBenchDb(appMax: number): Promise<BenchDb> {
  const pg = await startBenchPg();
  const superDb = createDb(pg.superUrl.replace(/\/postgres$/, "/valuelens"), { max: 1 });
  const appDb = createDb(pg.appUrl, { max: appMax });
  return {
    pg,
    superDb,
    appDb,
    async workspaceId(slug) {
      const [ws] = (await superDb.prisma.$queryRaw<{ id: string }[]>`SELECT id::text FROM workspaces WHERE slug = ${slug}`).map((r) => r.id);
      if (!ws) throw new Error(`no workspace with slug ${slug} in ${benchDir}`);
      return ws;
    },
    async close() {
      await superDb.close();
      await appDb.close();
      await pg.stop();
    },
  };
}
