import "server-only";
import { roleAtLeast, type TRole } from "@valuelens/validators";
import { serverCall } from "~/trpc/server";

/** Server-side page guard; the procedures enforce the same rule again on every call. */
export async function pageRole(slug: string, need: TRole): Promise<{ ok: boolean; role: TRole; workspaceId: string }> {
  const ws = await serverCall((c) => c.workspace.bySlug({ slug }));
  return { ok: roleAtLeast(ws.role, need), role: ws.role, workspaceId: ws.id };
}
