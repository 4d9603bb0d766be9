import Link from "next/link";
import type { Metadata } from "next";
import { AuthCard } from "~/components/auth-card";
import { AcceptInvite } from "~/components/accept-invite";
import { SignUpForm } from "~/components/sign-up-form";
import { sessionClaims } from "~/trpc/context";
import { serverCaller } from "~/trpc/server";

export const metadata: Metadata = { title: "Invitation" };
export const dynamic = "force-dynamic";

export default async function InvitePage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  const caller = await serverCaller();
  const invite = await caller.auth.describeInvite({ token }).catch(() => null);
  if (!invite) {
    return (
      <AuthCard title="Invitation not valid">
        <p className="text-slate-700">This invitation link is invalid, has expired or was already used. Ask the person who invited you for a new one.</p>
      </AuthCard>
    );
  }
  const signedIn = Boolean(await sessionClaims());
  return (
    <AuthCard title={`Join ${invite.workspaceName}`}>
      <p className="mb-4 text-slate-700">
        You were invited as <strong>{invite.role.toLowerCase()}</strong> ({invite.email}).
      </p>
      {signedIn ? (
        <AcceptInvite token={token} />
      ) : (
        <>
          <SignUpForm inviteToken={token} invitedEmail={invite.email} />
          <p className="mt-4 text-center text-sm text-slate-700">
            Already have an account?{" "}
            <Link className="font-medium text-brand-700 underline" href={`/sign-in?next=${encodeURIComponent(`/invite/${token}`)}`}>
              Sign in to accept
            </Link>
          </p>
        </>
      )}
    </AuthCard>
  );
}
