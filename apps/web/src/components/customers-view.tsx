"use client";

import { keepPreviousData, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { useState, type FormEvent, type ReactNode } from "react";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@valuelens/api";
import { RFM_SEGMENTS } from "@valuelens/clv-core";
import { roleAtLeast, ZCustomerFilters, type TCustomerFilters, type TCustomerSort, type TCustomerView } from "@valuelens/validators";
import { useTRPC } from "~/trpc/react";
import { formatMoney, formatPercent } from "~/lib/money";
import { formatDate } from "~/lib/predictions";
import { DataFreshness, useModelStatus } from "./data-freshness";
import { EmptyState, ErrorBlock, LoadingBlock } from "./states";
import { useWorkspace } from "./workspace-context";
import { RuleSegmentFilterChip } from "./segments/rule-segment-chip";

const SORT_LABELS: Record<TCustomerSort, string> = {
  predictedClv: "Predicted 12-month CLV",
  historicalClv: "Historical CLV",
  pAlive: "P(alive)",
  lastOrder: "Last order",
};

const PAGE = 25;
const field = "mt-1 w-full rounded-md border border-slate-300 bg-white px-2 py-1.5 text-sm";

/** Money input in major units → minor-unit string (2 decimals; the workspace currency's digits are assumed ≤ 2). */
function toMinor(v: string): string | undefined {
  const t = v.trim();
  if (!/^\d+(\.\d{1,2})?$/.test(t)) return undefined;
  const [i, f = ""] = t.split(".");
  return String(BigInt(i!) * 100n + BigInt((f + "00").slice(0, 2)));
}

/**
 * Filters given in the URL (links from the Segments page: ?segment=…, ?tier=…, ?rfmR=…&rfmF=…, and
 * the other filter names); each value is checked on its own and an invalid one is ignored.
 */
export function filtersFromUrl(sp: URLSearchParams): TCustomerFilters {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(ZCustomerFilters.shape)) {
    const raw = sp.get(k);
    if (raw === null || raw === "") continue;
    const v = k === "rfmR" || k === "rfmF" ? (/^\d$/.test(raw) ? Number(raw) : raw) : raw;
    if (ZCustomerFilters.safeParse({ [k]: v }).success) out[k] = v;
  }
  return out as TCustomerFilters;
}

export function CustomersView() {
  const ws = useWorkspace();
  const trpc = useTRPC();
  const st = useModelStatus();
  const predictions = Boolean(st.data?.latest?.params);
  const [sortState, setSort] = useState<TCustomerSort | null>(null);
  const sort: TCustomerSort = sortState ?? (predictions ? "predictedClv" : "historicalClv");
  const [dir, setDir] = useState<"asc" | "desc">("desc");
  const sp = useSearchParams();
  const urlKey = sp.toString();
  const [filters, setFilters] = useState<TCustomerFilters>(() => filtersFromUrl(sp));
  const [cursors, setCursors] = useState<({ v: string; id: string } | null)[]>([null]);
  // A new URL (another link from the Segments page, or the nav) replaces the filters.
  const [seenUrl, setSeenUrl] = useState(urlKey);
  if (seenUrl !== urlKey) {
    setSeenUrl(urlKey);
    setFilters(filtersFromUrl(sp));
    setCursors([null]);
  }
  const cursor = cursors[cursors.length - 1] ?? null;
  const [view, setView] = useState<TCustomerView>("scored");
  const scored = view === "scored";
  const options = useQuery(trpc.customers.filterOptions.queryOptions({ workspaceId: ws.id }));
  // Customers without orders can only be narrowed by search, channel and campaign (the server refuses the rest).
  const listFilters: TCustomerFilters = scored ? filters : { search: filters.search, channel: filters.channel, campaignId: filters.campaignId };
  const list = useQuery({
    ...trpc.customers.list.queryOptions({ workspaceId: ws.id, view, sort, dir, limit: PAGE, cursor, filters: listFilters }),
    placeholderData: keepPreviousData,
    enabled: Boolean(st.data),
  });
  const withoutOrders = options.data?.withoutOrders;

  const resetPages = () => setCursors([null]);

  function applyFilters(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const fd = new FormData(e.currentTarget);
    const s = (k: string) => {
      const v = String(fd.get(k) ?? "").trim();
      return v === "" ? undefined : v;
    };
    const next: TCustomerFilters = {
      search: s("search"),
      tier: s("tier") as TCustomerFilters["tier"],
      segment: s("segment"),
      churnRisk: s("churnRisk") as TCustomerFilters["churnRisk"],
      channel: s("channel"),
      campaignId: s("campaignId"),
      lastOrderFrom: s("lastOrderFrom"),
      lastOrderTo: s("lastOrderTo"),
      minPredictedClv: s("minPredictedClv") ? toMinor(s("minPredictedClv")!) : undefined,
      minHistoricalClv: s("minHistoricalClv") ? toMinor(s("minHistoricalClv")!) : undefined,
      // The RFM cell has no form field: it stays until removed with its own button.
      rfmR: filters.rfmR,
      rfmF: filters.rfmF,
      ruleSegmentId: filters.ruleSegmentId, // rule segments (issue 5): kept until removed with its own button
    };
    setFilters(Object.fromEntries(Object.entries(next).filter(([, v]) => v !== undefined)) as TCustomerFilters);
    resetPages();
  }

  const shown = list.data?.rows.length ?? 0;
  const pager = (next: { v: string; id: string } | null) => (
    <nav aria-label="Pages" className="flex items-center justify-between gap-3 p-3 text-sm">
      <span className="text-slate-700">
        Page {cursors.length} · {shown} customers shown
      </span>
      <div className="flex gap-2">
        <button
          type="button"
          disabled={cursors.length <= 1}
          onClick={() => setCursors((c) => c.slice(0, -1))}
          className="rounded-md border border-slate-300 bg-white px-3 py-1.5 font-medium hover:bg-slate-50 disabled:opacity-50"
        >
          Previous
        </button>
        <button
          type="button"
          disabled={!next}
          onClick={() => next && setCursors((c) => [...c, next])}
          className="rounded-md border border-slate-300 bg-white px-3 py-1.5 font-medium hover:bg-slate-50 disabled:opacity-50"
        >
          Next
        </button>
      </div>
    </nav>
  );

  const sorts = (Object.keys(SORT_LABELS) as TCustomerSort[]).filter((k) => predictions || (k !== "predictedClv" && k !== "pAlive"));

  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div>
          <h1 className="text-2xl font-semibold tracking-tight">Customers</h1>
          <p className="mb-2 text-sm text-slate-700">
            {scored
              ? "Every customer with at least one order, with value to date and what the model expects next."
              : "Customers imported without any order yet (sign-ups, leads), newest first: nothing to score until they buy."}
          </p>
          <DataFreshness />
        </div>
        {roleAtLeast(ws.role, "MEMBER") ? (
          <a
            href={`/api/customers/export?${new URLSearchParams({ workspaceId: ws.id, view, sort, dir, filters: JSON.stringify(listFilters) }).toString()}`}
            className="rounded-md border border-brand-700 px-3 py-1.5 text-sm font-medium text-brand-700 hover:bg-brand-50"
            download
          >
            Export CSV<span className="sr-only"> of the customers matching these filters</span>
          </a>
        ) : null}
      </div>

      <div role="group" aria-label="Which customers" className="inline-flex rounded-md border border-slate-300 bg-white p-0.5 text-sm" data-testid="customer-view">
        {(
          [
            ["scored", "With orders"],
            ["withoutOrders", `Without orders${withoutOrders ? ` (${withoutOrders.capped ? "over " : ""}${withoutOrders.count.toLocaleString("en-US")})` : ""}`],
          ] as const
        ).map(([v, label]) => (
          <button
            key={v}
            type="button"
            aria-pressed={view === v}
            onClick={() => {
              setView(v);
              setDir("desc");
              resetPages();
            }}
            className={`rounded px-3 py-1 font-medium ${view === v ? "bg-brand-600 text-white" : "text-slate-800 hover:bg-slate-50"}`}
          >
            {label}
          </button>
        ))}
      </div>

      {scored && st.data?.latest && !predictions ? (
        <div role="note" className="rounded-lg border border-amber-300 bg-amber-50 p-4 text-sm text-amber-950">
          <p className="font-medium">Predictions are not available yet.</p>
          <p className="mt-1">{st.data.latest.reason}</p>
        </div>
      ) : null}

      {scored && (filters.rfmR !== undefined || filters.rfmF !== undefined) ? (
        <p className="flex flex-wrap items-center gap-2 text-sm" data-testid="rfm-cell-filter">
          <span className="rounded-full bg-brand-50 px-3 py-1 font-medium text-brand-800">
            RFM cell: recency {filters.rfmR ?? "any"} × frequency {filters.rfmF ?? "any"}
          </span>
          <button
            type="button"
            onClick={() => {
              const { rfmR: _r, rfmF: _f, ...rest } = filters;
              setFilters(rest);
              resetPages();
            }}
            className="rounded-md border border-slate-400 bg-white px-2 py-1 text-xs font-medium hover:bg-slate-50"
          >
            Remove RFM cell filter
          </button>
        </p>
      ) : null}

      {scored && filters.ruleSegmentId ? (
        <RuleSegmentFilterChip
          segmentId={filters.ruleSegmentId}
          onRemove={() => {
            const { ruleSegmentId: _s, ...rest } = filters;
            setFilters(rest);
            resetPages();
          }}
        />
      ) : null}

      <form key={urlKey} onSubmit={applyFilters} className="grid grid-cols-2 gap-3 rounded-xl border border-slate-200 bg-white p-4 shadow-sm md:grid-cols-4 xl:grid-cols-6" aria-label="Filter customers">
        <label className="col-span-2 text-sm">
          <span className="font-medium">Search</span>
          <input name="search" type="search" placeholder="E-mail, name or external id" className={field} defaultValue={filters.search ?? ""} />
        </label>
        {scored ? (
          <>
        <label className="text-sm">
          <span className="font-medium">Value tier</span>
          <select name="tier" className={field} defaultValue={filters.tier ?? ""}>
            <option value="">Any</option>
            <option value="high">High</option>
            <option value="medium">Medium</option>
            <option value="low">Low</option>
          </select>
        </label>
        <label className="text-sm">
          <span className="font-medium">RFM segment</span>
          <select name="segment" className={field} defaultValue={filters.segment ?? ""}>
            <option value="">Any</option>
            {RFM_SEGMENTS.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label className="text-sm">
          <span className="font-medium">Churn risk</span>
          <select name="churnRisk" className={field} defaultValue={filters.churnRisk ?? ""} disabled={!predictions}>
            <option value="">Any</option>
            <option value="low">Low</option>
            <option value="medium">Medium</option>
            <option value="high">High</option>
          </select>
        </label>
          </>
        ) : null}
        <label className="text-sm">
          <span className="font-medium">Channel</span>
          <select name="channel" className={field} defaultValue="">
            <option value="">Any</option>
            {(options.data?.channels ?? []).map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
        </label>
        <label className="text-sm">
          <span className="font-medium">Campaign</span>
          <select name="campaignId" className={field} defaultValue="">
            <option value="">Any</option>
            {(options.data?.campaigns ?? []).map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
              </option>
            ))}
          </select>
        </label>
        {scored ? (
          <>
        <label className="text-sm">
          <span className="font-medium">Last order from</span>
          <input name="lastOrderFrom" type="date" className={field} />
        </label>
        <label className="text-sm">
          <span className="font-medium">Last order to</span>
          <input name="lastOrderTo" type="date" className={field} />
        </label>
        <label className="text-sm">
          <span className="font-medium">Min. historical CLV ({ws.currency})</span>
          <input name="minHistoricalClv" inputMode="decimal" className={field} />
        </label>
        <label className="text-sm">
          <span className="font-medium">Min. predicted CLV ({ws.currency})</span>
          <input name="minPredictedClv" inputMode="decimal" className={field} disabled={!predictions} />
        </label>
          </>
        ) : null}
        <div className="flex items-end gap-2">
          <button type="submit" className="rounded-md bg-brand-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-brand-700">
            Apply filters
          </button>
        </div>
      </form>

      <div className="flex flex-wrap items-end gap-3">
        {scored ? (
        <label className="text-sm">
          <span className="font-medium">Sort by</span>
          <select
            className={field}
            value={sort}
            onChange={(e) => {
              setSort(e.target.value as TCustomerSort);
              resetPages();
            }}
          >
            {sorts.map((k) => (
              <option key={k} value={k}>
                {SORT_LABELS[k]}
              </option>
            ))}
          </select>
        </label>
        ) : null}
        <label className="text-sm">
          <span className="font-medium">Direction</span>
          <select
            className={field}
            value={dir}
            onChange={(e) => {
              setDir(e.target.value as "asc" | "desc");
              resetPages();
            }}
          >
            <option value="desc">{scored ? "Highest first" : "Newest first"}</option>
            <option value="asc">{scored ? "Lowest first" : "Oldest first"}</option>
          </select>
        </label>
      </div>

      {st.isPending || list.isPending ? (
        <LoadingBlock label="customers" className="h-96" />
      ) : st.isError || list.isError ? (
        <ErrorBlock error={st.error ?? list.error} what="customers" onRetry={() => void list.refetch()} />
      ) : !scored ? (
        list.data.rows.length === 0 ? (
          <EmptyState title="No customers without orders">Every customer matching these filters has bought at least once.</EmptyState>
        ) : (
          <WithoutOrdersTable rows={list.data.rows} slug={ws.slug} pager={pager(list.data.nextCursor)} />
        )
      ) : !st.data.latest ? (
        <EmptyState title="Predictions are not available yet">
          {st.data.active ? "The first recompute is running; customers appear here when it finishes." : "No customer has been scored yet: import orders, then the background recompute scores every customer."}
        </EmptyState>
      ) : list.data.rows.length === 0 ? (
        <EmptyState title="No customers match these filters">Clear a filter or widen a date range.</EmptyState>
      ) : (
        <div className="overflow-x-auto rounded-xl border border-slate-200 bg-white shadow-sm" aria-busy={list.isFetching} data-testid="customers-table">
          <table className="w-full text-left text-sm">
            <caption className="sr-only">
              Customers sorted by {SORT_LABELS[sort]}, {dir === "desc" ? "highest" : "lowest"} first
            </caption>
            <thead className="bg-slate-50">
              <tr className="border-b border-slate-200">
                <th scope="col" className="px-3 py-2">Customer</th>
                <th scope="col" className="px-3 py-2">Segment</th>
                <th scope="col" className="px-3 py-2">Tier</th>
                <th scope="col" className="px-3 py-2 text-right" aria-sort={sort === "historicalClv" ? (dir === "desc" ? "descending" : "ascending") : undefined}>
                  Historical CLV
                </th>
                <th scope="col" className="px-3 py-2 text-right" aria-sort={sort === "predictedClv" ? (dir === "desc" ? "descending" : "ascending") : undefined}>
                  Predicted 12-mo CLV (80 % range)
                </th>
                <th scope="col" className="px-3 py-2 text-right" aria-sort={sort === "pAlive" ? (dir === "desc" ? "descending" : "ascending") : undefined}>
                  P(alive)
                </th>
                <th scope="col" className="px-3 py-2">Churn risk</th>
                <th scope="col" className="px-3 py-2" aria-sort={sort === "lastOrder" ? (dir === "desc" ? "descending" : "ascending") : undefined}>
                  Last order
                </th>
                <th scope="col" className="px-3 py-2 text-right">Orders</th>
                <th scope="col" className="px-3 py-2">Channel</th>
              </tr>
            </thead>
            <tbody>
              {list.data.rows.map((c) => (
                <tr key={c.id} className="border-b border-slate-100 hover:bg-slate-50">
                  <th scope="row" className="px-3 py-2 font-normal">
                    <Link href={`/w/${ws.slug}/customers/${c.id}`} className="font-medium text-brand-700 underline-offset-2 hover:underline">
                      {c.name ?? c.email ?? c.externalId}
                    </Link>
                    <div className="text-xs text-slate-600">{c.email ?? c.externalId}</div>
                  </th>
                  <td className="px-3 py-2">{c.rfmSegment ?? "—"}</td>
                  <td className="px-3 py-2 capitalize">{c.valueTier ?? "—"}</td>
                  <td className="px-3 py-2 text-right tabular-nums">{formatMoney(c.historicalClvMinor, ws.currency)}</td>
                  <td className="px-3 py-2 text-right tabular-nums">
                    {c.predictedClvMinor !== null ? (
                      <>
                        {formatMoney(c.predictedClvMinor, ws.currency)}
                        {c.predictedClvLowMinor !== null && c.predictedClvHighMinor !== null ? (
                          <div className="text-xs text-slate-600">
                            {formatMoney(c.predictedClvLowMinor, ws.currency)} – {formatMoney(c.predictedClvHighMinor, ws.currency)}
                          </div>
                        ) : null}
                      </>
                    ) : (
                      "—"
                    )}
                  </td>
                  <td className="px-3 py-2 text-right tabular-nums">{formatPercent(c.pAlive, 0)}</td>
                  <td className="px-3 py-2 capitalize">{c.churnRisk ?? "—"}</td>
                  <td className="px-3 py-2">{formatDate(c.lastOrderAt)}</td>
                  <td className="px-3 py-2 text-right tabular-nums">{c.orders}</td>
                  <td className="px-3 py-2">{c.channel ?? "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {pager(list.data.nextCursor)}
        </div>
      )}
    </div>
  );
}

type ListedCustomer = inferRouterOutputs<AppRouter>["customers"]["list"]["rows"][number];

/** The "without orders" view: who they are and where they came from (no values to show yet). */
function WithoutOrdersTable({ rows, slug, pager }: { rows: ListedCustomer[]; slug: string; pager: ReactNode }) {
  return (
    <div className="overflow-x-auto rounded-xl border border-slate-200 bg-white shadow-sm" data-testid="customers-without-orders-table">
      <table className="w-full text-left text-sm">
        <caption className="sr-only">Customers without orders, by date added</caption>
        <thead className="bg-slate-50">
          <tr className="border-b border-slate-200">
            <th scope="col" className="px-3 py-2">Customer</th>
            <th scope="col" className="px-3 py-2">Channel</th>
            <th scope="col" className="px-3 py-2">Campaign</th>
            <th scope="col" className="px-3 py-2">Signed up</th>
            <th scope="col" className="px-3 py-2">Added</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((c) => (
            <tr key={c.id} className="border-b border-slate-100 hover:bg-slate-50">
              <th scope="row" className="px-3 py-2 font-normal">
                <Link href={`/w/${slug}/customers/${c.id}`} className="font-medium text-brand-700 underline-offset-2 hover:underline">
                  {c.name ?? c.email ?? c.externalId}
                </Link>
                <div className="text-xs text-slate-600">{c.email ?? c.externalId}</div>
              </th>
              <td className="px-3 py-2">{c.channel ?? "—"}</td>
              <td className="px-3 py-2">{c.campaign ?? "—"}</td>
              <td className="px-3 py-2">{formatDate(c.signedUpAt)}</td>
              <td className="px-3 py-2">{formatDate(c.addedAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {pager}
    </div>
  );
}
