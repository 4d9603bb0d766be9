/**
 * Up to four saved segments side by side: size, average predicted CLV, average P(alive), average
 * order value, purchase frequency, and a monthly retention curve of their members from
 * customer_months (the per-customer monthly activity table the Retention page reads too).
 *
 * Retention at month k = members who ordered in the k-th calendar month after their first-order month
 * (workspace time zone) ÷ members whose k-th month is complete (before the month holding the latest
 * data, which is still running). Points resting on fewer than MIN_ELIGIBLE members are left out.
 */
import { Prisma, type Tx } from "@valuelens/db";
import type { TSegmentRule } from "@valuelens/validators";
import { DomainError } from "../domain-error.ts";
import { compileRule, type CompileContext } from "./compile.ts";
import { ruleContext, storedRule, withRuleTimeout } from "./query.ts";

export const CURVE_MONTHS = 12;
export const MIN_ELIGIBLE = 10;
export const COMPARE_TIMEOUT_MS = 20_000;

export interface SegmentComparison {
  id: string;
  name: string;
  customers: number;
  /** Members with a prediction; the averages of predicted CLV and P(alive) are over these. */
  withPredictions: number;
  avgPredictedClvMinor: string | null;
  avgHistoricalClvMinor: string | null;
  avgPAlive: number | null;
  /** Revenue ÷ orders of the members, minor units. */
  aovMinor: string | null;
  /** Orders per member with at least one order. */
  ordersPerCustomer: number | null;
  /** Share of members with an order who placed two or more. */
  repeatRate: number | null;
  retention: { month: number; eligible: number; active: number; rate: number }[];
}

const monthIdx = (d: Date) => d.getUTCFullYear() * 12 + d.getUTCMonth();

async function compareOne(tx: Tx, workspaceId: string, seg: { id: string; name: string; rule: TSegmentRule }, ctx: CompileContext, lastMonth: Date | null): Promise<SegmentComparison> {
  const pred = compileRule(seg.rule, ctx);
  const from = Prisma.sql`FROM customers c LEFT JOIN customer_scores s ON s.workspace_id = c.workspace_id AND s.customer_id = c.id
                          WHERE c.workspace_id = ${workspaceId}::uuid AND ${pred}`;
  const [a] = await tx.$queryRaw<{ n: bigint; wp: bigint; pred: string | null; hist: string | null; pa: number | null; rev: string; orders: bigint; buyers: bigint; repeaters: bigint }[]>`
    SELECT count(*) AS n, count(s.predicted_clv_minor) AS wp, round(avg(s.predicted_clv_minor))::text AS pred, round(avg(s.historical_clv_minor))::text AS hist,
           avg(s.p_alive) AS pa, coalesce(sum(c.revenue_minor), 0)::text AS rev, coalesce(sum(c.order_count), 0)::bigint AS orders,
           count(*) FILTER (WHERE c.order_count > 0) AS buyers, count(*) FILTER (WHERE c.order_count > 1) AS repeaters
    ${from}`;
  const n = Number(a?.n ?? 0);
  const orders = Number(a?.orders ?? 0);
  const buyers = Number(a?.buyers ?? 0);
  let retention: SegmentComparison["retention"] = [];
  if (lastMonth && buyers > 0) {
    const rows = await tx.$queryRaw<{ k: number; fm: Date | null; n: bigint }[]>`
      WITH m AS MATERIALIZED (
        SELECT c.id, date_trunc('month', c.first_order_at AT TIME ZONE ${ctx.timezone})::date AS fm ${from} AND c.first_order_at IS NOT NULL
      )
      SELECT -1 AS k, fm, count(*) AS n FROM m GROUP BY fm
      UNION ALL
      SELECT ((extract(year from cm.month)::int * 12 + extract(month from cm.month)::int) - (extract(year from m.fm)::int * 12 + extract(month from m.fm)::int)) AS k,
             NULL::date AS fm, count(*) AS n
        FROM m JOIN customer_months cm ON cm.workspace_id = ${workspaceId}::uuid AND cm.customer_id = m.id
       WHERE cm.orders > 0 AND cm.month > m.fm AND cm.month < ${lastMonth}::date
       GROUP BY 1`;
    const last = monthIdx(lastMonth);
    const cohorts = rows.filter((r) => r.k === -1 && r.fm).map((r) => ({ idx: monthIdx(r.fm!), n: Number(r.n) }));
    const active = new Map(rows.filter((r) => r.k >= 1).map((r) => [Number(r.k), Number(r.n)]));
    for (let k = 1; k <= CURVE_MONTHS; k++) {
      const eligible = cohorts.reduce((s, c) => s + (c.idx + k < last ? c.n : 0), 0);
      if (eligible < MIN_ELIGIBLE) break;
      const act = active.get(k) ?? 0;
      retention.push({ month: k, eligible, active: act, rate: act / eligible });
    }
  } else retention = [];
  const rev = BigInt(a?.rev ?? "0");
  return {
    id: seg.id,
    name: seg.name,
    customers: n,
    withPredictions: Number(a?.wp ?? 0),
    avgPredictedClvMinor: a?.pred ?? null,
    avgHistoricalClvMinor: a?.hist ?? null,
    avgPAlive: a?.pa ?? null,
    aovMinor: orders > 0 ? ((rev + BigInt(orders) / 2n) / BigInt(orders)).toString() : null,
    ordersPerCustomer: buyers > 0 ? orders / buyers : null,
    repeatRate: buyers > 0 ? Number(a?.repeaters ?? 0) / buyers : null,
    retention,
  };
}

export async function compareRuleSegments(tx: Tx, workspaceId: string, segmentIds: string[]): Promise<SegmentComparison[]> {
  const rows = await tx.ruleSegment.findMany({ where: { workspaceId, id: { in: segmentIds } }, select: { id: true, name: true, rule: true } });
  if (rows.length !== segmentIds.length) throw new DomainError("NOT_FOUND", "Segment not found.");
  const ctx = await ruleContext(tx, workspaceId);
  const [lm] = await tx.$queryRaw<{ m: Date | null }[]>`SELECT max(month) AS m FROM customer_months WHERE workspace_id = ${workspaceId}::uuid`;
  const byId = new Map(rows.map((r) => [r.id, r]));
  return withRuleTimeout(tx, COMPARE_TIMEOUT_MS, async () => {
    const out: SegmentComparison[] = [];
    for (const id of segmentIds) {
      const r = byId.get(id)!;
      out.push(await compareOne(tx, workspaceId, { id: r.id, name: r.name, rule: storedRule(r.rule, r.name) }, ctx, lm?.m ?? null));
    }
    return out;
  });
}
