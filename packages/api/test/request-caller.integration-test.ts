/**
 * vl_request_caller (migration 20261124109300): every workspace request's first read — the caller's
 * session version, role and workspace — now comes from a PL/pgSQL function so that PostgreSQL plans it
 * once per connection. It must return exactly what the query it replaced returned, under the app role's
 * row-level security, also once its plan is cached and reused for other users and workspaces on the same
 * connection (PL/pgSQL switches to a generic plan after five calls).
 */
import { describe, expect, it } from "vitest";
import { getDb } from "@valuelens/db";
import { join, signUp } from "./harness.ts";

/** The first read as packages/api/src/trpc.ts sent it before the function (the reference). */
const REFERENCE = `SELECT u.id::text AS user_id, u.email, u.name, u.session_version::int AS session_version,
               m.role::text AS role, w.id::text AS id, w.name AS workspace_name, w.slug, w.currency, w.timezone
          FROM users u
          LEFT JOIN memberships m ON m.user_id = u.id AND m.workspace_id = $1::uuid
          LEFT JOIN workspaces w ON w.id = m.workspace_id
         WHERE u.id = $2::uuid`;
const FUNCTION = `SELECT user_id, email, name, session_version, role, id, workspace_name, slug, currency, timezone
          FROM vl_request_caller($1::uuid, $2::uuid)`;

describe("vl_request_caller", () => {
  it("returns what the inline query returned, for members, non-members and unknown users, with its plan reused on one connection", async () => {
    const a = await signUp("rc-a", "Caller A");
    const b = await signUp("rc-b", "Caller B");
    const admin = await join(a, a.workspaceId, "rc-admin", "ADMIN");
    const viewer = await join(b, b.workspaceId, "rc-viewer", "VIEWER");
    const users = [a.user.id, b.user.id, admin.user.id, viewer.user.id, crypto.randomUUID()];
    const workspaces = [a.workspaceId, b.workspaceId, crypto.randomUUID()];

    const client = await getDb().pool.connect(); // one connection: the function's cached plan is reused across calls
    try {
      let compared = 0;
      let members = 0;
      for (let round = 0; round < 4; round++) {
        for (const ws of workspaces) {
          for (const user of users) {
            // As withTenant sets them for a workspace request; and, once per pair, with the RLS settings of
            // another workspace, so a plan that ignored them (or ran with more rights) would show.
            for (const settingsWs of round % 2 === 0 ? [ws] : [ws, workspaces[(workspaces.indexOf(ws) + 1) % workspaces.length]!]) {
              await client.query("BEGIN");
              try {
                await client.query("SELECT set_config('app.current_workspace', $1, true), set_config('app.current_user', $2, true)", [settingsWs, user]);
                const ref = await client.query(REFERENCE, [ws, user]);
                const got = await client.query(FUNCTION, [ws, user]);
                expect(got.fields.map((f) => f.name)).toEqual(ref.fields.map((f) => f.name));
                expect(got.fields.map((f) => f.dataTypeID)).toEqual(ref.fields.map((f) => f.dataTypeID));
                expect(got.rows).toEqual(ref.rows);
                compared++;
                if ((ref.rows[0] as { role?: string | null } | undefined)?.role) members++;
              } finally {
                await client.query("COMMIT");
              }
            }
          }
        }
      }
      expect(compared).toBe(4 * 3 * 5 + 2 * 3 * 5 * 1); // 2 rounds of 1 setting + 2 rounds of 2 settings per pair
      expect(members).toBeGreaterThan(0);
    } finally {
      client.release();
    }
  });

  it("answers a member with the role and workspace, and nothing else for a non-member or unknown user", async () => {
    const a = await signUp("rc-c", "Caller C");
    const other = await signUp("rc-d", "Caller D");
    const client = await getDb().pool.connect();
    const read = async (ws: string, user: string) => {
      await client.query("BEGIN");
      try {
        await client.query("SELECT set_config('app.current_workspace', $1, true), set_config('app.current_user', $2, true)", [ws, user]);
        return (await client.query(FUNCTION, [ws, user])).rows as Record<string, unknown>[];
      } finally {
        await client.query("COMMIT");
      }
    };
    try {
      expect(await read(a.workspaceId, a.user.id)).toEqual([
        expect.objectContaining({ user_id: a.user.id, session_version: a.user.sessionVersion, role: "OWNER", id: a.workspaceId, workspace_name: "Caller C" }),
      ]);
      expect(await read(other.workspaceId, a.user.id)).toEqual([
        expect.objectContaining({ user_id: a.user.id, role: null, id: null, workspace_name: null, slug: null, currency: null, timezone: null }),
      ]);
      expect(await read(a.workspaceId, crypto.randomUUID())).toEqual([]);
    } finally {
      client.release();
    }
  });

  it("runs with the caller's rights (SECURITY INVOKER), so row-level security applies as to the query itself", async () => {
    const { rows } = await getDb().pool.query<{ prosecdef: boolean }>("SELECT prosecdef FROM pg_proc WHERE proname = 'vl_request_caller'");
    expect(rows).toEqual([{ prosecdef: false }]);
  });
});
