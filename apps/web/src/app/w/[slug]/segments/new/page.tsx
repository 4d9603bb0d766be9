import type { Metadata } from "next";
import { Forbidden } from "~/components/forbidden";
import { RuleSegmentEditor } from "~/components/segments/rule-segment-editor";
import { pageRole } from "~/lib/require-role";

export const metadata: Metadata = { title: "New segment" };

export default async function NewRuleSegmentPage({ params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  const r = await pageRole(slug, "ADMIN");
  if (!r.ok) return <Forbidden need="ADMIN" have={r.role} slug={slug} />;
  return <RuleSegmentEditor />;
}
