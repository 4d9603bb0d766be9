import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import { z, ZodError } from "zod";
import { withWorkspace, type Tx } from "@valuelens/db";
import { roleAtLeast, ZRole, ZUuid, type TRole } from "@valuelens/validators";
import type { Context } from "./context.ts";
import { toTRPCError } from "./errors.ts";
import { log, logError } from "./log.ts";

/** Every procedure declares who may call it; the authz test walks the router and checks each one. */
export interface Meta {
  authz: { scope: "public" | "user" | "workspace"; minRole?: TRole };
}

const t = initTRPC
  .context<Context>()
  .meta<Meta>()
  .create({
    transformer: superjson,
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
      logError("trpc.error", { path, type, ms, requestId: ctx.requestId, userId: ctx.user?.id, error: e.cause ?? e });
    } else if (e.code === "FORBIDDEN" || e.code === "NOT_FOUND") {
      log("authz.denied", { path, code: e.code, userId: ctx.user?.id, requestId: ctx.requestId });
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

export const protectedProcedure = base.meta({ authz: { scope: "user" } }).use(({ ctx, next }) => {
  if (!ctx.user) throw new TRPCError({ code: "UNAUTHORIZED", message: "Sign in to continue." });
  return next({ ctx: { ...ctx, user: ctx.user } });
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

/**
 * The caller's role and the workspace, in one round trip (every workspace request pays it; Prisma's
 * nested select sent two queries and compiled them per call). RLS applies as for any tenant read.
 */
async function readMembership(tx: Tx, workspaceId: string, userId: string): Promise<{ role: TRole; workspace: WorkspaceCtx } | null> {
  const rows = await tx.$queryRaw<(WorkspaceCtx & { role: string })[]>`
    SELECT m.role::text AS role, w.id::text AS id, w.name, w.slug, w.currency, w.timezone
      FROM memberships m JOIN workspaces w ON w.id = m.workspace_id
     WHERE m.workspace_id = ${workspaceId}::uuid AND m.user_id = ${userId}::uuid`;
  const r = rows[0];
  if (!r) return null;
  const { role, ...workspace } = r;
  return { role: ZRole.parse(role), workspace };
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
      const user = ctx.user;
      if (!user) throw new TRPCError({ code: "UNAUTHORIZED", message: "Sign in to continue." });
      const run = (extra: { tx: Tx; role: TRole; workspace: WorkspaceCtx }) => next({ ctx: { ...ctx, user, ...extra } });
      let outcome: Awaited<ReturnType<typeof run>> | undefined;
      try {
        await withWorkspace(
          ctx.prisma,
          input.workspaceId,
          async (tx: Tx) => {
            const m = await readMembership(tx, input.workspaceId, user.id);
            if (!m) throw new TRPCError({ code: "NOT_FOUND", message: "Workspace not found." });
            if (!roleAtLeast(m.role, minRole)) {
              throw new TRPCError({ code: "FORBIDDEN", message: `This needs the ${minRole} role or higher; you are ${m.role}.` });
            }
            const res = await run({ tx, role: m.role, workspace: m.workspace });
            if (!res.ok) throw new Rollback(res);
            outcome = res;
          },
          { userId: user.id },
        );
      } catch (e) {
        if (e instanceof Rollback) return e.result as NonNullable<typeof outcome>;
        throw toTRPCError(e);
      }
      return outcome!;
    });
}
