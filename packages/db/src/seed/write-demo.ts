import argon2 from "argon2";
import type { PrismaClient } from "../generated/prisma/client.ts";
import { bulkInsertCustomers, bulkInsertOrders, bulkInsertSpend } from "../bulk.ts";
import { withTenant, withWorkspace } from "../tenant.ts";
import { generateDemoData, type DemoData, type DemoDataOptions } from "./demo-data.ts";

export const DEMO_WORKSPACE_SLUG = "demo";
export const DEMO_USERS = [
  { email: "demo@valuelens.local", name: "Dana Demo", role: "OWNER" as const },
  { email: "viewer@valuelens.local", name: "Vic Viewer", role: "VIEWER" as const },
];
export const DEMO_PASSWORD = "valuelens-demo";

const CUSTOMER_BATCH = 1_000;
const ORDER_BATCH = 5_000;

/**
 * Writes the demo store into a workspace through the same tenant transactions and triggers the
 * app uses, in batches (customer summaries, monthly rollups and totals are maintained on write).
 * Returns counts; writes nothing if the workspace already exists (re-running keeps the data).
 */
export async function seedDemoWorkspace(
  prisma: PrismaClient,
  opts: DemoDataOptions & { log?: (msg: string) => void; slug?: string; name?: string; timezone?: string } = {},
): Promise<{ created: boolean; workspaceId: string; customers: number; orders: number }> {
  const log = opts.log ?? (() => undefined);
  const slug = opts.slug ?? DEMO_WORKSPACE_SLUG;
  // Already seeded? The demo owner's memberships say so (workspaces are invisible without a context).
  const owner = await prisma.user.findUnique({ where: { email: DEMO_USERS[0]!.email }, select: { id: true } });
  if (owner) {
    const ws = await withTenant(prisma, { userId: owner.id }, (tx) =>
      tx.membership.findFirst({ where: { userId: owner.id, workspace: { slug } }, select: { workspaceId: true } }),
    );
    if (ws) return { created: false, workspaceId: ws.workspaceId, customers: 0, orders: 0 };
  }

  const data = generateDemoData(opts);
  const workspaceId = crypto.randomUUID();
  const passwordHash = await argon2.hash(DEMO_PASSWORD, { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 });

  await withTenant(prisma, { workspaceId }, async (tx) => {
    await tx.workspace.create({
      data: { id: workspaceId, name: opts.name ?? "Northwind Roasters (demo)", slug, currency: "USD", timezone: opts.timezone ?? "America/New_York" },
      select: { id: true },
    });
    for (const u of DEMO_USERS) {
      const user = await tx.user.upsert({
        where: { email: u.email },
        create: { email: u.email, name: u.name, passwordHash },
        update: {},
        select: { id: true },
      });
      await tx.membership.create({ data: { workspaceId, userId: user.id, role: u.role }, select: { role: true } });
    }
    await tx.auditLog.create({ data: { workspaceId, action: "workspace.seeded", details: { customers: data.customers.length } }, select: { id: true } });
  });
  const counts = await writeDemoData(prisma, workspaceId, data, log);
  return { created: true, workspaceId, ...counts };
}

export async function writeDemoData(
  prisma: PrismaClient,
  workspaceId: string,
  data: DemoData,
  log: (msg: string) => void,
): Promise<{ customers: number; orders: number }> {
  const campaignIds = new Map<string, string>();
  await withWorkspace(prisma, workspaceId, async (tx) => {
    for (const c of data.campaigns) {
      const row = await tx.campaign.create({
        data: { workspaceId, externalId: c.externalId, name: c.name, channel: c.channel, startsAt: c.startsAt, endsAt: c.endsAt, notes: c.notes },
        select: { id: true },
      });
      campaignIds.set(c.externalId, row.id);
    }
    await bulkInsertSpend(
      tx,
      workspaceId,
      data.spend.map((s) => ({ campaignId: campaignIds.get(s.campaignExternalId)!, day: s.day, amountMinor: s.amountMinor, currency: s.currency })),
    );
  });

  const customerIds = new Map<string, string>();
  for (let i = 0; i < data.customers.length; i += CUSTOMER_BATCH) {
    const batch = data.customers.slice(i, i + CUSTOMER_BATCH);
    await withWorkspace(prisma, workspaceId, async (tx) => {
      const ids = await bulkInsertCustomers(
        tx,
        workspaceId,
        batch.map((c) => ({
          externalId: c.externalId,
          email: c.email,
          name: c.name,
          signedUpAt: c.signedUpAt,
          acquisitionChannel: c.acquisitionChannel,
          acquisitionCampaignId: c.campaignExternalId ? (campaignIds.get(c.campaignExternalId) ?? null) : null,
          attributes: c.attributes,
        })),
      );
      for (const [ext, id] of ids) customerIds.set(ext, id);
    });
  }
  log(`seed: ${data.customers.length} customers`);

  for (let i = 0; i < data.orders.length; i += ORDER_BATCH) {
    const batch = data.orders.slice(i, i + ORDER_BATCH);
    await withWorkspace(prisma, workspaceId, (tx) =>
      bulkInsertOrders(
        tx,
        workspaceId,
        batch.map((o) => ({
          externalId: o.externalId,
          customerId: customerIds.get(o.customerExternalId)!,
          orderedAt: o.orderedAt,
          amountMinor: o.amountMinor,
          currency: o.currency,
          costMinor: o.costMinor,
          refunded: o.refunded,
        })),
      ),
    );
  }
  log(`seed: ${data.orders.length} orders`);
  return { customers: data.customers.length, orders: data.orders.length };
}
