import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { ZUuid } from "@valuelens/validators";
import { RuleSegmentDetail } from "~/components/segments/rule-segment-detail";

export const metadata: Metadata = { title: "Segment" };

export default async function RuleSegmentPage({ params }: { params: Promise<{ segmentId: string }> }) {
  const { segmentId } = await params;
  if (!ZUuid.safeParse(segmentId).success) notFound();
  return <RuleSegmentDetail segmentId={segmentId} />;
}
