/**
 * Retention rollups (issue 7): the aggregates the Retention page reads, written set-based at the end
 * of every successful full recompute, in its second tenant transaction after the scores committed (it
 * holds the workspace's advisory lock again and reads one REPEATABLE READ snapshot: run-recompute.ts
 * refreshDerived), so they match the scores of the run and the data of that snapshot. First one temporary row per customer
 * with its cohort month / week and its split keys as small integer codes (vl_rr_cust, analysed); then one
 * ordered pass over customer_months (vl_rr_m: month cells, lifetimes and repeat delay, aggregated at the
 * finest grain by (channel, campaign) and by (segment, tier)) and one over customer_weeks (vl_rr_w), on
 * integer keys the planner hashes; every split's rows, and the quarter cells, are summed from those small
 * results (see bySplit and the month pass's comment).
 * A refresh rebuilds only what changed since the rows were built (RetentionRefreshMode, derived-keys.ts): after
 * a small write or moved RFM segments / tiers, it applies the changed customers' old → new contributions, the old
 * ones from a per-customer state the previous refresh wrote (retention_rollup_customers); when only predicted values
 * moved, the forecasts; when nothing moved (a full run over unchanged data), nothing; everything when there is no
 * usable state (first refresh, time-zone change, cut-off month moved) or too many customers changed.
 *
 * The page's procedures use them only while fresh (readRetentionFreshness): no write since they were
 * built (workspaces.metrics_stale_at IS NULL, workspace_stats unmoved); the rows that depend on the
 * scores (forecasts, RFM-segment and tier splits) only when the latest succeeded full run built them
 * (rollupsFor). Otherwise they run their live queries (retention.ts), which give the same numbers
 * (tests compare both).
 * Row kinds: see prisma/migrations/20261124100100_retention_rollups/migration.sql.
 */
import type { Tx } from "@valuelens/db";
import type { TCohortGrain, TCohortSplit } from "@valuelens/validators";
import { log, logError } from "../log.ts";
import { builtFrom, readScorePrints, saveBuiltKeys, unchangedSince, type ScorePrints } from "./recompute/derived-keys.ts";

/** Month index (year × 12 + month − 1) of a date column. */
export const MONTH_IDX = (col: string) => `((extract(year from ${col})::int * 12) + extract(month from ${col})::int - 1)`;
/**
 * MONTH_IDX of a date that is the first day of its month (customer_months.month, `date_trunc('month', …)::date`), in integer
 * arithmetic: 4,800 months are 146,097 days in every 400 years, and a month's first day lies within 15 days of the uniform
 * spacing, so rounding the days since 0001-01-01 (+ half a month) down gives the month (checked for every month of the years
 * 1–9999; exact for days 1–14 of a month, not later). MONTH_IDX's extract() returns numeric: at 1M customers that cost
 * ≈ 1.5 s of the refresh's pass over 4.2M customer_months rows.
 */
export const MONTH_IDX_OF_FIRST = (col: string) => `((((${col}) - date '0001-01-01')::bigint * 4800 + 73048) / 146097 + 12)::int`;
/** ISO-week index (days since Monday 1970-01-05 ÷ 7) of a date column. */
export const WEEK_IDX = (col: string) => `((${col} - date '1970-01-05') / 7)`;

/**
 * The split key of a customer `c` (joined as `s` to its latest scores where needed); '' = unknown.
 * segment / tier are the customer's RFM segment and value tier now (latest recompute), not at acquisition.
 */
export const SPLIT_KEY: Record<TCohortSplit, { expr: string; scores: boolean }> = {
  none: { expr: "''", scores: false },
  channel: { expr: "coalesce(c.acquisition_channel, '')", scores: false },
  campaign: { expr: "coalesce(c.acquisition_campaign_id::text, '')", scores: false },
  segment: { expr: "coalesce(s.rfm_segment, '')", scores: true },
  tier: { expr: "coalesce(s.value_tier, '')", scores: true },
};

/** The join that gives `s` for the split keys that need the scores (empty otherwise). */
export function scoresJoin(split: TCohortSplit): string {
  return SPLIT_KEY[split].scores ? "LEFT JOIN customer_scores s ON s.workspace_id = c.workspace_id AND s.customer_id = c.id" : "";
}

/**
 * What the models expect a group of scored customers `s` to add after the data cut-off: the 12-month
 * predicted CLV (purchase model × spend model, 1 %/month discount) spread over the months like their
 * expected purchases at 30 / 90 / 365 days (evenly without them) — the Campaigns page's convention.
 * Columns: scored, m1, m3, m12 (cumulative minor units after 1, 3 and 12 months), lo, hi (the
 * 12-month 80 % range). Rows: customers with a prediction (`PRED_WHERE`).
 */
export const PRED_SUMS = `count(*)::int AS scored,
  round(sum(CASE WHEN s.expected_purchases_365 > 0 THEN s.predicted_clv_minor * s.expected_purchases_30 / s.expected_purchases_365 ELSE s.predicted_clv_minor / 12.0 END))::bigint AS m1,
  round(sum(CASE WHEN s.expected_purchases_365 > 0 THEN s.predicted_clv_minor * s.expected_purchases_90 / s.expected_purchases_365 ELSE s.predicted_clv_minor * 3 / 12.0 END))::bigint AS m3,
  sum(s.predicted_clv_minor)::bigint AS m12,
  sum(coalesce(s.predicted_clv_low_minor, s.predicted_clv_minor))::bigint AS lo,
  sum(coalesce(s.predicted_clv_high_minor, s.predicted_clv_minor))::bigint AS hi`;
export const PRED_WHERE = "s.predicted_clv_minor IS NOT NULL";
/** k of the 'pred' rows holding each PRED_SUMS column (revenue_minor = the sum, customers = scored). */
export const PRED_K = { m1: 1, m3: 3, m12: 12, lo: -1, hi: -2 } as const;

/** "Active" windows (months) precomputed for the retention curves; other windows run live. */
export const ROLLUP_WINDOWS = [1, 2, 3, 6, 12] as const;

/** Per-statement limit of the refresh (the app role's default is 30 s; 1M customers need more on 2 cores). */
const REFRESH_STATEMENT_TIMEOUT = "300s";
/** Memory per sort / hash of the refresh (one refresh per workspace at a time: the recompute holds its lock). */
const REFRESH_WORK_MEM = "256MB";
/**
 * Hash tables may take this × work_mem (2 GB). The planner hashes a GROUPING SET only when its estimated groups fit;
 * it cannot estimate the month pass's computed keys (lifetime, window mask, repeat delay) and guessed 6.6M groups
 * for 27k at 1M customers, so with 512 MB it sorted 4.2M rows on disk for those sets (36 s instead of ≈ 20 s).
 * The real tables are small (58 MB at 1M customers), and a hash aggregate that outgrows the limit spills to disk.
 * The estimate grows with the rows: far beyond 1M customers the planner sorts again (slower, same rows).
 */
const REFRESH_HASH_MEM_MULTIPLIER = 8;

// Split keys are small integer codes (vl_rr_keys) on one temporary row per customer (vl_rr_cust). The big inputs
// (customer_months, customer_weeks) are aggregated once each at the finest grain the rollups need: per cohort and
// period by (channel, campaign) and by (RFM segment, value tier) — a few tens of thousands of groups — and every
// split's rows are then summed from that small result (none / channel / campaign from the first, segment / tier
// from the second). Sums and counts add up exactly, so this gives the same rows as grouping every input row by
// every split (what the refresh did before: five hash tables per input row, and customer_months read three times).
/** Rows of the month pass (vl_rr_m), per GROUPING SET; `grouping(...)` over these columns names the set. */
const M_COLS = ["ch", "ca", "sg", "vt", "cm", "p", "p0", "life", "mask", "d"] as const;
type MCol = (typeof M_COLS)[number];
/** grouping(cols) of a set: bit = 1 for each column aggregated away (first column = highest bit). */
const gid = (cols: readonly MCol[], set: readonly MCol[]): number => cols.reduce((g, c, i) => (set.includes(c) ? g : g | (1 << (cols.length - 1 - i))), 0);
/**
 * The month pass's sets: month cells (quarter cells are summed from them), lifetimes (each by the order-only keys and by the
 * score keys); the repeat delay d rides on the order-only lifetimes set (it is set on a customer's first row only, so the set
 * grows by a few percent: 26.6k → 27.5k groups at 1M) instead of a fifth set of its own (one hash table less per row:
 * 9.5–9.9 s against 9.7–11.1 s of backend CPU at 1M, psql under the bench lock).
 */
const M_SETS = {
  monthOrders: ["ch", "ca", "cm", "p"],
  monthScores: ["sg", "vt", "cm", "p"],
  lifeOrders: ["ch", "ca", "p0", "life", "mask", "d"],
  lifeScores: ["sg", "vt", "p0", "life", "mask"],
} as const satisfies Record<string, readonly MCol[]>;
/** The forecasts group vl_rr_cust's rows by every split at once; grouping(ch, ca, sg, vt) names the split. */
const KEYS = "ch, ca, sg, vt";
const SETS = (dims: string) => `GROUPING SETS ((${dims}), (ch, ${dims}), (ca, ${dims}), (sg, ${dims}), (vt, ${dims}))`;
const SPLIT_OF = `CASE grouping(${KEYS}) WHEN 15 THEN 'none' WHEN 7 THEN 'channel' WHEN 11 THEN 'campaign' WHEN 13 THEN 'segment' ELSE 'tier' END`;
const CODE_OF = `coalesce(ch, ca, sg, vt)`;
/** Which splits a refresh rebuilds: every split, or only the score-dependent ones (segment, tier). */
type SetsOf = "all" | "scores";
const INSERT = `INSERT INTO retention_rollups (workspace_id, kind, grain, split, grp, w, c0, k, customers, revenue_minor, margin_minor, gaps, gap_seconds)`;

/**
 * Every split's rows summed from a fine-grained table's rows: those of the set `orders` (columns ch, ca and
 * `dims`) give the none / channel / campaign rows, those of `scores` (sg, vt and `dims`) the segment / tier rows.
 * Columns: split, code (0 for none: no key has it), the dims, and `aggs` (over the fine rows).
 */
function bySplit(table: string, sets: SetsOf, orders: string, scores: string, dims: string, aggs: string): string {
  const scoreRows = `SELECT CASE grouping(sg, vt) WHEN 1 THEN 'segment' ELSE 'tier' END AS split, coalesce(sg, vt) AS code, ${dims}, ${aggs}
      FROM ${table} WHERE ${scores} GROUP BY GROUPING SETS ((sg, ${dims}), (vt, ${dims}))`;
  if (sets === "scores") return scoreRows;
  return `SELECT CASE grouping(ch, ca) WHEN 3 THEN 'none' WHEN 1 THEN 'channel' ELSE 'campaign' END AS split, coalesce(ch, ca, 0) AS code, ${dims}, ${aggs}
      FROM ${table} WHERE ${orders} GROUP BY GROUPING SETS ((${dims}), (ch, ${dims}), (ca, ${dims}))
    UNION ALL ${scoreRows}`;
}

/** Insert the rows `x` (columns split, code, …) gives, with each code's key text as grp; `select` picks the other columns. */
const insertWithKeys = (x: string, select: string, where = "true") =>
  `WITH x AS (${x})
   ${INSERT}
   SELECT ${select} FROM (SELECT x.*, coalesce(d.grp, '') AS grp FROM x LEFT JOIN vl_rr_keys d ON d.split = x.split AND d.code = x.code) x WHERE ${where}`;

export interface Freshness {
  lastMonth: number | null;
  lastWeek: number | null;
  /**
   * Built by the latest succeeded run, so the score-dependent rows (forecasts, RFM-segment and
   * value-tier splits) match the scores. False between a run's scores committing and its derived
   * refresh landing (run-recompute.ts refreshDerived), or after that refresh failed: then only
   * the rows that depend on the orders alone may be read from the rollups.
   */
  scoresCurrent: boolean;
}

/**
 * The rollups' cut-off periods when they describe the current data (no write since they were built);
 * null otherwise. Whether they also match the latest scores is `scoresCurrent`: use rollupsFor.
 */
export async function readRetentionFreshness(tx: Tx, workspaceId: string): Promise<Freshness | null> {
  const rows = await tx.$queryRawUnsafe<{ last_month: number | null; last_week: number | null; scores_current: boolean }[]>(
    `SELECT r.last_month, r.last_week,
            r.model_run_id IS NOT DISTINCT FROM (SELECT m.id FROM model_runs m WHERE m.workspace_id = $1::uuid AND m.status = 'succeeded'
                                                  ORDER BY m.finished_at DESC NULLS LAST, m.started_at DESC LIMIT 1) AS scores_current
       FROM retention_rollup_refreshes r JOIN workspaces w ON w.id = r.workspace_id
      WHERE r.workspace_id = $1::uuid AND r.model_run_id IS NOT NULL AND w.metrics_stale_at IS NULL
        AND r.stats_updated_at IS NOT DISTINCT FROM (SELECT st.updated_at FROM workspace_stats st WHERE st.workspace_id = $1::uuid)`,
    workspaceId,
  );
  const r = rows[0];
  return r ? { lastMonth: r.last_month, lastWeek: r.last_week, scoresCurrent: r.scores_current } : null;
}

/** The freshness to use for a split's cells and lifetimes: RFM-segment and tier splits need the latest scores. */
export function rollupsFor(fresh: Freshness | null, split: TCohortSplit): Freshness | null {
  return fresh && (fresh.scoresCurrent || !SPLIT_KEY[split].scores) ? fresh : null;
}

export interface RetentionRefreshOptions {
  /** The score prints of this transaction's snapshot (refreshDerived reads them once for every part); read here when absent. */
  prints?: ScorePrints;
  /** Rebuild every row even when nothing they depend on changed since they were built (benchmarks). */
  force?: boolean;
  /** Called after a successful refresh with what it did (tests, benchmarks). */
  report?: (r: RetentionRefreshReport) => void;
  /** Share of changed customers above which a delta gives up for a full refresh (default DELTA_MAX_SHARE; tests). */
  deltaMaxShare?: number;
  /**
   * Rebuild every row and every customer's state where a delta would do (the nightly run): deltas then build on a
   * fresh base at least once a day, so nothing a delta could get wrong (rows damaged outside the app, with the
   * customers' summaries left as they were) outlives a night. Over unchanged data ("kept", "forecast") it changes nothing.
   */
  rebase?: boolean;
}

export interface RetentionRefreshReport {
  mode: RetentionRefreshMode;
  /** Customers whose contributions were replaced (delta), or null when the refresh did not look. */
  changed: number | null;
  /** Why a delta gave up and rebuilt everything (too many changed customers, a row that would not add up). */
  fallback: string | null;
  /** Whose per-customer state was written: every customer's, only the changed ones', or none (kept, forecast). */
  state: "all" | "changed" | "none";
}

/**
 * What a refresh rebuilds, from what changed since the rows were built (derived-keys.ts) and the per-customer state
 * (retention_rollup_customers, migration 20261125100000):
 * - delta: any write or moved RFM segments / value tiers, with a usable state (built in this time zone): the changed
 *   customers' old contributions (from the state, with the cut-off month the rows were built with) replaced by their
 *   new ones (from their current rows) in every row — when the cut-off month moved, changed includes the customers
 *   whose last month's lifetimes it moves; gaps rebuilt, forecasts rebuilt from the state. Falls back to "full" above
 *   DELTA_MAX_SHARE changed customers or when a row would not add up;
 * - full: no key, no refresh row, no usable state (first refresh, time-zone change), `force`, `rebase` after a write,
 *   or a delta's fallback:
 *   every row. The state of every customer, except after a fallback for too many changed customers when at most
 *   DELTA_MAX_SHARE changed their own data (the others only for a moved cut-off month): then only theirs;
 * - forecast: only predicted values moved: the 'pred' rows (from the state);
 * - kept: nothing moved: no row, only the refresh row (now the new run's).
 */
export type RetentionRefreshMode = "full" | "delta" | "forecast" | "kept";

/**
 * Rebuild what changed of the workspace's retention rollups. Runs in the recompute's second transaction, in a savepoint:
 * if it fails (a timeout on a huge workspace), the scores still commit and the page runs live queries
 * (the refresh row keeps the previous run's id, so the old rollups are not used).
 */
export async function refreshRetentionRollups(tx: Tx, workspaceId: string, modelRunId: string | null, opts: RetentionRefreshOptions = {}): Promise<boolean> {
  await tx.$executeRawUnsafe("SAVEPOINT vl_retention_rollups");
  try {
    await writeRetentionRollups(tx, workspaceId, modelRunId, opts);
    await tx.$executeRawUnsafe("RELEASE SAVEPOINT vl_retention_rollups");
    return true;
  } catch (e) {
    await tx.$executeRawUnsafe("ROLLBACK TO SAVEPOINT vl_retention_rollups");
    logError("retention_rollups.refresh_failed", { workspaceId, modelRunId, error: e });
    return false;
  } finally {
    await tx.$executeRawUnsafe("SET LOCAL enable_nestloop TO DEFAULT");
    await tx.$executeRawUnsafe("SET LOCAL random_page_cost TO DEFAULT");
    await tx.$executeRawUnsafe("SET LOCAL enable_hashagg TO DEFAULT");
    await tx.$executeRawUnsafe("SET LOCAL statement_timeout TO DEFAULT");
    await tx.$executeRawUnsafe("SET LOCAL work_mem TO DEFAULT");
    await tx.$executeRawUnsafe("SET LOCAL hash_mem_multiplier TO DEFAULT");
  }
}

/** Milliseconds per statement of a refresh, logged (what a slow refresh spends its time on). */
type Timed = <T>(name: string, run: Promise<T>) => Promise<T>;

/**
 * A customer's summary as one 64-bit hash (retention_rollup_customers.sig, alias `c` = customers). Every write
 * to a customer's orders rewrites its summary with summary_updated_at = now() (the summary triggers, the
 * import's flushes, the repair rebuild), and a changed order count, revenue, margin or first / last order
 * moves it too, so equal hashes = the month and week rows the state holds are still the customer's.
 */
const SIG = `hash_record_extended((c.summary_updated_at, c.order_count, c.purchase_days, c.revenue_minor, c.margin_minor, c.first_order_at, c.last_order_at), 0)`;
/** Cohort month / week index of a local timestamp (see the per-customer table's comment). */
const CM_OF = (lt: string) => MONTH_IDX_OF_FIRST(`date_trunc('month', ${lt})::date`);
const CW_OF = (lt: string) => `((${lt}::date - date '0001-01-01') / 7 - 102738)`;
const TZ = `(SELECT timezone FROM workspaces WHERE id = $1::uuid)`;

/**
 * Above this share of changed customers a refresh rebuilds everything instead of applying the changes (the
 * delta reads the changed customers' rows by index and their old rows from the state; BENCHMARKS.md, "Session 13:
 * the retention rollups after a small write").
 */
export const DELTA_MAX_SHARE = 0.25;

/**
 * The state of the workspace's customers, or of those in vl_rr_chg with `has`, in two tables: retention_rollup_customers
 * (narrow: split keys as text, cohort, summary hash — what the change detection and the forecasts scan) and
 * retention_rollup_customer_rows (the month / week rows as arrays, read by primary key for the changed customers only;
 * element i of mp / mr / mg is one customer_months row: month index × 2 + (orders ≥ 2), revenue, margin). `ok` is false
 * when the rows do not add up to the customer's summary (orders, revenue): such a customer counts as changed on every
 * refresh until they do.
 */
function stateInserts(only: boolean): [string, string] {
  const inChg = (col: string) => (only ? ` AND ${col} IN (SELECT id FROM vl_rr_chg WHERE has AND NOT cut)` : "");
  const narrow = `INSERT INTO retention_rollup_customers (workspace_id, customer_id, sig, ch, ca, sg, vt, cm, cw)
   SELECT c.workspace_id, c.id, c.sig, ${SPLIT_KEY.channel.expr}, ${SPLIT_KEY.campaign.expr}, ${SPLIT_KEY.segment.expr}, ${SPLIT_KEY.tier.expr}, ${CM_OF("c.lt")}, ${CW_OF("c.lt")}
     FROM (SELECT c.id, c.workspace_id, c.acquisition_channel, c.acquisition_campaign_id, ${SIG} AS sig, c.first_order_at AT TIME ZONE ${TZ} AS lt
             FROM customers c WHERE c.workspace_id = $1::uuid${inChg("c.id")} OFFSET 0) c
     LEFT JOIN customer_scores s ON s.workspace_id = c.workspace_id AND s.customer_id = c.id`;
  const rows = `INSERT INTO retention_rollup_customer_rows (workspace_id, customer_id, ok, mp, mr, mg, wp, wr, wg)
   SELECT c.workspace_id, c.id,
          (coalesce(m.n, 0), coalesce(m.r, 0), coalesce(w.n, 0), coalesce(w.r, 0)) = (c.order_count::bigint, c.revenue_minor::numeric, c.order_count::bigint, c.revenue_minor::numeric),
          m.mp, m.mr, m.mg, w.wp, w.wr, w.wg
     FROM customers c
     LEFT JOIN (SELECT customer_id, array_agg(${MONTH_IDX_OF_FIRST("month")} * 2 + (orders >= 2)::int) AS mp, array_agg(revenue_minor) AS mr,
                       array_agg(margin_minor) AS mg, sum(orders) AS n, sum(revenue_minor) AS r
                  FROM customer_months WHERE workspace_id = $1::uuid${inChg("customer_id")} GROUP BY customer_id) m ON m.customer_id = c.id
     LEFT JOIN (SELECT customer_id, array_agg(${WEEK_IDX("week")}) AS wp, array_agg(revenue_minor) AS wr, array_agg(margin_minor) AS wg,
                       sum(orders) AS n, sum(revenue_minor) AS r
                  FROM customer_weeks WHERE workspace_id = $1::uuid${inChg("customer_id")} GROUP BY customer_id) w ON w.customer_id = c.id
    WHERE c.workspace_id = $1::uuid${inChg("c.id")}`;
  return [narrow, rows];
}

/**
 * The month pass, cells, lifetimes and repeat rows from vl_rr_cust (id, cm, cw, split codes; with `signed` also sgn)
 * and vl_rr_keys, inserted into `target`. Unsigned: over the workspace's customer_months / customer_weeks, one row per
 * customer. Signed (the delta): over vl_rr_mo / vl_rr_wo (customer_id = vl_rr_cust.id, p = month / week index), where
 * each changed customer appears twice — its old rows with sgn −1, its current rows with sgn +1 —, so every count and
 * sum is the change of the rows; lifetimes with n = 0 are left out only when unsigned. Returns the rows inserted.
 */
async function passes(tx: Tx, ws: string, lastMonth: number, signed: boolean, target: string, timed: Timed): Promise<number> {
  let rows = 0;
  // The signed sources are temporary tables: some statements then have no workspace parameter.
  const run = (sql: string): Promise<number> => (sql.includes("$1") ? tx.$executeRawUnsafe(sql, ws) : tx.$executeRawUnsafe(sql));
  const insert = INSERT.replace("retention_rollups", target);
  const withKeys = (x: string, select: string, where = "true") => insertWithKeys(x, select, where).replace(INSERT, insert);
  // The last complete month, which the last row's lifetimes depend on: signed, per row (vl_rr_mo.lc: the old rows'
  // contributions are the ones built with the old cut-off month).
  const lastComplete = signed ? "lc" : String(lastMonth - 1);
  const mSets: (readonly MCol[])[] = Object.values(M_SETS);
  const mCols = M_COLS.filter((c) => mSets.some((set) => set.includes(c)));
  const mgid = (set: readonly MCol[]) => gid(mCols, set);
  const N = signed ? "sum(sgn)" : "count(*)";
  // sum() of no rows is NULL where count() is 0.
  const NF = (cond: string) => (signed ? `coalesce(sum(sgn) FILTER (WHERE ${cond}), 0)` : `count(*) FILTER (WHERE ${cond})`);
  const S = (col: string) => (signed ? `sum(${col} * sgn)` : `sum(${col})`);
  const monthSrc = signed
    ? `SELECT customer_id, p AS month, p, orders, rev, mar, lc FROM vl_rr_mo`
    : `SELECT customer_id, month, ${MONTH_IDX_OF_FIRST("month")} AS p, orders, revenue_minor AS rev, margin_minor AS mar
         FROM customer_months WHERE workspace_id = $1::uuid`;
  // One ordered pass over customer_months (the primary key's order: customer, month) joined to vl_rr_cust, aggregated
  // by every set of M_SETS at once. Per row: p = its month, prv / nxt = the customer's previous / next purchase month,
  // p0 = the customer's first. Month cells count rows, and nq the rows that are the customer's first in their quarter,
  // so the quarter cells (a customer once per quarter) are sums of month cells. Lifetimes (getRetentionCurves' definition: for window w, the first month p
  // with no purchase in the w months after it, or the last month when at least w complete months follow it; life =
  // p + 1 − p0) need no per-customer row: a row is that month for exactly the windows w in [lo, hi], lo = the largest
  // gap between the customer's earlier purchase months (each earlier row failed the test), hi = its own gap − 1 (or
  // the complete months after it for the last row); mask = which of ROLLUP_WINDOWS that is, life = p + 1 − p0 where
  // mask > 0, and nf counts each customer once (its first row), so a cohort's "not churned" count is its size minus
  // the lifetimes found. Repeat: d on the customer's first row (0 = two orders in the first month, else months to
  // the next purchase month, −1 = none).
  const maskOf = ROLLUP_WINDOWS.map((w, i) => `CASE WHEN lo <= ${w} AND ${w} <= hi THEN ${1 << i} ELSE 0 END`).join(" + ");
  await timed("month_pass", run(
    `CREATE TEMP TABLE vl_rr_m ON COMMIT DROP AS
     WITH o AS (
       SELECT customer_id, month, p, orders, rev, mar, lag(p) OVER w AS prv, lead(p) OVER w AS nxt${signed ? ", lc" : ""}
         FROM (${monthSrc}) m
       WINDOW w AS (PARTITION BY customer_id ORDER BY month)
     ), r AS (
       SELECT customer_id, p, orders, rev, mar, prv, nxt, first_value(p) OVER w2 AS p0, coalesce(max(p - prv) OVER w2, 0) AS lo,
              CASE WHEN nxt IS NULL THEN ${lastComplete} - p ELSE nxt - p - 1 END AS hi
         FROM o WINDOW w2 AS (PARTITION BY customer_id ORDER BY month ROWS UNBOUNDED PRECEDING)
     ), x AS (SELECT r.*, ${maskOf} AS mask FROM r)
     SELECT grouping(${mCols.join(", ")}) AS gs, ${M_COLS.map((c) => (mCols.includes(c) ? c : `NULL::int AS ${c}`)).join(", ")},
            ${N}::int AS n, (${NF("prv IS NULL OR prv / 3 <> p / 3")})::int AS nq, (${NF("prv IS NULL")})::int AS nf,
            ${S("rev")}::bigint AS rev, ${S("mar")}::bigint AS mar
       FROM (SELECT c.ch, c.ca, c.sg, c.vt, c.cm, x.p, x.p0, CASE WHEN x.mask > 0 THEN x.p + 1 - x.p0 END AS life, x.mask,
                    CASE WHEN x.prv IS NULL THEN CASE WHEN x.orders >= 2 THEN 0 ELSE coalesce(x.nxt - x.p, -1) END END AS d, x.prv, x.rev, x.mar${signed ? ", c.sgn" : ""}
               FROM x JOIN vl_rr_cust c ON c.id = x.customer_id) y
      GROUP BY GROUPING SETS (${mSets.map((set) => `(${set.join(", ")})`).join(", ")})`
  ));
  // Cohort cells (customers with a first order): month and quarter from the month pass, week from one pass over
  // customer_weeks grouped the same way; k = period − cohort.
  const cellAggs = "sum(n)::int AS n, sum(rev)::bigint AS rev, sum(mar)::bigint AS mar";
  const cellRow = (grain: TCohortGrain) => `$1::uuid, 'cell', '${grain}', split, grp, 0, c0, p - c0, n, rev, mar, 0, 0`;
  const cells = (table: string, orders: number, scores: number, c0: string, p: string, n = "n") =>
    bySplit(`(SELECT gs, ch, ca, sg, vt, ${c0} AS c0, ${p} AS p, ${n} AS n, rev, mar FROM ${table} WHERE ${c0} IS NOT NULL) t`, "all", `gs = ${orders}`, `gs = ${scores}`, "c0, p", cellAggs);
  rows += await timed("cells_month", run(withKeys(cells("vl_rr_m", mgid(M_SETS.monthOrders), mgid(M_SETS.monthScores), "cm", "p"), cellRow("month"))));
  rows += await timed("cells_quarter", run(withKeys(cells("vl_rr_m", mgid(M_SETS.monthOrders), mgid(M_SETS.monthScores), "cm / 3", "p / 3", "nq"), cellRow("quarter"))));
  // Grouped by two key families, each as one bigint (pair of codes: first << 32 | second; codes are 1 … 2^31 − 1), so a
  // row is hashed on 3 columns per set instead of 4; the codes are unpacked from the few grouped rows. gs is what
  // grouping(ch, ca, sg, vt) would give: 3 = by (ch, ca), 12 = by (sg, vt).
  const pair = (a: string, b: string) => `((c.${a}::bigint << 32) | c.${b})`;
  const unpack = (key: string, a: string, b: string) => `(${key} >> 32)::int AS ${a}, (${key} & 4294967295)::int AS ${b}`;
  const weekRows = (keys: string) =>
    signed
      ? `SELECT ${keys}, c.cw AS c0, m.p, m.rev, m.mar, c.sgn FROM vl_rr_wo m JOIN vl_rr_cust c ON c.id = m.customer_id WHERE c.cw IS NOT NULL`
      : `SELECT ${keys}, c.cw AS c0, ${WEEK_IDX("m.week")} AS p, m.revenue_minor AS rev, m.margin_minor AS mar
           FROM customer_weeks m JOIN vl_rr_cust c ON c.id = m.customer_id WHERE m.workspace_id = $1::uuid AND c.cw IS NOT NULL`;
  const weekAggs = `${N}::int AS n, ${S("rev")}::bigint AS rev, ${S("mar")}::bigint AS mar`;
  const weekSql = `SELECT gs, ${unpack("ko", "ch", "ca")}, ${unpack("ks", "sg", "vt")}, c0, p, n, rev, mar FROM (
           SELECT CASE grouping(ko, ks) WHEN 1 THEN 3 ELSE 12 END AS gs, ko, ks, c0, p, ${weekAggs} FROM (${weekRows(`${pair("ch", "ca")} AS ko, ${pair("sg", "vt")} AS ks`)}) y
            GROUP BY GROUPING SETS ((ko, c0, p), (ks, c0, p))) g`;
  rows += await timed("cells_week", run(`CREATE TEMP TABLE vl_rr_w ON COMMIT DROP AS ${weekSql}`)
    .then(() => run(withKeys(cells("vl_rr_w", 3, 12, "c0", "p"), cellRow("week")))));
  // Lifetimes for the retention curves (every precomputed window): per split, cohort and window, the lifetimes
  // found (mask bit set), and the cohort's other customers (size − found) as −1 = not churned yet.
  const windows = ROLLUP_WINDOWS.map((w, i) => `(${w}, ${1 << i})`).join(", ");
  rows += await timed("lifetimes", run(
    withKeys(
      `WITH y AS (${bySplit("vl_rr_m", "all", `gs = ${mgid(M_SETS.lifeOrders)}`, `gs = ${mgid(M_SETS.lifeScores)}`, "p0, life, mask", "sum(n) AS n, sum(nf) AS nf")}),
       f AS (SELECT y.split, y.code, v.w, y.p0, y.life, sum(y.n) AS n FROM y JOIN (VALUES ${windows}) v(w, bit) ON y.mask & v.bit <> 0 GROUP BY 1, 2, 3, 4, 5),
       s AS (SELECT split, code, p0, sum(nf) AS size FROM y GROUP BY 1, 2, 3),
       t AS (SELECT split, code, w, p0, sum(n) AS n FROM f GROUP BY 1, 2, 3, 4)
       SELECT split, code, w, p0, life, n::int AS n FROM f
       UNION ALL
       SELECT s.split, s.code, v.w, s.p0, -1, (s.size - coalesce(t.n, 0))::int
         FROM s CROSS JOIN (VALUES ${windows}) v(w, bit) LEFT JOIN t ON t.split = s.split AND t.code = s.code AND t.w = v.w AND t.p0 = s.p0`,
      "$1::uuid, 'life', 'month', split, grp, w, p0, life, n, 0, 0, 0, 0",
      signed ? "n <> 0" : "n > 0",
    )
  ));
  // Key rates: months to the second purchase month per cohort (no split).
  rows += await timed("repeat", run(
    `${insert}
     SELECT $1::uuid, 'repeat', 'month', 'none', '', 0, p0, d, sum(n)::int, 0, 0, 0, 0 FROM vl_rr_m WHERE gs = ${mgid(M_SETS.lifeOrders)} AND d IS NOT NULL GROUP BY p0, d`
  ));
  return rows;
}

/** Gaps between purchase days per cohort month (customers with at least two purchase days). */
const GAPS_SQL = `${INSERT}
  SELECT $1::uuid, 'gaps', 'month', 'none', '', 0, ${MONTH_IDX_OF_FIRST(`date_trunc('month', first_order_at AT TIME ZONE ${TZ})::date`)}, 0, count(*)::int, 0, 0,
         sum(purchase_days - 1)::bigint, sum(extract(epoch FROM last_order_at - first_order_at))::float8
    FROM customers WHERE workspace_id = $1::uuid AND purchase_days >= 2
   GROUP BY 7`;

/** The cohort LTV forecasts ('pred' rows, k per PRED_K) from rows `s` with split columns ch, ca, sg, vt, the cohort c0 and the score columns. */
const predInsert = (grouped: string) => `WITH x AS (${grouped})
  ${INSERT}
  SELECT $1::uuid, 'pred', 'month', x.split, x.grp, 0, x.c0, v.k, x.scored, coalesce(v.val, 0), 0, 0, 0
    FROM x CROSS JOIN LATERAL (VALUES ${Object.entries(PRED_K).map(([col, k]) => `(${k}, x.${col})`).join(", ")}) AS v(k, val)`;
const PRED_COLS = "s.expected_purchases_30, s.expected_purchases_90, s.expected_purchases_365, s.predicted_clv_minor, s.predicted_clv_low_minor, s.predicted_clv_high_minor";
/** The forecasts from the state's split keys (text) and cohorts: every scored customer, no pass over its rows. */
const PRED_FROM_STATE = predInsert(
  `SELECT ${SPLIT_OF} AS split, coalesce(ch, ca, sg, vt, '') AS grp, c0, ${PRED_SUMS}
     FROM (SELECT st.ch, st.ca, st.sg, st.vt, st.cm AS c0, ${PRED_COLS}
             FROM retention_rollup_customers st JOIN customer_scores s ON s.workspace_id = st.workspace_id AND s.customer_id = st.customer_id
            WHERE st.workspace_id = $1::uuid AND st.cm IS NOT NULL AND ${PRED_WHERE}) s
    GROUP BY ${SETS("c0")}`,
);

/** A delta that gives up: the caller rolls it back and refreshes everything; `stateWrong` = rewrite every customer's state too. */
class DeltaFallback extends Error {
  constructor(
    message: string,
    readonly stateWrong: boolean,
  ) {
    super(message);
  }
}

/**
 * Customers whose contributions may have changed since the state was written (detectChanged): `changed` in all, `data`
 * of them because their own data or keys changed (the others only because the cut-off month moved), of `total`.
 */
interface Changed {
  changed: number;
  data: number;
  total: number;
  /** Above this share of `total` changed, a delta gives up (RetentionRefreshOptions.deltaMaxShare). */
  maxShare: number;
}

/** The two cut-off months (last month with orders, as month indices): the stored rows' and now. */
interface CutMove {
  from: number;
  to: number;
}

const tooMany = (chg: Changed, n = chg.changed) => n > chg.maxShare * Math.max(1, chg.total);

/**
 * The customers whose contributions may differ from their state (temporary table vl_rr_chg: id, had = in the state,
 * has = a customer now): a new or deleted customer, or one whose summary hash, channel, campaign, RFM segment or
 * value tier differs from its state row, or whose stored rows did not add up to its summary (ok = false). Created
 * before the delta's savepoint, so a full refresh after a fallback can still write only their state.
 * When the cut-off month moved (`cut`), also (cut = true) every other customer whose last purchase month's lifetimes
 * may differ: the last month row p is a lifetime for window w when w ≤ hi = last complete month − p (and w ≥ its
 * largest earlier gap), so its windows can change only when some w of ROLLUP_WINDOWS lies between the old and the
 * new hi — customers whose last purchase month is one of a few months (for a move by one month: 1, 2, 3, 6 or 12
 * months before the new last complete month). Their data did not change: their state stays.
 */
async function detectChanged(tx: Tx, ws: string, timed: Timed, cut: CutMove | null, maxShare: number): Promise<Changed> {
  await timed("changed", tx.$executeRawUnsafe(
    `CREATE TEMP TABLE vl_rr_chg ON COMMIT DROP AS
     SELECT coalesce(n.id, o.customer_id) AS id, o.customer_id IS NOT NULL AS had, n.id IS NOT NULL AS has, false AS cut
       FROM (SELECT c.id, ${SIG} AS sig, ${SPLIT_KEY.channel.expr} AS ch, ${SPLIT_KEY.campaign.expr} AS ca, ${SPLIT_KEY.segment.expr} AS sg, ${SPLIT_KEY.tier.expr} AS vt
               FROM customers c LEFT JOIN customer_scores s ON s.workspace_id = c.workspace_id AND s.customer_id = c.id
              WHERE c.workspace_id = $1::uuid) n
       FULL JOIN (SELECT customer_id, sig, ch, ca, sg, vt FROM retention_rollup_customers WHERE workspace_id = $1::uuid) o ON o.customer_id = n.id
      WHERE n.id IS NULL OR o.customer_id IS NULL OR (n.sig, n.ch, n.ca, n.sg, n.vt) IS DISTINCT FROM (o.sig, o.ch, o.ca, o.sg, o.vt)
         OR o.customer_id IN (SELECT customer_id FROM retention_rollup_customer_rows WHERE workspace_id = $1::uuid AND NOT ok)`,
    ws,
  ));
  let data: number | null = null;
  if (cut && cut.from !== cut.to) {
    // Last complete months a (the lower) and b; hi moves between a − p and b − p: some w with a − p < w ≤ b − p.
    const a = Math.min(cut.from, cut.to) - 1;
    const b = Math.max(cut.from, cut.to) - 1;
    const p = CM_OF(`c.last_order_at AT TIME ZONE ${TZ}`);
    data = (await tx.$queryRawUnsafe<{ n: number }[]>(`SELECT count(*)::int AS n FROM vl_rr_chg`))[0]?.n ?? 0;
    await timed("changed_cut", tx.$executeRawUnsafe(
      `INSERT INTO vl_rr_chg (id, had, has, cut)
       SELECT c.id, true, true, true FROM (
         SELECT c.id, ${p} AS p FROM customers c WHERE c.workspace_id = $1::uuid AND c.last_order_at IS NOT NULL OFFSET 0) c
        WHERE (${ROLLUP_WINDOWS.map((w) => `(c.p > ${a - w} AND c.p <= ${b - w})`).join(" OR ")})
          AND NOT EXISTS (SELECT FROM vl_rr_chg x WHERE x.id = c.id)`,
      ws,
    ));
  }
  const [cnt] = await tx.$queryRawUnsafe<{ changed: number; total: number }[]>(
    `SELECT (SELECT count(*) FROM vl_rr_chg)::int AS changed, (SELECT count(*) FROM customers WHERE workspace_id = $1::uuid)::int AS total`,
    ws,
  );
  const changed = cnt?.changed ?? 0;
  return { changed, data: data ?? changed, total: cnt?.total ?? 0, maxShare };
}

/**
 * Apply the changed customers' old → new contributions to the rollup rows (mode "delta"; the state must describe the
 * rows present, built in this time zone with the cut-off month `cut.from`) — the changed customers of `chg`
 * (detectChanged; null: only the forecasts, from the state). Old contributions come from the state (with cut.from),
 * new ones from the current rows (with cut.to); both go through the same statements as the full refresh (passes,
 * signed), and their sums are added to the stored rows. Gaps are rebuilt (one scan of customers), the forecasts from
 * the state joined to the scores. Throws DeltaFallback when more than chg.maxShare of the customers changed or a sum
 * comes out impossible (a negative count): the caller rolls back and rebuilds. Returns how many customers changed.
 */
async function applyDelta(tx: Tx, ws: string, cut: CutMove, chg: Changed | null, predMoved: boolean, timed: Timed): Promise<number> {
  // Same data and classes ("forecast"): nothing of the state can differ, only the forecasts are rebuilt.
  if (!chg) {
    if (predMoved) await timed("forecast", tx.$executeRawUnsafe(`DELETE FROM retention_rollups WHERE workspace_id = $1::uuid AND kind = 'pred'`, ws).then(() => tx.$executeRawUnsafe(PRED_FROM_STATE, ws)));
    return 0;
  }
  const changed = chg.changed;
  if (tooMany(chg)) throw new DeltaFallback(`${changed} of ${chg.total} customers changed`, false);
  if (changed > 0) {
    await tx.$executeRawUnsafe("ANALYZE vl_rr_chg");
    await byKey(tx, true);
    // Each changed customer once with its old keys (sgn −1, from the state) and once with its current ones (+1);
    // cid = 2 × (its rank by id) + (sgn = +1), so a customer's two rows are cid and cid + 1. A customer here only
    // for the cut-off month (cut) has unchanged keys and rows: both of its rows come from the state.
    await timed("delta_customers", tx.$executeRawUnsafe(
      `CREATE TEMP TABLE vl_rr_dc ON COMMIT DROP AS
       SELECT (dense_rank() OVER (ORDER BY u.id))::int * 2 + (u.sgn > 0)::int AS cid, u.* FROM (
         SELECT v.sgn, o.customer_id AS id, x.cut, o.cm, o.cw, o.ch, o.ca, o.sg, o.vt
           FROM vl_rr_chg x JOIN retention_rollup_customers o ON o.workspace_id = $1::uuid AND o.customer_id = x.id
          CROSS JOIN (VALUES (-1), (1)) v(sgn)
          WHERE x.had AND (v.sgn = -1 OR x.cut)
         UNION ALL
         SELECT 1, c.id, false, ${CM_OF("c.lt")}, ${CW_OF("c.lt")}, ${SPLIT_KEY.channel.expr}, ${SPLIT_KEY.campaign.expr}, ${SPLIT_KEY.segment.expr}, ${SPLIT_KEY.tier.expr}
           FROM (SELECT c.id, c.workspace_id, c.acquisition_channel, c.acquisition_campaign_id, c.first_order_at AT TIME ZONE ${TZ} AS lt
                   FROM vl_rr_chg x JOIN customers c ON c.workspace_id = $1::uuid AND c.id = x.id WHERE x.has AND NOT x.cut OFFSET 0) c
           LEFT JOIN customer_scores s ON s.workspace_id = c.workspace_id AND s.customer_id = c.id) u`,
      ws,
    ));
    await timed("delta_rows", tx.$executeRawUnsafe(
      // Old rows from the state (a cut customer's also as its new rows, cid + 1, with the new cut-off), new rows from
      // customer_months.
      `CREATE TEMP TABLE vl_rr_mo ON COMMIT DROP AS
       SELECT d.cid + (v.sgn > 0)::int AS customer_id, u.e >> 1 AS p, 1 + (u.e & 1) AS orders, u.r AS rev, u.g AS mar,
              CASE WHEN v.sgn < 0 THEN ${cut.from - 1} ELSE ${cut.to - 1} END AS lc
         FROM vl_rr_dc d JOIN retention_rollup_customer_rows o ON o.workspace_id = $1::uuid AND o.customer_id = d.id
         CROSS JOIN LATERAL unnest(o.mp, o.mr, o.mg) AS u(e, r, g)
         CROSS JOIN (VALUES (-1), (1)) v(sgn)
        WHERE d.sgn = -1 AND (v.sgn = -1 OR d.cut)
       UNION ALL
       SELECT d.cid, ${MONTH_IDX_OF_FIRST("m.month")}, m.orders, m.revenue_minor, m.margin_minor, ${cut.to - 1}
         FROM vl_rr_dc d JOIN customer_months m ON m.workspace_id = $1::uuid AND m.customer_id = d.id WHERE d.sgn = 1 AND NOT d.cut`,
      ws,
    ).then(() => tx.$executeRawUnsafe(
      // Customers here only for the cut-off month (cut): the same weeks and keys on both sides, nothing to change.
      `CREATE TEMP TABLE vl_rr_wo ON COMMIT DROP AS
       SELECT d.cid AS customer_id, u.e AS p, u.r AS rev, u.g AS mar
         FROM vl_rr_dc d JOIN retention_rollup_customer_rows o ON o.workspace_id = $1::uuid AND o.customer_id = d.id
         CROSS JOIN LATERAL unnest(o.wp, o.wr, o.wg) AS u(e, r, g) WHERE d.sgn = -1 AND NOT d.cut
       UNION ALL
       SELECT d.cid, ${WEEK_IDX("m.week")}, m.revenue_minor, m.margin_minor
         FROM vl_rr_dc d JOIN customer_weeks m ON m.workspace_id = $1::uuid AND m.customer_id = d.id WHERE d.sgn = 1 AND NOT d.cut`,
      ws,
    )));
    await byKey(tx, false);
    const code = (col: string) => `(row_number() OVER (ORDER BY ${col}))::int`;
    const join = (split: string, alias: string, col: string) => `JOIN vl_rr_keys ${alias} ON ${alias}.split = '${split}' AND ${alias}.grp = d.${col}`;
    await timed("delta_keys", tx.$executeRawUnsafe(
      `CREATE TEMP TABLE vl_rr_keys ON COMMIT DROP AS
       SELECT 'channel'::text AS split, grp, ${code("grp")} AS code FROM (SELECT DISTINCT ch AS grp FROM vl_rr_dc) d
       UNION ALL SELECT 'campaign', grp, ${code("grp")} FROM (SELECT DISTINCT ca AS grp FROM vl_rr_dc) d
       UNION ALL SELECT 'segment', grp, ${code("grp")} FROM (SELECT DISTINCT sg AS grp FROM vl_rr_dc) d
       UNION ALL SELECT 'tier', grp, ${code("grp")} FROM (SELECT DISTINCT vt AS grp FROM vl_rr_dc) d`,
    ).then(() => tx.$executeRawUnsafe(
      `CREATE TEMP TABLE vl_rr_cust ON COMMIT DROP AS
       SELECT d.cid AS id, d.sgn, d.cm, d.cw, kch.code AS ch, kca.code AS ca, ksg.code AS sg, kvt.code AS vt
         FROM vl_rr_dc d ${join("channel", "kch", "ch")} ${join("campaign", "kca", "ca")} ${join("segment", "ksg", "sg")} ${join("tier", "kvt", "vt")}`,
    )));
    await timed("delta_analyze", tx.$executeRawUnsafe("ANALYZE vl_rr_keys, vl_rr_cust, vl_rr_mo, vl_rr_wo"));
    await tx.$executeRawUnsafe(`CREATE TEMP TABLE vl_rr_delta ON COMMIT DROP AS SELECT * FROM retention_rollups WITH NO DATA`);
    await passes(tx, ws, cut.to, true, "vl_rr_delta", timed);
    // New row = stored row + the change; a key whose count comes to 0 has no row (as in a full refresh, where every
    // row counts at least one customer).
    const key = ["kind", "grain", "split", "grp", "w", "c0", "k"];
    await timed("merge", tx.$executeRawUnsafe(
      `CREATE TEMP TABLE vl_rr_d ON COMMIT DROP AS
       SELECT ${key.map((k) => `d.${k}`).join(", ")}, r.workspace_id IS NOT NULL AS stored,
              coalesce(r.customers, 0) + d.n AS customers, coalesce(r.revenue_minor, 0) + d.rev AS revenue_minor, coalesce(r.margin_minor, 0) + d.mar AS margin_minor
         FROM (SELECT ${key.join(", ")}, sum(customers) AS n, sum(revenue_minor) AS rev, sum(margin_minor) AS mar FROM vl_rr_delta GROUP BY ${key.join(", ")}) d
         LEFT JOIN retention_rollups r ON r.workspace_id = $1::uuid AND ${key.map((k) => `r.${k} = d.${k}`).join(" AND ")}
        WHERE d.n <> 0 OR d.rev <> 0 OR d.mar <> 0`,
      ws,
    ));
    const [bad] = await tx.$queryRawUnsafe<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM vl_rr_d WHERE customers < 0 OR (customers = 0 AND (revenue_minor <> 0 OR margin_minor <> 0))`,
    );
    // The stored rows are not what the state says they sum: trust neither (every customer's state is rewritten).
    if ((bad?.n ?? 0) > 0) throw new DeltaFallback(`${bad?.n} rollup rows would not add up`, true);
    await timed("apply", tx.$executeRawUnsafe(
      `DELETE FROM retention_rollups r USING vl_rr_d d WHERE r.workspace_id = $1::uuid AND d.stored AND ${key.map((k) => `r.${k} = d.${k}`).join(" AND ")}`,
      ws,
    ).then(() => tx.$executeRawUnsafe(
      `${INSERT} SELECT $1::uuid, ${key.join(", ")}, customers, revenue_minor, margin_minor, 0, 0 FROM vl_rr_d WHERE customers > 0`,
      ws,
    )));
    await timed("gaps", tx.$executeRawUnsafe(`DELETE FROM retention_rollups WHERE workspace_id = $1::uuid AND kind = 'gaps'`, ws).then(() => tx.$executeRawUnsafe(GAPS_SQL, ws)));
    await writeChangedState(tx, ws, timed);
    await tx.$executeRawUnsafe("DROP TABLE IF EXISTS vl_rr_dc, vl_rr_mo, vl_rr_wo, vl_rr_keys, vl_rr_cust, vl_rr_m, vl_rr_w, vl_rr_delta, vl_rr_d");
  }
  if (changed > 0 || predMoved)
    await timed("forecast", tx.$executeRawUnsafe(`DELETE FROM retention_rollups WHERE workspace_id = $1::uuid AND kind = 'pred'`, ws).then(() => tx.$executeRawUnsafe(PRED_FROM_STATE, ws)));
  return changed;
}

/** The state of the changed customers (vl_rr_chg, not those there for the cut-off month alone) rebuilt from their current rows; a deleted customer's removed. */
async function writeChangedState(tx: Tx, ws: string, timed: Timed): Promise<void> {
  await byKey(tx, true);
  const [narrow, stateRows] = stateInserts(true);
  await timed("state", (async () => {
    for (const t of ["retention_rollup_customers", "retention_rollup_customer_rows"])
      await tx.$executeRawUnsafe(`DELETE FROM ${t} o USING vl_rr_chg x WHERE o.workspace_id = $1::uuid AND o.customer_id = x.id AND x.had AND NOT x.cut`, ws);
    await tx.$executeRawUnsafe(narrow, ws);
    await tx.$executeRawUnsafe(stateRows, ws);
  })());
  await byKey(tx, false);
}

/**
 * Reads of the changed customers by primary key (a quarter of the customers at most) on / off: nested loops, and
 * index reads costed as the cached reads they are (random_page_cost 1.1). At the default 4 the planner wrote 10,000
 * customers' state by scanning all of customers, customer_scores, customer_months and customer_weeks into hash joins:
 * 3.7 s against 0.5 s by key at 1M (EXPLAIN ANALYZE, BENCHMARKS.md "Session 14"). Off: the refresh's hash joins.
 */
async function byKey(tx: Tx, on: boolean): Promise<void> {
  await tx.$executeRawUnsafe(`SET LOCAL enable_nestloop = ${on ? "on" : "off"}`);
  await tx.$executeRawUnsafe(on ? "SET LOCAL random_page_cost = 1.1" : "SET LOCAL random_page_cost TO DEFAULT");
}

async function writeRetentionRollups(tx: Tx, ws: string, modelRunId: string | null, opts: RetentionRefreshOptions): Promise<void> {
  const started = Date.now();
  await tx.$executeRawUnsafe(`SET LOCAL statement_timeout = '${REFRESH_STATEMENT_TIMEOUT}'`);
  // Joins over every customer of the workspace: hash joins are right at any size (see retention.ts).
  await tx.$executeRawUnsafe("SET LOCAL enable_nestloop = off");
  // Room for the per-customer table's hash (1M customers ≈ 80 MB) and the grouping sets' hash tables in memory.
  await tx.$executeRawUnsafe(`SET LOCAL work_mem = '${REFRESH_WORK_MEM}'`);
  await tx.$executeRawUnsafe(`SET LOCAL hash_mem_multiplier = ${REFRESH_HASH_MEM_MULTIPLIER}`);
  const steps: Record<string, number> = {};
  const timed: Timed = async (name, run) => {
    const t = Date.now();
    const n = await run;
    steps[name] = (steps[name] ?? 0) + Date.now() - t;
    return n;
  };
  const prints = opts.prints ?? (await timed("prints", readScorePrints(tx, ws)));
  const [prev] = await tx.$queryRawUnsafe<{ rows: number | null; last_month: number | null; state_timezone: string | null; timezone: string }[]>(
    `SELECT r.rows, r.last_month, r.state_timezone, w.timezone FROM workspaces w LEFT JOIN retention_rollup_refreshes r ON r.workspace_id = w.id WHERE w.id = $1::uuid`,
    ws,
  );
  const built = opts.force || prev?.rows == null ? null : await builtFrom(tx, ws, "retention");
  const [cut] = await timed("cut", tx.$queryRawUnsafe<{ last_month: number | null; last_week: number | null }[]>(
    `SELECT (SELECT ${MONTH_IDX("max(month)")} FROM monthly_rollups WHERE workspace_id = $1::uuid AND orders > 0) AS last_month,
            (SELECT ${WEEK_IDX("max(week)")} FROM customer_weeks WHERE workspace_id = $1::uuid) AS last_week`,
    ws,
  ));
  const lastMonth = cut?.last_month ?? null;
  // The state (written in the same savepoint as the rows) holds each customer's keys, cohort (in this time zone) and
  // own month / week rows. With the cut-off month the stored rows were built with (the refresh row's last_month), a
  // delta can replace any customer's contribution; when the cut-off moved, also that of the customers whose last
  // month's lifetimes the move changes (detectChanged).
  const builtCut = prev?.last_month ?? null;
  const stateUsable = !opts.force && prev?.rows != null && prev.state_timezone !== null && prev.state_timezone === prev.timezone;
  const move: CutMove | null = stateUsable && lastMonth !== null && builtCut !== null ? { from: builtCut, to: lastMonth } : null;
  let mode: RetentionRefreshMode = unchangedSince(built, prints, ["classes"])
    ? unchangedSince(built, prints, ["pred"])
      ? "kept"
      : "forecast"
    : "delta";
  // A moved cut-off month comes with a write; if it ever came without one, "kept" / "forecast" would miss it.
  if (move && move.from !== move.to) mode = "delta";
  if (!move && mode !== "kept") mode = "full";
  if (opts.rebase && mode === "delta") mode = "full";
  // Before the delta's savepoint: a full refresh after a fallback uses them too.
  const chg = mode === "delta" && move ? await detectChanged(tx, ws, timed, move, opts.deltaMaxShare ?? DELTA_MAX_SHARE) : null;
  let stateAll = mode === "full";
  let fallback: string | null = null;
  if ((mode === "delta" || mode === "forecast") && move) {
    await tx.$executeRawUnsafe("SAVEPOINT vl_rr_delta");
    try {
      await applyDelta(tx, ws, move, mode === "delta" ? chg : null, !unchangedSince(built, prints, ["pred"]), timed);
      await tx.$executeRawUnsafe("RELEASE SAVEPOINT vl_rr_delta");
    } catch (e) {
      if (!(e instanceof DeltaFallback)) throw e;
      await tx.$executeRawUnsafe("ROLLBACK TO SAVEPOINT vl_rr_delta");
      await byKey(tx, false);
      fallback = e.message;
      mode = "full";
      // Every row again; the state only of the customers whose data changed, unless it is not to be trusted or
      // they are too many for writes by key (customers here for the cut-off month alone keep theirs).
      stateAll = e.stateWrong || chg === null || tooMany(chg, chg.data);
    }
  }
  let rows = prev?.rows ?? 0;
  let state: RetentionRefreshReport["state"] = mode === "delta" && (chg?.data ?? 0) > 0 ? "changed" : "none";
  if (mode === "full") {
    await timed("delete", tx.$executeRawUnsafe(`DELETE FROM retention_rollups WHERE workspace_id = $1::uuid`, ws));
    if (stateAll)
      await timed("state_delete", tx.$executeRawUnsafe(`DELETE FROM retention_rollup_customers WHERE workspace_id = $1::uuid`, ws)
        .then(() => tx.$executeRawUnsafe(`DELETE FROM retention_rollup_customer_rows WHERE workspace_id = $1::uuid`, ws)));
    rows = lastMonth === null ? 0 : await fullRefresh(tx, ws, lastMonth, timed, stateAll);
    if (lastMonth !== null) state = stateAll ? "all" : "changed";
    if (!stateAll && (chg?.data ?? 0) > 0) {
      await tx.$executeRawUnsafe("ANALYZE vl_rr_chg");
      await writeChangedState(tx, ws, timed);
    }
  } else if (mode !== "kept") {
    const [n] = await tx.$queryRawUnsafe<{ n: number }[]>(`SELECT count(*)::int AS n FROM retention_rollups WHERE workspace_id = $1::uuid`, ws);
    rows = n?.n ?? 0;
  }
  if (chg) await tx.$executeRawUnsafe("DROP TABLE IF EXISTS vl_rr_chg");
  const changed = chg?.changed ?? null;
  const stateTimezone = mode === "kept" ? (prev?.state_timezone ?? null) : lastMonth === null ? null : (prev?.timezone ?? null);
  await tx.$executeRawUnsafe(
    `INSERT INTO retention_rollup_refreshes (workspace_id, model_run_id, refreshed_at, last_month, last_week, stats_updated_at, rows, duration_ms, state_timezone)
     VALUES ($1::uuid, $2::uuid, now(), $3, $4, (SELECT updated_at FROM workspace_stats WHERE workspace_id = $1::uuid), $5, $6, $7)
     ON CONFLICT (workspace_id) DO UPDATE SET model_run_id = EXCLUDED.model_run_id, refreshed_at = EXCLUDED.refreshed_at, last_month = EXCLUDED.last_month,
       last_week = EXCLUDED.last_week, stats_updated_at = EXCLUDED.stats_updated_at, rows = EXCLUDED.rows, duration_ms = EXCLUDED.duration_ms,
       state_timezone = EXCLUDED.state_timezone`,
    ws,
    modelRunId,
    lastMonth,
    cut?.last_week ?? null,
    rows,
    Date.now() - started,
    stateTimezone,
  );
  await saveBuiltKeys(tx, ws, "retention", { classes: prints.classes, pred: prints.pred }, modelRunId);
  log("retention_rollups.refreshed", { workspaceId: ws, modelRunId, mode, changed, fallback, state, rows, ms: Date.now() - started, steps });
  opts.report?.({ mode, changed, fallback, state });
}

/** Every row from scratch, and with `state` the state of every customer (mode "full"). Returns the rows written. */
async function fullRefresh(tx: Tx, ws: string, lastMonth: number, timed: Timed, state: boolean): Promise<number> {
  // Every split key ('' = none / unknown) with a small integer code.
  const code = (expr: string) => `(row_number() OVER (ORDER BY ${expr}))::int`;
  await timed("keys", tx.$executeRawUnsafe(
    `CREATE TEMP TABLE vl_rr_keys ON COMMIT DROP AS
     WITH cu AS (SELECT DISTINCT ${SPLIT_KEY.channel.expr} AS ch, ${SPLIT_KEY.campaign.expr} AS ca FROM customers c WHERE c.workspace_id = $1::uuid),
          sc AS (SELECT DISTINCT ${SPLIT_KEY.segment.expr} AS sg, ${SPLIT_KEY.tier.expr} AS vt FROM customer_scores s WHERE s.workspace_id = $1::uuid)
     SELECT 'channel'::text AS split, grp, ${code("grp")} AS code FROM (SELECT DISTINCT ch AS grp FROM cu) d
     UNION ALL SELECT 'campaign', grp, ${code("grp")} FROM (SELECT DISTINCT ca AS grp FROM cu) d
     UNION ALL SELECT 'segment', grp, ${code("grp")} FROM (SELECT sg AS grp FROM sc UNION SELECT '') d
     UNION ALL SELECT 'tier', grp, ${code("grp")} FROM (SELECT vt AS grp FROM sc UNION SELECT '') d`,
    ws,
  ));
  // One narrow row per customer: cohort month and week (null without a first order) and the split codes. The first
  // order's local time is computed once (the fence keeps it from being inlined into both uses); the cohort week is
  // WEEK_IDX(date_trunc('week', local date)) in integer arithmetic (0001-01-01 and 1970-01-05 are Mondays, 719,166
  // days apart), the cohort month MONTH_IDX_OF_FIRST of the month's first day.
  const join = (split: TCohortSplit, alias: string) => `JOIN vl_rr_keys ${alias} ON ${alias}.split = '${split}' AND ${alias}.grp = ${SPLIT_KEY[split].expr}`;
  await timed("customers", tx.$executeRawUnsafe(
    `CREATE TEMP TABLE vl_rr_cust ON COMMIT DROP AS
     SELECT c.id, ${CM_OF("c.lt")} AS cm, ${CW_OF("c.lt")} AS cw, kch.code AS ch, kca.code AS ca, ksg.code AS sg, kvt.code AS vt
       FROM (SELECT c.id, c.workspace_id, c.acquisition_channel, c.acquisition_campaign_id, c.first_order_at AT TIME ZONE ${TZ} AS lt
               FROM customers c WHERE c.workspace_id = $1::uuid OFFSET 0) c
       LEFT JOIN customer_scores s ON s.workspace_id = c.workspace_id AND s.customer_id = c.id
       ${join("channel", "kch")} ${join("campaign", "kca")} ${join("segment", "ksg")} ${join("tier", "kvt")}`,
    ws,
  ));
  await tx.$executeRawUnsafe("ANALYZE vl_rr_keys, vl_rr_cust");
  let rows = await passes(tx, ws, lastMonth, false, "retention_rollups", timed);
  // Cohort LTV forecasts (month cohorts, every split): kind 'pred', k per PRED_K.
  rows += await timed("forecast", tx.$executeRawUnsafe(
    predInsert(
      `SELECT g.*, coalesce(d.grp, '') AS grp FROM (
         SELECT ${SPLIT_OF} AS split, ${CODE_OF} AS code, c0, ${PRED_SUMS}
           FROM (SELECT c.ch, c.ca, c.sg, c.vt, c.cm AS c0, ${PRED_COLS}
                   FROM vl_rr_cust c JOIN customer_scores s ON s.workspace_id = $1::uuid AND s.customer_id = c.id
                  WHERE c.cm IS NOT NULL AND ${PRED_WHERE}) s
          GROUP BY ${SETS("c0")}) g
       LEFT JOIN vl_rr_keys d ON d.split = g.split AND d.code = g.code`,
    ),
    ws,
  ));
  rows += await timed("gaps", tx.$executeRawUnsafe(GAPS_SQL, ws));
  await tx.$executeRawUnsafe("DROP TABLE IF EXISTS vl_rr_keys, vl_rr_cust, vl_rr_m, vl_rr_w");
  if (!state) return rows;
  // The state of every customer, for the next refresh's delta: customer_months and customer_weeks each read once more
  // in primary-key order (grouped without a sort or hash).
  const [narrow, stateRows] = stateInserts(false);
  await timed("state", tx.$executeRawUnsafe(narrow, ws));
  await tx.$executeRawUnsafe("SET LOCAL enable_hashagg = off");
  await timed("state_rows", tx.$executeRawUnsafe(stateRows, ws));
  await tx.$executeRawUnsafe("SET LOCAL enable_hashagg TO DEFAULT");
  return rows;
}
