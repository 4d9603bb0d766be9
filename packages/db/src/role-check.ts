import type { PrismaClient } from "./generated/prisma/client.ts";

export interface RoleCheck {
  role: string;
  superuser: boolean;
  bypassRls: boolean;
  ownsTenantTables: boolean;
}

/**
 * What the app's connection role can do. Row-level security only protects tenants when the app is
 * not a superuser, has no BYPASSRLS and does not own the tables (SECURITY-NOTES 0.1).
 */
export async function checkAppRole(prisma: PrismaClient): Promise<RoleCheck> {
  const rows = await prisma.$queryRaw<{ role: string; superuser: boolean; bypass: boolean; owns: boolean }[]>`
    SELECT current_user::text AS role, r.rolsuper AS superuser, r.rolbypassrls AS bypass,
           EXISTS (SELECT 1 FROM pg_tables t WHERE t.schemaname = 'public' AND t.tablename = 'customers'
                     AND t.tableowner = current_user) AS owns
      FROM pg_roles r WHERE r.rolname = current_user`;
  const r = rows[0];
  if (!r) throw new Error("Could not read the database role of the app connection.");
  return { role: r.role, superuser: r.superuser, bypassRls: r.bypass, ownsTenantTables: r.owns };
}
