/**
 * Campaign ROI (issue 6): per campaign and per channel — spend, new customers, CAC, first-order
 * revenue, revenue to date, predicted 12-month and lifetime value with ranges, LTV:CAC, ROI,
 * payback, repeat rate, 90-day retention — for a value basis and an acquisition-month range.
 *
 * Reads the campaign rollups written at each recompute (refresh-campaign-stats.ts: a few rows per
 * campaign and month) and campaign_spend_months (spend per campaign and month, kept current by
 * triggers on campaign_spend); never customers, orders or daily spend. Everything a call needs comes
 * back from ONE statement (readRoiInputs), as one JSON document: under load each round trip inside
 * the tenant transaction cost 5–20 ms, and the page's procedures made seven. Over the whole
 * acquisition range (the page's default) each campaign key's sums and payback-curve inputs are read
 * pre-summed (campaign_key_totals, one row per key, written by the refresh); a narrower range sums
 * campaign_cohorts and campaign_cohort_months live. Compare reads only the picked campaigns' rows.
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

/**
 * Per campaign key (campaign id, or "" + channel): sums of its cohorts in the range (bigints as
 * text); on the precomputed path (and when curves are asked for) also the curve inputs indexed by
 * month since acquisition: customers whose cohort had reached the month, revenue, margin.
 */
type KeyRow = [ck: string, ch: string, customers: number, repeat: number, eligible90: number, retained90: number, firstRev: string, rev: string, mar: string,
  scored: number, pred: string, predLow: string, predHigh: string, p1: string, p23: string, p412: string,
  curveEligible: number[] | null, curveRev: string[] | null, curveMar: string[] | null];
/** [campaign key, channel, cohort month index (year × 12 + month − 1), customers] — live path only. */
type CohortSizeRow = [ck: string, ch: string, cm: number, customers: number];
/** [campaign key, channel, month offset, revenue, margin] — live path only. */
type CurveRow = [ck: string, ch: string, k: number, rev: string, mar: string];
type CampaignJson = [id: string, externalId: string, name: string, channel: string, startsAt: string | null, endsAt: string | null, notes: string | null];

/** The one document readRoiInputs returns. */
export interface RoiInputs {
  ws: { currency: string; marginRate: string; stale: boolean } | null;
  refresh: { refreshedAt: string; dataCutoff: string | null; lastDataMonth: string | null; modelRunId: string | null; runReason: string | null } | null;
  lo: string | null;
  hi: string | null;
  /** Keys came from campaign_key_totals (whole range, pre-summed) instead of live sums. */
  pre: boolean;
  anyCohort: boolean;
  anyScored: boolean;
  campaigns: CampaignJson[];
  keys: KeyRow[];
  cohorts: CohortSizeRow[] | null;
  curve: CurveRow[] | null;
  spend: [campaignId: string, currency: string, amount: string][];
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
  /** month offset k → customers whose acquisition cohort had reached month k by the last data month */
  eligible: number[];
  /** month offset k → revenue, margin brought in month k (arrays, not maps: a call builds ~200 groups × ~25 months) */
  monthRev: bigint[];
  monthMar: bigint[];
  spend: bigint;
}

const emptyAcc = (): Acc => ({
  customers: 0, repeat: 0, eligible90: 0, retained90: 0, firstRev: 0n, rev: 0n, mar: 0n, scored: 0, pred: 0n, predLow: 0n, predHigh: 0n,
  p1: 0n, p23: 0n, p412: 0n, eligible: [], monthRev: [], monthMar: [], spend: 0n,
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
  addAt(a, b.eligible, b.monthRev, b.monthMar);
}

/** Adds month-indexed eligible counts and values into a group (holes in the sources count as 0). */
function addAt(a: Acc, eligible: readonly number[], rev: readonly bigint[], mar: readonly bigint[]): void {
  for (let k = 0; k < eligible.length; k++) {
    const e = eligible[k];
    if (e !== undefined) a.eligible[k] = (a.eligible[k] ?? 0) + e;
  }
  for (let k = 0; k < rev.length; k++) {
    const r = rev[k];
    if (r !== undefined) a.monthRev[k] = (a.monthRev[k] ?? 0n) + r;
  }
  for (let k = 0; k < mar.length; k++) {
    const m = mar[k];
    if (m !== undefined) a.monthMar[k] = (a.monthMar[k] ?? 0n) + m;
  }
}

const monthIdx = (s: string) => Number(s.slice(0, 4)) * 12 + Number(s.slice(5, 7)) - 1;
const monthStr = (i: number) => `${String(Math.floor(i / 12)).padStart(4, "0")}-${String((i % 12) + 1).padStart(2, "0")}`;

interface Ctx {
  currency: string;
  /** Margin rate in basis points (1/10,000). */
  marginBp: bigint;
  lastDataMonth: number | null;
  hasPredictions: boolean;
  basis: RoiBasis;
  /** Build the payback curves (the budget hint needs none). */
  curves: boolean;
}

/** Predicted revenue → chosen measure. */
function measurePredicted(ctx: Ctx, v: bigint): bigint {
  return ctx.basis.measure === "margin" ? divRound(v * ctx.marginBp, 10_000n) : v;
}

const str = (x: bigint | undefined | null): string | null => (x === undefined || x === null ? null : x.toString());
/** A group's predicted value on the chosen measure, per scored customer. */
const perScored = (ctx: Ctx, a: Acc, x: bigint): number => Number(measurePredicted(ctx, x)) / a.scored;

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

  // Cumulative value per customer by months since acquisition (actuals), then the forecast.
  let curve: CampaignCurve = { key: head.key, label: head.label, cacMinor: cacV, curve: [], actualMonths: 0, paybackMonths: null, paybackSource: null };
  if (ctx.curves && n > 0 && ctx.lastDataMonth !== null) {
    // The oldest cohort's age: the last month some customer of the group had reached.
    let maxK = 0;
    for (let k = 0; k < a.eligible.length; k++) if ((a.eligible[k] ?? 0) > 0) maxK = k;
    const byMonth = ctx.basis.measure === "margin" ? a.monthMar : a.monthRev;
    const eligible: number[] = [];
    const values: number[] = [];
    for (let k = 0; k <= maxK; k++) {
      eligible.push(a.eligible[k] ?? 0);
      const mv = byMonth[k];
      values.push(mv === undefined ? 0 : Number(mv));
    }
    // Actuals run while at least half of the customers have reached the month (the median
    // customer's age); beyond, the curve would rest on the oldest few cohorts only.
    let K = 0;
    for (let k = 0; k < eligible.length; k++) if (eligible[k]! * 2 >= n) K = k;
    const actual = cumulativeValuePerCustomer({ eligible: eligible.slice(0, K + 1), value: values.slice(0, K + 1) }).cumulative;
    let forecast: number[] = [];
    if (pred && a.scored > 0) {
      const m23 = perScored(ctx, a, a.p23) / 2;
      const m412 = perScored(ctx, a, a.p412) / 9;
      forecast = [perScored(ctx, a, a.p1), m23, m23, m412, m412, m412, m412, m412, m412, m412, m412, m412];
    }
    const p = paybackWithForecast(actual, forecast, cacV ?? 0);
    curve = {
      key: head.key,
      label: head.label,
      cacMinor: cacV,
      curve: p.curve.map(Math.round),
      actualMonths: p.actualMonths,
      paybackMonths: cacV === null ? null : p.months,
      paybackSource: cacV === null ? null : p.source,
    };
  }

  // Fields listed one by one: a spread followed by ~30 properties built each object on V8's slow
  // path (≈ 60 µs each, 14 ms of a 200-campaign call).
  const m: GroupMetrics = {
    key: head.key,
    kind: head.kind,
    label: head.label,
    channel: head.channel,
    spendMinor: spend.toString(),
    customers: n,
    lowConfidence: n < CAMPAIGN_MIN_CUSTOMERS,
    cacMinor: str(cacMinor),
    firstOrderRevenueMinor: a.firstRev.toString(),
    historicalRevenueMinor: a.rev.toString(),
    historicalMarginMinor: a.mar.toString(),
    predicted12Minor: str(pred?.v),
    predicted12LowMinor: str(pred?.lo),
    predicted12HighMinor: str(pred?.hi),
    lifetimeMinor: str(life?.v),
    lifetimeLowMinor: str(life?.lo),
    lifetimeHighMinor: str(life?.hi),
    valueMinor: str(value?.v),
    valueLowMinor: str(value?.lo),
    valueHighMinor: str(value?.hi),
    ltvMinor: value && n > 0 ? divRound(value.v, BigInt(n)).toString() : null,
    ltvToCac: ltv === null ? null : ltvToCac(ltv, cacV),
    ltvToCacLow: value && n > 0 ? ltvToCac(Number(value.lo) / n, cacV) : null,
    ltvToCacHigh: value && n > 0 ? ltvToCac(Number(value.hi) / n, cacV) : null,
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
  /** Where the payback curves came from: pre-summed at the refresh (whole range) or summed live. */
  curveSource: "precomputed" | "live";
}

const ISO_MS = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;

const KEY_SUMS = `campaign_key, channel, customers, repeat_customers, eligible_90, retained_90, first_order_revenue_minor::text, revenue_minor::text,
  margin_minor::text, scored, predicted_clv_minor::text, predicted_clv_low_minor::text, predicted_clv_high_minor::text, predicted_m1_minor::text,
  predicted_m2_3_minor::text, predicted_m4_12_minor::text`;

/**
 * readRoiInputs' statement. $1 workspace; $2 first day of the range or null; $3 the day after it or
 * null; $4 may read campaign_key_totals when the range is whole; $5 only these campaign ids (text[])
 * or null for every key; $6 with the payback-curve inputs.
 */
export const ROI_INPUTS_SQL = `WITH b AS (SELECT min(cohort_month) AS lo, max(cohort_month) AS hi FROM campaign_cohorts WHERE workspace_id = $1::uuid),
     rng AS (SELECT b.lo, b.hi,
                    coalesce($2::date, b.lo, date '0001-01-01') AS f,
                    coalesce($3::date, (b.hi + interval '1 month')::date, date '9999-12-01') AS t
               FROM b),
     mode AS (SELECT coalesce($4::boolean AND rng.f <= rng.lo AND rng.t > rng.hi
                              AND EXISTS (SELECT 1 FROM campaign_key_totals WHERE workspace_id = $1::uuid), false) AS pre
                FROM rng),
     coh AS (SELECT c.* FROM campaign_cohorts c, rng, mode
              WHERE NOT mode.pre AND c.workspace_id = $1::uuid AND c.cohort_month >= rng.f AND c.cohort_month < rng.t
                AND ($5::text[] IS NULL OR c.campaign_key = ANY ($5::text[])))
     SELECT json_build_object(
       'ws', (SELECT json_build_object('currency', w.currency, 'marginRate', w.margin_rate::text,
                       'stale', w.metrics_stale_at IS NOT NULL AND (r.refreshed_at IS NULL OR w.metrics_stale_at > r.refreshed_at))
                FROM workspaces w LEFT JOIN campaign_stats_refreshes r ON r.workspace_id = w.id WHERE w.id = $1::uuid),
       'refresh', (SELECT json_build_object('refreshedAt', to_char(r.refreshed_at AT TIME ZONE 'UTC', ${ISO_MS}),
                          'dataCutoff', to_char(r.data_cutoff AT TIME ZONE 'UTC', ${ISO_MS}),
                          'lastDataMonth', to_char(r.last_data_month, 'YYYY-MM'), 'modelRunId', r.model_run_id,
                          'runReason', (SELECT m.reason FROM model_runs m WHERE m.workspace_id = $1::uuid AND m.id = r.model_run_id))
                     FROM campaign_stats_refreshes r WHERE r.workspace_id = $1::uuid),
       'lo', (SELECT to_char(lo, 'YYYY-MM') FROM rng),
       'hi', (SELECT to_char(hi, 'YYYY-MM') FROM rng),
       'pre', (SELECT pre FROM mode),
       -- Over every key in the range, whatever $5 picks (the "no predictions" notice is workspace-wide).
       'anyCohort', EXISTS (SELECT 1 FROM campaign_cohorts c, rng WHERE c.workspace_id = $1::uuid AND c.cohort_month >= rng.f AND c.cohort_month < rng.t),
       'anyScored', EXISTS (SELECT 1 FROM campaign_cohorts c, rng WHERE c.workspace_id = $1::uuid AND c.cohort_month >= rng.f AND c.cohort_month < rng.t AND c.scored > 0),
       'campaigns', (SELECT coalesce(json_agg(json_build_array(c.id, c.external_id, c.name, c.channel,
                               to_char(c.starts_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), to_char(c.ends_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), c.notes)
                               ORDER BY c.channel, c.name, c.id), '[]'::json)
                       FROM campaigns c WHERE c.workspace_id = $1::uuid AND ($5::text[] IS NULL OR c.id::text = ANY ($5::text[]))),
       'keys', CASE WHEN (SELECT pre FROM mode) THEN
                 (SELECT coalesce(json_agg(json_build_array(${KEY_SUMS},
                                   CASE WHEN $6::boolean THEN curve_eligible END, CASE WHEN $6::boolean THEN curve_revenue_minor::text[] END,
                                   CASE WHEN $6::boolean THEN curve_margin_minor::text[] END)), '[]'::json)
                    FROM campaign_key_totals WHERE workspace_id = $1::uuid AND ($5::text[] IS NULL OR campaign_key = ANY ($5::text[])))
               ELSE
                 (SELECT coalesce(json_agg(json_build_array(${KEY_SUMS}, NULL, NULL, NULL)), '[]'::json)
                    FROM (SELECT campaign_key, channel, sum(customers) AS customers, sum(repeat_customers) AS repeat_customers, sum(eligible_90) AS eligible_90,
                                 sum(retained_90) AS retained_90, sum(first_order_revenue_minor) AS first_order_revenue_minor, sum(revenue_minor) AS revenue_minor,
                                 sum(margin_minor) AS margin_minor, sum(scored) AS scored, sum(predicted_clv_minor) AS predicted_clv_minor,
                                 sum(predicted_clv_low_minor) AS predicted_clv_low_minor, sum(predicted_clv_high_minor) AS predicted_clv_high_minor,
                                 sum(predicted_m1_minor) AS predicted_m1_minor, sum(predicted_m2_3_minor) AS predicted_m2_3_minor, sum(predicted_m4_12_minor) AS predicted_m4_12_minor
                            FROM coh GROUP BY campaign_key, channel) k)
               END,
       'cohorts', CASE WHEN (SELECT pre FROM mode) OR NOT $6::boolean THEN NULL ELSE
                    (SELECT coalesce(json_agg(json_build_array(campaign_key, channel,
                                       extract(year FROM cohort_month)::int * 12 + extract(month FROM cohort_month)::int - 1, customers)), '[]'::json)
                       FROM coh) END,
       'curve', CASE WHEN (SELECT pre FROM mode) OR NOT $6::boolean THEN NULL ELSE
                  (SELECT coalesce(json_agg(json_build_array(campaign_key, channel, k, rev::text, mar::text)), '[]'::json)
                     FROM (SELECT m.campaign_key, m.channel, m.month_offset::int AS k, sum(m.revenue_minor) AS rev, sum(m.margin_minor) AS mar
                             FROM campaign_cohort_months m, rng
                            WHERE m.workspace_id = $1::uuid AND m.cohort_month >= rng.f AND m.cohort_month < rng.t
                              AND ($5::text[] IS NULL OR m.campaign_key = ANY ($5::text[]))
                            GROUP BY 1, 2, 3) x) END,
       -- Monthly spend rollup (kept by triggers on campaign_spend, so edits show at once): the range is
       -- whole months, so ≤ campaigns × months rows instead of one per campaign and day.
       'spend', (SELECT coalesce(json_agg(json_build_array(campaign_id, trim(currency), amount::text)), '[]'::json)
                   FROM (SELECT s.campaign_id, s.currency, sum(s.amount_minor) AS amount
                           FROM campaign_spend_months s, rng
                          WHERE s.workspace_id = $1::uuid AND s.month >= rng.f AND s.month < rng.t
                            AND ($5::text[] IS NULL OR s.campaign_id::text = ANY ($5::text[]))
                          GROUP BY s.campaign_id, s.currency) x)
     )::text AS doc`;

export interface RoiReadOptions {
  /** Read the whole-range keys from campaign_key_totals when the range is whole (default true; false = always sum live). */
  keyTotals?: boolean;
  /** Only these campaigns (compare): no channel or "no campaign" rows are built. */
  campaignIds?: readonly string[] | null;
  /** Build the payback curves (default true; the budget hint needs none). */
  curves?: boolean;
}

/**
 * Everything computeCampaignRoi reads, in one statement (one round trip): the workspace, the last
 * refresh (with the run's reason when it produced no predictions), the acquisition-month bounds,
 * the campaigns, per key the sums of its cohorts in the range, the payback-curve inputs and the
 * spend in the range. Bigints travel as text.
 */
export async function readRoiInputs(tx: Tx, workspaceId: string, basis: RoiBasis, opts: RoiReadOptions = {}): Promise<RoiInputs> {
  const fromDay = basis.fromMonth ? `${basis.fromMonth}-01` : null;
  const toDay = basis.toMonth ? `${monthStr(monthIdx(basis.toMonth) + 1)}-01` : null; // exclusive
  const rows = await tx.$queryRawUnsafe<{ doc: string }[]>(
    ROI_INPUTS_SQL,
    workspaceId,
    fromDay,
    toDay,
    opts.keyTotals ?? true,
    opts.campaignIds ? [...opts.campaignIds] : null,
    opts.curves ?? true,
  );
  return JSON.parse(rows[0]!.doc) as RoiInputs;
}

export async function computeCampaignRoi(tx: Tx, workspaceId: string, basis: RoiBasis, opts: RoiReadOptions = {}): Promise<RoiComputation> {
  return buildCampaignRoi(await readRoiInputs(tx, workspaceId, basis, opts), basis, opts);
}

/** The metrics from what readRoiInputs read (no I/O). */
export function buildCampaignRoi(inp: RoiInputs, basis: RoiBasis, opts: Pick<RoiReadOptions, "campaignIds" | "curves"> = {}): RoiComputation {
  const ws = inp.ws;
  if (!ws) throw new DomainError("NOT_FOUND", "Workspace not found.");
  const refresh = inp.refresh;
  const firstCohort = inp.lo;
  const lastCohort = inp.hi;
  const from = basis.fromMonth ?? firstCohort;
  const to = basis.toMonth ?? lastCohort;

  const hasPredictions = inp.anyScored;
  let predictionsUnavailable: string | null = null;
  if (!refresh) predictionsUnavailable = "Customer figures appear after the first recompute of this workspace's models (it runs on its own after an import).";
  else if (!hasPredictions && inp.anyCohort) predictionsUnavailable = (refresh.modelRunId ? refresh.runReason : null) ?? "The last recompute produced no predictions.";

  const ctx: Ctx = {
    currency: ws.currency,
    marginBp: BigInt(Math.round(Number(ws.marginRate) * 10_000)),
    lastDataMonth: refresh?.lastDataMonth ? monthIdx(refresh.lastDataMonth) : null,
    hasPredictions,
    basis,
    curves: opts.curves ?? true,
  };

  const byKey = new Map<string, Acc>(); // `${ck}\0${ch}`
  const accOf = (ck: string, ch: string) => {
    const key = `${ck}\u0000${ch}`;
    let a = byKey.get(key);
    if (!a) byKey.set(key, (a = emptyAcc()));
    return a;
  };
  for (const [ck, ch, customers, repeat, e90, r90, firstRev, rev, mar, scored, pred, predLow, predHigh, p1, p23, p412, curveE, curveRev, curveMar] of inp.keys) {
    const a = accOf(ck, ch);
    a.customers += customers;
    a.repeat += repeat;
    a.eligible90 += e90;
    a.retained90 += r90;
    a.firstRev += BigInt(firstRev);
    a.rev += BigInt(rev);
    a.mar += BigInt(mar);
    a.scored += scored;
    a.pred += BigInt(pred);
    a.predLow += BigInt(predLow);
    a.predHigh += BigInt(predHigh);
    a.p1 += BigInt(p1);
    a.p23 += BigInt(p23);
    a.p412 += BigInt(p412);
    // Precomputed path: the whole-range curve inputs, month since acquisition k = array index.
    if (curveE && curveRev && curveMar) addAt(a, curveE, curveRev.map(BigInt), curveMar.map(BigInt));
  }
  if (inp.cohorts && ctx.lastDataMonth !== null) {
    // Live path: customers who had reached month k = the cohorts at least k months old.
    const last = ctx.lastDataMonth;
    const byGroup = new Map<Acc, Map<number, number>>();
    for (const [ck, ch, c, size] of inp.cohorts) {
      const a = accOf(ck, ch);
      let cohorts = byGroup.get(a);
      if (!cohorts) byGroup.set(a, (cohorts = new Map()));
      cohorts.set(c, (cohorts.get(c) ?? 0) + size);
    }
    for (const [a, cohorts] of byGroup) {
      const maxK = Math.max(0, ...[...cohorts.keys()].map((c) => last - c));
      for (let k = 0; k <= maxK; k++) {
        let e = 0;
        for (const [c, size] of cohorts) if (c + k <= last) e += size;
        a.eligible[k] = e;
      }
    }
  }
  for (const [ck, ch, k, rev, mar] of inp.curve ?? []) {
    const a = accOf(ck, ch);
    a.monthRev[k] = (a.monthRev[k] ?? 0n) + BigInt(rev);
    a.monthMar[k] = (a.monthMar[k] ?? 0n) + BigInt(mar);
  }
  const other = new Map<string, bigint>();
  for (const [campaignId, currency, amount] of inp.spend) {
    if (currency === ws.currency) accOf(campaignId, "").spend += BigInt(amount);
    else other.set(currency, (other.get(currency) ?? 0n) + BigInt(amount));
  }
  const campaigns = inp.campaigns.map(([id, externalId, name, channel, startsAt, endsAt, notes]) => ({ id, externalId, name, channel, startsAt, endsAt, notes }));

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
    // Added in place (a spread of the ~30-field object into a new one is V8's slow path, see metricsOf).
    return Object.assign(m, { externalId: c.externalId, startsAt: c.startsAt, endsAt: c.endsAt, notes: c.notes, running: c.endsAt === null || c.endsAt >= today });
  });
  // Compare (only some campaigns read): channels and "no campaign" would be partial, so none.
  const partial = !!opts.campaignIds;
  const unattributedAcc = emptyAcc();
  for (const [key, a] of partial ? [] : byKey) {
    const [ck, ch] = key.split("\u0000") as [string, string];
    if (ck !== "") continue;
    addAcc(unattributedAcc, a);
    addAcc(chAcc(ch === "" ? "Unknown channel" : ch), a);
  }
  const unattributed = unattributedAcc.customers > 0 ? metricsOf(ctx, unattributedAcc, { key: "", kind: "unattributed", label: "No campaign (direct / unattributed)", channel: "" }) : null;
  if (unattributed) curves.set("", unattributed.curve);
  const channels = [...(partial ? [] : channelAcc.entries())]
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
      marginRate: Number(ws.marginRate),
      basis,
      fromMonth: from,
      toMonth: to,
      firstCohortMonth: firstCohort,
      lastCohortMonth: lastCohort,
      refreshedAt: refresh?.refreshedAt ?? null,
      dataCutoff: refresh?.dataCutoff ?? null,
      stale: ws.stale,
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
    curveSource: inp.pre ? "precomputed" : "live",
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
  // Reads only the picked campaigns' rows (metrics per campaign do not depend on the others).
  const { result, curves } = await computeCampaignRoi(tx, workspaceId, basis, { campaignIds });
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
  // Channel values only: no payback curves to build.
  const { result } = await computeCampaignRoi(tx, workspaceId, basis, { curves: false });
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
