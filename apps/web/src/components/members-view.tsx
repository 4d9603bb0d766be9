"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { ROLES, type TRole } from "@valuelens/validators";
import { errorMessage, fieldErrors, useTRPC } from "~/trpc/react";
import { Field } from "./field";
import { ErrorBlock, LoadingBlock } from "./states";
import { useWorkspace } from "./workspace-context";

export function MembersView() {
  const ws = useWorkspace();
  const trpc = useTRPC();
  const qc = useQueryClient();
  const members = useQuery(trpc.workspace.members.queryOptions({ workspaceId: ws.id }));
  const refresh = () => qc.invalidateQueries({ queryKey: trpc.workspace.members.queryKey() });
  const [lastInvite, setLastInvite] = useState<{ email: string; link: string; emailed: boolean } | null>(null);
  const invite = useMutation(trpc.workspace.invite.mutationOptions({ onSuccess: () => void refresh() }));
  const changeRole = useMutation(trpc.workspace.changeRole.mutationOptions({ onSuccess: () => void refresh() }));
  const remove = useMutation(trpc.workspace.removeMember.mutationOptions({ onSuccess: () => void refresh() }));
  const revoke = useMutation(trpc.workspace.revokeInvite.mutationOptions({ onSuccess: () => void refresh() }));

  async function onInvite(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = e.currentTarget;
    const f = new FormData(form);
    const email = String(f.get("email") ?? "");
    try {
      const res = await invite.mutateAsync({ workspaceId: ws.id, email, role: String(f.get("role")) as TRole });
      setLastInvite({ email, link: res.link, emailed: res.emailed });
      form.reset();
    } catch {
      /* shown below */
    }
  }
  const fe = fieldErrors(invite.error);
  const actionError = changeRole.error ?? remove.error ?? revoke.error;

  return (
    <div className="max-w-4xl space-y-8">
      <h1 className="text-2xl font-semibold tracking-tight">Members</h1>

      <form onSubmit={onInvite} className="space-y-4 rounded-xl border border-slate-200 bg-white p-6 shadow-sm" aria-labelledby="invite-title">
        <h2 id="invite-title" className="text-lg font-semibold">
          Invite someone
        </h2>
        <div className="grid gap-4 sm:grid-cols-[1fr_12rem]">
          <Field label="Email" name="email" type="email" required error={fe.email?.[0]} />
          <div>
            <label htmlFor="f-role" className="block text-sm font-medium text-slate-800">
              Role
            </label>
            <select id="f-role" name="role" defaultValue="MEMBER" className="mt-1 block w-full rounded-md border border-slate-400 bg-white px-3 py-2">
              {ROLES.filter((r) => ws.role === "OWNER" || r !== "OWNER").map((r) => (
                <option key={r} value={r}>
                  {r.charAt(0) + r.slice(1).toLowerCase()}
                </option>
              ))}
            </select>
          </div>
        </div>
        <p className="text-xs text-slate-600">Owners and admins manage members and settings; members work with the data; viewers only look.</p>
        {invite.error && !fe.email ? (
          <p role="alert" className="text-sm text-red-700">
            {errorMessage(invite.error)}
          </p>
        ) : null}
        <button type="submit" disabled={invite.isPending} className="rounded-md bg-brand-700 px-4 py-2 font-medium text-white hover:bg-brand-800 disabled:opacity-60">
          {invite.isPending ? "Inviting…" : "Send invitation"}
        </button>
        {lastInvite ? (
          <div role="status" className="rounded-md border border-emerald-300 bg-emerald-50 p-3 text-sm text-emerald-900">
            {lastInvite.emailed ? (
              <p>Invitation emailed to {lastInvite.email}.</p>
            ) : (
              <p>No email server is configured, so share this link with {lastInvite.email} yourself (valid 7 days):</p>
            )}
            <p className="mt-2 break-all">
              <code data-testid="invite-link" className="rounded bg-white px-1">
                {lastInvite.link}
              </code>
            </p>
          </div>
        ) : null}
      </form>

      <section aria-labelledby="members-title" className="rounded-xl border border-slate-200 bg-white p-6 shadow-sm">
        <h2 id="members-title" className="mb-4 text-lg font-semibold">
          People in {ws.name}
        </h2>
        {actionError ? (
          <p role="alert" className="mb-3 text-sm text-red-700">
            {errorMessage(actionError)}
          </p>
        ) : null}
        {members.isPending ? (
          <LoadingBlock label="members" />
        ) : members.isError ? (
          <ErrorBlock error={members.error} what="members" onRetry={() => void members.refetch()} />
        ) : (
          <>
            <table className="w-full text-left text-sm">
              <thead>
                <tr className="border-b border-slate-200 text-slate-700">
                  <th scope="col" className="py-2 pr-4">Person</th>
                  <th scope="col" className="py-2 pr-4">Role</th>
                  <th scope="col" className="py-2 pr-4">Since</th>
                  <th scope="col" className="py-2"><span className="sr-only">Actions</span></th>
                </tr>
              </thead>
              <tbody>
                {members.data.members.map((m) => (
                  <tr key={m.userId} className="border-b border-slate-100">
                    <td className="py-2 pr-4">
                      <div className="font-medium">{m.name ?? m.email}</div>
                      <div className="text-slate-600">{m.email}</div>
                    </td>
                    <td className="py-2 pr-4">
                      <select
                        aria-label={`Role of ${m.email}`}
                        value={m.role}
                        onChange={(e) => changeRole.mutate({ workspaceId: ws.id, userId: m.userId, role: e.target.value as TRole })}
                        className="rounded-md border border-slate-400 bg-white px-2 py-1"
                      >
                        {ROLES.map((r) => (
                          <option key={r} value={r}>
                            {r.charAt(0) + r.slice(1).toLowerCase()}
                          </option>
                        ))}
                      </select>
                    </td>
                    <td className="py-2 pr-4 text-slate-700">{m.since.toLocaleDateString("en-US", { dateStyle: "medium" })}</td>
                    <td className="py-2 text-right">
                      <button
                        onClick={() => {
                          if (window.confirm(`Remove ${m.email} from ${ws.name}?`)) remove.mutate({ workspaceId: ws.id, userId: m.userId });
                        }}
                        className="rounded-md border border-slate-400 px-2 py-1 text-slate-800 hover:bg-slate-100"
                      >
                        Remove<span className="sr-only"> {m.email}</span>
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            {members.data.invitations.length > 0 ? (
              <>
                <h3 className="mt-6 mb-2 font-semibold">Pending invitations</h3>
                <ul className="divide-y divide-slate-100 text-sm">
                  {members.data.invitations.map((i) => (
                    <li key={i.id} className="flex items-center justify-between py-2">
                      <span>
                        {i.email} · {i.role.toLowerCase()} · expires {i.expiresAt.toLocaleDateString("en-US", { dateStyle: "medium" })}
                      </span>
                      <button onClick={() => revoke.mutate({ workspaceId: ws.id, invitationId: i.id })} className="rounded-md border border-slate-400 px-2 py-1 hover:bg-slate-100">
                        Revoke<span className="sr-only"> invitation for {i.email}</span>
                      </button>
                    </li>
                  ))}
                </ul>
              </>
            ) : null}
          </>
        )}
      </section>
    </div>
  );
}
