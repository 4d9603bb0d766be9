import type { Metadata } from "next";
import { MySubscriptions } from "~/components/my-subscriptions";
import { ReportsView } from "~/components/reports-view";
import { pageRole } from "~/lib/require-role";

export const metadata: Metadata = { title: "Reports" };

/** Every member manages their own subscriptions here; admins also edit schedules, send tests and read the delivery log. */
export default async function ReportsPage({ params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  const r = await pageRole(slug, "ADMIN");
  if (!r.ok) {
    return (
      <div className="space-y-8">
        <div>
          <h1 className="text-2xl font-semibold tracking-tight">Weekly reports</h1>
          <p className="text-sm text-slate-700">Choose which weekly email reports of this workspace you receive. Admins set up the reports and their other recipients.</p>
        </div>
        <MySubscriptions />
      </div>
    );
  }
  return <ReportsView />;
}
