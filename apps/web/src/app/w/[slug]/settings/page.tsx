import type { Metadata } from "next";
import { ApiKeysPanel } from "~/components/api-keys-panel";
import { Forbidden } from "~/components/forbidden";
import { SettingsView } from "~/components/settings-view";
import { pageRole } from "~/lib/require-role";

export const metadata: Metadata = { title: "Settings" };

export default async function SettingsPage({ params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  const r = await pageRole(slug, "ADMIN");
  if (!r.ok) return <Forbidden need="ADMIN" have={r.role} slug={slug} />;
  return (
    <div className="space-y-10">
      <SettingsView />
      <div className="max-w-4xl">
        <ApiKeysPanel />
      </div>
    </div>
  );
}
