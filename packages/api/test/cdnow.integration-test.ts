/**
 * Issue 9: the real pipeline on real data. The CDNOW master file (23,570 customers, 69,659 order
 * lines, 1997–1998; /work/shared/datasets, see its README) goes in through the dashboard's import
 * engine, the triggers keep the summaries, the recompute fits and scores. Reference: the same file
 * summarised straight from its lines by clv-core's summarizeTransactions and fitted with clv-core
 * directly (days, observation end = the last order day) — an independent path from raw file to
 * parameters. Tolerance 1e-6 relative for BG/NBD (same optimiser on identical columns, different
 * row order) and 1e-4 for Gamma-Gamma's p and q (the reference runs in dollars, the product in
 * cents: v scales by 100, p and q are scale-free, so only the optimiser's stopping point differs).
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { fitBgNbd, fitGammaGamma, summarizeTransactions, type Transaction } from "@valuelens/clv-core";
import { getDb, withWorkspace } from "@valuelens/db";
import { describe, expect, it } from "vitest";
import { runImportJob } from "../src/services/import/engine.ts";
import { recomputeWorkspace } from "../src/services/recompute/index.ts";
import { signUp } from "./harness.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const FILE = path.resolve(here, "../../../../shared/datasets/CDNOW_master.txt");

describe("CDNOW through the import path", () => {
  it("stores the parameters of a direct clv-core fit on the raw file", { timeout: 600_000 }, async () => {
    expect(existsSync(FILE), `CDNOW file expected at ${FILE} (the shared datasets next to the repo)`).toBe(true);
    const { prisma } = getDb();
    const ws = await signUp("cdnow", "CDNOW");
    const job = await withWorkspace(prisma, ws.workspaceId, (tx) =>
      tx.importJob.create({
        data: {
          workspaceId: ws.workspaceId,
          kind: "ORDERS",
          fileName: "CDNOW_master.txt",
          mapping: {
            columns: ["customer_external_id", "ordered_at", "ignore", "amount"],
            options: { delimiter: "whitespace", dateFormat: "auto", timeZone: "UTC", defaultCurrency: "USD", unknownCustomers: "create", deriveOrderIds: true },
          },
        },
        select: { id: true },
      }),
    );
    const imported = await runImportJob(prisma, ws.workspaceId, job.id, FILE, { now: new Date(Date.UTC(2026, 0, 1)) });
    expect(imported.status).toBe("COMPLETED");
    expect(imported.rejected).toBe(0);
    const run = await recomputeWorkspace(prisma, ws.workspaceId, { triggeredBy: "test", compare: false });
    if (run.status !== "succeeded") throw new Error(`recompute ${run.status}`);
    expect(run.customers).toBe(23_570);

    // Reference straight from the file's lines.
    const tx: Transaction[] = [];
    for (const line of readFileSync(FILE, "utf8").split(/\r?\n/).slice(1)) {
      const [id, d, , dollars] = line.trim().split(/\s+/);
      if (!id || !d || !dollars) continue;
      tx.push({ customerId: id, at: new Date(Date.UTC(+d.slice(0, 4), +d.slice(4, 6) - 1, +d.slice(6, 8))), amount: Number(dollars) });
    }
    expect(tx.length).toBe(69_659);
    const end = new Date(Math.max(...tx.map((t) => t.at.getTime())));
    const s = summarizeTransactions(tx, { observationEnd: end, unit: "days" });
    const bg = fitBgNbd(s);
    const gg = fitGammaGamma({ frequency: Float64Array.from(s.frequency, (f, i) => (s.monetaryValue[i]! > 0 ? f : 0)), monetaryValue: s.monetaryValue });

    const stored = await withWorkspace(prisma, ws.workspaceId, (t) =>
      t.modelRun.findUniqueOrThrow({ where: { workspaceId_id: { workspaceId: ws.workspaceId, id: run.runId } }, select: { params: true, spendParams: true, customers: true, orders: true } }),
    );
    const p = stored.params as Record<string, number>;
    for (const k of ["r", "alpha", "a", "b"] as const) expect(Math.abs(p[k]! / bg.params[k] - 1), k).toBeLessThan(1e-6);
    const sp = (stored.spendParams as { params: Record<string, number> }).params;
    expect(Math.abs(sp.p! / gg.params.p - 1)).toBeLessThan(1e-4);
    expect(Math.abs(sp.q! / gg.params.q - 1)).toBeLessThan(1e-4);
    expect(Math.abs(sp.v! / (100 * gg.params.v) - 1)).toBeLessThan(1e-3);
    expect(stored.orders).toBe(69_659);
  });
});
