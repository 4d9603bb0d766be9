/**
 * Campaigns created and edited in the UI (issue 6): admins and owners (checked by the procedure),
 * every change audit-logged. Spend entry: a total over a day range spread evenly per day (exact to
 * the minor unit), replacing the campaign's workspace-currency spend on those days. Spend is read
 * live by the Campaigns page, so no recompute is needed; customers' attribution comes from imports.
 */
import { spreadEvenly, type TCampaignCreate, type TCampaignSpendSet, type TCampaignUpdate } from "@valuelens/validators";
import { Prisma, type Tx } from "@valuelens/db";
import { DomainError } from "../domain-error.ts";

const DAY = 86_400_000;
const toDate = (d: string | null) => (d ? new Date(`${d}T00:00:00Z`) : null);

export interface CampaignDetail {
  id: string;
  externalId: string;
  name: string;
  channel: string;
  startsAt: string | null;
  endsAt: string | null;
  notes: string | null;
  currency: string;
  /** Spend per currency over the campaign's whole life. */
  totals: { currency: string; amountMinor: string; days: number; firstDay: string; lastDay: string }[];
  /** Workspace-currency spend per day, latest first (at most 400 days). */
  recentDays: { day: string; amountMinor: string }[];
  customers: number;
}

/**
 * One statement (one round trip; the campaign editor opens it from the Campaigns page): the campaign
 * with the workspace currency, spend totals per currency, the latest 400 days of workspace-currency
 * spend and the customers acquired. Bigints travel as text.
 */
export async function getCampaign(tx: Tx, workspaceId: string, campaignId: string): Promise<CampaignDetail> {
  const rows = await tx.$queryRaw<{ doc: string }[]>`
    SELECT json_build_object(
      'c', (SELECT json_build_array(c.id, c.external_id, c.name, c.channel, to_char(c.starts_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'),
                                    to_char(c.ends_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), c.notes, w.currency)
              FROM campaigns c JOIN workspaces w ON w.id = c.workspace_id
             WHERE c.workspace_id = ${workspaceId}::uuid AND c.id = ${campaignId}::uuid),
      'totals', (SELECT coalesce(json_agg(json_build_array(trim(currency), amount::text, days, first, last) ORDER BY currency), '[]'::json)
                   FROM (SELECT currency, sum(amount_minor) AS amount, count(*)::int AS days, min(day)::text AS first, max(day)::text AS last
                           FROM campaign_spend WHERE workspace_id = ${workspaceId}::uuid AND campaign_id = ${campaignId}::uuid GROUP BY currency) t),
      'days', (SELECT coalesce(json_agg(json_build_array(to_char(day, 'YYYY-MM-DD'), amount_minor::text) ORDER BY day DESC), '[]'::json)
                 FROM (SELECT s.day, s.amount_minor FROM campaign_spend s JOIN workspaces w ON w.id = s.workspace_id AND w.currency = s.currency
                        WHERE s.workspace_id = ${workspaceId}::uuid AND s.campaign_id = ${campaignId}::uuid
                        ORDER BY s.day DESC LIMIT 400) d),
      'customers', (SELECT count(*) FROM customers WHERE workspace_id = ${workspaceId}::uuid AND acquisition_campaign_id = ${campaignId}::uuid)
    )::text AS doc`;
  const doc = JSON.parse(rows[0]!.doc) as {
    c: [id: string, externalId: string, name: string, channel: string, startsAt: string | null, endsAt: string | null, notes: string | null, currency: string] | null;
    totals: [currency: string, amount: string, days: number, first: string, last: string][];
    days: [day: string, amount: string][];
    customers: number;
  };
  if (!doc.c) throw new DomainError("NOT_FOUND", "Campaign not found.");
  const [id, externalId, name, channel, startsAt, endsAt, notes, currency] = doc.c;
  return {
    id,
    externalId,
    name,
    channel,
    startsAt,
    endsAt,
    notes,
    currency,
    totals: doc.totals.map(([cur, amountMinor, days, firstDay, lastDay]) => ({ currency: cur, amountMinor, days, firstDay, lastDay })),
    recentDays: doc.days.map(([day, amountMinor]) => ({ day, amountMinor })),
    customers: doc.customers,
  };
}

function slugOf(name: string): string {
  return name.toLowerCase().normalize("NFKD").replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 60) || "campaign";
}

export async function createCampaign(tx: Tx, actorId: string, workspaceId: string, input: Omit<TCampaignCreate, "workspaceId">): Promise<{ id: string; externalId: string }> {
  // UI-made campaigns get an id imports can refer to; it never collides with an imported one.
  const externalId = input.externalId ?? `ui-${slugOf(input.name)}-${crypto.randomUUID().slice(0, 8)}`;
  try {
    const row = await tx.campaign.create({
      data: { workspaceId, externalId, name: input.name, channel: input.channel, startsAt: toDate(input.startsAt), endsAt: toDate(input.endsAt), notes: input.notes },
      select: { id: true, externalId: true },
    });
    await tx.auditLog.create({
      data: { workspaceId, actorUserId: actorId, action: "campaign.created", target: row.id, details: { externalId, name: input.name, channel: input.channel, startsAt: input.startsAt, endsAt: input.endsAt } },
      select: { id: true },
    });
    return row;
  } catch (e) {
    if (e instanceof Prisma.PrismaClientKnownRequestError && e.code === "P2002") {
      throw new DomainError("CONFLICT", `A campaign with the id "${externalId}" already exists in this workspace.`);
    }
    throw e;
  }
}

export async function updateCampaign(tx: Tx, actorId: string, workspaceId: string, input: Omit<TCampaignUpdate, "workspaceId">): Promise<void> {
  const before = await tx.campaign.findUnique({
    where: { workspaceId_id: { workspaceId, id: input.campaignId } },
    select: { externalId: true, name: true, channel: true, startsAt: true, endsAt: true, notes: true },
  });
  if (!before) throw new DomainError("NOT_FOUND", "Campaign not found.");
  const externalId = input.externalId ?? before.externalId;
  try {
    await tx.campaign.update({
      where: { workspaceId_id: { workspaceId, id: input.campaignId } },
      data: { externalId, name: input.name, channel: input.channel, startsAt: toDate(input.startsAt), endsAt: toDate(input.endsAt), notes: input.notes },
      select: { id: true },
    });
  } catch (e) {
    if (e instanceof Prisma.PrismaClientKnownRequestError && e.code === "P2002") {
      throw new DomainError("CONFLICT", `A campaign with the id "${externalId}" already exists in this workspace.`);
    }
    throw e;
  }
  await tx.auditLog.create({
    data: {
      workspaceId,
      actorUserId: actorId,
      action: "campaign.updated",
      target: input.campaignId,
      details: {
        before: { ...before, startsAt: before.startsAt?.toISOString() ?? null, endsAt: before.endsAt?.toISOString() ?? null },
        after: { externalId, name: input.name, channel: input.channel, startsAt: input.startsAt, endsAt: input.endsAt, notes: input.notes },
      },
    },
    select: { id: true },
  });
}

export async function setCampaignSpend(
  tx: Tx,
  actorId: string,
  workspaceId: string,
  input: Omit<TCampaignSpendSet, "workspaceId">,
): Promise<{ days: number; totalMinor: string; currency: string; replacedMinor: string }> {
  const c = await tx.campaign.findUnique({ where: { workspaceId_id: { workspaceId, id: input.campaignId } }, select: { id: true, workspace: { select: { currency: true } } } });
  if (!c) throw new DomainError("NOT_FOUND", "Campaign not found.");
  const currency = c.workspace.currency;
  const from = Date.parse(`${input.from}T00:00:00Z`);
  const days = Math.round((Date.parse(`${input.to}T00:00:00Z`) - from) / DAY) + 1;
  const parts = spreadEvenly(input.amountMinor, days);
  const [old] = await tx.$queryRaw<{ amount: string }[]>`
    WITH gone AS (
      DELETE FROM campaign_spend
       WHERE workspace_id = ${workspaceId}::uuid AND campaign_id = ${input.campaignId}::uuid AND currency = ${currency}
         AND day >= ${input.from}::date AND day <= ${input.to}::date
      RETURNING amount_minor)
    SELECT coalesce(sum(amount_minor), 0)::text AS amount FROM gone`;
  const replacedMinor = old?.amount ?? "0";
  if (input.amountMinor > 0) {
    const rows = parts.map((amount, i) => ({ day: new Date(from + i * DAY).toISOString().slice(0, 10), amount: String(amount) }));
    await tx.$executeRaw`
      INSERT INTO campaign_spend (workspace_id, campaign_id, day, amount_minor, currency)
      SELECT ${workspaceId}::uuid, ${input.campaignId}::uuid, r.day::date, r.amount::bigint, ${currency}
        FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS r(day text, amount text)`;
  }
  await tx.auditLog.create({
    data: { workspaceId, actorUserId: actorId, action: "campaign.spend_set", target: input.campaignId, details: { from: input.from, to: input.to, days, amountMinor: input.amountMinor, replacedMinor, currency } },
    select: { id: true },
  });
  return { days, totalMinor: String(input.amountMinor), currency, replacedMinor };
}
