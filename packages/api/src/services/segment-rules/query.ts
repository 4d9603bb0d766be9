/**
 * Running a compiled rule: the FROM clause it needs, its live preview (count, value, a sample), and
 * the statement-timeout guard that turns a pathological rule into a clear message.
 */
import { Prisma, type Tx } from "@valuelens/db";
import { checkSegmentRule, evaluateRule, formatRuleIssues, NO_SCORE_FACTS, ruleReadsCustomer, type TSegmentRule } from "@valuelens/validators";
import { DomainError } from "../domain-error.ts";
import { wallTime } from "../zoned-time.ts";
import { compileRule, type CompileContext } from "./compile.ts";

/** A preview is interactive: past this the admin is told to narrow the rule instead of waiting. */
export const PREVIEW_TIMEOUT_MS = 5_000;
export const SAMPLE_SIZE = 10;

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

/** FROM … WHERE … of the rule's members in a workspace (aliases c and s; c absent when scoresOnly). */
export function membersFrom(workspaceId: string, rule: TSegmentRule, ctx: CompileContext): { sql: Prisma.Sql; scoresOnly: boolean } {
  const pred = compileRule(rule, ctx);
  if (scoresOnly(rule, ctx)) {
    return { sql: Prisma.sql`FROM customer_scores s WHERE s.workspace_id = ${workspaceId}::uuid AND ${pred}`, scoresOnly: true };
  }
  return {
    sql: Prisma.sql`FROM customers c LEFT JOIN customer_scores s ON s.workspace_id = c.workspace_id AND s.customer_id = c.id
                    WHERE c.workspace_id = ${workspaceId}::uuid AND ${pred}`,
    scoresOnly: false,
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

export async function ruleAggregates(tx: Tx, workspaceId: string, rule: TSegmentRule, ctx: CompileContext): Promise<RuleAggregates> {
  const from = membersFrom(workspaceId, rule, ctx);
  const [r] = await tx.$queryRaw<{ n: bigint; pred: string; hist: string; wp: bigint; pa: number | null }[]>`
    SELECT count(*) AS n, coalesce(sum(s.predicted_clv_minor), 0)::text AS pred, coalesce(sum(s.historical_clv_minor), 0)::text AS hist,
           count(s.predicted_clv_minor) AS wp, avg(s.p_alive) AS pa
    ${from.sql}`;
  return {
    customers: Number(r?.n ?? 0),
    predictedClvSumMinor: r?.pred ?? "0",
    historicalClvSumMinor: r?.hist ?? "0",
    withPredictions: Number(r?.wp ?? 0),
    pAliveAvg: r?.pa ?? null,
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

export interface RulePreview extends RuleAggregates {
  sample: RuleMemberRow[];
  sampleBy: "predictedClv" | "historicalClv";
  /** Server time spent, for the UI's "counted in … ms". */
  ms: number;
}

export async function previewRule(tx: Tx, workspaceId: string, rule: TSegmentRule, timeoutMs = PREVIEW_TIMEOUT_MS): Promise<RulePreview> {
  const started = performance.now();
  const ctx = await ruleContext(tx, workspaceId);
  return withRuleTimeout(tx, timeoutMs, async () => {
    const agg = await ruleAggregates(tx, workspaceId, rule, ctx);
    const byPredicted = agg.withPredictions > 0;
    const sample = agg.customers === 0 ? [] : await ruleSample(tx, workspaceId, rule, ctx, byPredicted);
    return { ...agg, sample, sampleBy: byPredicted ? "predictedClv" : "historicalClv", ms: Math.round(performance.now() - started) };
  });
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
