import type { Metadata } from "next";
import { AuthCard } from "~/components/auth-card";
import { UnsubscribeButton } from "~/components/unsubscribe-button";
import { serverCaller } from "~/trpc/server";

export const metadata: Metadata = { title: "Unsubscribe" };

export default async function UnsubscribePage({ searchParams }: { searchParams: Promise<{ t?: string }> }) {
  const { t } = await searchParams;
  const caller = await serverCaller();
  const info = t ? await caller.reports.describeUnsubscribe({ token: t }).catch(() => null) : null;
  if (!t || !info) {
    return (
      <AuthCard title="Link not valid">
        <p className="text-slate-700">This unsubscribe link is not valid, or the report no longer exists.</p>
      </AuthCard>
    );
  }
  return (
    <AuthCard title="Unsubscribe">
      <p className="mb-4 text-slate-700">
        Stop sending the weekly report <strong>{info.report}</strong> of {info.workspace} to <strong>{info.email}</strong>?
      </p>
      {info.subscribed ? <UnsubscribeButton token={t} /> : <p role="status">This address no longer receives it.</p>}
    </AuthCard>
  );
}
