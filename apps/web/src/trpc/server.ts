import "server-only";
import { TRPCError } from "@trpc/server";
import { createCaller } from "@valuelens/api";
import { notFound, redirect } from "next/navigation";
import { requestContext } from "./context";

/** A tRPC caller for server components, with this request's session. */
export async function serverCaller() {
  return createCaller(await requestContext());
}

/** Runs a server-side call; sends the visitor to sign-in or a 404 the way a page should. */
export async function serverCall<T>(fn: (caller: Awaited<ReturnType<typeof serverCaller>>) => Promise<T>): Promise<T> {
  try {
    return await fn(await serverCaller());
  } catch (e) {
    if (e instanceof TRPCError && e.code === "UNAUTHORIZED") redirect("/sign-in");
    if (e instanceof TRPCError && e.code === "NOT_FOUND") notFound();
    throw e;
  }
}
