import Link from "next/link";
import type { Metadata } from "next";
import { AuthCard } from "~/components/auth-card";
import { SignInForm } from "~/components/sign-in-form";

export const metadata: Metadata = { title: "Sign in" };

export default async function SignInPage({ searchParams }: { searchParams: Promise<{ next?: string }> }) {
  const { next } = await searchParams;
  return (
    <AuthCard
      title="Sign in"
      footer={
        <>
          New to ValueLens?{" "}
          <Link className="font-medium text-brand-700 underline" href="/sign-up">
            Create an account
          </Link>
        </>
      }
    >
      <SignInForm next={next} />
    </AuthCard>
  );
}
