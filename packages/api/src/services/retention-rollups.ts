/**
 * Retention rollups (issue 7): the aggregates the Retention page reads, written set-based at the end
 * of every successful full recompute, in its second tenant transaction after the scores committed (it
 * holds the workspace's advisory lock again and reads one REPEATABLE READ snapshot: run-recompute.ts
 * refreshDerived), so they match the scores of the run and the data of that snapshot. First one temporary row per customer
 * with its cohort month / week and its split keys as small integer codes (vl_rr_cust, analysed), and one
 * per customer from a single ordered pass over customer_months (lifetimes, second purchase month:
 * vl_rr_life); then one scan per grain of customer_months / customer_weeks joined to vl_rr_cust, GROUPING
 * SETS over the splits on integer columns, which the planner aggregates in hash tables (with text keys
 * computed in the query it could not estimate the groups and sorted the 4.6M rows of 1M customers on disk).
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

// Split keys are small integer codes (vl_rr_keys) on one temporary row per customer (vl_rr_cust), grouped by
// GROUPING SETS: grouping(ch, ca, sg, vt) tells which set a result row belongs to (bit = 1: that key was
// aggregated away; first key = highest bit), and the code maps back to the key text.
const KEYS = "ch, ca, sg, vt";
const SETS = (dims: string) => `GROUPING SETS ((${dims}), (ch, ${dims}), (ca, ${dims}), (sg, ${dims}), (vt, ${dims}))`;
const SPLIT_OF = `CASE grouping(${KEYS}) WHEN 15 THEN 'none' WHEN 7 THEN 'channel' WHEN 11 THEN 'campaign' WHEN 13 THEN 'segment' ELSE 'tier' END`;
const CODE_OF = `coalesce(ch, ca, sg, vt)`;
/** The same for the splits that depend on the scores only (segment, tier): rebuilt alone when only the scores changed. */
const SCORE_SETS = (dims: string) => `GROUPING SETS ((sg, ${dims}), (vt, ${dims}))`;
const SCORE_SPLIT_OF = `CASE grouping(sg, vt) WHEN 1 THEN 'segment' ELSE 'tier' END`;
const SCORE_CODE_OF = `coalesce(sg, vt)`;
/** Which GROUPING SETS an insert covers: every split, or only the score-dependent ones. */
type SetsOf = "all" | "scores";
const INSERT = `INSERT INTO retention_rollups (workspace_id, kind, grain, split, grp, w, c0, k, customers, revenue_minor, margin_minor, gaps, gap_seconds)`;
/** Customers of the workspace with their scores (alias c, s). */
const CUSTOMERS_SCORES = "customers c LEFT JOIN customer_scores s ON s.workspace_id = c.workspace_id AND s.customer_id = c.id";

/**
 * Insert the grouped rows of `source` (columns ch, ca, sg, vt = split codes, the `dims`, and `aggs`' inputs)
 * for every split at once; `select` picks the inserted columns from g (split, grp, dims, aggregates).
 */
function insertBySplit(source: string, dims: string, aggs: string, select: string, sets: SetsOf = "all"): string {
  const [splitOf, codeOf, groupBy] = sets === "all" ? [SPLIT_OF, CODE_OF, SETS(dims)] : [SCORE_SPLIT_OF, SCORE_CODE_OF, SCORE_SETS(dims)];
  return `WITH g AS (
       SELECT ${splitOf} AS split, ${codeOf} AS code, ${dims}, ${aggs} FROM (${source}) x GROUP BY ${groupBy}
     )
     ${INSERT}
     SELECT ${select} FROM (SELECT g.*, coalesce(d.grp, '') AS grp FROM g LEFT JOIN vl_rr_keys d ON d.split = g.split AND d.code = g.code) g`;
}

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
  }
}

async function writeRetentionRollups(tx: Tx, ws: string, modelRunId: string | null, opts: RetentionRefreshOptions): Promise<void> {
  const started = Date.now();
  await tx.$executeRawUnsafe(`SET LOCAL statement_timeout = '${REFRESH_STATEMENT_TIMEOUT}'`);
  // Joins over every customer of the workspace: hash joins are right at any size (see retention.ts).
  await tx.$executeRawUnsafe("SET LOCAL enable_nestloop = off");
  // Room for the per-customer table's hash (1M customers ≈ 80 MB) and the grouping sets' hash tables in memory.
  await tx.$executeRawUnsafe(`SET LOCAL work_mem = '${REFRESH_WORK_MEM}'`);
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
    // One narrow row per customer: cohort month and week (null without a first order) and the split codes.
    const join = (split: TCohortSplit, alias: string) => `JOIN vl_rr_keys ${alias} ON ${alias}.split = '${split}' AND ${alias}.grp = ${SPLIT_KEY[split].expr}`;
    await timed("customers", tx.$executeRawUnsafe(
      `CREATE TEMP TABLE vl_rr_cust ON COMMIT DROP AS
       SELECT c.id, ${MONTH_IDX(`date_trunc('month', c.first_order_at AT TIME ZONE ${tz})::date`)} AS cm,
              ${WEEK_IDX(`date_trunc('week', c.first_order_at AT TIME ZONE ${tz})::date`)} AS cw,
              kch.code AS ch, kca.code AS ca, ksg.code AS sg, kvt.code AS vt
         FROM ${CUSTOMERS_SCORES} ${join("channel", "kch")} ${join("campaign", "kca")} ${join("segment", "ksg")} ${join("tier", "kvt")}
        WHERE c.workspace_id = $1::uuid`,
      ws,
    ));
    // Per customer, from one ordered pass over customer_months: first month, lifetime for every precomputed
    // "active" window (same definition as getRetentionCurves), second purchase month, two orders in the first month.
    const lastComplete = lastMonth - 1;
    const lifeCols = ROLLUP_WINDOWS.map((w) => `min(p) FILTER (WHERE (nxt IS NULL AND ${lastComplete} - p >= ${w}) OR nxt - p > ${w}) + 1 - p0 AS l${w}`).join(", ");
    if (classRows) await timed("per_customer_months", tx.$executeRawUnsafe(
      `CREATE TEMP TABLE vl_rr_life ON COMMIT DROP AS
       WITH m AS (SELECT customer_id, ${MONTH_IDX("month")} AS p, orders FROM customer_months WHERE workspace_id = $1::uuid),
       g AS (SELECT customer_id, p, orders, lead(p) OVER w AS nxt, first_value(p) OVER w AS p0 FROM m WINDOW w AS (PARTITION BY customer_id ORDER BY p))
       SELECT customer_id, p0, ${lifeCols}, min(nxt) FILTER (WHERE p = p0) AS p1, bool_or(p = p0 AND orders >= 2) AS again
         FROM g GROUP BY customer_id, p0`,
      ws,
    ));
    await tx.$executeRawUnsafe(`ANALYZE vl_rr_keys, vl_rr_cust${classRows ? ", vl_rr_life" : ""}`);
    const cellAggs = "count(*)::int AS n, coalesce(sum(rev), 0)::bigint AS rev, coalesce(sum(mar), 0)::bigint AS mar";
    const cellRow = (grain: TCohortGrain, k: string) => `$1::uuid, 'cell', '${grain}', split, grp, 0, c0, ${k}, n, rev, mar, 0, 0`;
    // Cohort cells: month and week from customer_months / customer_weeks, grouped by cohort and the row's own period p
    // (k = p − c0 after grouping: the planner estimates p's groups from the column's statistics and hashes all five
    // sets in one pass; grouped by p − c0 it guessed 22M groups for 432k at 1M customers and sorted 4.6M rows on disk);
    // quarter from one row per customer and quarter.
    if (classRows) rows += await timed("cells_month", tx.$executeRawUnsafe(
      insertBySplit(
        `SELECT c.ch, c.ca, c.sg, c.vt, c.cm AS c0, ${MONTH_IDX("m.month")} AS p, m.revenue_minor AS rev, m.margin_minor AS mar
           FROM customer_months m JOIN vl_rr_cust c ON c.id = m.customer_id WHERE m.workspace_id = $1::uuid AND c.cm IS NOT NULL`,
        "c0, p", cellAggs, cellRow("month", "p - c0"), sets,
      ),
      ws,
    ));
    if (classRows) rows += await timed("cells_quarter", tx.$executeRawUnsafe(
      insertBySplit(
        `SELECT c.ch, c.ca, c.sg, c.vt, c.cm / 3 AS c0, q.q - c.cm / 3 AS k, q.rev, q.mar
           FROM (SELECT customer_id, ${MONTH_IDX("month")} / 3 AS q, sum(revenue_minor) AS rev, sum(margin_minor) AS mar
                   FROM customer_months WHERE workspace_id = $1::uuid GROUP BY customer_id, 2) q
           JOIN vl_rr_cust c ON c.id = q.customer_id WHERE c.cm IS NOT NULL`,
        "c0, k", cellAggs, cellRow("quarter", "k"), sets,
      ),
      ws,
    ));
    if (classRows) rows += await timed("cells_week", tx.$executeRawUnsafe(
      insertBySplit(
        `SELECT c.ch, c.ca, c.sg, c.vt, c.cw AS c0, ${WEEK_IDX("m.week")} AS p, m.revenue_minor AS rev, m.margin_minor AS mar
           FROM customer_weeks m JOIN vl_rr_cust c ON c.id = m.customer_id WHERE m.workspace_id = $1::uuid AND c.cw IS NOT NULL`,
        "c0, p", cellAggs, cellRow("week", "p - c0"), sets,
      ),
      ws,
    ));
    // Lifetimes for the retention curves (every precomputed window).
    if (classRows) rows += await timed("lifetimes", tx.$executeRawUnsafe(
      insertBySplit(
        `SELECT c.ch, c.ca, c.sg, c.vt, l.p0, v.w, coalesce(v.life, -1) AS life
           FROM vl_rr_life l JOIN vl_rr_cust c ON c.id = l.customer_id
          CROSS JOIN LATERAL (VALUES ${ROLLUP_WINDOWS.map((w) => `(${w}, l.l${w})`).join(", ")}) AS v(w, life)`,
        "w, p0, life", "count(*)::int AS n", "$1::uuid, 'life', 'month', split, grp, w, p0, life, n, 0, 0, 0, 0", sets,
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
       SELECT $1::uuid, 'repeat', 'month', 'none', '', 0, p0, d, count(*)::int, 0, 0, 0, 0
         FROM (SELECT p0, coalesce(CASE WHEN again THEN 0 ELSE p1 - p0 END, -1) AS d FROM vl_rr_life) y
        GROUP BY p0, d`,
      ws,
    ));
    if (orderRows) rows += await timed("gaps", tx.$executeRawUnsafe(
      `${INSERT}
       SELECT $1::uuid, 'gaps', 'month', 'none', '', 0, ${MONTH_IDX(`date_trunc('month', first_order_at AT TIME ZONE ${tz})::date`)}, 0, count(*)::int, 0, 0,
              sum(purchase_days - 1)::bigint, sum(extract(epoch FROM last_order_at - first_order_at))::float8
         FROM customers WHERE workspace_id = $1::uuid AND purchase_days >= 2
        GROUP BY 7`,
      ws,
    ));
    await tx.$executeRawUnsafe("DROP TABLE IF EXISTS vl_rr_keys, vl_rr_cust, vl_rr_life");
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
