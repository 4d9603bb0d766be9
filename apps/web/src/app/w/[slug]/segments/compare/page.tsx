import type { Metadata } from "next";
import { ZUuid } from "@valuelens/validators";
import { RuleCompareView } from "~/components/segments/rule-compare-view";

export const metadata: Metadata = { title: "Compare segments" };

export default async function CompareRuleSegmentsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const sp = await searchParams;
  const raw = typeof sp.ids === "string" ? sp.ids.split(",") : [];
  const ids = [...new Set(raw.filter((x) => ZUuid.safeParse(x).success))];
  return <RuleCompareView ids={ids} />;
}
