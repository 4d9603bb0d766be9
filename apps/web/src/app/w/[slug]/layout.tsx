import type { ReactNode } from "react";
import { AppShell } from "~/components/app-shell";
import { WorkspaceProvider } from "~/components/workspace-context";
import { serverCall } from "~/trpc/server";

export const dynamic = "force-dynamic";

export default async function WorkspaceLayout({ children, params }: { children: ReactNode; params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  const { ws, list, me, settings } = await serverCall(async (c) => {
    const ws = await c.workspace.bySlug({ slug });
    const [list, me, settings] = await Promise.all([c.workspace.list(), c.auth.me(), c.workspace.settings({ workspaceId: ws.id })]);
    return { ws, list, me, settings };
  });
  return (
    <WorkspaceProvider value={{ id: ws.id, slug: ws.slug, name: ws.name, role: ws.role, currency: settings.currency }}>
      <AppShell workspaces={list} user={me}>
        {children}
      </AppShell>
    </WorkspaceProvider>
  );
}
