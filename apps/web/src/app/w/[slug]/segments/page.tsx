import type { Metadata } from "next";
import Link from "next/link";
import { RfmTiersSection } from "~/components/segments/rfm-tiers-section";
import { RuleSegmentsSection } from "~/components/segments/rule-segments-section";
import { pageRole } from "~/lib/require-role";

export const metadata: Metadata = { title: "Segments" };

/** The page's views; the URL (?view=…) holds the choice so each view can be linked to and reloaded. */
const VIEWS = [
  { id: "rfm", label: "RFM & value tiers" },
  { id: "rules", label: "Rule segments" },
] as const;

export default async function SegmentsPage({ params, searchParams }: { params: Promise<{ slug: string }>; searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const [{ slug }, sp] = await Promise.all([params, searchParams]);
  const { workspaceId } = await pageRole(slug, "VIEWER");
  const view = sp.view === "rules" ? "rules" : "rfm";
  return (
    <div className="space-y-6">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight">Segments</h1>
        <p className="text-sm text-slate-700">The groups your customers fall into, what each is worth, and who to act on.</p>
      </div>
      <nav aria-label="Segments views" className="flex gap-1 border-b border-slate-200">
        {VIEWS.map((v) => (
          <Link
            key={v.id}
            href={`/w/${slug}/segments${v.id === "rfm" ? "" : `?view=${v.id}`}`}
            aria-current={view === v.id ? "page" : undefined}
            className={`-mb-px rounded-t-md border px-4 py-2 text-sm font-medium ${
              view === v.id ? "border-slate-200 border-b-white bg-white text-brand-800" : "border-transparent text-slate-700 hover:bg-slate-100"
            }`}
          >
            {v.label}
          </Link>
        ))}
      </nav>
      {view === "rfm" ? <RfmTiersSection /> : <RuleSegmentsSection workspaceId={workspaceId} />}
    </div>
  );
}
