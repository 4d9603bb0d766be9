import type { Metadata } from "next";
import { Forbidden } from "~/components/forbidden";
import { ReportsView } from "~/components/reports-view";
import { pageRole } from "~/lib/require-role";

export const metadata: Metadata = { title: "Reports" };

export default async function ReportsPage({ params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  const r = await pageRole(slug, "ADMIN");
  if (!r.ok) return <Forbidden need="ADMIN" have={r.role} slug={slug} />;
  return <ReportsView />;
}
