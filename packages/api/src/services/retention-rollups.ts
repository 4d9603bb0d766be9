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
 * a write everything; when only the scores moved, the segment / tier rows and the forecasts; when only
 * predicted values moved, the forecasts; when nothing moved (a full run over unchanged data), nothing.
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
}

/**
 * What a refresh rebuilds, from what changed since the rows were built (derived-keys.ts):
 * - full: any write (data key moved), or no key / no refresh row: every row;
 * - scores: the RFM segments or value tiers moved: the segment and tier splits (cells, lifetimes) and the forecasts;
 * - forecast: only predicted values moved: the 'pred' rows;
 * - kept: nothing moved: no row, only the refresh row (now the new run's).
 * The rows that depend on orders and customers alone (cells and lifetimes of the none / channel / campaign
 * splits, repeat, gaps) are rebuilt only in "full".
 */
export type RetentionRefreshMode = "full" | "scores" | "forecast" | "kept";

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
    await tx.$executeRawUnsafe("SET LOCAL statement_timeout TO DEFAULT");
    await tx.$executeRawUnsafe("SET LOCAL work_mem TO DEFAULT");
    await tx.$executeRawUnsafe("SET LOCAL hash_mem_multiplier TO DEFAULT");
  }
}

async function writeRetentionRollups(tx: Tx, ws: string, modelRunId: string | null, opts: RetentionRefreshOptions): Promise<void> {
  const started = Date.now();
  await tx.$executeRawUnsafe(`SET LOCAL statement_timeout = '${REFRESH_STATEMENT_TIMEOUT}'`);
  // Joins over every customer of the workspace: hash joins are right at any size (see retention.ts).
  await tx.$executeRawUnsafe("SET LOCAL enable_nestloop = off");
  // Room for the per-customer table's hash (1M customers ≈ 80 MB) and the grouping sets' hash tables in memory.
  await tx.$executeRawUnsafe(`SET LOCAL work_mem = '${REFRESH_WORK_MEM}'`);
  await tx.$executeRawUnsafe(`SET LOCAL hash_mem_multiplier = ${REFRESH_HASH_MEM_MULTIPLIER}`);
  /** Milliseconds per statement, logged (what a slow refresh spends its time on). */
  const steps: Record<string, number> = {};
  const timed = async <T>(name: string, run: Promise<T>): Promise<T> => {
    const t = Date.now();
    const n = await run;
    steps[name] = Date.now() - t;
    return n;
  };
  const prints = opts.prints ?? (await timed("prints", readScorePrints(tx, ws)));
  const [prev] = await tx.$queryRawUnsafe<{ rows: number }[]>("SELECT rows FROM retention_rollup_refreshes WHERE workspace_id = $1::uuid", ws);
  const built = opts.force || !prev ? null : await builtFrom(tx, ws, "retention");
  const mode: RetentionRefreshMode = !unchangedSince(built, prints, [])
    ? "full"
    : !unchangedSince(built, prints, ["classes"])
      ? "scores"
      : !unchangedSince(built, prints, ["pred"])
        ? "forecast"
        : "kept";
  const deleteWhere = { full: "", scores: " AND (split IN ('segment', 'tier') OR kind = 'pred')", forecast: " AND kind = 'pred'", kept: null }[mode];
  // Rows written: all of them in "full"; otherwise the kept rows plus the rebuilt ones.
  let rows = prev?.rows ?? 0;
  if (deleteWhere !== null) rows -= await timed("delete", tx.$executeRawUnsafe(`DELETE FROM retention_rollups WHERE workspace_id = $1::uuid${deleteWhere}`, ws));
  if (mode === "full") rows = 0;
  const [cut] = await tx.$queryRawUnsafe<{ last_month: number | null; last_week: number | null }[]>(
    `SELECT (SELECT ${MONTH_IDX("max(month)")} FROM monthly_rollups WHERE workspace_id = $1::uuid AND orders > 0) AS last_month,
            (SELECT ${WEEK_IDX("max(week)")} FROM customer_weeks WHERE workspace_id = $1::uuid) AS last_week`,
    ws,
  );
  const lastMonth = cut?.last_month ?? null;
  // Which statements run: the orders-only rows in "full" alone, the per-customer pass where lifetimes are rebuilt.
  const orderRows = mode === "full";
  const classRows = mode === "full" || mode === "scores";
  const sets: SetsOf = orderRows ? "all" : "scores";
  if (lastMonth !== null && mode !== "kept") {
    const tz = `(SELECT timezone FROM workspaces WHERE id = $1::uuid)`;
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
       SELECT c.id, ${MONTH_IDX_OF_FIRST("date_trunc('month', c.lt)::date")} AS cm, ((c.lt::date - date '0001-01-01') / 7 - 102738) AS cw,
              kch.code AS ch, kca.code AS ca, ksg.code AS sg, kvt.code AS vt
         FROM (SELECT c.id, c.workspace_id, c.acquisition_channel, c.acquisition_campaign_id, c.first_order_at AT TIME ZONE ${tz} AS lt
                 FROM customers c WHERE c.workspace_id = $1::uuid OFFSET 0) c
         LEFT JOIN customer_scores s ON s.workspace_id = c.workspace_id AND s.customer_id = c.id
         ${join("channel", "kch")} ${join("campaign", "kca")} ${join("segment", "ksg")} ${join("tier", "kvt")}`,
      ws,
    ));
    await tx.$executeRawUnsafe("ANALYZE vl_rr_keys, vl_rr_cust");
    const lastComplete = lastMonth - 1;
    const mSets: (readonly MCol[])[] = sets === "all" ? Object.values(M_SETS) : [M_SETS.monthScores, M_SETS.lifeScores];
    // grouping() may only name columns of the sets: the month pass's set ids are over the columns its sets use.
    const mCols = M_COLS.filter((c) => mSets.some((set) => set.includes(c)));
    const mgid = (set: readonly MCol[]) => gid(mCols, set);
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
    if (classRows) await timed("month_pass", tx.$executeRawUnsafe(
      `CREATE TEMP TABLE vl_rr_m ON COMMIT DROP AS
       WITH o AS (
         SELECT customer_id, month, p, orders, rev, mar, lag(p) OVER w AS prv, lead(p) OVER w AS nxt
           FROM (SELECT customer_id, month, ${MONTH_IDX_OF_FIRST("month")} AS p, orders, revenue_minor AS rev, margin_minor AS mar
                   FROM customer_months WHERE workspace_id = $1::uuid) m
         WINDOW w AS (PARTITION BY customer_id ORDER BY month)
       ), r AS (
         SELECT customer_id, p, orders, rev, mar, prv, nxt, first_value(p) OVER w2 AS p0, coalesce(max(p - prv) OVER w2, 0) AS lo,
                CASE WHEN nxt IS NULL THEN ${lastComplete} - p ELSE nxt - p - 1 END AS hi
           FROM o WINDOW w2 AS (PARTITION BY customer_id ORDER BY month ROWS UNBOUNDED PRECEDING)
       ), x AS (SELECT r.*, ${maskOf} AS mask FROM r)
       SELECT grouping(${mCols.join(", ")}) AS gs, ${M_COLS.map((c) => (mCols.includes(c) ? c : `NULL::int AS ${c}`)).join(", ")},
              count(*)::int AS n, (count(*) FILTER (WHERE prv IS NULL OR prv / 3 <> p / 3))::int AS nq, (count(*) FILTER (WHERE prv IS NULL))::int AS nf,
              sum(rev)::bigint AS rev, sum(mar)::bigint AS mar
         FROM (SELECT c.ch, c.ca, c.sg, c.vt, c.cm, x.p, x.p0, CASE WHEN x.mask > 0 THEN x.p + 1 - x.p0 END AS life, x.mask,
                      CASE WHEN x.prv IS NULL THEN CASE WHEN x.orders >= 2 THEN 0 ELSE coalesce(x.nxt - x.p, -1) END END AS d, x.prv, x.rev, x.mar
                 FROM x JOIN vl_rr_cust c ON c.id = x.customer_id) y
        GROUP BY GROUPING SETS (${mSets.map((set) => `(${set.join(", ")})`).join(", ")})`,
      ws,
    ));
    // Cohort cells (customers with a first order): month and quarter from the month pass, week from one pass over
    // customer_weeks grouped the same way; k = period − cohort.
    const cellAggs = "sum(n)::int AS n, sum(rev)::bigint AS rev, sum(mar)::bigint AS mar";
    const cellRow = (grain: TCohortGrain) => `$1::uuid, 'cell', '${grain}', split, grp, 0, c0, p - c0, n, rev, mar, 0, 0`;
    const cells = (table: string, orders: number, scores: number, c0: string, p: string, n = "n") =>
      bySplit(`(SELECT gs, ch, ca, sg, vt, ${c0} AS c0, ${p} AS p, ${n} AS n, rev, mar FROM ${table} WHERE ${c0} IS NOT NULL) t`, sets, `gs = ${orders}`, `gs = ${scores}`, "c0, p", cellAggs);
    if (classRows) rows += await timed("cells_month", tx.$executeRawUnsafe(
      insertWithKeys(cells("vl_rr_m", mgid(M_SETS.monthOrders), mgid(M_SETS.monthScores), "cm", "p"), cellRow("month")),
      ws,
    ));
    if (classRows) rows += await timed("cells_quarter", tx.$executeRawUnsafe(
      insertWithKeys(cells("vl_rr_m", mgid(M_SETS.monthOrders), mgid(M_SETS.monthScores), "cm / 3", "p / 3", "nq"), cellRow("quarter")),
      ws,
    ));
    // Grouped by two key families, each as one bigint (pair of codes: first << 32 | second; codes are 1 … 2^31 − 1), so a
    // row is hashed on 3 columns per set instead of 4; the codes are unpacked from the few grouped rows. gs is what
    // grouping(ch, ca, sg, vt) would give: 3 = by (ch, ca), 12 = by (sg, vt); 0 when only the score keys are rebuilt.
    const pair = (a: string, b: string) => `((c.${a}::bigint << 32) | c.${b})`;
    const unpack = (key: string, a: string, b: string) => `(${key} >> 32)::int AS ${a}, (${key} & 4294967295)::int AS ${b}`;
    const weekRows = (keys: string) => `SELECT ${keys}, c.cw AS c0, ${WEEK_IDX("m.week")} AS p, m.revenue_minor AS rev, m.margin_minor AS mar
                       FROM customer_weeks m JOIN vl_rr_cust c ON c.id = m.customer_id WHERE m.workspace_id = $1::uuid AND c.cw IS NOT NULL`;
    const weekAggs = "count(*)::int AS n, sum(rev)::bigint AS rev, sum(mar)::bigint AS mar";
    const weekSql =
      sets === "all"
        ? `SELECT gs, ${unpack("ko", "ch", "ca")}, ${unpack("ks", "sg", "vt")}, c0, p, n, rev, mar FROM (
             SELECT CASE grouping(ko, ks) WHEN 1 THEN 3 ELSE 12 END AS gs, ko, ks, c0, p, ${weekAggs} FROM (${weekRows(`${pair("ch", "ca")} AS ko, ${pair("sg", "vt")} AS ks`)}) y
              GROUP BY GROUPING SETS ((ko, c0, p), (ks, c0, p))) g`
        : `SELECT 0 AS gs, NULL::int AS ch, NULL::int AS ca, ${unpack("ks", "sg", "vt")}, c0, p, n, rev, mar FROM (
             SELECT ks, c0, p, ${weekAggs} FROM (${weekRows(`${pair("sg", "vt")} AS ks`)}) y GROUP BY ks, c0, p) g`;
    const weekScores = sets === "all" ? 12 : 0;
    if (classRows) rows += await timed("cells_week", tx.$executeRawUnsafe(
      `CREATE TEMP TABLE vl_rr_w ON COMMIT DROP AS ${weekSql}`,
      ws,
    ).then(() => tx.$executeRawUnsafe(insertWithKeys(cells("vl_rr_w", 3, weekScores, "c0", "p"), cellRow("week")), ws)));
    // Lifetimes for the retention curves (every precomputed window): per split, cohort and window, the lifetimes
    // found (mask bit set), and the cohort's other customers (size − found) as −1 = not churned yet.
    const windows = ROLLUP_WINDOWS.map((w, i) => `(${w}, ${1 << i})`).join(", ");
    if (classRows) rows += await timed("lifetimes", tx.$executeRawUnsafe(
      insertWithKeys(
        `WITH y AS (${bySplit("vl_rr_m", sets, `gs = ${mgid(M_SETS.lifeOrders)}`, `gs = ${mgid(M_SETS.lifeScores)}`, "p0, life, mask", "sum(n) AS n, sum(nf) AS nf")}),
         f AS (SELECT y.split, y.code, v.w, y.p0, y.life, sum(y.n) AS n FROM y JOIN (VALUES ${windows}) v(w, bit) ON y.mask & v.bit <> 0 GROUP BY 1, 2, 3, 4, 5),
         s AS (SELECT split, code, p0, sum(nf) AS size FROM y GROUP BY 1, 2, 3),
         t AS (SELECT split, code, w, p0, sum(n) AS n FROM f GROUP BY 1, 2, 3, 4)
         SELECT split, code, w, p0, life, n::int AS n FROM f
         UNION ALL
         SELECT s.split, s.code, v.w, s.p0, -1, (s.size - coalesce(t.n, 0))::int
           FROM s CROSS JOIN (VALUES ${windows}) v(w, bit) LEFT JOIN t ON t.split = s.split AND t.code = s.code AND t.w = v.w AND t.p0 = s.p0`,
        "$1::uuid, 'life', 'month', split, grp, w, p0, life, n, 0, 0, 0, 0",
        "n > 0",
      ),
      ws,
    ));
    // Cohort LTV forecasts (month cohorts, every split): kind 'pred', k per PRED_K.
    rows += await timed("forecast", tx.$executeRawUnsafe(
      `WITH g AS (
         SELECT ${SPLIT_OF} AS split, ${CODE_OF} AS code, c0, ${PRED_SUMS}
           FROM (SELECT c.ch, c.ca, c.sg, c.vt, c.cm AS c0, s.expected_purchases_30, s.expected_purchases_90, s.expected_purchases_365,
                        s.predicted_clv_minor, s.predicted_clv_low_minor, s.predicted_clv_high_minor
                   FROM vl_rr_cust c JOIN customer_scores s ON s.workspace_id = $1::uuid AND s.customer_id = c.id
                  WHERE c.cm IS NOT NULL AND ${PRED_WHERE}) s
          GROUP BY ${SETS("c0")}
       ), x AS (SELECT g.*, coalesce(d.grp, '') AS grp FROM g LEFT JOIN vl_rr_keys d ON d.split = g.split AND d.code = g.code)
       ${INSERT}
       SELECT $1::uuid, 'pred', 'month', x.split, x.grp, 0, x.c0, v.k, x.scored, coalesce(v.val, 0), 0, 0, 0
         FROM x CROSS JOIN LATERAL (VALUES ${Object.entries(PRED_K).map(([col, k]) => `(${k}, x.${col})`).join(", ")}) AS v(k, val)`,
      ws,
    ));
    // Key rates: months to the second purchase month per cohort (no split), and gaps between purchase days.
    if (orderRows) rows += await timed("repeat", tx.$executeRawUnsafe(
      `${INSERT}
       SELECT $1::uuid, 'repeat', 'month', 'none', '', 0, p0, d, sum(n)::int, 0, 0, 0, 0 FROM vl_rr_m WHERE gs = ${mgid(M_SETS.lifeOrders)} AND d IS NOT NULL GROUP BY p0, d`,
      ws,
    ));
    if (orderRows) rows += await timed("gaps", tx.$executeRawUnsafe(
      `${INSERT}
       SELECT $1::uuid, 'gaps', 'month', 'none', '', 0, ${MONTH_IDX_OF_FIRST(`date_trunc('month', first_order_at AT TIME ZONE ${tz})::date`)}, 0, count(*)::int, 0, 0,
              sum(purchase_days - 1)::bigint, sum(extract(epoch FROM last_order_at - first_order_at))::float8
         FROM customers WHERE workspace_id = $1::uuid AND purchase_days >= 2
        GROUP BY 7`,
      ws,
    ));
    await tx.$executeRawUnsafe("DROP TABLE IF EXISTS vl_rr_keys, vl_rr_cust, vl_rr_m, vl_rr_w");
  }
  await tx.$executeRawUnsafe(
    `INSERT INTO retention_rollup_refreshes (workspace_id, model_run_id, refreshed_at, last_month, last_week, stats_updated_at, rows, duration_ms)
     VALUES ($1::uuid, $2::uuid, now(), $3, $4, (SELECT updated_at FROM workspace_stats WHERE workspace_id = $1::uuid), $5, $6)
     ON CONFLICT (workspace_id) DO UPDATE SET model_run_id = EXCLUDED.model_run_id, refreshed_at = EXCLUDED.refreshed_at, last_month = EXCLUDED.last_month,
       last_week = EXCLUDED.last_week, stats_updated_at = EXCLUDED.stats_updated_at, rows = EXCLUDED.rows, duration_ms = EXCLUDED.duration_ms`,
    ws,
    modelRunId,
    lastMonth,
    cut?.last_week ?? null,
    rows,
    Date.now() - started,
  );
  await saveBuiltKeys(tx, ws, "retention", { classes: prints.classes, pred: prints.pred }, modelRunId);
  log("retention_rollups.refreshed", { workspaceId: ws, modelRunId, mode, rows, ms: Date.now() - started, steps });
}
