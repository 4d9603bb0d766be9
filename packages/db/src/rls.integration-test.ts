/**
 * T-ISO-2 (SECURITY-NOTES): every table with a workspace_id has RLS enabled AND forced with a
 * policy; the app role is not superuser, not BYPASSRLS and owns no table; and the policies behave:
 * no context → nothing; context A → only A; writing B's rows under A fails; cross-tenant
 * UPDATE/DELETE touch nothing; a finished transaction leaves no context behind on the connection.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type DbHandle } from "./client.ts";
import { checkAppRole } from "./role-check.ts";
import { withWorkspace } from "./tenant.ts";

let h: DbHandle;
const A = crypto.randomUUID();
const B = crypto.randomUUID();

beforeAll(async () => {
  h = createDb(process.env.DATABASE_URL!, { max: 2 });
  for (const [id, name] of [[A, "A"], [B, "CANARY-B"]] as const) {
    await withWorkspace(h.prisma, id, async (tx) => {
      await tx.workspace.create({ data: { id, name, slug: `rls-${id}` }, select: { id: true } });
      await tx.customer.create({ data: { workspaceId: id, externalId: `${name}-c1`, email: `${name}@example.com` }, select: { id: true } });
      // The workspace's customer_scores partition and its leaf (schema vl_scores), checked below.
      await tx.$executeRaw`SELECT vl_scores_ensure(${id}::uuid)`;
    });
  }
});
afterAll(async () => {
  await h.close();
});

describe("row-level security", () => {
  it("is enabled and forced, with a policy, on every table that has workspace_id", async () => {
    const owner = new pg.Client({ connectionString: process.env.DATABASE_OWNER_URL! });
    await owner.connect();
    try {
      // Plain and partitioned tables in public, and customer_scores' per-workspace partitions and
      // leaves in schema vl_scores (migration 20261124107000_scores_partition_swap).
      const { rows } = await owner.query<{ table: string; rls: boolean; forced: boolean; policies: number }>(`
        SELECT CASE n.nspname WHEN 'public' THEN c.relname ELSE n.nspname || '.' || c.relname END AS table,
               c.relrowsecurity AS rls, c.relforcerowsecurity AS forced,
               (SELECT count(*)::int FROM pg_policies p WHERE p.schemaname = n.nspname AND p.tablename = c.relname) AS policies
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname IN ('public', 'vl_scores') AND c.relkind IN ('r', 'p')
           AND (EXISTS (SELECT 1 FROM information_schema.columns col
                        WHERE col.table_schema = n.nspname AND col.table_name = c.relname AND col.column_name = 'workspace_id')
                OR c.relname = 'workspaces')
         ORDER BY 1`);
      // Printed so a reader of the CI log sees which tables were checked.
      console.log(`RLS checked on ${rows.length} tables: ${rows.map((r) => r.table).join(", ")}`);
      expect(rows.length).toBeGreaterThanOrEqual(12);
      const names = rows.map((r) => r.table);
      expect(names).toContain("customer_scores"); // partitioned (relkind 'p')
      const hex = A.replace(/-/g, "");
      expect(names).toContain(`vl_scores.ws_${hex}`);
      expect(names.filter((t) => t.startsWith(`vl_scores.l_${hex}_`))).toHaveLength(1);
      for (const r of rows) {
        expect({ table: r.table, rls: r.rls, forced: r.forced, hasPolicy: r.policies > 0 }).toEqual({
          table: r.table, rls: true, forced: true, hasPolicy: true,
        });
      }
    } finally {
      await owner.end();
    }
  });

  it("checks the owner's role once per statement, never once per row", async () => {
    // Permissive policies are OR-ed into every app-role read; a bare vl_is_owner() ran per row
    // (300,000 retention_rollups rows: 3.7 s instead of 0.34 s). As a scalar subquery it is an InitPlan.
    const owner = new pg.Client({ connectionString: process.env.DATABASE_OWNER_URL! });
    await owner.connect();
    try {
      const { rows } = await owner.query<{ table: string; policy: string; expr: string }>(`
        SELECT tablename AS table, policyname AS policy, coalesce(qual, '') || ' ' || coalesce(with_check, '') AS expr
          FROM pg_policies WHERE schemaname IN ('public', 'vl_scores') AND (qual LIKE '%vl_is_owner%' OR with_check LIKE '%vl_is_owner%')`);
      expect(rows.length).toBeGreaterThanOrEqual(16);
      for (const r of rows) {
        const bare = r.expr.replace(/\(\s*SELECT vl_is_owner\(\) AS vl_is_owner\)/g, "");
        expect({ table: r.table, policy: r.policy, perRow: bare.includes("vl_is_owner") }).toEqual({ table: r.table, policy: r.policy, perRow: false });
      }
    } finally {
      await owner.end();
    }
  });

  it("runs the app as a role that cannot bypass it", async () => {
    const r = await checkAppRole(h.prisma);
    expect(r).toMatchObject({ superuser: false, bypassRls: false, ownsTenantTables: false });
  });

  it("shows nothing without a workspace, and only the current workspace's rows with one", async () => {
    expect(await h.prisma.customer.count()).toBe(0);
    expect(await h.prisma.workspace.count({ where: { id: { in: [A, B] } } })).toBe(0);
    const seen = await withWorkspace(h.prisma, A, (tx) => tx.customer.findMany({ select: { email: true, workspaceId: true } }));
    expect(seen).toEqual([{ email: "A@example.com", workspaceId: A }]);
  });

  it("refuses writing another workspace's rows and ignores cross-tenant updates and deletes", async () => {
    await expect(
      withWorkspace(h.prisma, A, (tx) => tx.customer.create({ data: { workspaceId: B, externalId: "sneaky" }, select: { id: true } })),
    ).rejects.toThrow(/row-level security|42501/);
    const res = await withWorkspace(h.prisma, A, async (tx) => ({
      upd: (await tx.customer.updateMany({ where: { workspaceId: B }, data: { name: "pwned" } })).count,
      del: (await tx.customer.deleteMany({ where: { workspaceId: B } })).count,
      ws: (await tx.workspace.updateMany({ where: { id: B }, data: { name: "pwned" } })).count,
    }));
    expect(res).toEqual({ upd: 0, del: 0, ws: 0 });
    const b = await withWorkspace(h.prisma, B, (tx) => tx.customer.findMany({ select: { name: true, externalId: true } }));
    expect(b).toEqual([{ name: null, externalId: "CANARY-B-c1" }]);
  });

  it("leaves no tenant context on a pooled connection after the transaction (T-ISO-3)", async () => {
    const leaks: string[] = [];
    await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const ws = i % 3 === 0 ? A : i % 3 === 1 ? B : null;
        if (ws) {
          const names = await withWorkspace(h.prisma, ws, (tx) => tx.customer.findMany({ select: { externalId: true } }));
          for (const n of names) if (!n.externalId.startsWith(ws === A ? "A-" : "CANARY-B-")) leaks.push(n.externalId);
        } else {
          const rows = await h.prisma.$queryRaw<{ v: string | null }[]>`SELECT NULLIF(current_setting('app.current_workspace', true), '') AS v`;
          if (rows[0]?.v) leaks.push(`leftover context ${rows[0].v}`);
          if ((await h.prisma.customer.count()) !== 0) leaks.push("rows visible without context");
        }
      }),
    );
    expect(leaks).toEqual([]);
  });

  it("rolls the whole tenant transaction back on error and refuses nesting (T-ISO-4)", async () => {
    await expect(
      withWorkspace(h.prisma, A, async (tx) => {
        await tx.customer.createMany({ data: [1, 2, 3].map((i) => ({ workspaceId: A, externalId: `rollback-${i}` })) });
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect(await withWorkspace(h.prisma, A, (tx) => tx.customer.count({ where: { externalId: { startsWith: "rollback-" } } }))).toBe(0);
    await expect(withWorkspace(h.prisma, A, () => withWorkspace(h.prisma, B, async () => 1))).rejects.toThrow(/cannot be nested/);
  });
});
