/**
 * Running a compiled rule: the FROM clause it needs, its live preview (count, value, a sample), and
 * the statement-timeout guard that turns a pathological rule into a clear message.
 */
import { Prisma, type PrismaClient, type Tx } from "@valuelens/db";
import { checkSegmentRule, evaluateRule, formatRuleIssues, isRuleGroup, NO_SCORE_FACTS, ruleReadsCustomer, type TSegmentRule } from "@valuelens/validators";
import { DomainError } from "../domain-error.ts";
import { wallTime } from "../zoned-time.ts";
import { compileRule, type CompileContext, type RuleSource } from "./compile.ts";
import { cachedFactColumns, COLUMNAR_FROM_CUSTOMERS, evaluateColumnar, NotColumnar, warmFactColumns } from "./columnar.ts";
import { ESTIMATE_FROM_CUSTOMERS, segmentFactsState, type FactsState } from "./facts.ts";

/** A preview is interactive: past this the admin is told to narrow the rule instead of waiting. */
export const PREVIEW_TIMEOUT_MS = 5_000;
export const SAMPLE_SIZE = 10;
/** Rows an estimate reads (the fixed sample buckets holding about this many customers): ± ~3 % on a
 * rule matching a sixth of the customers, and a few hundred ms even for JSON attribute tests at 1M. */
export const ESTIMATE_SAMPLE_ROWS = 30_000;
/**
 * Rows an estimate reads when the rule tests JSON attributes: each attribute test parses the row's
 * JSONB (≈ 12 µs per row on a quiet machine for the bench's two-attribute rules, 360 ms at 30,000
 * rows), so half the sample (margin × √2) keeps the first answer in the target until the in-memory
 * columns are loaded.
 */
export const ESTIMATE_SAMPLE_ROWS_ATTRIBUTES = 15_000;

const testsAttributes = (g: TSegmentRule["root"]): boolean => g.conditions.some((c) => (isRuleGroup(c) ? testsAttributes(c) : c.field === "attribute"));
/**
 * The sample of members first walks the top-valued customers, as many as should hold 3 × the sample
 * at the rule's share of members, at most this many (each walked customer is a random-page lookup in
 * segment_facts: ~20–60 µs on a busy machine); rarer members are sorted out of a scan instead.
 */
const SAMPLE_WALK_MAX = 5_000;

export function todayIn(timezone: string, now = Date.now()): string {
  const w = wallTime(now, timezone);
  return `${String(w.year).padStart(4, "0")}-${String(w.month).padStart(2, "0")}-${String(w.day).padStart(2, "0")}`;
}

export async function ruleContext(tx: Tx, workspaceId: string): Promise<CompileContext> {
  const ws = await tx.workspace.findUnique({ where: { id: workspaceId }, select: { timezone: true } });
  if (!ws) throw new DomainError("NOT_FOUND", "Workspace not found.");
  return { timezone: ws.timezone, today: todayIn(ws.timezone) };
}

/**
 * A rule that reads only scores and cannot match a customer without a score row is answered from
 * customer_scores alone (no join with the wide customers table); any other rule scans customers
 * LEFT JOIN customer_scores, the population of a segment.
 */
export function scoresOnly(rule: TSegmentRule, ctx: CompileContext): boolean {
  if (ruleReadsCustomer(rule.root)) return false;
  const noScore = { ...NO_SCORE_FACTS, orderCount: 0, lastOrderDate: null, firstOrderDate: null, channel: null, campaignId: null, attributes: {} };
  return !evaluateRule(rule, noScore, ctx);
}

/**
 * FROM … WHERE … of the rule's members in a workspace: over segment_facts (alias f) with source
 * "facts"; otherwise customer_scores alone (alias s) when scoresOnly, else customers ⟕ scores (c, s).
 */
export function membersFrom(workspaceId: string, rule: TSegmentRule, ctx: CompileContext, source: RuleSource = "live"): { sql: Prisma.Sql; scoresOnly: boolean; alias: "f" | "s" } {
  if (source === "facts") {
    return { sql: Prisma.sql`FROM segment_facts f WHERE f.workspace_id = ${workspaceId}::uuid AND ${compileRule(rule, ctx, "facts")}`, scoresOnly: false, alias: "f" };
  }
  const pred = compileRule(rule, ctx);
  if (scoresOnly(rule, ctx)) {
    return { sql: Prisma.sql`FROM customer_scores s WHERE s.workspace_id = ${workspaceId}::uuid AND ${pred}`, scoresOnly: true, alias: "s" };
  }
  return {
    sql: Prisma.sql`FROM customers c LEFT JOIN customer_scores s ON s.workspace_id = c.workspace_id AND s.customer_id = c.id
                    WHERE c.workspace_id = ${workspaceId}::uuid AND ${pred}`,
    scoresOnly: false,
    alias: "s",
  };
}

export function isStatementTimeout(e: unknown): boolean {
  const seen = new Set<unknown>();
  const walk = (x: unknown): boolean => {
    if (x === null || typeof x !== "object" || seen.has(x)) return false;
    seen.add(x);
    const o = x as Record<string, unknown>;
    if (o.code === "57014" || o.originalCode === "57014") return true;
    if (typeof o.message === "string" && /statement timeout/i.test(o.message)) return true;
    return walk(o.cause) || walk(o.meta) || walk(o.kind);
  };
  return walk(e);
}

/** Runs fn with a statement timeout local to the transaction; a timeout becomes a DomainError. */
export async function withRuleTimeout<T>(tx: Tx, ms: number, fn: () => Promise<T>): Promise<T> {
  await tx.$executeRawUnsafe(`SET LOCAL statement_timeout = ${Math.max(100, Math.floor(ms))}`);
  try {
    return await fn();
  } catch (e) {
    if (isStatementTimeout(e)) {
      throw new DomainError(
        "PRECONDITION_FAILED",
        `This rule took longer than ${Math.round(ms / 1000)} s to evaluate and was stopped. Narrow it: add a condition on a score (value tier, predicted CLV, P(alive), last order date) or avoid "contains" on text attributes.`,
      );
    }
    throw e;
  }
}

export interface RuleAggregates {
  customers: number;
  predictedClvSumMinor: string;
  historicalClvSumMinor: string;
  /** Members with a prediction (predicted sums and P(alive) cover only these). */
  withPredictions: number;
  pAliveAvg: number | null;
}

export async function ruleAggregates(tx: Tx, workspaceId: string, rule: TSegmentRule, ctx: CompileContext, source: RuleSource = "live"): Promise<RuleAggregates> {
  const from = membersFrom(workspaceId, rule, ctx, source);
  const v = Prisma.raw(from.alias); // a fixed alias chosen above, never input
  const [r] = await tx.$queryRaw<{ n: bigint; pred: string; hist: string; wp: bigint; pa: number | null }[]>`
    SELECT count(*) AS n, coalesce(sum(${v}.predicted_clv_minor), 0)::text AS pred, coalesce(sum(${v}.historical_clv_minor), 0)::text AS hist,
           count(${v}.predicted_clv_minor) AS wp, avg(${v}.p_alive) AS pa
    ${from.sql}`;
  return {
    customers: Number(r?.n ?? 0),
    predictedClvSumMinor: r?.pred ?? "0",
    historicalClvSumMinor: r?.hist ?? "0",
    withPredictions: Number(r?.wp ?? 0),
    pAliveAvg: r?.pa ?? null,
  };
}

/** A preview counted on a fixed random sample of the customers (see estimateAggregates). */
export interface RuleEstimate {
  /** Customers in the sample read, and the share of all customers they are. */
  sampledCustomers: number;
  sampleShare: number;
  /** Members found in the sample. */
  matchedInSample: number;
  /** Half-width of the 95 % interval of the estimated member count. */
  marginCustomers: number;
}

/**
 * Count and sums estimated from the first k sample buckets of segment_facts (k % of the customers,
 * chosen by a hash of the id, ≈ ESTIMATE_SAMPLE_ROWS rows), scaled up. Each customer is in the
 * sample with probability p = sampled / total, so the estimated count n/p has standard error
 * √(n(1−p))/p; the interval is ±1.96 of it (with n at least 3, so a sample without members still
 * says how many could have been missed — the "rule of three").
 */
async function estimateAggregates(tx: Tx, workspaceId: string, rule: TSegmentRule, ctx: CompileContext, facts: FactsState, sampleRows: number): Promise<RuleAggregates & { estimate: RuleEstimate }> {
  const buckets = Math.min(100, Math.max(1, Math.ceil((100 * sampleRows) / Math.max(1, facts.customers))));
  const pred = compileRule(rule, ctx, "facts");
  const [r] = await tx.$queryRaw<{ sampled: bigint; n: bigint; pred: string; hist: string; wp: bigint; pa: number | null }[]>`
    SELECT count(*) AS sampled, count(*) FILTER (WHERE x.m) AS n,
           coalesce(sum(x.predicted_clv_minor) FILTER (WHERE x.m), 0)::text AS pred, coalesce(sum(x.historical_clv_minor) FILTER (WHERE x.m), 0)::text AS hist,
           count(x.predicted_clv_minor) FILTER (WHERE x.m) AS wp, avg(x.p_alive) FILTER (WHERE x.m) AS pa
      FROM (SELECT f.predicted_clv_minor, f.historical_clv_minor, f.p_alive, coalesce(${pred}, false) AS m
              FROM segment_facts f WHERE f.workspace_id = ${workspaceId}::uuid AND f.sample < ${buckets}::int) x`;
  const sampled = Number(r?.sampled ?? 0);
  const n = Number(r?.n ?? 0);
  const p = facts.customers > 0 ? Math.min(1, sampled / facts.customers) : 1;
  const scale = (x: bigint) => (p > 0 ? (Number(x) / p).toFixed(0) : "0");
  return {
    customers: p > 0 ? Math.round(n / p) : 0,
    predictedClvSumMinor: scale(BigInt(r?.pred ?? "0")),
    historicalClvSumMinor: scale(BigInt(r?.hist ?? "0")),
    withPredictions: p > 0 ? Math.round(Number(r?.wp ?? 0) / p) : 0,
    pAliveAvg: r?.pa ?? null,
    estimate: {
      sampledCustomers: sampled,
      sampleShare: p,
      matchedInSample: n,
      marginCustomers: p > 0 && p < 1 ? Math.round((1.96 * Math.sqrt(Math.max(n, 3) * (1 - p))) / p) : 0,
    },
  };
}

export interface RuleMemberRow {
  id: string;
  externalId: string;
  name: string | null;
  email: string | null;
  channel: string | null;
  orders: number;
  lastOrderAt: Date | null;
  predictedClvMinor: string | null;
  historicalClvMinor: string | null;
  pAlive: number | null;
  rfmSegment: string | null;
  valueTier: string | null;
}

const MEMBER_COLUMNS = Prisma.sql`c.id::text AS id, c.external_id, c.name, c.email, c.acquisition_channel AS channel, c.order_count AS orders, c.last_order_at,
  s.predicted_clv_minor::text AS pred, s.historical_clv_minor::text AS hist, s.p_alive, s.rfm_segment, s.value_tier`;

interface MemberSqlRow {
  id: string;
  external_id: string;
  name: string | null;
  email: string | null;
  channel: string | null;
  orders: number;
  last_order_at: Date | null;
  pred: string | null;
  hist: string | null;
  p_alive: number | null;
  rfm_segment: string | null;
  value_tier: string | null;
}

function toMember(r: MemberSqlRow): RuleMemberRow {
  return {
    id: r.id, externalId: r.external_id, name: r.name, email: r.email, channel: r.channel, orders: r.orders, lastOrderAt: r.last_order_at,
    predictedClvMinor: r.pred, historicalClvMinor: r.hist, pAlive: r.p_alive, rfmSegment: r.rfm_segment, valueTier: r.value_tier,
  };
}

/** Top members by predicted CLV (by historical CLV when the workspace has no predictions). */
export async function ruleSample(tx: Tx, workspaceId: string, rule: TSegmentRule, ctx: CompileContext, byPredicted: boolean, limit = SAMPLE_SIZE): Promise<RuleMemberRow[]> {
  const pred = compileRule(rule, ctx);
  const order = byPredicted
    ? Prisma.sql`s.predicted_clv_minor DESC, s.customer_id DESC`
    : Prisma.sql`s.historical_clv_minor DESC, s.customer_id DESC`;
  const notNull = byPredicted ? Prisma.sql`s.predicted_clv_minor IS NOT NULL` : Prisma.sql`s.historical_clv_minor IS NOT NULL`;
  // Members with a score row only (the sample ranks by value); walks the value index from the top.
  const rows = await tx.$queryRaw<MemberSqlRow[]>`
    SELECT ${MEMBER_COLUMNS}
      FROM customer_scores s JOIN customers c ON c.workspace_id = s.workspace_id AND c.id = s.customer_id
     WHERE s.workspace_id = ${workspaceId}::uuid AND ${notNull} AND ${pred}
     ORDER BY ${order}
     LIMIT ${limit}`;
  return rows.map(toMember);
}

const FACTS_MEMBER_COLUMNS = Prisma.sql`c.id::text AS id, c.external_id, c.name, c.email, f.channel, f.order_count AS orders, f.last_order_at,
  f.predicted_clv_minor::text AS pred, f.historical_clv_minor::text AS hist, f.p_alive, f.rfm_segment, f.value_tier`;

/**
 * Top members by value from segment_facts, given the rule's share of members (`share`, from the count
 * or the estimate). First walks the highest-valued customers in the order of customer_scores' value
 * index (exact: the first matches of an ordered walk are the top matches; the copy has no value index
 * of its own, to keep its rewrite cheap) and tests each against the rule on its segment_facts row; if
 * that finds fewer than `limit` — or members are too rare for a short walk — sorts the members of
 * `within` by value: all customers (exact), or only the estimate's sample buckets. The scores and the
 * copy are written by the same recompute; a customer re-scored by an incremental refresh since may be
 * walked in its new place, the list itself is ordered by the copy's values.
 */
async function factsSample(tx: Tx, workspaceId: string, rule: TSegmentRule, ctx: CompileContext, byPredicted: boolean, within: { buckets: number } | "all", share: number, limit = SAMPLE_SIZE): Promise<{ rows: RuleMemberRow[]; fromSample: boolean }> {
  if (share <= 0) return { rows: [], fromSample: within !== "all" };
  const pred = compileRule(rule, ctx, "facts");
  const col = Prisma.raw(byPredicted ? "predicted_clv_minor" : "historical_clv_minor"); // fixed column names, never input
  const walk = Math.max(100, Math.ceil((3 * limit) / share));
  const walked =
    walk > SAMPLE_WALK_MAX
      ? []
      : await tx.$queryRaw<{ id: string }[]>`
    SELECT w.customer_id::text AS id
      FROM (SELECT s.customer_id, s.${col} AS v FROM customer_scores s
             WHERE s.workspace_id = ${workspaceId}::uuid AND s.${col} IS NOT NULL
             ORDER BY s.${col} DESC, s.customer_id DESC LIMIT ${walk}) w
      -- A lookup per walked customer, in walk order, stopping at the limit ("OFFSET 0" keeps the planner
      -- from turning it into a hash join over the whole copy).
      CROSS JOIN LATERAL (SELECT * FROM segment_facts f WHERE f.workspace_id = ${workspaceId}::uuid AND f.customer_id = w.customer_id OFFSET 0) f
     WHERE ${pred}
     ORDER BY w.v DESC, w.customer_id DESC
     LIMIT ${limit}`;
  let ids = walked.map((r) => r.id);
  let fromSample = false;
  if (ids.length < limit) {
    const bucket = within === "all" ? Prisma.empty : Prisma.sql`AND f.sample < ${within.buckets}::int`;
    fromSample = within !== "all";
    const sorted = await tx.$queryRaw<{ id: string }[]>`
      SELECT f.customer_id::text AS id FROM segment_facts f
       WHERE f.workspace_id = ${workspaceId}::uuid ${bucket} AND f.${col} IS NOT NULL AND ${pred}
       ORDER BY f.${col} DESC, f.customer_id DESC
       LIMIT ${limit}`;
    if (fromSample ? sorted.length > ids.length : true) ids = sorted.map((r) => r.id);
    else fromSample = false;
  }
  return { rows: await factsMembers(tx, workspaceId, ids, byPredicted), fromSample };
}

/** The listed members' rows (values from segment_facts, names from customers), by value desc then id desc. */
async function factsMembers(tx: Tx, workspaceId: string, ids: string[], byPredicted: boolean): Promise<RuleMemberRow[]> {
  if (ids.length === 0) return [];
  const col = Prisma.raw(byPredicted ? "predicted_clv_minor" : "historical_clv_minor"); // fixed column names, never input
  const rows = await tx.$queryRaw<MemberSqlRow[]>`
    SELECT ${FACTS_MEMBER_COLUMNS}
      FROM segment_facts f JOIN customers c ON c.workspace_id = f.workspace_id AND c.id = f.customer_id
     WHERE f.workspace_id = ${workspaceId}::uuid AND f.customer_id = ANY(${ids}::uuid[])
     ORDER BY f.${col} DESC, f.customer_id DESC`;
  return rows.map(toMember);
}

export interface RulePreview extends RuleAggregates {
  sample: RuleMemberRow[];
  sampleBy: "predictedClv" | "historicalClv";
  /** The sample's members are the top ones of the estimate's random sample, not of all customers. */
  sampleFromEstimate: boolean;
  /** Null: exact. Otherwise the counts and sums are estimated from a random sample (the UI says so). */
  estimate: RuleEstimate | null;
  /** "facts": counted on the copy written by the last recompute (asOf); "live": on the tables now. */
  source: "facts" | "live";
  asOf: Date | null;
  /** Server time spent, for the UI's "counted in … ms". */
  ms: number;
}

export interface PreviewOptions {
  /** Allow a labelled estimate on large workspaces (the rule builder; an exact call follows). */
  allowEstimate?: boolean;
  /** Workspace size from which an estimate is made (ESTIMATE_FROM_CUSTOMERS; tests lower it). */
  estimateFromCustomers?: number;
  /** Rows an estimate reads (ESTIMATE_SAMPLE_ROWS, or ESTIMATE_SAMPLE_ROWS_ATTRIBUTES for rules on attributes; tests lower it). */
  estimateSampleRows?: number;
  timeoutMs?: number;
  /**
   * Lets the preview load the workspace's segment_facts into memory in the background (columnar.ts)
   * when it is large enough and not loaded yet; once loaded, previews are exact from memory.
   */
  prisma?: PrismaClient;
  /** Workspace size from which previews are answered from memory (COLUMNAR_FROM_CUSTOMERS; tests lower it). */
  columnarFromCustomers?: number;
}

/**
 * Count, value and a sample of a rule's members. Reads segment_facts when the last recompute wrote
 * it (one narrow table), else the live tables. With allowEstimate on a workspace of at least
 * ESTIMATE_FROM_CUSTOMERS customers, counts a fixed random sample of ≈ ESTIMATE_SAMPLE_ROWS and
 * returns an estimate with its 95 % margin instead; the caller asks again without it for the exact figures.
 */
export async function previewRule(tx: Tx, workspaceId: string, rule: TSegmentRule, opts: PreviewOptions = {}): Promise<RulePreview> {
  const started = performance.now();
  const timeoutMs = opts.timeoutMs ?? PREVIEW_TIMEOUT_MS;
  const [ctx, facts] = await Promise.all([ruleContext(tx, workspaceId), segmentFactsState(tx, workspaceId)]);
  return withRuleTimeout(tx, timeoutMs, async () => {
    const done = (agg: RuleAggregates, sample: { rows: RuleMemberRow[]; fromSample: boolean }, byPredicted: boolean, estimate: RuleEstimate | null): RulePreview => ({
      ...agg,
      sample: sample.rows,
      sampleBy: byPredicted ? "predictedClv" : "historicalClv",
      sampleFromEstimate: sample.fromSample,
      estimate,
      source: facts ? "facts" : "live",
      asOf: facts?.refreshedAt ?? null,
      ms: Math.round(performance.now() - started),
    });
    if (facts && facts.customers >= (opts.columnarFromCustomers ?? COLUMNAR_FROM_CUSTOMERS)) {
      const cols = cachedFactColumns(workspaceId, facts.refreshedAt);
      if (cols) {
        try {
          const { topIds, byPredicted, ...agg } = evaluateColumnar(rule, cols, ctx, SAMPLE_SIZE);
          return done(agg, { rows: await factsMembers(tx, workspaceId, topIds, byPredicted), fromSample: false }, byPredicted, null);
        } catch (e) {
          if (!(e instanceof NotColumnar)) throw e; // e.g. an attribute key beyond those held in memory: SQL below
        }
      } else if (opts.prisma) {
        warmFactColumns(opts.prisma, workspaceId, facts.refreshedAt);
      }
    }
    if (!facts) {
      const agg = await ruleAggregates(tx, workspaceId, rule, ctx);
      const byPredicted = agg.withPredictions > 0;
      const rows = agg.customers === 0 ? [] : await ruleSample(tx, workspaceId, rule, ctx, byPredicted);
      return done(agg, { rows, fromSample: false }, byPredicted, null);
    }
    if (opts.allowEstimate && facts.customers >= (opts.estimateFromCustomers ?? ESTIMATE_FROM_CUSTOMERS)) {
      const { estimate, ...agg } = await estimateAggregates(tx, workspaceId, rule, ctx, facts, opts.estimateSampleRows ?? (testsAttributes(rule.root) ? ESTIMATE_SAMPLE_ROWS_ATTRIBUTES : ESTIMATE_SAMPLE_ROWS));
      const byPredicted = agg.withPredictions > 0;
      const buckets = Math.round(estimate.sampleShare * 100);
      const sample = await factsSample(tx, workspaceId, rule, ctx, byPredicted, { buckets }, estimate.sampledCustomers > 0 ? estimate.matchedInSample / estimate.sampledCustomers : 0);
      return done(agg, sample, byPredicted, estimate);
    }
    const agg = await ruleAggregates(tx, workspaceId, rule, ctx, "facts");
    const byPredicted = agg.withPredictions > 0;
    const sample = agg.customers === 0 ? { rows: [], fromSample: false } : await factsSample(tx, workspaceId, rule, ctx, byPredicted, "all", agg.customers / Math.max(1, facts.customers));
    return done(agg, sample, byPredicted, null);
  });
}

/**
 * Starts the background load of the workspace's preview columns (columnar.ts) when it is large enough
 * and they are not in memory for its current segment_facts copy. Returns at once.
 */
export async function prepareRulePreview(tx: Tx, workspaceId: string, prisma: PrismaClient, columnarFromCustomers = COLUMNAR_FROM_CUSTOMERS): Promise<void> {
  const facts = await segmentFactsState(tx, workspaceId);
  if (facts && facts.customers >= columnarFromCustomers && !cachedFactColumns(workspaceId, facts.refreshedAt)) warmFactColumns(prisma, workspaceId, facts.refreshedAt);
}

/**
 * One page of a segment's members in customer-id order (keyset: id > cursor), for syncing to other
 * tools and the CSV export. Constant cost per page whatever the depth.
 */
export async function memberPage(tx: Tx, workspaceId: string, rule: TSegmentRule, ctx: CompileContext, cursor: string | null, limit: number): Promise<{ rows: RuleMemberRow[]; nextCursor: string | null }> {
  const pred = compileRule(rule, ctx);
  const after = cursor ? Prisma.sql`AND c.id > ${cursor}::uuid` : Prisma.empty;
  const rows = await tx.$queryRaw<MemberSqlRow[]>`
    SELECT ${MEMBER_COLUMNS}
      FROM customers c LEFT JOIN customer_scores s ON s.workspace_id = c.workspace_id AND s.customer_id = c.id
     WHERE c.workspace_id = ${workspaceId}::uuid ${after} AND ${pred}
     ORDER BY c.id
     LIMIT ${limit + 1}`;
  const page = rows.slice(0, limit).map(toMember);
  return { rows: page, nextCursor: rows.length > limit ? (page[page.length - 1]?.id ?? null) : null };
}

/** A stored rule, re-validated on read (a rule of an unknown version is refused with its reason). */
export function storedRule(json: unknown, segmentName: string): TSegmentRule {
  const r = checkSegmentRule(json);
  if (!r.ok) throw new DomainError("PRECONDITION_FAILED", `The stored rule of "${segmentName}" is not valid any more (${formatRuleIssues(r.issues)}). Edit and save it again.`);
  return r.rule;
}
