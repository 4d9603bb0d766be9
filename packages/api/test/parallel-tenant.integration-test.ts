/**
 * Evidence for one question of issue 9 (could tenant reads use parallel workers?): the tenant context is a
 * custom GUC set per transaction (`set_config('app.current_workspace', …, true)`, withWorkspace), and
 * vl_current_workspace() is not declared PARALLEL SAFE, so no query whose RLS policy calls it runs in
 * parallel. This checks, on a throwaway table with the same policy shape but a PARALLEL SAFE copy of the
 * function, that the GUC reaches the parallel workers: with workers forced (debug_parallel_query; force_parallel_mode before 16) and
 * really launched, the app role sees exactly its workspace's rows — never another's — and the same as
 * without workers, also after switching the context inside the transaction.
 * (Whether declaring the real function PARALLEL SAFE pays is a separate question: BENCHMARKS.md, session 9.)
 */
import { createDb, getDb, withWorkspace, type DbHandle } from "@valuelens/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const schema = `vl_partest_${crypto.randomUUID().replace(/-/g, "").slice(0, 12)}`;
const A = crypto.randomUUID();
const B = crypto.randomUUID();
const ROWS_A = 40_000;
const ROWS_B = 80_000;
let owner: DbHandle;
/** The GUC that forces parallel plans: debug_parallel_query since PostgreSQL 16, force_parallel_mode before (README: 15+). */
let forceParallel = "debug_parallel_query";

beforeAll(async () => {
  owner = createDb(process.env.DATABASE_OWNER_URL!, { max: 1 });
  const [app] = await getDb().prisma.$queryRaw<{ role: string; version: number }[]>`SELECT current_user AS role, current_setting('server_version_num')::int AS version`;
  if (app!.version < 160000) forceParallel = "force_parallel_mode";
  const statements = `
    CREATE SCHEMA ${schema};
    CREATE FUNCTION ${schema}.current_ws() RETURNS uuid LANGUAGE sql STABLE PARALLEL SAFE
      AS $fn$ SELECT NULLIF(current_setting('app.current_workspace', true), '')::uuid $fn$;
    CREATE TABLE ${schema}.t (workspace_id uuid NOT NULL, x int NOT NULL);
    INSERT INTO ${schema}.t SELECT '${A}'::uuid, g FROM generate_series(1, ${ROWS_A}) g;
    INSERT INTO ${schema}.t SELECT '${B}'::uuid, g FROM generate_series(1, ${ROWS_B}) g;
    ANALYZE ${schema}.t;
    ALTER TABLE ${schema}.t ENABLE ROW LEVEL SECURITY;
    ALTER TABLE ${schema}.t FORCE ROW LEVEL SECURITY;
    CREATE POLICY tenant_isolation ON ${schema}.t USING (workspace_id = ${schema}.current_ws());
    GRANT USAGE ON SCHEMA ${schema} TO "${app!.role}";
    GRANT SELECT ON ${schema}.t TO "${app!.role}";
    GRANT EXECUTE ON FUNCTION ${schema}.current_ws() TO "${app!.role}"`;
  // One statement at a time (the function body holds no semicolon).
  for (const sql of statements.split(";")) await owner.prisma.$executeRawUnsafe(sql);
});

afterAll(async () => {
  await owner.prisma.$executeRawUnsafe(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await owner.close();
});

interface Seen {
  rows: number;
  workspaces: number;
  only: string | null;
  sum: string;
}

describe("tenant context in parallel workers", () => {
  it("a PARALLEL SAFE policy function sees the transaction's workspace in every worker: exactly its rows", async () => {
    const read = `SELECT count(*)::int AS rows, count(DISTINCT workspace_id)::int AS workspaces, min(workspace_id::text) AS only, sum(x)::text AS sum FROM ${schema}.t`;
    const sum = (n: number) => String((n * (n + 1)) / 2);
    // withWorkspace sets app.current_workspace with set_config(…, true), as every tenant request does.
    const result = await withWorkspace(getDb().prisma, A, async (tx) => {
      await tx.$executeRawUnsafe(`SET LOCAL ${forceParallel} = on`);
      await tx.$executeRawUnsafe("SET LOCAL parallel_setup_cost = 0");
      await tx.$executeRawUnsafe("SET LOCAL parallel_tuple_cost = 0");
      await tx.$executeRawUnsafe("SET LOCAL min_parallel_table_scan_size = 0");
      await tx.$executeRawUnsafe("SET LOCAL max_parallel_workers_per_gather = 2");
      const [plan] = await tx.$queryRawUnsafe<{ "QUERY PLAN": unknown }[]>(`EXPLAIN (ANALYZE, FORMAT JSON) ${read}`);
      const text = JSON.stringify(plan!["QUERY PLAN"]);
      const launched = [...text.matchAll(/"Workers Launched":(\d+)/g)].reduce((a, m) => a + Number(m[1]), 0);
      const parallelA = (await tx.$queryRawUnsafe<Seen[]>(read))[0]!;
      await tx.$executeRawUnsafe(`SELECT set_config('app.current_workspace', '${B}', true)`);
      const parallelB = (await tx.$queryRawUnsafe<Seen[]>(read))[0]!;
      await tx.$executeRawUnsafe("SET LOCAL max_parallel_workers_per_gather = 0");
      await tx.$executeRawUnsafe(`SET LOCAL ${forceParallel} = off`);
      const serialB = (await tx.$queryRawUnsafe<Seen[]>(read))[0]!;
      return { launched, gather: text.includes('"Node Type":"Gather"'), parallelA, parallelB, serialB };
    });
    expect(result.gather).toBe(true);
    expect(result.launched).toBeGreaterThan(0);
    expect(result.parallelA).toEqual({ rows: ROWS_A, workspaces: 1, only: A, sum: sum(ROWS_A) });
    expect(result.parallelB).toEqual({ rows: ROWS_B, workspaces: 1, only: B, sum: sum(ROWS_B) });
    expect(result.serialB).toEqual(result.parallelB);
    // No context, no rows — in the workers too.
    const none = await getDb().prisma.$transaction(async (tx) => {
      await tx.$executeRawUnsafe(`SET LOCAL ${forceParallel} = on`);
      return (await tx.$queryRawUnsafe<Seen[]>(read))[0]!;
    });
    expect(none.rows).toBe(0);
  });
});
