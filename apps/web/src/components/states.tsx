import type { ReactNode } from "react";
import { errorMessage } from "~/trpc/react";

export function LoadingBlock({ label, className = "h-32" }: { label: string; className?: string }) {
  return (
    <div role="status" aria-live="polite" className={`animate-pulse rounded-lg bg-slate-200/70 ${className}`}>
      <span className="sr-only">Loading {label}…</span>
    </div>
  );
}

export function ErrorBlock({ error, onRetry, what }: { error: unknown; onRetry?: () => void; what: string }) {
  return (
    <div role="alert" className="rounded-lg border border-red-300 bg-red-50 p-4 text-red-900">
      <p className="font-medium">Could not load {what}.</p>
      <p className="mt-1 text-sm">{errorMessage(error)}</p>
      {onRetry ? (
        <button onClick={onRetry} className="mt-3 rounded-md border border-red-400 bg-white px-3 py-1.5 text-sm font-medium hover:bg-red-100">
          Retry
        </button>
      ) : null}
    </div>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="rounded-lg border border-dashed border-slate-300 bg-white p-8 text-center">
      <p className="font-medium text-slate-900">{title}</p>
      {children ? <div className="mt-2 text-sm text-slate-700">{children}</div> : null}
    </div>
  );
}
