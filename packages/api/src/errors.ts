import { TRPCError } from "@trpc/server";
import { AuthError } from "@valuelens/auth";
import { Prisma } from "@valuelens/db";

import { DomainError } from "./services/domain-error.ts";

/** The one place where domain and database errors become tRPC errors. */
export function toTRPCError(err: unknown): TRPCError {
  if (err instanceof TRPCError) return err;
  if (err instanceof DomainError) return new TRPCError({ code: err.code, message: err.message, cause: err });
  if (err instanceof AuthError) {
    const code = err.code === "RATE_LIMITED" ? "TOO_MANY_REQUESTS" : err.code === "EMAIL_TAKEN" ? "CONFLICT" : "BAD_REQUEST";
    return new TRPCError({ code, message: err.message, cause: err });
  }
  if (err instanceof Prisma.PrismaClientKnownRequestError) {
    if (err.code === "P2002") return new TRPCError({ code: "CONFLICT", message: "That already exists.", cause: err });
    if (err.code === "P2025") return new TRPCError({ code: "NOT_FOUND", message: "Not found.", cause: err });
  }
  const msg = err instanceof Error ? err.message : String(err);
  if (/ECONNREFUSED|Connection terminated|timeout exceeded when trying to connect|Can't reach database/i.test(msg)) {
    return new TRPCError({ code: "SERVICE_UNAVAILABLE", message: "The database is unavailable. Try again shortly.", cause: err });
  }
  return new TRPCError({ code: "INTERNAL_SERVER_ERROR", message: "Something went wrong.", cause: err instanceof Error ? err : undefined });
}
