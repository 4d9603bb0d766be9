"use client";

import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { errorMessage, fieldErrors, useTRPC } from "~/trpc/react";
import { Field } from "./field";

export function NewWorkspaceForm() {
  const trpc = useTRPC();
  const router = useRouter();
  const create = useMutation(trpc.workspace.create.mutationOptions({ onSuccess: (w) => router.push(`/w/${w.slug}/overview`) }));
  const fe = fieldErrors(create.error);
  return (
    <form
      className="space-y-4"
      onSubmit={(e) => {
        e.preventDefault();
        const f = new FormData(e.currentTarget);
        create.mutate({ name: String(f.get("name") ?? ""), currency: String(f.get("currency") ?? "USD") });
      }}
    >
      <Field label="Workspace name" name="name" required error={fe.name?.[0]} />
      <Field label="Reporting currency (ISO code)" name="currency" defaultValue="USD" maxLength={3} error={fe.currency?.[0]} hint="Orders in other currencies are stored but not summed (no implicit FX)." />
      {create.error && !Object.keys(fe).length ? (
        <p role="alert" className="text-sm text-red-700">
          {errorMessage(create.error)}
        </p>
      ) : null}
      <button type="submit" disabled={create.isPending} className="w-full rounded-md bg-brand-700 px-4 py-2 font-medium text-white hover:bg-brand-800 disabled:opacity-60">
        {create.isPending ? "Creating…" : "Create workspace"}
      </button>
    </form>
  );
}
