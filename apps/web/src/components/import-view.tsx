"use client";

import { useQuery, useMutation, useQueryClient } from "@tanstack/react-query";
import { useEffect, useId, useRef, useState, type DragEvent } from "react";
import { previewSample, type Preview } from "@valuelens/api/import-preview";
import { FIELD_LABELS, IMPORT_FIELDS, IMPORT_KINDS, type TImportKind, type TImportOptions } from "@valuelens/validators";
import { useTRPC } from "~/trpc/react";
import { formatCount } from "~/lib/money";
import { delimiterLabel, formatBytes, formatDuration } from "~/lib/import-format";
import { EmptyState, ErrorBlock, LoadingBlock } from "./states";
import { useWorkspace } from "./workspace-context";

const KIND_LABELS: Record<TImportKind, string> = {
  CUSTOMERS: "Customers",
  ORDERS: "Orders",
  CAMPAIGNS: "Campaigns",
  CAMPAIGN_SPEND: "Campaign spend",
};

const SAMPLE_BYTES = 64 * 1024;
const select = "mt-1 block w-full rounded-md border border-slate-400 bg-white px-2 py-1.5 text-sm text-slate-900";
const button = "rounded-md bg-brand-700 px-4 py-2 text-sm font-medium text-white hover:bg-brand-800 disabled:opacity-50";
const buttonSecondary = "rounded-md border border-slate-400 bg-white px-3 py-1.5 text-sm font-medium text-slate-800 hover:bg-slate-100";

type Delim = NonNullable<TImportOptions["delimiter"]>;

export function ImportView() {
  const ws = useWorkspace();
  const trpc = useTRPC();
  const qc = useQueryClient();
  const ids = useId();
  const [kind, setKind] = useState<TImportKind>("ORDERS");
  const [file, setFile] = useState<File | null>(null);
  const [sample, setSample] = useState<Uint8Array | null>(null);
  const [delimiter, setDelimiter] = useState<Delim | "auto">("auto");
  const [preview, setPreview] = useState<Preview | null>(null);
  const [mapping, setMapping] = useState<string[]>([]);
  const [dateFormat, setDateFormat] = useState<TImportOptions["dateFormat"]>("auto");
  const [timeZone, setTimeZone] = useState("UTC");
  const [currency, setCurrency] = useState(ws.currency);
  const [unknownCustomers, setUnknownCustomers] = useState<TImportOptions["unknownCustomers"]>("create");
  const [jobId, setJobId] = useState<string | null>(null);
  const [uploadError, setUploadError] = useState<string | null>(null);
  const [uploading, setUploading] = useState(false);
  const [dragOver, setDragOver] = useState(false);
  const inputRef = useRef<HTMLInputElement>(null);

  const saved = useQuery(trpc.import.savedMapping.queryOptions({ workspaceId: ws.id, kind }));
  const history = useQuery(trpc.import.list.queryOptions({ workspaceId: ws.id, limit: 20 }));
  const job = useQuery({
    ...trpc.import.get.queryOptions({ workspaceId: ws.id, jobId: jobId ?? "00000000-0000-0000-0000-000000000000" }),
    enabled: jobId !== null,
    staleTime: 0,
    refetchInterval: (q) => (q.state.data && (q.state.data.status === "QUEUED" || q.state.data.status === "RUNNING") ? 500 : false),
  });
  const cancel = useMutation(trpc.import.cancel.mutationOptions({ onSuccess: () => void job.refetch() }));

  const finished = job.data && !["QUEUED", "RUNNING"].includes(job.data.status);
  useEffect(() => {
    if (finished) void qc.invalidateQueries({ queryKey: trpc.import.list.queryKey() });
  }, [finished, qc, trpc]);

  // Re-run the preview when the file, kind, delimiter or saved mapping change.
  useEffect(() => {
    if (!sample) return;
    const p = previewSample(sample, kind, {
      delimiter: delimiter === "auto" ? undefined : delimiter,
      maxRows: 5,
      saved: saved.data?.columns,
    });
    setPreview(p);
    setMapping(p.mapping);
    const o = saved.data?.options;
    if (o) {
      if (o.dateFormat === "auto" || o.dateFormat === "MDY" || o.dateFormat === "DMY") setDateFormat(o.dateFormat);
      if (typeof o.timeZone === "string") setTimeZone(o.timeZone);
      if (typeof o.defaultCurrency === "string") setCurrency(o.defaultCurrency);
      if (o.unknownCustomers === "create" || o.unknownCustomers === "reject") setUnknownCustomers(o.unknownCustomers);
    }
  }, [sample, kind, delimiter, saved.data]);

  async function choose(f: File | undefined) {
    if (!f) return;
    setFile(f);
    setJobId(null);
    setUploadError(null);
    setSample(new Uint8Array(await f.slice(0, SAMPLE_BYTES).arrayBuffer()));
  }

  function onDrop(e: DragEvent<HTMLDivElement>) {
    e.preventDefault();
    setDragOver(false);
    void choose(e.dataTransfer.files[0]);
  }

  async function start() {
    if (!file || !preview) return;
    setUploading(true);
    setUploadError(null);
    const params = {
      workspaceId: ws.id,
      kind,
      fileName: file.name.slice(0, 255) || "upload.csv",
      mapping,
      options: { delimiter: preview.delimiter, dateFormat, timeZone, defaultCurrency: currency.toUpperCase(), unknownCustomers },
    };
    try {
      const res = await fetch(`/api/import?params=${encodeURIComponent(JSON.stringify(params))}`, {
        method: "POST",
        headers: { "content-type": "application/octet-stream" },
        body: file,
      });
      const body = (await res.json()) as { jobId?: string; error?: { message?: string } };
      if (!res.ok || !body.jobId) throw new Error(body.error?.message ?? `Upload failed (${res.status}).`);
      setJobId(body.jobId);
      void qc.invalidateQueries({ queryKey: trpc.import.list.queryKey() });
    } catch (e) {
      setUploadError(e instanceof Error ? e.message : "Upload failed.");
    } finally {
      setUploading(false);
    }
  }

  const targets = [...IMPORT_FIELDS[kind], ...(kind === "CUSTOMERS" ? ["attribute"] : []), "ignore"];
  const running = job.data && (job.data.status === "QUEUED" || job.data.status === "RUNNING");

  return (
    <div className="space-y-8">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight">Import data</h1>
        <p className="text-sm text-slate-700">
          Upload a CSV export (Shopify, Stripe, a CRM or a spreadsheet). Importing the same file again changes nothing; an updated file updates what changed.
        </p>
      </div>

      <section aria-labelledby={`${ids}-file`} className="space-y-4 rounded-xl border border-slate-200 bg-white p-6 shadow-sm">
        <h2 id={`${ids}-file`} className="text-lg font-semibold">
          1. File
        </h2>
        <div className="grid gap-4 sm:grid-cols-2">
          <div>
            <label htmlFor={`${ids}-kind`} className="block text-sm font-medium text-slate-800">
              What are you importing?
            </label>
            <select id={`${ids}-kind`} className={select} value={kind} onChange={(e) => setKind(e.target.value as TImportKind)}>
              {IMPORT_KINDS.map((k) => (
                <option key={k} value={k}>
                  {KIND_LABELS[k]}
                </option>
              ))}
            </select>
          </div>
          <div>
            <label htmlFor={`${ids}-input`} className="block text-sm font-medium text-slate-800">
              CSV file
            </label>
            <input
              ref={inputRef}
              id={`${ids}-input`}
              type="file"
              accept=".csv,.tsv,.txt,text/csv,text/plain"
              className="mt-1 block w-full text-sm text-slate-800 file:mr-3 file:rounded-md file:border file:border-slate-400 file:bg-white file:px-3 file:py-1.5"
              onChange={(e) => void choose(e.target.files?.[0])}
            />
          </div>
        </div>
        <div
          onDragOver={(e) => {
            e.preventDefault();
            setDragOver(true);
          }}
          onDragLeave={() => setDragOver(false)}
          onDrop={onDrop}
          className={`rounded-lg border-2 border-dashed p-6 text-center text-sm ${dragOver ? "border-brand-600 bg-brand-50" : "border-slate-300 text-slate-700"}`}
        >
          {file ? (
            <p>
              <span className="font-medium text-slate-900">{file.name}</span> · {formatBytes(file.size)}
            </p>
          ) : (
            <p>Drag and drop a file here, or use the file chooser above.</p>
          )}
        </div>
      </section>

      {preview && file ? (
        <section aria-labelledby={`${ids}-map`} className="space-y-4 rounded-xl border border-slate-200 bg-white p-6 shadow-sm">
          <h2 id={`${ids}-map`} className="text-lg font-semibold">
            2. Columns and options
          </h2>
          <p className="text-sm text-slate-700" data-testid="detected">
            Detected: encoding <strong>{preview.encoding.label}</strong>, delimiter <strong>{delimiterLabel(preview.delimiter)}</strong>, header with{" "}
            <strong>{preview.headers.length}</strong> columns.
          </p>
          {preview.problems.length > 0 ? (
            <p className="text-sm text-amber-900">
              {preview.problems.length} line(s) in the first rows cannot be read (e.g. line {preview.problems[0]!.line}: {preview.problems[0]!.reason}); they will be reported.
            </p>
          ) : null}
          {preview.headers.length === 0 ? (
            <EmptyState title="This file has no header row">Choose another file.</EmptyState>
          ) : (
            <>
              <div className="overflow-x-auto">
                <table className="min-w-full text-sm">
                  <caption className="sr-only">Column mapping and preview of the first rows</caption>
                  <thead>
                    <tr className="border-b border-slate-200 text-left">
                      <th scope="col" className="py-2 pr-4 font-medium">
                        Column in file
                      </th>
                      <th scope="col" className="py-2 pr-4 font-medium">
                        Imported as
                      </th>
                      <th scope="col" className="py-2 font-medium">
                        First values
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {preview.headers.map((h, i) => (
                      <tr key={i} className="border-b border-slate-100">
                        <th scope="row" className="py-2 pr-4 text-left font-medium text-slate-900">
                          {h || `(column ${i + 1})`}
                        </th>
                        <td className="py-2 pr-4">
                          <select
                            aria-label={`Import column ${h || i + 1} as`}
                            className="rounded-md border border-slate-400 bg-white px-2 py-1 text-sm"
                            value={mapping[i] ?? "ignore"}
                            onChange={(e) => setMapping((m) => m.map((x, j) => (j === i ? e.target.value : x)))}
                          >
                            {targets.map((t) => (
                              <option key={t} value={t}>
                                {FIELD_LABELS[t] ?? t}
                              </option>
                            ))}
                          </select>
                        </td>
                        <td className="max-w-md truncate py-2 text-slate-700">{preview.rows.map((r) => r[i] ?? "").join(" · ")}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-5">
                <div>
                  <label htmlFor={`${ids}-delim`} className="block text-sm font-medium text-slate-800">
                    Delimiter
                  </label>
                  <select id={`${ids}-delim`} className={select} value={delimiter} onChange={(e) => setDelimiter(e.target.value as Delim | "auto")}>
                    <option value="auto">Detect ({delimiterLabel(preview.delimiter)})</option>
                    <option value=",">Comma</option>
                    <option value=";">Semicolon</option>
                    <option value={"\t"}>Tab</option>
                    <option value="|">Pipe</option>
                    <option value="whitespace">Spaces</option>
                  </select>
                </div>
                <div>
                  <label htmlFor={`${ids}-datefmt`} className="block text-sm font-medium text-slate-800">
                    Date format
                  </label>
                  <select id={`${ids}-datefmt`} className={select} value={dateFormat} onChange={(e) => setDateFormat(e.target.value as TImportOptions["dateFormat"])}>
                    <option value="auto">ISO / YYYYMMDD / epoch</option>
                    <option value="MDY">MM/DD/YYYY</option>
                    <option value="DMY">DD/MM/YYYY</option>
                  </select>
                </div>
                <div>
                  <label htmlFor={`${ids}-tz`} className="block text-sm font-medium text-slate-800">
                    Time zone (dates without offset)
                  </label>
                  <input id={`${ids}-tz`} className={select} value={timeZone} onChange={(e) => setTimeZone(e.target.value)} />
                </div>
                <div>
                  <label htmlFor={`${ids}-cur`} className="block text-sm font-medium text-slate-800">
                    Default currency
                  </label>
                  <input id={`${ids}-cur`} className={select} value={currency} maxLength={3} onChange={(e) => setCurrency(e.target.value.toUpperCase())} />
                </div>
                {kind === "ORDERS" ? (
                  <div>
                    <label htmlFor={`${ids}-unknown`} className="block text-sm font-medium text-slate-800">
                      Orders of unknown customers
                    </label>
                    <select id={`${ids}-unknown`} className={select} value={unknownCustomers} onChange={(e) => setUnknownCustomers(e.target.value as TImportOptions["unknownCustomers"])}>
                      <option value="create">Create the customer</option>
                      <option value="reject">Reject the row</option>
                    </select>
                  </div>
                ) : null}
              </div>
              <div className="flex items-center gap-3">
                <button type="button" className={button} disabled={uploading || Boolean(running)} onClick={() => void start()}>
                  {uploading ? "Uploading…" : "Start import"}
                </button>
                {uploadError ? (
                  <p role="alert" className="text-sm text-red-700">
                    {uploadError}
                  </p>
                ) : null}
              </div>
            </>
          )}
        </section>
      ) : null}

      {jobId ? (
        <section aria-labelledby={`${ids}-progress`} className="space-y-4 rounded-xl border border-slate-200 bg-white p-6 shadow-sm">
          <h2 id={`${ids}-progress`} className="text-lg font-semibold">
            3. Progress
          </h2>
          {job.isPending ? (
            <LoadingBlock label="import progress" className="h-16" />
          ) : job.isError ? (
            <ErrorBlock error={job.error} what="the import" onRetry={() => void job.refetch()} />
          ) : (
            <JobProgress
              job={job.data}
              onCancel={() => cancel.mutate({ workspaceId: ws.id, jobId: job.data.id })}
              cancelling={cancel.isPending || job.data.cancelRequested}
              reportHref={`/api/import/${job.data.id}/errors?workspaceId=${ws.id}`}
            />
          )}
        </section>
      ) : null}

      <section aria-labelledby={`${ids}-history`} className="rounded-xl border border-slate-200 bg-white p-6 shadow-sm">
        <h2 id={`${ids}-history`} className="mb-4 text-lg font-semibold">
          Import history
        </h2>
        {history.isPending ? (
          <LoadingBlock label="import history" />
        ) : history.isError ? (
          <ErrorBlock error={history.error} what="the import history" onRetry={() => void history.refetch()} />
        ) : history.data.length === 0 ? (
          <EmptyState title="No imports yet">Your imports will be listed here.</EmptyState>
        ) : (
          <div className="overflow-x-auto">
            <table className="min-w-full text-sm">
              <caption className="sr-only">Previous imports</caption>
              <thead>
                <tr className="border-b border-slate-200 text-left">
                  {["When", "Who", "File", "Kind", "Status", "Rows", "Created", "Updated", "Unchanged", "Rejected", "Duration"].map((h) => (
                    <th key={h} scope="col" className="py-2 pr-3 font-medium">
                      {h}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {history.data.map((j) => (
                  <tr key={j.id} className="border-b border-slate-100">
                    <td className="py-2 pr-3 whitespace-nowrap">{j.createdAt.toLocaleString("en-US", { dateStyle: "medium", timeStyle: "short" })}</td>
                    <td className="py-2 pr-3">{j.createdBy ?? "—"}</td>
                    <td className="max-w-48 truncate py-2 pr-3">{j.fileName}</td>
                    <td className="py-2 pr-3">{KIND_LABELS[j.kind]}</td>
                    <td className="py-2 pr-3" title={j.error ?? undefined}>
                      {j.status.toLowerCase()}
                    </td>
                    <td className="py-2 pr-3 tabular-nums">{formatCount(j.rows)}</td>
                    <td className="py-2 pr-3 tabular-nums">{formatCount(j.created)}</td>
                    <td className="py-2 pr-3 tabular-nums">{formatCount(j.updated)}</td>
                    <td className="py-2 pr-3 tabular-nums">{formatCount(j.unchanged)}</td>
                    <td className="py-2 pr-3 tabular-nums">
                      {j.rejected > 0 ? (
                        <a className="text-brand-700 underline" href={`/api/import/${j.id}/errors?workspaceId=${ws.id}`}>
                          {formatCount(j.rejected)}
                          <span className="sr-only"> rejected rows: download the error report</span>
                        </a>
                      ) : (
                        "0"
                      )}
                    </td>
                    <td className="py-2 pr-3">{formatDuration(j.durationMs === null ? null : j.durationMs / 1000)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </div>
  );
}

interface JobView {
  id: string;
  status: string;
  rows: number;
  created: number;
  updated: number;
  unchanged: number;
  rejected: number;
  invariantHolds: boolean;
  bytesTotal: number;
  bytesProcessed: number;
  rowsPerSecond: number | null;
  etaSeconds: number | null;
  error: string | null;
  encoding: string | null;
  cancelRequested: boolean;
}

function JobProgress({ job, onCancel, cancelling, reportHref }: { job: JobView; onCancel: () => void; cancelling: boolean; reportHref: string }) {
  const running = job.status === "QUEUED" || job.status === "RUNNING";
  const done = job.status === "COMPLETED";
  const pct = done ? 100 : job.bytesTotal > 0 ? Math.min(100, Math.round((job.bytesProcessed / job.bytesTotal) * 100)) : 0;
  return (
    <div className="space-y-4">
      <div>
        <div className="mb-1 flex justify-between text-sm">
          <span id="import-progress-label" className="font-medium">
            {running ? (job.status === "QUEUED" ? "Waiting to start…" : "Importing…") : `Import ${job.status.toLowerCase()}`}
          </span>
          <span className="tabular-nums">{pct}%</span>
        </div>
        <div role="progressbar" aria-labelledby="import-progress-label" aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct} className="h-3 w-full overflow-hidden rounded-full bg-slate-200">
          <div className="h-full bg-brand-700 transition-[width]" style={{ width: `${pct}%` }} />
        </div>
        <p className="mt-2 text-sm text-slate-700" aria-live="polite">
          {formatCount(job.rows)} rows processed · {job.rowsPerSecond === null ? "—" : formatCount(job.rowsPerSecond)} rows/s
          {running ? ` · about ${formatDuration(job.etaSeconds)} left` : ""}
        </p>
      </div>
      {running ? (
        <button type="button" className={buttonSecondary} onClick={onCancel} disabled={cancelling}>
          {cancelling ? "Cancelling…" : "Cancel import"}
        </button>
      ) : null}
      {job.error ? (
        <p role="alert" className="rounded-md border border-red-300 bg-red-50 p-3 text-sm text-red-900">
          {job.error}
        </p>
      ) : null}
      {!running ? (
        <div data-testid="import-result">
          <dl className="grid grid-cols-2 gap-3 sm:grid-cols-5">
            {(
              [
                ["Created", job.created],
                ["Updated", job.updated],
                ["Unchanged", job.unchanged],
                ["Rejected", job.rejected],
                ["Rows in file", job.rows],
              ] as const
            ).map(([label, n]) => (
              <div key={label} className="rounded-lg border border-slate-200 p-3">
                <dt className="text-xs text-slate-700">{label}</dt>
                <dd className="text-xl font-semibold tabular-nums">{formatCount(n)}</dd>
              </div>
            ))}
          </dl>
          <p className="mt-3 text-sm" data-testid="invariant">
            {formatCount(job.created)} + {formatCount(job.updated)} + {formatCount(job.unchanged)} + {formatCount(job.rejected)} = {formatCount(job.created + job.updated + job.unchanged + job.rejected)}{" "}
            {job.invariantHolds ? `= ${formatCount(job.rows)} rows ✓` : `≠ ${formatCount(job.rows)} rows (check the import)`}
          </p>
          {job.rejected > 0 ? (
            <a href={reportHref} className="mt-2 inline-block text-sm font-medium text-brand-700 underline">
              Download the error report ({formatCount(job.rejected)} rejected rows, CSV)
            </a>
          ) : null}
        </div>
      ) : null}
    </div>
  );
}
