"use client";

import { useMutation } from "@tanstack/react-query";
import { errorMessage, useTRPC } from "~/trpc/react";

export function UnsubscribeButton({ token }: { token: string }) {
  const trpc = useTRPC();
  const m = useMutation(trpc.reports.unsubscribe.mutationOptions());
  if (m.isSuccess) {
    return (
      <p role="status" className="rounded-md bg-emerald-50 p-3 text-emerald-900">
        Done: {m.data.email} will no longer receive &ldquo;{m.data.report}&rdquo;.
      </p>
    );
  }
  return (
    <div>
      <button onClick={() => m.mutate({ token })} disabled={m.isPending} className="w-full rounded-md bg-brand-700 px-4 py-2 font-medium text-white hover:bg-brand-800 disabled:opacity-60">
        {m.isPending ? "Unsubscribing…" : "Unsubscribe"}
      </button>
      {m.error ? (
        <p role="alert" className="mt-3 text-sm text-red-700">
          {errorMessage(m.error)}
        </p>
      ) : null}
    </div>
  );
}
