"use client";

import { useMutation } from "@tanstack/react-query";
import { signIn } from "next-auth/react";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { ZSignUp } from "@valuelens/validators";
import { errorMessage, fieldErrors, useTRPC } from "~/trpc/react";
import { Field } from "./field";

export function SignUpForm({ inviteToken, invitedEmail }: { inviteToken?: string; invitedEmail?: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const [errors, setErrors] = useState<Record<string, string | undefined>>({});
  const signUp = useMutation(trpc.auth.signUp.mutationOptions());

  async function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const input = {
      name: String(f.get("name") ?? ""),
      email: invitedEmail ?? String(f.get("email") ?? ""),
      password: String(f.get("password") ?? ""),
      ...(inviteToken ? { inviteToken } : { workspaceName: String(f.get("workspaceName") ?? "") }),
    };
    // Same schema as the server: instant, field-level feedback.
    const parsed = ZSignUp.safeParse(input);
    if (!parsed.success) {
      const fe: Record<string, string | undefined> = {};
      for (const issue of parsed.error.issues) fe[String(issue.path[0])] ??= issue.message;
      setErrors(fe);
      return;
    }
    setErrors({});
    try {
      await signUp.mutateAsync(parsed.data);
    } catch (err) {
      const fe = fieldErrors(err);
      setErrors({ ...Object.fromEntries(Object.entries(fe).map(([k, v]) => [k, v?.[0]])), form: errorMessage(err) });
      return;
    }
    const res = await signIn("credentials", { email: parsed.data.email, password: parsed.data.password, redirect: false });
    if (!res || res.error) {
      setErrors({ form: "Your account was created, but signing in failed. Try signing in." });
      return;
    }
    router.push("/");
    router.refresh();
  }

  return (
    <form onSubmit={onSubmit} className="space-y-4" noValidate>
      <Field label="Your name" name="name" autoComplete="name" required error={errors.name} />
      {invitedEmail ? (
        <p className="text-sm text-slate-700">
          Email: <strong>{invitedEmail}</strong>
        </p>
      ) : (
        <Field label="Work email" name="email" type="email" autoComplete="email" required error={errors.email} />
      )}
      <Field
        label="Password"
        name="password"
        type="password"
        autoComplete="new-password"
        required
        hint="At least 12 characters. A passphrase works well."
        error={errors.password}
      />
      {inviteToken ? null : (
        <Field label="Workspace name" name="workspaceName" required placeholder="e.g. Acme Store" error={errors.workspaceName} />
      )}
      {errors.form ? (
        <p role="alert" className="rounded-md bg-red-50 p-3 text-sm text-red-800">
          {errors.form}
        </p>
      ) : null}
      <button
        type="submit"
        disabled={signUp.isPending}
        className="w-full rounded-md bg-brand-700 px-4 py-2 font-medium text-white hover:bg-brand-800 disabled:opacity-60"
      >
        {signUp.isPending ? "Creating your account…" : inviteToken ? "Create account and join" : "Create account"}
      </button>
    </form>
  );
}
