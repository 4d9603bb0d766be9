/**
 * Campaign ROI (issue 6): per campaign and per channel — spend, new customers, CAC, first-order
 * revenue, revenue to date, predicted 12-month and lifetime value with ranges, LTV:CAC, ROI,
 * payback, repeat rate, 90-day retention — for a value basis and an acquisition-month range.
 *
 * Reads the campaign rollups written at each recompute (refresh-campaign-stats.ts: a few rows per
 * campaign and month) and campaign_spend_months (spend per campaign and month, kept current by
 * triggers on campaign_spend); never customers, orders or daily spend.
 *
 * Attribution: first touch — a customer belongs to the acquisition campaign recorded on the
 * customer (import or API), and to that campaign's channel; customers without a campaign count
 * for their own acquisition_channel and appear as "No campaign". Money is the workspace currency
 * only: spend in other currencies is reported, never converted or added.
 *
 * Value bases: revenue or margin (historical margin = order margin with cost, else the workspace
 * margin rate; predicted margin = predicted revenue × margin rate) × historical (to date),
 * predicted 12 months (the model's next-12-month CLV, 80 % bounds summed per customer — parameter
 * uncertainty is shared by all customers, so bounds of a group move together) or lifetime
 * (= to date + predicted next 12 months).
 */
import {
  BUDGET_BETA,
  BUDGET_CAP_MULTIPLE,
  CAMPAIGN_MIN_CUSTOMERS,
  currencyDigits,
  type TBudgetHintInput,
  type TValueHorizon,
  type TValueMeasure,
} from "@valuelens/validators";
import { allocateBudget, cac, cumulativeValuePerCustomer, ltvToCac, paybackWithForecast, roi, valueOfSplit } from "@valuelens/clv-core";
import type { Tx } from "@valuelens/db";
import { DomainError } from "../domain-error.ts";
import { divRound } from "../overview.ts";

export interface RoiBasis {
  measure: TValueMeasure;
  horizon: TValueHorizon;
  fromMonth?: string | undefined;
  toMonth?: string | undefined;
}

export interface GroupMetrics {
  /** Campaign id, channel name, or "" for customers without a campaign. */
  key: string;
  kind: "campaign" | "channel" | "unattributed";
  label: string;
  channel: string;
  spendMinor: string;
  customers: number;
  /** Fewer than CAMPAIGN_MIN_CUSTOMERS acquired customers: shown, never ranked. */
  lowConfidence: boolean;
  cacMinor: string | null;
  firstOrderRevenueMinor: string;
  historicalRevenueMinor: string;
  historicalMarginMinor: string;
  /** Predicted next-12-month value in the chosen measure, with 80 % bounds; null without predictions. */
  predicted12Minor: string | null;
  predicted12LowMinor: string | null;
  predicted12HighMinor: string | null;
  /** To date + predicted 12 months; null without predictions. */
  lifetimeMinor: string | null;
  lifetimeLowMinor: string | null;
  lifetimeHighMinor: string | null;
  /** Total value of the group's customers on the chosen basis (null: basis needs predictions). */
  valueMinor: string | null;
  valueLowMinor: string | null;
  valueHighMinor: string | null;
  /** Value per acquired customer on the chosen basis. */
  ltvMinor: string | null;
  ltvToCac: number | null;
  ltvToCacLow: number | null;
  ltvToCacHigh: number | null;
  roi: number | null;
  paybackMonths: number | null;
  paybackSource: "actual" | "predicted" | null;
  repeatRate: number | null;
  retention90: number | null;
}

export interface CampaignRow extends GroupMetrics {
  externalId: string;
  startsAt: string | null;
  endsAt: string | null;
  notes: string | null;
  running: boolean;
}

export interface CampaignCurve {
  key: string;
  label: string;
  cacMinor: number | null;
  /** Cumulative value per acquired customer, minor units, month 1 = the acquisition month. */
  curve: number[];
  /** Leading months of `curve` that are observed; the rest is the model's forecast. */
  actualMonths: number;
  paybackMonths: number | null;
  paybackSource: "actual" | "predicted" | null;
}

export interface RoiResult {
  currency: string;
  marginRate: number;
  basis: RoiBasis;
  /** The range actually used (defaults filled in), YYYY-MM. */
  fromMonth: string | null;
  toMonth: string | null;
  /** First and last acquisition months with data (for the range picker). */
  firstCohortMonth: string | null;
  lastCohortMonth: string | null;
  refreshedAt: string | null;
  dataCutoff: string | null;
  /** Data changed after the rollups were written; a recompute is due. */
  stale: boolean;
  /** Why predicted columns are empty, in plain words; null when predictions exist. */
  predictionsUnavailable: string | null;
  /** Spend recorded in other currencies (not converted, not included). */
  otherCurrencySpend: { currency: string; amountMinor: string }[];
  totalCampaigns: number;
  campaigns: CampaignRow[];
  channels: GroupMetrics[];
  unattributed: GroupMetrics | null;
  minCustomers: number;
}

interface CohortRow {
  ck: string;
  ch: string;
  cm: string;
  customers: number;
  repeat_customers: number;
  eligible_90: number;
  retained_90: number;
  first_rev: string;
  rev: string;
  mar: string;
  scored: number;
  pred: string;
  pred_low: string;
  pred_high: string;
  p1: string;
  p23: string;
  p412: string;
}

interface Acc {
  customers: number;
  repeat: number;
  eligible90: number;
  retained90: number;
  firstRev: bigint;
  rev: bigint;
  mar: bigint;
  scored: number;
  pred: bigint;
  predLow: bigint;
  predHigh: bigint;
  p1: bigint;
  p23: bigint;
  p412: bigint;
  /** cohort month index → customers */
  cohorts: Map<number, number>;
  /** month offset → [revenue, margin] */
  months: Map<number, [bigint, bigint]>;
  spend: bigint;
}

const emptyAcc = (): Acc => ({
  customers: 0, repeat: 0, eligible90: 0, retained90: 0, firstRev: 0n, rev: 0n, mar: 0n, scored: 0, pred: 0n, predLow: 0n, predHigh: 0n,
  p1: 0n, p23: 0n, p412: 0n, cohorts: new Map(), months: new Map(), spend: 0n,
});

function addAcc(a: Acc, b: Acc): void {
  a.customers += b.customers;
  a.repeat += b.repeat;
  a.eligible90 += b.eligible90;
  a.retained90 += b.retained90;
  a.firstRev += b.firstRev;
  a.rev += b.rev;
  a.mar += b.mar;
  a.scored += b.scored;
  a.pred += b.pred;
  a.predLow += b.predLow;
  a.predHigh += b.predHigh;
  a.p1 += b.p1;
  a.p23 += b.p23;
  a.p412 += b.p412;
  a.spend += b.spend;
  for (const [k, v] of b.cohorts) a.cohorts.set(k, (a.cohorts.get(k) ?? 0) + v);
  for (const [k, [r, m]] of b.months) {
    const cur = a.months.get(k) ?? [0n, 0n];
    a.months.set(k, [cur[0] + r, cur[1] + m]);
  }
}

const monthIdx = (s: string) => Number(s.slice(0, 4)) * 12 + Number(s.slice(5, 7)) - 1;
const monthStr = (i: number) => `${String(Math.floor(i / 12)).padStart(4, "0")}-${String((i % 12) + 1).padStart(2, "0")}`;
const dayStr = (d: Date | null) => (d ? d.toISOString().slice(0, 10) : null);

interface Ctx {
  currency: string;
  /** Margin rate in basis points (1/10,000). */
  marginBp: bigint;
  lastDataMonth: number | null;
  hasPredictions: boolean;
  basis: RoiBasis;
}

/** Predicted revenue → chosen measure. */
function measurePredicted(ctx: Ctx, v: bigint): bigint {
  return ctx.basis.measure === "margin" ? divRound(v * ctx.marginBp, 10_000n) : v;
}

function metricsOf(ctx: Ctx, a: Acc, head: Pick<GroupMetrics, "key" | "kind" | "label" | "channel">): { m: GroupMetrics; curve: CampaignCurve } {
  const n = a.customers;
  const spend = a.spend;
  const hist = ctx.basis.measure === "margin" ? a.mar : a.rev;
  const pred = ctx.hasPredictions && a.scored > 0 ? { v: measurePredicted(ctx, a.pred), lo: measurePredicted(ctx, a.predLow), hi: measurePredicted(ctx, a.predHigh) } : null;
  const life = pred ? { v: hist + pred.v, lo: hist + pred.lo, hi: hist + pred.hi } : null;
  const value = ctx.basis.horizon === "historical" ? { v: hist, lo: hist, hi: hist } : ctx.basis.horizon === "predicted12" ? pred : life;
  const cacV = cac(Number(spend), n);
  const cacMinor = n > 0 ? divRound(spend, BigInt(n)) : null;
  const ltv = value && n > 0 ? Number(value.v) / n : null;
  const ratio = (x: bigint) => (n > 0 ? ltvToCac(Number(x) / n, cacV) : null);

  // Cumulative value per customer by months since acquisition (actuals), then the forecast.
  let curve: CampaignCurve = { key: head.key, label: head.label, cacMinor: cacV, curve: [], actualMonths: 0, paybackMonths: null, paybackSource: null };
  if (n > 0 && ctx.lastDataMonth !== null) {
    const maxK = Math.max(0, ...[...a.cohorts.keys()].map((c) => ctx.lastDataMonth! - c));
    const eligible: number[] = [];
    const values: number[] = [];
    for (let k = 0; k <= maxK; k++) {
      let e = 0;
      for (const [c, size] of a.cohorts) if (c + k <= ctx.lastDataMonth) e += size;
      eligible.push(e);
      const mv = a.months.get(k);
      values.push(mv ? Number(ctx.basis.measure === "margin" ? mv[1] : mv[0]) : 0);
    }
    // Actuals run while at least half of the customers have reached the month (the median
    // customer's age); beyond, the curve would rest on the oldest few cohorts only.
    let K = 0;
    for (let k = 0; k < eligible.length; k++) if (eligible[k]! * 2 >= n) K = k;
    const actual = cumulativeValuePerCustomer({ eligible: eligible.slice(0, K + 1), value: values.slice(0, K + 1) }).cumulative;
    let forecast: number[] = [];
    if (pred && a.scored > 0) {
      const per = (x: bigint) => Number(measurePredicted(ctx, x)) / a.scored;
      const m23 = per(a.p23) / 2;
      const m412 = per(a.p412) / 9;
      forecast = [per(a.p1), m23, m23, ...Array.from({ length: 9 }, () => m412)];
    }
    const p = paybackWithForecast(actual, forecast, cacV ?? 0);
    curve = {
      ...curve,
      curve: p.curve.map((x) => Math.round(x)),
      actualMonths: p.actualMonths,
      paybackMonths: cacV === null ? null : p.months,
      paybackSource: cacV === null ? null : p.source,
    };
  }

  const s = (x: bigint | undefined | null) => (x === undefined || x === null ? null : x.toString());
  const m: GroupMetrics = {
    ...head,
    spendMinor: spend.toString(),
    customers: n,
    lowConfidence: n < CAMPAIGN_MIN_CUSTOMERS,
    cacMinor: s(cacMinor),
    firstOrderRevenueMinor: a.firstRev.toString(),
    historicalRevenueMinor: a.rev.toString(),
    historicalMarginMinor: a.mar.toString(),
    predicted12Minor: s(pred?.v),
    predicted12LowMinor: s(pred?.lo),
    predicted12HighMinor: s(pred?.hi),
    lifetimeMinor: s(life?.v),
    lifetimeLowMinor: s(life?.lo),
    lifetimeHighMinor: s(life?.hi),
    valueMinor: s(value?.v),
    valueLowMinor: s(value?.lo),
    valueHighMinor: s(value?.hi),
    ltvMinor: value && n > 0 ? divRound(value.v, BigInt(n)).toString() : null,
    ltvToCac: ltv === null ? null : ltvToCac(ltv, cacV),
    ltvToCacLow: value ? ratio(value.lo) : null,
    ltvToCacHigh: value ? ratio(value.hi) : null,
    roi: value ? roi(Number(value.v), Number(spend)) : null,
    paybackMonths: curve.paybackMonths,
    paybackSource: curve.paybackSource,
    repeatRate: n > 0 ? a.repeat / n : null,
    retention90: a.eligible90 > 0 ? a.retained90 / a.eligible90 : null,
  };
  return { m, curve };
}

export interface RoiComputation {
  result: RoiResult;
  curves: Map<string, CampaignCurve>;
  channelAcc: Map<string, Acc>;
  months: number;
}

export async function computeCampaignRoi(tx: Tx, workspaceId: string, basis: RoiBasis): Promise<RoiComputation> {
  const ws = await tx.workspace.findUnique({ where: { id: workspaceId }, select: { currency: true, marginRate: true, metricsStaleAt: true } });
  if (!ws) throw new DomainError("NOT_FOUND", "Workspace not found.");
  const [refresh, campaigns, bounds] = await Promise.all([
    tx.campaignStatsRefresh.findUnique({ where: { workspaceId }, select: { refreshedAt: true, dataCutoff: true, lastDataMonth: true, modelRunId: true } }),
    tx.campaign.findMany({
      where: { workspaceId },
      select: { id: true, externalId: true, name: true, channel: true, startsAt: true, endsAt: true, notes: true },
      orderBy: [{ channel: "asc" }, { name: "asc" }],
    }),
    tx.$queryRaw<{ lo: string | null; hi: string | null }[]>`
      SELECT to_char(min(cohort_month), 'YYYY-MM') AS lo, to_char(max(cohort_month), 'YYYY-MM') AS hi FROM campaign_cohorts WHERE workspace_id = ${workspaceId}::uuid`,
  ]);
  const firstCohort = bounds[0]?.lo ?? null;
  const lastCohort = bounds[0]?.hi ?? null;
  const from = basis.fromMonth ?? firstCohort;
  const to = basis.toMonth ?? lastCohort;
  const fromDay = from ? `${from}-01` : "0001-01-01";
  const toDay = to ? `${monthStr(monthIdx(to) + 1)}-01` : "9999-12-01"; // exclusive

  const [cohortRows, monthRows, spendRows] = await Promise.all([
    tx.$queryRaw<CohortRow[]>`
      SELECT campaign_key AS ck, channel AS ch, to_char(cohort_month, 'YYYY-MM') AS cm, customers, repeat_customers, eligible_90, retained_90,
             first_order_revenue_minor::text AS first_rev, revenue_minor::text AS rev, margin_minor::text AS mar, scored,
             predicted_clv_minor::text AS pred, predicted_clv_low_minor::text AS pred_low, predicted_clv_high_minor::text AS pred_high,
             predicted_m1_minor::text AS p1, predicted_m2_3_minor::text AS p23, predicted_m4_12_minor::text AS p412
        FROM campaign_cohorts
       WHERE workspace_id = ${workspaceId}::uuid AND cohort_month >= ${fromDay}::date AND cohort_month < ${toDay}::date`,
    tx.$queryRaw<{ ck: string; ch: string; k: number; rev: string; mar: string }[]>`
      SELECT campaign_key AS ck, channel AS ch, month_offset::int AS k, sum(revenue_minor)::text AS rev, sum(margin_minor)::text AS mar
        FROM campaign_cohort_months
       WHERE workspace_id = ${workspaceId}::uuid AND cohort_month >= ${fromDay}::date AND cohort_month < ${toDay}::date
       GROUP BY 1, 2, 3`,
    // Monthly spend rollup (kept by triggers on campaign_spend, so edits show at once): the range is
    // whole months, so ≤ campaigns × months rows instead of one per campaign and day.
    tx.$queryRaw<{ campaign_id: string; currency: string; amount: string }[]>`
      SELECT campaign_id::text, currency, amount::text
        FROM (SELECT campaign_id, currency, sum(amount_minor) AS amount
                FROM campaign_spend_months
               WHERE workspace_id = ${workspaceId}::uuid AND month >= ${fromDay}::date AND month < ${toDay}::date
               GROUP BY campaign_id, currency) x`,
  ]);

  const hasPredictions = cohortRows.some((r) => r.scored > 0);
  let predictionsUnavailable: string | null = null;
  if (!refresh) predictionsUnavailable = "Customer figures appear after the first recompute of this workspace's models (it runs on its own after an import).";
  else if (!hasPredictions && cohortRows.length > 0) {
    const run = refresh.modelRunId
      ? await tx.modelRun.findUnique({ where: { workspaceId_id: { workspaceId, id: refresh.modelRunId } }, select: { reason: true } })
      : null;
    predictionsUnavailable = run?.reason ?? "The last recompute produced no predictions.";
  }

  const ctx: Ctx = {
    currency: ws.currency,
    marginBp: BigInt(Math.round(Number(ws.marginRate.toString()) * 10_000)),
    lastDataMonth: refresh?.lastDataMonth ? monthIdx(refresh.lastDataMonth.toISOString()) : null,
    hasPredictions,
    basis,
  };

  const byKey = new Map<string, Acc>(); // `${ck}\0${ch}`
  const accOf = (ck: string, ch: string) => {
    const key = `${ck}\u0000${ch}`;
    let a = byKey.get(key);
    if (!a) byKey.set(key, (a = emptyAcc()));
    return a;
  };
  for (const r of cohortRows) {
    const a = accOf(r.ck, r.ch);
    a.customers += r.customers;
    a.repeat += r.repeat_customers;
    a.eligible90 += r.eligible_90;
    a.retained90 += r.retained_90;
    a.firstRev += BigInt(r.first_rev);
    a.rev += BigInt(r.rev);
    a.mar += BigInt(r.mar);
    a.scored += r.scored;
    a.pred += BigInt(r.pred);
    a.predLow += BigInt(r.pred_low);
    a.predHigh += BigInt(r.pred_high);
    a.p1 += BigInt(r.p1);
    a.p23 += BigInt(r.p23);
    a.p412 += BigInt(r.p412);
    const c = monthIdx(r.cm);
    a.cohorts.set(c, (a.cohorts.get(c) ?? 0) + r.customers);
  }
  for (const r of monthRows) {
    const a = accOf(r.ck, r.ch);
    const cur = a.months.get(r.k) ?? [0n, 0n];
    a.months.set(r.k, [cur[0] + BigInt(r.rev), cur[1] + BigInt(r.mar)]);
  }
  const other = new Map<string, bigint>();
  for (const r of spendRows) {
    if (r.currency.trim() === ws.currency) accOf(r.campaign_id, "").spend += BigInt(r.amount);
    else other.set(r.currency.trim(), (other.get(r.currency.trim()) ?? 0n) + BigInt(r.amount));
  }

  const curves = new Map<string, CampaignCurve>();
  const channelAcc = new Map<string, Acc>();
  const chAcc = (ch: string) => {
    let a = channelAcc.get(ch);
    if (!a) channelAcc.set(ch, (a = emptyAcc()));
    return a;
  };
  const today = new Date().toISOString().slice(0, 10);
  const campaignRows: CampaignRow[] = campaigns.map((c) => {
    const a = byKey.get(`${c.id}\u0000`) ?? emptyAcc();
    addAcc(chAcc(c.channel), a);
    const { m, curve } = metricsOf(ctx, a, { key: c.id, kind: "campaign", label: c.name, channel: c.channel });
    curves.set(c.id, curve);
    const endsAt = dayStr(c.endsAt);
    return { ...m, externalId: c.externalId, startsAt: dayStr(c.startsAt), endsAt, notes: c.notes, running: endsAt === null || endsAt >= today };
  });
  const unattributedAcc = emptyAcc();
  for (const [key, a] of byKey) {
    const [ck, ch] = key.split("\u0000") as [string, string];
    if (ck !== "") continue;
    addAcc(unattributedAcc, a);
    addAcc(chAcc(ch === "" ? "Unknown channel" : ch), a);
  }
  const unattributed = unattributedAcc.customers > 0 ? metricsOf(ctx, unattributedAcc, { key: "", kind: "unattributed", label: "No campaign (direct / unattributed)", channel: "" }) : null;
  if (unattributed) curves.set("", unattributed.curve);
  const channels = [...channelAcc.entries()]
    .map(([ch, a]) => {
      const { m, curve } = metricsOf(ctx, a, { key: ch, kind: "channel", label: ch, channel: ch });
      curves.set(`channel:${ch}`, curve);
      return m;
    })
    .sort((x, y) => x.label.localeCompare(y.label));

  const months = from && to ? monthIdx(to) - monthIdx(from) + 1 : 0;
  return {
    result: {
      currency: ws.currency,
      marginRate: Number(ws.marginRate.toString()),
      basis,
      fromMonth: from,
      toMonth: to,
      firstCohortMonth: firstCohort,
      lastCohortMonth: lastCohort,
      refreshedAt: refresh?.refreshedAt.toISOString() ?? null,
      dataCutoff: refresh?.dataCutoff?.toISOString() ?? null,
      stale: !!ws.metricsStaleAt && (!refresh || ws.metricsStaleAt > refresh.refreshedAt),
      predictionsUnavailable,
      otherCurrencySpend: [...other.entries()].map(([currency, v]) => ({ currency, amountMinor: v.toString() })).sort((a, b) => a.currency.localeCompare(b.currency)),
      totalCampaigns: campaigns.length,
      campaigns: campaignRows,
      channels,
      unattributed: unattributed?.m ?? null,
      minCustomers: CAMPAIGN_MIN_CUSTOMERS,
    },
    curves,
    channelAcc,
    months,
  };
}

export async function getCampaignRoi(tx: Tx, workspaceId: string, basis: RoiBasis): Promise<RoiResult> {
  return (await computeCampaignRoi(tx, workspaceId, basis)).result;
}

export interface CampaignComparison {
  currency: string;
  basis: RoiBasis;
  fromMonth: string | null;
  toMonth: string | null;
  predictionsUnavailable: string | null;
  /** In the order asked for. */
  campaigns: (CampaignRow & { curve: CampaignCurve })[];
}

/** 2–6 campaigns side by side: metrics and cumulative value-per-customer curves vs CAC. */
export async function compareCampaigns(tx: Tx, workspaceId: string, basis: RoiBasis, campaignIds: readonly string[]): Promise<CampaignComparison> {
  const { result, curves } = await computeCampaignRoi(tx, workspaceId, basis);
  const byId = new Map(result.campaigns.map((c) => [c.key, c]));
  const picked = campaignIds.map((id) => {
    const c = byId.get(id);
    // Another workspace's id looks exactly like a missing one (no existence oracle).
    if (!c) throw new DomainError("NOT_FOUND", "Campaign not found.");
    return { ...c, curve: curves.get(id)! };
  });
  return { currency: result.currency, basis, fromMonth: result.fromMonth, toMonth: result.toMonth, predictionsUnavailable: result.predictionsUnavailable, campaigns: picked };
}

export interface BudgetLine {
  channel: string;
  included: boolean;
  /** Average monthly spend over the range. */
  historicalMonthlySpendMinor: string;
  historicalMonthlyValueMinor: string;
  currentSplitMinor: string;
  suggestedMinor: string;
  capMinor: string;
  currentExpectedValueMinor: string;
  suggestedExpectedValueMinor: string;
  explanation: string;
}

export interface BudgetHint {
  currency: string;
  basis: RoiBasis;
  budgetMinor: string;
  months: number;
  beta: number;
  capMultiple: number;
  assumption: string;
  lines: BudgetLine[];
  currentExpectedValueMinor: string;
  suggestedExpectedValueMinor: string;
  unallocatedMinor: string;
  /** Why there is no suggestion (no spending channel, basis unavailable…); null otherwise. */
  unavailable: string | null;
}

/**
 * Budget hint for next month: maximise expected acquired value across channels under a concave
 * response value_c(x) = a_c · x^β (β = BUDGET_BETA), each curve calibrated on the channel's average
 * monthly spend and acquired value over the range; never more than BUDGET_CAP_MULTIPLE × a
 * channel's average monthly spend. Compared with today's split (the range's spend mix) scaled to
 * the same budget. Channels without spend, or with too few customers, are left out and say why.
 */
export async function budgetHint(tx: Tx, workspaceId: string, input: Omit<TBudgetHintInput, "workspaceId">): Promise<BudgetHint> {
  const basis: RoiBasis = { measure: input.measure, horizon: input.horizon, fromMonth: input.fromMonth, toMonth: input.toMonth };
  const { result } = await computeCampaignRoi(tx, workspaceId, basis);
  const cur = result.currency;
  const digits = currencyDigits(cur);
  const fmt = (minor: number) =>
    new Intl.NumberFormat("en-US", { style: "currency", currency: cur, maximumFractionDigits: Math.min(digits, minor >= 100 * 10 ** digits ? 0 : digits) }).format(minor / 10 ** digits);
  const months = Math.max(1, result.fromMonth && result.toMonth ? monthIdx(result.toMonth) - monthIdx(result.fromMonth) + 1 : 1);
  const basisWord = `${result.basis.measure}${result.basis.horizon === "historical" ? " to date" : result.basis.horizon === "predicted12" ? " over the next 12 months" : " (to date + next 12 months)"}`;
  const assumption =
    `Each channel's acquired value responds to its spend as a·spend^${BUDGET_BETA} (diminishing returns: doubling spend brings about ${Math.round(2 ** BUDGET_BETA * 100) / 100}× the value), ` +
    `with a fitted so the curve passes through the channel's average month in ${result.fromMonth ?? "—"}…${result.toMonth ?? "—"} (spend vs the ${basisWord} of the customers it acquired). ` +
    `No channel gets more than ${BUDGET_CAP_MULTIPLE}× its average monthly spend: the curve is not trusted far from what was observed.`;
  const base: Omit<BudgetHint, "lines" | "currentExpectedValueMinor" | "suggestedExpectedValueMinor" | "unallocatedMinor" | "unavailable"> = {
    currency: cur,
    basis,
    budgetMinor: String(input.budgetMinor),
    months,
    beta: BUDGET_BETA,
    capMultiple: BUDGET_CAP_MULTIPLE,
    assumption,
  };
  const empty = (why: string): BudgetHint => ({ ...base, lines: [], currentExpectedValueMinor: "0", suggestedExpectedValueMinor: "0", unallocatedMinor: String(input.budgetMinor), unavailable: why });
  if (result.basis.horizon !== "historical" && result.predictionsUnavailable) {
    return empty(`The ${result.basis.horizon === "predicted12" ? "12-month predicted" : "lifetime"} basis needs predictions: ${result.predictionsUnavailable} Switch the basis to historical to get a hint now.`);
  }
  const rows = result.channels.map((c) => ({
    c,
    spend: Number(c.spendMinor) / months,
    value: c.valueMinor === null ? 0 : Number(c.valueMinor) / months,
    included: Number(c.spendMinor) > 0 && !c.lowConfidence,
  }));
  const used = rows.filter((r) => r.included);
  if (used.length === 0) return empty("No channel has both recorded spend and at least " + CAMPAIGN_MIN_CUSTOMERS + " acquired customers in this range.");
  const history = used.map((r) => ({ channel: r.c.label, historicalSpend: r.spend, historicalValue: r.value }));
  const alloc = allocateBudget(history, input.budgetMinor, { beta: BUDGET_BETA, capMultiple: BUDGET_CAP_MULTIPLE });
  const totalHist = used.reduce((s, r) => s + r.spend, 0);
  const currentSplit = used.map((r) => (input.budgetMinor * r.spend) / totalHist);
  // The current mix is valued with the same trust limit as the suggestion: spend beyond a
  // channel's cap adds nothing (the curve is not extrapolated there for either).
  const current = valueOfSplit(history, currentSplit.map((x, i) => Math.min(x, BUDGET_CAP_MULTIPLE * used[i]!.spend)), { beta: BUDGET_BETA });
  const lines: BudgetLine[] = rows.map((r) => {
    const i = used.indexOf(r);
    const head = {
      channel: r.c.label,
      historicalMonthlySpendMinor: String(Math.round(r.spend)),
      historicalMonthlyValueMinor: String(Math.round(r.value)),
      capMinor: String(Math.round(BUDGET_CAP_MULTIPLE * r.spend)),
    };
    if (i < 0) {
      const why =
        Number(r.c.spendMinor) <= 0
          ? `${r.c.label}: left out — no spend was recorded for it in this range, so there is no cost-to-value curve to extend (its customers still count on the page).`
          : `${r.c.label}: left out — only ${r.c.customers} customers were acquired in this range (fewer than ${CAMPAIGN_MIN_CUSTOMERS}), too few to trust its CAC and value.`;
      return { ...head, included: false, currentSplitMinor: "0", suggestedMinor: "0", currentExpectedValueMinor: "0", suggestedExpectedValueMinor: "0", explanation: why };
    }
    const a = alloc.allocations[i]!;
    const curSpend = currentSplit[i]!;
    const capped = a.spend >= BUDGET_CAP_MULTIPLE * r.spend * (1 - 1e-9) && a.spend > 0;
    const per = r.value / Math.max(r.spend, 1e-9);
    const change = curSpend > 0 ? (a.spend - curSpend) / curSpend : 0;
    const dir = Math.abs(change) < 0.05 ? "about the same as" : change > 0 ? `${Math.round(change * 100)}% more than` : `${Math.round(-change * 100)}% less than`;
    let explanation: string;
    if (r.value <= 0) explanation = `${r.c.label}: nothing — the customers it acquired have brought no positive ${result.basis.measure} on this basis, so extra spend is not expected to return anything.`;
    else if (capped)
      explanation = `${r.c.label}: ${fmt(a.spend)}, ${dir} today's split — its cap: ${BUDGET_CAP_MULTIPLE}× its average monthly spend of ${fmt(r.spend)}, beyond which its response is not trusted${alloc.unallocated > 0 ? "" : `, although its next ${fmt(100 * 10 ** digits)} would still bring about ${fmt(a.marginalValue * 100 * 10 ** digits)}`} (on average it returned ${per.toFixed(2)} of ${result.basis.measure} per unit of spend).`;
    else
      explanation = `${r.c.label}: ${fmt(a.spend)}, ${dir} today's split — at this level its next ${fmt(100 * 10 ** digits)} is expected to bring about ${fmt(a.marginalValue * 100 * 10 ** digits)} of ${result.basis.measure}, the same as every other uncapped channel (on average it returned ${per.toFixed(2)} per unit of spend).`;
    return {
      ...head,
      included: true,
      currentSplitMinor: String(Math.round(curSpend)),
      suggestedMinor: String(Math.round(a.spend)),
      currentExpectedValueMinor: String(Math.round(current.perChannel[i]!)),
      suggestedExpectedValueMinor: String(Math.round(a.expectedValue)),
      explanation,
    };
  });
  return {
    ...base,
    lines,
    currentExpectedValueMinor: String(Math.round(current.total)),
    suggestedExpectedValueMinor: String(Math.round(alloc.totalExpectedValue)),
    unallocatedMinor: String(Math.round(alloc.unallocated)),
    unavailable: null,
  };
}
