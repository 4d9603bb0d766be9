"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { REPORT_SECTION_LABELS, REPORT_SECTIONS, type TReportSection } from "@valuelens/validators";
import { parseRecipients, WEEKDAYS } from "~/lib/recipients";
import { errorMessage, fieldErrors, useTRPC } from "~/trpc/react";
import { Field } from "./field";
import { MySubscriptions } from "./my-subscriptions";
import { EmptyState, ErrorBlock, LoadingBlock } from "./states";
import { useWorkspace } from "./workspace-context";

interface Editing {
  id?: string;
  name: string;
  recipients: string;
  dayOfWeek: number;
  localTime: string;
  timezone: string;
  sections: TReportSection[];
  paused: boolean;
}

const STATUS_STYLE: Record<string, string> = {
  sent: "bg-emerald-100 text-emerald-900",
  outbox: "bg-sky-100 text-sky-900",
  failed: "bg-red-100 text-red-900",
  pending: "bg-amber-100 text-amber-900",
  sending: "bg-amber-100 text-amber-900",
};

export function ReportsView() {
  const ws = useWorkspace();
  const trpc = useTRPC();
  const qc = useQueryClient();
  const schedules = useQuery(trpc.reports.schedules.queryOptions({ workspaceId: ws.id }));
  const deliveries = useQuery(trpc.reports.deliveries.queryOptions({ workspaceId: ws.id }));
  const refresh = () => qc.invalidateQueries({ queryKey: trpc.reports.pathKey() });
  const browserTz = typeof Intl !== "undefined" ? Intl.DateTimeFormat().resolvedOptions().timeZone : "UTC";
  const blank: Editing = { name: "Weekly digest", recipients: "", dayOfWeek: 1, localTime: "09:00", timezone: browserTz, sections: [...REPORT_SECTIONS], paused: false };
  const [editing, setEditing] = useState<Editing | null>(null);
  const [viewing, setViewing] = useState<string | null>(null);
  const [previewing, setPreviewing] = useState<string | null>(null);
  const preview = useQuery({ ...trpc.reports.preview.queryOptions({ workspaceId: ws.id, scheduleId: previewing ?? "00000000-0000-4000-8000-000000000000" }), enabled: previewing !== null });
  const save = useMutation(trpc.reports.saveSchedule.mutationOptions({ onSuccess: () => { setEditing(null); void refresh(); } }));
  const del = useMutation(trpc.reports.deleteSchedule.mutationOptions({ onSuccess: () => void refresh() }));
  const test = useMutation(trpc.reports.sendTest.mutationOptions({ onSuccess: () => void refresh() }));
  const message = useQuery({ ...trpc.reports.delivery.queryOptions({ workspaceId: ws.id, deliveryId: viewing ?? "00000000-0000-4000-8000-000000000000" }), enabled: viewing !== null });
  const fe = fieldErrors(save.error);

  function onSave(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    if (!editing) return;
    save.mutate({
      workspaceId: ws.id,
      ...(editing.id ? { id: editing.id } : {}),
      name: editing.name,
      recipients: parseRecipients(editing.recipients),
      dayOfWeek: editing.dayOfWeek,
      localTime: editing.localTime,
      timezone: editing.timezone,
      sections: editing.sections,
      paused: editing.paused,
    });
  }

  return (
    <div className="space-y-8">
      <div className="flex flex-wrap items-end justify-between gap-3">
        <div>
          <h1 className="text-2xl font-semibold tracking-tight">Weekly reports</h1>
          <p className="text-sm text-slate-700">
            A digest of last week sent in each schedule&apos;s own time zone: headline numbers vs the week before and the same week last year, charts, segment movement,
            high-value customers who turned at risk, the campaign leaderboard and the newest cohorts&apos; retention. Without an SMTP server, messages go to the outbox below so
            you can read exactly what would have been sent.
          </p>
        </div>
        {editing ? null : (
          <button onClick={() => setEditing(blank)} className="rounded-md bg-brand-700 px-4 py-2 font-medium text-white hover:bg-brand-800">
            New schedule
          </button>
        )}
      </div>

      {editing ? (
        <form onSubmit={onSave} noValidate className="space-y-4 rounded-xl border border-slate-200 bg-white p-6 shadow-sm" aria-labelledby="sched-title">
          <h2 id="sched-title" className="text-lg font-semibold">
            {editing.id ? "Edit schedule" : "New schedule"}
          </h2>
          <Field label="Name" name="name" value={editing.name} onChange={(e) => setEditing({ ...editing, name: e.target.value })} error={fe.name?.[0]} />
          <div>
            <label htmlFor="f-recipients" className="block text-sm font-medium text-slate-800">
              Recipients
            </label>
            <textarea
              id="f-recipients"
              rows={3}
              value={editing.recipients}
              onChange={(e) => setEditing({ ...editing, recipients: e.target.value })}
              aria-describedby="f-recipients-hint"
              className="mt-1 block w-full rounded-md border border-slate-400 bg-white px-3 py-2"
            />
            <p id="f-recipients-hint" className="mt-1 text-xs text-slate-600">
              Email addresses separated by commas or new lines: members or anyone else.
            </p>
            {fe.recipients?.[0] ? <p className="mt-1 text-sm text-red-700">{fe.recipients[0]}</p> : null}
          </div>
          <div className="grid gap-4 sm:grid-cols-3">
            <div>
              <label htmlFor="f-day" className="block text-sm font-medium text-slate-800">
                Day
              </label>
              <select id="f-day" value={editing.dayOfWeek} onChange={(e) => setEditing({ ...editing, dayOfWeek: Number(e.target.value) })} className="mt-1 block w-full rounded-md border border-slate-400 bg-white px-3 py-2">
                {WEEKDAYS.map((d, i) => (
                  <option key={d} value={i + 1}>
                    {d}
                  </option>
                ))}
              </select>
            </div>
            <Field label="Local time" name="localTime" type="time" value={editing.localTime} onChange={(e) => setEditing({ ...editing, localTime: e.target.value })} error={fe.localTime?.[0]} />
            <Field label="Time zone" name="timezone" value={editing.timezone} onChange={(e) => setEditing({ ...editing, timezone: e.target.value })} hint="IANA name, e.g. Europe/Paris" error={fe.timezone?.[0]} />
          </div>
          <fieldset>
            <legend className="text-sm font-medium text-slate-800">Sections</legend>
            <div className="mt-1 grid gap-1 sm:grid-cols-3">
              {REPORT_SECTIONS.map((sec) => (
                <label key={sec} className="flex items-center gap-2 text-sm">
                  <input
                    type="checkbox"
                    checked={editing.sections.includes(sec)}
                    onChange={(e) =>
                      setEditing({ ...editing, sections: e.target.checked ? REPORT_SECTIONS.filter((x) => x === sec || editing.sections.includes(x)) : editing.sections.filter((x) => x !== sec) })
                    }
                  />
                  {REPORT_SECTION_LABELS[sec]}
                </label>
              ))}
            </div>
            {fe.sections?.[0] ? <p className="mt-1 text-sm text-red-700">{fe.sections[0]}</p> : null}
          </fieldset>
          <label className="flex items-center gap-2 text-sm">
            <input type="checkbox" checked={editing.paused} onChange={(e) => setEditing({ ...editing, paused: e.target.checked })} />
            Paused (nothing is sent while paused)
          </label>
          {save.error && !Object.keys(fe).length ? (
            <p role="alert" className="text-sm text-red-700">
              {errorMessage(save.error)}
            </p>
          ) : null}
          <div className="flex gap-3">
            <button type="submit" disabled={save.isPending} className="rounded-md bg-brand-700 px-4 py-2 font-medium text-white hover:bg-brand-800 disabled:opacity-60">
              {save.isPending ? "Saving…" : "Save schedule"}
            </button>
            <button type="button" onClick={() => setEditing(null)} className="rounded-md border border-slate-400 px-4 py-2 font-medium text-slate-800 hover:bg-slate-100">
              Cancel
            </button>
          </div>
        </form>
      ) : null}

      <section aria-labelledby="schedules-title" className="rounded-xl border border-slate-200 bg-white p-6 shadow-sm">
        <h2 id="schedules-title" className="mb-4 text-lg font-semibold">
          Schedules
        </h2>
        {test.data ? (
          <p role="status" className="mb-3 rounded-md bg-emerald-50 p-3 text-sm text-emerald-900">
            Test report: {test.data.sent} sent by email, {test.data.outbox} written to the outbox{test.data.failed ? `, ${test.data.failed} failed (see the log)` : ""}.
          </p>
        ) : null}
        {test.error || del.error ? (
          <p role="alert" className="mb-3 text-sm text-red-700">
            {errorMessage(test.error ?? del.error)}
          </p>
        ) : null}
        {schedules.isPending ? (
          <LoadingBlock label="schedules" />
        ) : schedules.isError ? (
          <ErrorBlock error={schedules.error} what="schedules" onRetry={() => void schedules.refetch()} />
        ) : schedules.data.length === 0 ? (
          <EmptyState title="No weekly report yet">Create a schedule to send last week&apos;s numbers to your team every week.</EmptyState>
        ) : (
          <ul className="divide-y divide-slate-100">
            {schedules.data.map((s) => (
              <li key={s.id} className="flex flex-wrap items-center justify-between gap-3 py-3">
                <div>
                  <p className="font-medium">
                    {s.name} {s.paused ? <span className="ml-2 rounded bg-slate-200 px-2 py-0.5 text-xs text-slate-800">paused</span> : null}
                  </p>
                  <p className="text-sm text-slate-700">
                    {WEEKDAYS[s.dayOfWeek - 1]} at {s.localTime} ({s.timezone}) · {s.recipients.length} recipient{s.recipients.length === 1 ? "" : "s"}
                    {s.nextSendAt ? ` · next: ${s.nextSendAt.toLocaleString("en-US", { dateStyle: "medium", timeStyle: "short", timeZone: s.timezone })}` : ""}
                  </p>
                </div>
                <div className="flex gap-2">
                  <button onClick={() => test.mutate({ workspaceId: ws.id, scheduleId: s.id })} disabled={test.isPending} className="rounded-md border border-brand-700 px-3 py-1.5 text-sm font-medium text-brand-700 hover:bg-brand-50 disabled:opacity-60">
                    Send a test now<span className="sr-only"> for {s.name}</span>
                  </button>
                  <button onClick={() => setPreviewing(s.id)} className="rounded-md border border-slate-400 px-3 py-1.5 text-sm font-medium text-slate-800 hover:bg-slate-100">
                    Preview<span className="sr-only"> the next {s.name}</span>
                  </button>
                  <button
                    onClick={() =>
                      setEditing({
                        id: s.id,
                        name: s.name,
                        recipients: s.recipients.join(", "),
                        dayOfWeek: s.dayOfWeek,
                        localTime: s.localTime,
                        timezone: s.timezone,
                        sections: REPORT_SECTIONS.filter((x) => s.sections.includes(x)),
                        paused: s.paused,
                      })
                    }
                    className="rounded-md border border-slate-400 px-3 py-1.5 text-sm font-medium text-slate-800 hover:bg-slate-100"
                  >
                    Edit<span className="sr-only"> {s.name}</span>
                  </button>
                  <button
                    onClick={() => {
                      if (window.confirm(`Delete the schedule "${s.name}"?`)) del.mutate({ workspaceId: ws.id, scheduleId: s.id });
                    }}
                    className="rounded-md border border-slate-400 px-3 py-1.5 text-sm font-medium text-slate-800 hover:bg-slate-100"
                  >
                    Delete<span className="sr-only"> {s.name}</span>
                  </button>
                </div>
              </li>
            ))}
          </ul>
        )}
        {previewing ? (
          <div className="mt-6 rounded-lg border border-slate-300">
            <div className="flex items-center justify-between border-b border-slate-200 p-3">
              <p className="text-sm font-medium">
                {preview.data
                  ? `Next send ${preview.data.sendAt.toLocaleString("en-US", { dateStyle: "medium", timeStyle: "short" })}: ${preview.data.subject}`
                  : preview.isError
                    ? errorMessage(preview.error)
                    : "Rendering the preview…"}
              </p>
              <button onClick={() => setPreviewing(null)} className="rounded-md border border-slate-400 px-2 py-1 text-sm hover:bg-slate-100">
                Close preview
              </button>
            </div>
            {preview.data ? <iframe title={`Preview: ${preview.data.subject}`} sandbox="" srcDoc={preview.data.html} className="h-[560px] w-full bg-white" /> : null}
          </div>
        ) : null}
      </section>

      <MySubscriptions />

      <section aria-labelledby="log-title" className="rounded-xl border border-slate-200 bg-white p-6 shadow-sm">
        <h2 id="log-title" className="mb-4 text-lg font-semibold">
          Delivery log and outbox
        </h2>
        {deliveries.isPending ? (
          <LoadingBlock label="deliveries" />
        ) : deliveries.isError ? (
          <ErrorBlock error={deliveries.error} what="the delivery log" onRetry={() => void deliveries.refetch()} />
        ) : deliveries.data.length === 0 ? (
          <EmptyState title="Nothing sent yet">Send a test to see the message here.</EmptyState>
        ) : (
          <table className="w-full text-left text-sm">
            <thead>
              <tr className="border-b border-slate-200 text-slate-700">
                <th scope="col" className="py-2 pr-3">When</th>
                <th scope="col" className="py-2 pr-3">To</th>
                <th scope="col" className="py-2 pr-3">Subject</th>
                <th scope="col" className="py-2 pr-3">Status</th>
                <th scope="col" className="py-2"><span className="sr-only">Message</span></th>
              </tr>
            </thead>
            <tbody>
              {deliveries.data.map((d) => (
                <tr key={d.id} className="border-b border-slate-100 align-top">
                  <td className="py-2 pr-3 whitespace-nowrap">{(d.sentAt ?? d.createdAt).toLocaleString("en-US", { dateStyle: "medium", timeStyle: "short" })}</td>
                  <td className="py-2 pr-3">{d.recipient}</td>
                  <td className="py-2 pr-3">{d.subject}</td>
                  <td className="py-2 pr-3">
                    <span className={`rounded px-2 py-0.5 text-xs font-medium ${STATUS_STYLE[d.status] ?? "bg-slate-100 text-slate-800"}`}>{d.status}</span>
                    {d.lastError ? <p className="mt-1 text-xs text-red-800">{d.lastError} (attempt {d.attempts})</p> : null}
                  </td>
                  <td className="py-2 text-right">
                    <button onClick={() => setViewing(d.id)} className="rounded-md border border-slate-400 px-2 py-1 text-slate-800 hover:bg-slate-100">
                      View<span className="sr-only"> message to {d.recipient}</span>
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {viewing ? (
          <div className="mt-6 rounded-lg border border-slate-300">
            <div className="flex items-center justify-between border-b border-slate-200 p-3">
              <p className="text-sm font-medium">{message.data ? `To ${message.data.recipient}: ${message.data.subject}` : "Loading message…"}</p>
              <button onClick={() => setViewing(null)} className="rounded-md border border-slate-400 px-2 py-1 text-sm hover:bg-slate-100">
                Close
              </button>
            </div>
            {message.data ? <iframe title={`Email: ${message.data.subject}`} sandbox="" srcDoc={message.data.html} className="h-[560px] w-full bg-white" /> : null}
          </div>
        ) : null}
      </section>
    </div>
  );
}
