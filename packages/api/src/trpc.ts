import { initTRPC, TRPCError } from "@trpc/server";
import { z, ZodError } from "zod";
import { loadSessionUser, type SessionUser } from "@valuelens/auth";
import { withWorkspace, type FirstRead, type Tx } from "@valuelens/db";
import { roleAtLeast, ZRole, ZUuid, type TRole } from "@valuelens/validators";
import type { Context } from "./context.ts";
import { toTRPCError } from "./errors.ts";
import { log, logError } from "./log.ts";
import { transformer } from "./transformer.ts";

/** Every procedure declares who may call it; the authz test walks the router and checks each one. */
export interface Meta {
  authz: { scope: "public" | "user" | "workspace"; minRole?: TRole };
}

const t = initTRPC
  .context<Context>()
  .meta<Meta>()
  .create({
    transformer, // superjson's format; responses through a faster serializer (transformer.ts)
    errorFormatter({ shape, error }) {
      return {
        ...shape,
        data: {
          ...shape.data,
          // Field-level messages for forms; never the stack.
          fieldErrors: error.cause instanceof ZodError ? z.flattenError(error.cause).fieldErrors : null,
          stack: undefined,
        },
      };
    },
  });

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

const errorMapping = t.middleware(async ({ next, path, type, ctx }) => {
  const started = performance.now();
  const res = await next();
  const ms = Math.round(performance.now() - started);
  if (!res.ok) {
    const e = res.error;
    if (e.code === "INTERNAL_SERVER_ERROR") {
      logError("trpc.error", { path, type, ms, requestId: ctx.requestId, userId: ctx.user?.id ?? ctx.uncheckedClaims?.userId, error: e.cause ?? e });
    } else if (e.code === "FORBIDDEN" || e.code === "NOT_FOUND") {
      log("authz.denied", { path, code: e.code, userId: ctx.user?.id ?? ctx.uncheckedClaims?.userId, requestId: ctx.requestId });
    }
  }
  return res;
});

/** Maps thrown domain errors to tRPC errors (one place). */
const mapErrors = t.middleware(async ({ next }) => {
  const res = await next();
  if (!res.ok && !(res.error.cause instanceof ZodError) && res.error.code === "INTERNAL_SERVER_ERROR" && res.error.cause) {
    const mapped = toTRPCError(res.error.cause);
    if (mapped.code !== "INTERNAL_SERVER_ERROR") throw mapped;
  }
  return res;
});

const base = t.procedure.use(errorMapping).use(mapErrors);

export const publicProcedure = base.meta({ authz: { scope: "public" } });

export const protectedProcedure = base.meta({ authz: { scope: "user" } }).use(async ({ ctx, next }) => {
  // A session left unchecked by createContext (checkSessionInProcedure) is checked here, as createContext would.
  const claims = ctx.uncheckedClaims;
  const user = ctx.user ?? (claims && UUID.test(claims.userId) ? await loadSessionUser(claims.userId, claims.sessionVersion) : null);
  if (!user) throw new TRPCError({ code: "UNAUTHORIZED", message: "Sign in to continue." });
  return next({ ctx: { ...ctx, user, uncheckedClaims: null } });
});

interface WorkspaceCtx {
  id: string;
  name: string;
  slug: string;
  currency: string;
  timezone: string;
}

class Rollback extends Error {
  constructor(public readonly result: unknown) {
    super("rollback");
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The caller (still holding this session version?), their role and the workspace: the tenant
 * transaction's first read, sent with its BEGIN and RLS settings in one round trip (withTenant's
 * `first`). The user row is read even when the context already checked it, so both paths decide
 * the same way. RLS applies to memberships and workspaces as for any tenant read: the query lives in
 * the SECURITY INVOKER function vl_request_caller (migration 20261124109300), which joins users ⟕
 * memberships ⟕ workspaces by key, so that PostgreSQL plans it once per connection instead of on
 * every request (sent inline with BEGIN, the query was planned each time: 0.58 ms of 0.76 at 1M).
 */
const callerRead = (workspaceId: string, userId: string): FirstRead => ({
  sql: `SELECT user_id, email, name, session_version, role, id, workspace_name, slug, currency, timezone
          FROM vl_request_caller($1::uuid, $2::uuid)`,
  params: [workspaceId, userId],
});

const ZCallerRow = z.object({
  user_id: z.string(),
  email: z.string(),
  name: z.string().nullable(),
  session_version: z.number().int(),
  role: ZRole.nullable(),
  id: z.string().nullable(),
  workspace_name: z.string().nullable(),
  slug: z.string().nullable(),
  currency: z.string().nullable(),
  timezone: z.string().nullable(),
});

/** The session's user if still valid, and the caller's role and the workspace when a member. */
function readCaller(rows: Record<string, unknown>[] | undefined, sessionVersion: number): { user: SessionUser; member: { role: TRole; workspace: WorkspaceCtx } | null } | null {
  const r = rows?.[0] ? ZCallerRow.parse(rows[0]) : null;
  if (!r || r.session_version !== sessionVersion) return null;
  const user: SessionUser = { id: r.user_id, email: r.email, name: r.name, sessionVersion: r.session_version };
  if (!r.role || !r.id || r.workspace_name === null || !r.slug || !r.currency || !r.timezone) return { user, member: null };
  return { user, member: { role: r.role, workspace: { id: r.id, name: r.workspace_name, slug: r.slug, currency: r.currency, timezone: r.timezone } } };
}

/**
 * A procedure acting inside one workspace. Its input must carry `workspaceId`; the membership and
 * role are read from the database on every call inside the tenant transaction, and the handler gets
 * only `ctx.tx` (RLS-scoped to that workspace). A failed handler rolls the transaction back.
 * Non-members get NOT_FOUND (no hint that the workspace exists); members below `minRole` FORBIDDEN.
 */
export function workspaceProcedure(minRole: TRole) {
  return base
    .meta({ authz: { scope: "workspace", minRole } })
    .input(z.object({ workspaceId: ZUuid }))
    .use(async ({ ctx, input, next }) => {
      // The session: checked by createContext (ctx.user) or left to this procedure (ctx.uncheckedClaims);
      // either way re-read with the membership below, in the transaction's first round trip.
      const claims = ctx.user ? { userId: ctx.user.id, sessionVersion: ctx.user.sessionVersion } : ctx.uncheckedClaims;
      if (!claims || !UUID.test(claims.userId)) throw new TRPCError({ code: "UNAUTHORIZED", message: "Sign in to continue." });
      const run = (extra: { user: SessionUser; tx: Tx; role: TRole; workspace: WorkspaceCtx }) => next({ ctx: { ...ctx, uncheckedClaims: null, ...extra } });
      let outcome: Awaited<ReturnType<typeof run>> | undefined;
      try {
        await withWorkspace(
          ctx.prisma,
          input.workspaceId,
          async (tx: Tx, first) => {
            const caller = readCaller(first, claims.sessionVersion);
            if (!caller) throw new TRPCError({ code: "UNAUTHORIZED", message: "Sign in to continue." });
            const m = caller.member;
            if (!m) throw new TRPCError({ code: "NOT_FOUND", message: "Workspace not found." });
            if (!roleAtLeast(m.role, minRole)) {
              throw new TRPCError({ code: "FORBIDDEN", message: `This needs the ${minRole} role or higher; you are ${m.role}.` });
            }
            const res = await run({ user: caller.user, tx, role: m.role, workspace: m.workspace });
            if (!res.ok) throw new Rollback(res);
            outcome = res;
          },
          { userId: claims.userId, first: callerRead(input.workspaceId, claims.userId) },
        );
      } catch (e) {
        if (e instanceof Rollback) return e.result as NonNullable<typeof outcome>;
        throw toTRPCError(e);
      }
      return outcome!;
    });
}
