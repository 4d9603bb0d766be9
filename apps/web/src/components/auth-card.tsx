import type { ReactNode } from "react";

export function AuthCard({ title, children, footer }: { title: string; children: ReactNode; footer?: ReactNode }) {
  return (
    <main className="flex min-h-screen items-center justify-center px-4 py-12">
      <div className="w-full max-w-md">
        <p className="mb-6 text-center text-xl font-bold tracking-tight text-brand-700">ValueLens</p>
        <section className="rounded-xl border border-slate-200 bg-white p-8 shadow-sm" aria-labelledby="auth-title">
          <h1 id="auth-title" className="text-2xl font-semibold">
            {title}
          </h1>
          <div className="mt-6">{children}</div>
        </section>
        {footer ? <div className="mt-4 text-center text-sm text-slate-700">{footer}</div> : null}
      </div>
    </main>
  );
}
