/**
 * The owner and workspace a page benchmark runs in: a new user with a new workspace, or — with
 * BENCH_REUSE=<workspaceId>,<userId>,<email>, printed by an earlier run — the workspace that run
 * generated, so a slow set-based generation is paid once and timings can be repeated later.
 */
import { registerUser } from "@valuelens/auth";

export interface BenchOwner {
  user: { id: string; email: string; name: string; sessionVersion: number };
  workspaceId: string;
  reused: boolean;
}

export async function benchOwner(opts: { name: string; emailPrefix: string; workspaceName: string; ip: string }): Promise<BenchOwner> {
  const reuse = process.env.BENCH_REUSE?.split(",");
  if (reuse) return { user: { id: reuse[1]!, email: reuse[2]!, name: opts.name, sessionVersion: 0 }, workspaceId: reuse[0]!, reused: true };
  const { user, workspaceId } = await registerUser(
    { name: opts.name, email: `${opts.emailPrefix}-${Date.now().toString(36)}@example.com`, password: "correct horse battery staple", workspaceName: opts.workspaceName },
    opts.ip,
  );
  console.error(`reuse this workspace: BENCH_REUSE=${workspaceId},${user.id},${user.email}`);
  return { user, workspaceId, reused: false };
}
