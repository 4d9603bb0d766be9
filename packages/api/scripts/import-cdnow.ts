/**
 * `pnpm import:cdnow`: loads ../shared/datasets/CDNOW_master.txt (whitespace-separated: customer_id,
 * date YYYYMMDD, number_of_cds, dollar_value; CRLF; header) into a workspace named "CDNOW" through
 * the same import engine as the dashboard (parser → validation → batched idempotent upserts).
 * Orders get deterministic ids (customer id + date + line number), customers are created from the
 * order rows. Re-running changes nothing. The demo owner (demo@valuelens.local) owns the workspace
 * when present. Connects with DATABASE_URL (the app role).
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createDb, dbEnv, withTenant, withWorkspace } from "@valuelens/db";
import { runImportJob } from "../src/services/import/engine.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const file = path.resolve(process.argv[2] ?? path.join(here, "../../../../shared/datasets/CDNOW_master.txt"));
if (!existsSync(file)) {
  process.stderr.write(`CDNOW file not found: ${file}\n`);
  process.exit(1);
}
const db = createDb(dbEnv().DATABASE_URL);
const prisma = db.prisma;
try {
  const owner = await prisma.user.findUnique({ where: { email: "demo@valuelens.local" }, select: { id: true } });
  let workspaceId: string | null = null;
  if (owner) {
    const m = await withTenant(prisma, { userId: owner.id }, (tx) =>
      tx.membership.findFirst({ where: { userId: owner.id, workspace: { slug: "cdnow" } }, select: { workspaceId: true } }),
    );
    workspaceId = m?.workspaceId ?? null;
  }
  if (!workspaceId) {
    const id = crypto.randomUUID();
    await withTenant(prisma, { workspaceId: id }, async (tx) => {
      await tx.workspace.create({ data: { id, name: "CDNOW", slug: owner ? "cdnow" : `cdnow-${id.slice(0, 8)}`, currency: "USD", timezone: "UTC" }, select: { id: true } });
      if (owner) await tx.membership.create({ data: { workspaceId: id, userId: owner.id, role: "OWNER" }, select: { role: true } });
    });
    workspaceId = id;
    console.log(`cdnow: created workspace CDNOW (${id})${owner ? " owned by demo@valuelens.local" : " (no demo owner found: no members)"}`);
  }
  const ws = workspaceId;
  const job = await withWorkspace(prisma, ws, (tx) =>
    tx.importJob.create({
      data: {
        workspaceId: ws,
        kind: "ORDERS",
        fileName: path.basename(file),
        createdById: owner?.id ?? null,
        mapping: {
          columns: ["customer_external_id", "ordered_at", "ignore", "amount"],
          options: { delimiter: "whitespace", dateFormat: "auto", timeZone: "UTC", defaultCurrency: "USD", unknownCustomers: "create", deriveOrderIds: true },
        },
      },
      select: { id: true },
    }),
  );
  const started = Date.now();
  const out = await runImportJob(prisma, ws, job.id, file, { now: new Date() });
  const s = (Date.now() - started) / 1000;
  console.log(
    `cdnow: ${out.status} in ${s.toFixed(1)} s (${Math.round(out.rows / s)} rows/s): rows ${out.rows} = created ${out.created} + updated ${out.updated} + unchanged ${out.unchanged} + rejected ${out.rejected}${out.error ? ` — ${out.error}` : ""}`,
  );
  const stats = await withWorkspace(prisma, ws, (tx) => tx.workspaceStats.findUnique({ where: { workspaceId: ws }, select: { customers: true, orders: true } }));
  console.log(`cdnow: workspace now has ${stats?.customers ?? 0} customers and ${stats?.orders ?? 0} orders`);
  if (out.status !== "COMPLETED") process.exitCode = 1;
} finally {
  await db.close();
}
process.exit(process.exitCode ?? 0);
