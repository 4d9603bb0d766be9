import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { AuthCard } from "~/components/auth-card";
import { NewWorkspaceForm } from "~/components/new-workspace-form";
import { sessionClaims } from "~/trpc/context";

export const metadata: Metadata = { title: "New workspace" };
export const dynamic = "force-dynamic";

export default async function NewWorkspacePage() {
  if (!(await sessionClaims())) redirect("/sign-in?next=/workspaces/new");
  return (
    <AuthCard title="New workspace">
      <p className="mb-4 text-sm text-slate-700">A separate space with its own data and members. You will be its owner.</p>
      <NewWorkspaceForm />
    </AuthCard>
  );
}
