"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRef, useState, type FormEvent } from "react";
import { API_KEY_SCOPES, type TApiKeyScope } from "@valuelens/validators";
import { errorMessage, fieldErrors, useTRPC } from "~/trpc/react";
import { Field } from "./field";
import { EmptyState, ErrorBlock, LoadingBlock } from "./states";
import { useWorkspace } from "./workspace-context";

const SCOPE_HINT: Record<TApiKeyScope, string> = {
  read: "GET metrics and customers with scores",
  write: "POST customers, orders, campaigns and spend",
};

const when = (d: Date | null) => (d ? d.toLocaleString("en-US", { dateStyle: "medium", timeStyle: "short" }) : "Never");

/** The new key, shown once right after creation with a copy button. */
function NewKey({ created, onDone }: { created: { name: string; key: string }; onDone: () => void }) {
  const input = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState<"yes" | "failed" | null>(null);
  async function copy() {
    try {
      await navigator.clipboard.writeText(created.key);
      setCopied("yes");
    } catch {
      input.current?.select();
      setCopied("failed");
    }
  }
  return (
    <div className="rounded-md border border-amber-400 bg-amber-50 p-4 text-sm text-amber-950" aria-labelledby="new-key-title">
      <h3 id="new-key-title" className="font-semibold">
        Your new key “{created.name}”
      </h3>
      <p className="mt-1">
        <strong>Copy it now: you will not see it again.</strong> We store only a hash of it. Keep it in a secret manager, never in code or a URL.
      </p>
      <div className="mt-3 flex gap-2">
        <label htmlFor="new-api-key" className="sr-only">
          New API key
        </label>
        <input
          ref={input}
          id="new-api-key"
          readOnly
          value={created.key}
          onFocus={(e) => e.currentTarget.select()}
          className="block w-full rounded-md border border-slate-400 bg-white px-3 py-2 font-mono text-xs text-slate-900"
        />
        <button type="button" onClick={() => void copy()} className="shrink-0 rounded-md bg-brand-700 px-3 py-2 font-medium text-white hover:bg-brand-800">
          Copy
        </button>
      </div>
      <p role="status" className="mt-2 min-h-5">
        {copied === "yes" ? "Copied to the clipboard." : copied === "failed" ? "Copying is blocked here: the key is selected, press Ctrl+C (⌘C)." : ""}
      </p>
      <button type="button" onClick={onDone} className="mt-1 rounded-md border border-slate-400 bg-white px-3 py-1.5 font-medium text-slate-800 hover:bg-slate-100">
        I have stored it
      </button>
    </div>
  );
}

/** Settings → API keys (admins and owners): create, list, revoke keys of the ingestion API. */
export function ApiKeysPanel() {
  const ws = useWorkspace();
  const trpc = useTRPC();
  const qc = useQueryClient();
  const keys = useQuery(trpc.apiKeys.list.queryOptions({ workspaceId: ws.id }));
  const refresh = () => qc.invalidateQueries({ queryKey: trpc.apiKeys.list.queryKey() });
  const [created, setCreated] = useState<{ name: string; key: string } | null>(null);
  const create = useMutation(trpc.apiKeys.create.mutationOptions({ onSuccess: () => void refresh() }));
  const revoke = useMutation(trpc.apiKeys.revoke.mutationOptions({ onSuccess: () => void refresh() }));

  async function onCreate(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = e.currentTarget;
    const f = new FormData(form);
    const scopes = API_KEY_SCOPES.filter((s) => f.get(`scope-${s}`) === "on");
    try {
      const res = await create.mutateAsync({ workspaceId: ws.id, name: String(f.get("keyName") ?? ""), scopes });
      setCreated({ name: res.name, key: res.key });
      form.reset();
    } catch {
      /* shown below */
    }
  }
  const fe = fieldErrors(create.error);

  return (
    <section aria-labelledby="api-keys-title" className="space-y-6 rounded-xl border border-slate-200 bg-white p-6 shadow-sm">
      <div>
        <h2 id="api-keys-title" className="text-lg font-semibold">
          API keys
        </h2>
        <p className="mt-1 text-sm text-slate-700">
          Keys let your systems send customers, orders, campaigns and spend to this workspace and read its metrics over HTTP (
          <a href="/api/v1/openapi.json" className="text-brand-700 underline">
            OpenAPI description
          </a>
          ; examples in the README). Send a key as <code className="rounded bg-slate-100 px-1">Authorization: Bearer vl_…</code>.
        </p>
      </div>

      <form onSubmit={onCreate} noValidate className="space-y-4" aria-labelledby="create-key-title">
        <h3 id="create-key-title" className="font-semibold">
          Create a key
        </h3>
        <Field label="Key name" name="keyName" required maxLength={80} placeholder="e.g. Shopify sync" hint="Say where the key is used, so you know which one to revoke." error={fe.name?.[0]} />
        <fieldset>
          <legend className="text-sm font-medium text-slate-800">Scopes</legend>
          <div className="mt-1 space-y-1">
            {API_KEY_SCOPES.map((s) => (
              <div key={s} className="flex items-start gap-2 text-sm">
                <input id={`scope-${s}`} name={`scope-${s}`} type="checkbox" defaultChecked className="mt-0.5 h-4 w-4" />
                <label htmlFor={`scope-${s}`}>
                  <span className="font-medium">{s}</span> <span className="text-slate-600">— {SCOPE_HINT[s]}</span>
                </label>
              </div>
            ))}
          </div>
          {fe.scopes?.[0] ? <p className="mt-1 text-sm text-red-700">{fe.scopes[0]}</p> : null}
        </fieldset>
        {create.error && !fe.name && !fe.scopes ? (
          <p role="alert" className="text-sm text-red-700">
            {errorMessage(create.error)}
          </p>
        ) : null}
        <button type="submit" disabled={create.isPending} className="rounded-md bg-brand-700 px-4 py-2 font-medium text-white hover:bg-brand-800 disabled:opacity-60">
          {create.isPending ? "Creating…" : "Create API key"}
        </button>
      </form>

      {created ? <NewKey created={created} onDone={() => setCreated(null)} /> : null}

      <div>
        <h3 className="mb-2 font-semibold">Keys of {ws.name}</h3>
        {revoke.error ? (
          <p role="alert" className="mb-3 text-sm text-red-700">
            {errorMessage(revoke.error)}
          </p>
        ) : null}
        {keys.isPending ? (
          <LoadingBlock label="API keys" />
        ) : keys.isError ? (
          <ErrorBlock error={keys.error} what="API keys" onRetry={() => void keys.refetch()} />
        ) : keys.data.length === 0 ? (
          <EmptyState title="No API keys yet">Create one above to send data from another system.</EmptyState>
        ) : (
          <div className="overflow-x-auto">
            <table className="w-full text-left text-sm">
              <thead>
                <tr className="border-b border-slate-200 text-slate-700">
                  <th scope="col" className="py-2 pr-4">Name</th>
                  <th scope="col" className="py-2 pr-4">Key</th>
                  <th scope="col" className="py-2 pr-4">Scopes</th>
                  <th scope="col" className="py-2 pr-4">Created</th>
                  <th scope="col" className="py-2 pr-4">Last used</th>
                  <th scope="col" className="py-2"><span className="sr-only">Status and actions</span></th>
                </tr>
              </thead>
              <tbody>
                {keys.data.map((k) => (
                  <tr key={k.id} className={`border-b border-slate-100 ${k.revokedAt ? "text-slate-600" : ""}`}>
                    <td className="py-2 pr-4 font-medium">{k.name}</td>
                    <td className="py-2 pr-4">
                      <code className="rounded bg-slate-100 px-1 text-xs">{k.displayPrefix}</code>
                    </td>
                    <td className="py-2 pr-4">{k.scopes.join(", ")}</td>
                    <td className="py-2 pr-4">
                      <div>{when(k.createdAt)}</div>
                      <div className="text-xs text-slate-600">by {k.createdBy ? (k.createdBy.name ?? k.createdBy.email) : "a former member"}</div>
                    </td>
                    <td className="py-2 pr-4">{when(k.lastUsedAt)}</td>
                    <td className="py-2 text-right">
                      {k.revokedAt ? (
                        <span className="text-xs">Revoked {when(k.revokedAt)}</span>
                      ) : (
                        <button
                          type="button"
                          disabled={revoke.isPending}
                          onClick={() => {
                            if (window.confirm(`Revoke the key “${k.name}”? Requests with it will fail at once; this cannot be undone.`)) {
                              revoke.mutate({ workspaceId: ws.id, keyId: k.id });
                            }
                          }}
                          className="rounded-md border border-red-400 px-2 py-1 text-red-800 hover:bg-red-50"
                        >
                          Revoke<span className="sr-only"> {k.name}</span>
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </div>
    </section>
  );
}
