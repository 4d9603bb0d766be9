import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { ZUuid } from "@valuelens/validators";
import { Forbidden } from "~/components/forbidden";
import { RuleSegmentEditor } from "~/components/segments/rule-segment-editor";
import { pageRole } from "~/lib/require-role";

export const metadata: Metadata = { title: "Edit segment" };

export default async function EditRuleSegmentPage({ params }: { params: Promise<{ slug: string; segmentId: string }> }) {
  const { slug, segmentId } = await params;
  if (!ZUuid.safeParse(segmentId).success) notFound();
  const r = await pageRole(slug, "ADMIN");
  if (!r.ok) return <Forbidden need="ADMIN" have={r.role} slug={slug} />;
  return <RuleSegmentEditor segmentId={segmentId} />;
}
