"use client";

import Link from "next/link";
import { usePathname, useRouter } from "next/navigation";
import { signOut } from "next-auth/react";
import type { ReactNode } from "react";
import { roleAtLeast } from "@valuelens/validators";
import type { WorkspaceSummary } from "@valuelens/api";
import { useWorkspace } from "./workspace-context";

const NAV = [
  { href: "overview", label: "Overview", minRole: "VIEWER" as const },
  { href: "retention", label: "Retention", minRole: "VIEWER" as const },
  { href: "campaigns", label: "Campaigns", minRole: "VIEWER" as const }, // campaign roi (issue 6)
  { href: "customers", label: "Customers", minRole: "VIEWER" as const },
  { href: "segments", label: "Segments", minRole: "VIEWER" as const },
  { href: "model", label: "Model", minRole: "VIEWER" as const },
  { href: "import", label: "Import", minRole: "ADMIN" as const },
  { href: "reports", label: "Reports", minRole: "VIEWER" as const }, // every member manages their own subscriptions (issue 8)
  { href: "settings", label: "Settings", minRole: "ADMIN" as const },
  { href: "settings/members", label: "Members", minRole: "ADMIN" as const },
];

export function AppShell({ workspaces, user, children }: { workspaces: WorkspaceSummary[]; user: { email: string; name: string | null }; children: ReactNode }) {
  const ws = useWorkspace();
  const pathname = usePathname();
  const router = useRouter();
  const base = `/w/${ws.slug}`;
  return (
    <div className="min-h-screen">
      <a href="#main" className="sr-only-focusable absolute left-2 top-2 z-50 rounded bg-white px-3 py-2 text-brand-700 shadow">
        Skip to content
      </a>
      <header className="border-b border-slate-200 bg-white">
        <div className="mx-auto flex max-w-7xl flex-wrap items-center gap-4 px-6 py-3">
          <Link href="/" className="text-lg font-bold tracking-tight text-brand-700">
            ValueLens
          </Link>
          <label className="flex items-center gap-2 text-sm text-slate-700">
            <span className="sr-only sm:not-sr-only">Workspace</span>
            <select
              aria-label="Switch workspace"
              value={ws.slug}
              onChange={(e) => router.push(`/w/${e.target.value}/overview`)}
              className="rounded-md border border-slate-400 bg-white px-2 py-1.5 text-sm text-slate-900"
            >
              {workspaces.map((w) => (
                <option key={w.id} value={w.slug}>
                  {w.name}
                </option>
              ))}
            </select>
          </label>
          <Link href="/workspaces/new" className="text-sm font-medium text-brand-700 underline">
            New workspace
          </Link>
          <nav aria-label="Main" className="flex gap-1">
            {NAV.filter((n) => roleAtLeast(ws.role, n.minRole)).map((n) => {
              const href = `${base}/${n.href}`;
              const active = pathname === href;
              return (
                <Link
                  key={n.href}
                  href={href}
                  aria-current={active ? "page" : undefined}
                  className={`rounded-md px-3 py-1.5 text-sm font-medium ${active ? "bg-brand-50 text-brand-800" : "text-slate-700 hover:bg-slate-100"}`}
                >
                  {n.label}
                </Link>
              );
            })}
          </nav>
          <div className="ml-auto flex items-center gap-3 text-sm">
            <span className="text-slate-700">
              {user.name ?? user.email} · <span className="font-medium">{ws.role.toLowerCase()}</span>
            </span>
            <button
              onClick={() => void signOut({ callbackUrl: "/sign-in" })}
              className="rounded-md border border-slate-400 px-3 py-1.5 font-medium text-slate-800 hover:bg-slate-100"
            >
              Sign out
            </button>
          </div>
        </div>
      </header>
      <main id="main" className="mx-auto max-w-7xl px-6 py-8">
        {children}
      </main>
    </div>
  );
}
