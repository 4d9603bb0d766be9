import Link from "next/link";
import type { Metadata } from "next";
import { AuthCard } from "~/components/auth-card";
import { SignUpForm } from "~/components/sign-up-form";

export const metadata: Metadata = { title: "Create an account" };

export default function SignUpPage() {
  return (
    <AuthCard
      title="Create your account"
      footer={
        <>
          Already have an account?{" "}
          <Link className="font-medium text-brand-700 underline" href="/sign-in">
            Sign in
          </Link>
        </>
      }
    >
      <p className="mb-4 text-sm text-slate-700">You will own a new workspace; invite your team once you are in.</p>
      <SignUpForm />
    </AuthCard>
  );
}
