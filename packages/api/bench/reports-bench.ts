/**
 * Weekly report benchmark (issue 8). In a fresh bench workspace: N customers (default 1,000,000) with
 * ≈1.5 orders each over two years (set-based, generate_series, bulk-summaries mode), synthetic scores
 * (bench/synthetic-scores.ts) and two segment snapshots, then a schedule with every section. Times:
 *   - building the digest's content, per section (one section at a time, and all together);
 *   - preparing one scheduled report (content + three chart PNGs + ledger rows for 2 recipients, in
 *     the job's transaction), for three consecutive weeks;
 *   - the browser preview through the real tRPC caller (request transaction).
 * Retention is read live from customer_months (the bench writes no retention rollups: worst case).
 * Needs DATABASE_URL of a throwaway database (the workspace is left in place). SMTP_URL unset: outbox.
 *   eval "$(pnpm -s db:env)"; pnpm --filter @valuelens/api exec tsx bench/reports-bench.ts [customers]
 */
import { cpus, loadavg, totalmem } from "node:os";
import { registerUser } from "@valuelens/auth";
import { beginBulkSummaries, createDb, dbEnv, flushBulkSummaries, withWorkspace } from "@valuelens/db";
import { REPORT_SECTIONS, type TReportSection } from "@valuelens/validators";
import { createCaller } from "../src/root.ts";
import { buildReportContent, chartFont, deliverScheduledReport, renderCharts, reportPeriod } from "../src/services/reports/index.ts";
import { writeSegmentSnapshots } from "../src/services/segments/index.ts";
import { insertSyntheticScores } from "./synthetic-scores.ts";

const N = Number(process.argv[2] ?? 1_000_000);
process.env.AUTH_SECRET ??= "bench-secret-for-signed-unsubscribe-links";
delete process.env.SMTP_URL;
const db = createDb(dbEnv().DATABASE_URL, { max: 4 });
const prisma = db.prisma;
const tag = Date.now().toString(36);
const { user, workspaceId } = await registerUser(
  { name: "Reports bench", email: `reports-bench-${tag}@example.com`, password: "correct horse battery staple", workspaceName: `Reports bench ${tag}` },
  "192.0.2.11",
);
const caller = createCaller({ prisma, user, ip: "192.0.2.11", requestId: crypto.randomUUID() });
const load0 = loadavg()[0]!;
const secs = (t: number) => ((performance.now() - t) / 1000).toFixed(1);
const noTimeout = "SET LOCAL statement_timeout = 0";
const long = { timeoutMs: 60 * 60_000 };

// 1. Customers (first orders spread over 2024–2025), orders (first + every other customer a second), set-based.
let t = performance.now();
await withWorkspace(
  prisma,
  workspaceId,
  async (tx) => {
    await tx.$executeRawUnsafe(noTimeout);
    await tx.$executeRaw`
      INSERT INTO customers (workspace_id, external_id, email, name)
      SELECT ${workspaceId}::uuid, 'c' || i, 'c' || i || '@example.com', 'Customer ' || i FROM generate_series(1, ${N}::int) AS i`;
  },
  long,
);
const tCustomers = secs(t);
t = performance.now();
const BATCH = 250_000;
for (let from = 1; from <= N; from += BATCH) {
  const to = Math.min(N, from + BATCH - 1);
  await withWorkspace(
    prisma,
    workspaceId,
    async (tx) => {
      await tx.$executeRawUnsafe(noTimeout);
      await beginBulkSummaries(tx, workspaceId);
      await tx.$executeRaw`
        INSERT INTO orders (workspace_id, external_id, customer_id, ordered_at, amount_minor, currency)
        SELECT c.workspace_id, c.external_id || '-' || k, c.id,
               timestamptz '2024-01-01' + ((i * 37) % 700) * interval '1 day' + (k * ((i * 13) % 120)) * interval '1 day' + (i % 86400) * interval '1 second',
               1000 + ((i::bigint * 7919 + k * 311) % 25000), 'USD'
          FROM generate_series(${from}::int, ${to}::int) AS i
          JOIN customers c ON c.workspace_id = ${workspaceId}::uuid AND c.external_id = 'c' || i
          CROSS JOIN generate_series(0, CASE WHEN i % 2 = 0 THEN 1 ELSE 0 END) AS k`;
      await flushBulkSummaries(tx, workspaceId);
    },
    long,
  );
}
const tOrders = secs(t);

// 2. Scores and two snapshots (a week apart, some customers moved between them).
t = performance.now();
const newRun = (finishedAt: Date) =>
  withWorkspace(prisma, workspaceId, (tx) =>
    tx.modelRun.create({ data: { workspaceId, modelKind: "bgnbd", status: "succeeded", step: "done", progress: 100, finishedAt, customers: N }, select: { id: true } }),
  );
const run1 = await newRun(new Date("2025-12-28T03:00:00Z"));
await withWorkspace(
  prisma,
  workspaceId,
  async (tx) => {
    await tx.$executeRawUnsafe(noTimeout);
    await insertSyntheticScores(tx, workspaceId, run1.id);
    await writeSegmentSnapshots(tx, workspaceId, run1.id);
    await tx.$executeRaw`UPDATE segment_snapshots SET created_at = '2025-12-28T03:00:00Z' WHERE workspace_id = ${workspaceId}::uuid AND model_run_id = ${run1.id}::uuid`;
    await tx.$executeRaw`UPDATE customer_scores SET rfm_r = 1 + (rfm_r % 5) WHERE workspace_id = ${workspaceId}::uuid AND rfm_f = 3`;
  },
  long,
);
const run2 = await newRun(new Date());
await withWorkspace(prisma, workspaceId, async (tx) => {
  await tx.$executeRawUnsafe(noTimeout);
  await writeSegmentSnapshots(tx, workspaceId, run2.id);
}, long);
for (const table of ["customers", "orders", "customer_scores", "customer_months", "customer_weeks"]) {
  await withWorkspace(prisma, workspaceId, async (tx) => {
    await tx.$executeRawUnsafe(noTimeout);
    await tx.$executeRawUnsafe(`ANALYZE ${table}`);
  }, long);
}
const tScores = secs(t);

const scheduleId = await caller.reports.saveSchedule({
  workspaceId,
  name: "Bench digest",
  recipients: ["a@example.com", "b@example.com"],
  dayOfWeek: 1,
  localTime: "09:00",
  timezone: "Europe/Paris",
  sections: [...REPORT_SECTIONS],
  paused: false,
});

// 3. Content per section, under the app role's own statement timeout (as the job runs).
chartFont();
const sendAt = new Date("2026-01-05T08:00:00Z");
const period = { ...reportPeriod(sendAt, "Europe/Paris"), timezone: "Europe/Paris" };
const ms = (t0: number) => Math.round(performance.now() - t0);
const sectionRows: string[] = [];
for (const sections of [...REPORT_SECTIONS.map((s) => [s]), [...REPORT_SECTIONS]] as TReportSection[][]) {
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    await withWorkspace(prisma, workspaceId, async (tx) => {
      const c = await buildReportContent(tx, workspaceId, period, { sections, scheduleId });
      renderCharts(c, "bench");
    }, { timeoutMs: 120_000 });
    times.push(ms(t0));
  }
  sectionRows.push(`| ${sections.length === 1 ? sections[0] : "all sections"} | ${times.join(" / ")} |`);
}

// 4. Scheduled sends (three weeks) and the preview.
const sends: string[] = [];
for (const week of [0, 1, 2]) {
  const at = new Date(sendAt.getTime() + week * 7 * 86_400_000);
  const t0 = performance.now();
  const r = await deliverScheduledReport(prisma, { workspaceId, scheduleId, sendAt: at });
  sends.push(`${r.dedupeKey}: ${ms(t0)} ms (${r.created} rows, outbox ${r.counts.outbox})`);
}
const previews: number[] = [];
for (let i = 0; i < 3; i++) {
  const t0 = performance.now();
  await caller.reports.preview({ workspaceId, scheduleId });
  previews.push(ms(t0));
}
const [sizes] = await withWorkspace(prisma, workspaceId, (tx) =>
  tx.$queryRaw<{ html: number; images: number; orders: bigint }[]>`
    SELECT (SELECT avg(length(html))::int FROM report_deliveries WHERE workspace_id = ${workspaceId}::uuid) AS html,
           (SELECT avg(length(images::text))::int FROM report_deliveries WHERE workspace_id = ${workspaceId}::uuid) AS images,
           (SELECT count(*) FROM orders WHERE workspace_id = ${workspaceId}::uuid) AS orders`,
);
await db.close();

console.log(`\nWeekly reports: ${N.toLocaleString("en-US")} customers, ${Number(sizes?.orders ?? 0n).toLocaleString("en-US")} orders; ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}; load average ${load0.toFixed(1)} → ${loadavg()[0]!.toFixed(1)}`);
console.log(`Setup: customers ${tCustomers} s, orders + summaries ${tOrders} s, scores + 2 snapshots + ANALYZE ${tScores} s`);
console.log("\n| Content (+ charts) | 3 runs (ms) |\n|---|---|");
for (const r of sectionRows) console.log(r);
console.log(`\nScheduled report prepared and written to the outbox (2 recipients): ${sends.join("; ")}`);
console.log(`Preview through tRPC (request transaction): ${previews.join(" / ")} ms`);
console.log(`Stored per message: HTML ${sizes?.html ?? 0} chars, images ${sizes?.images ?? 0} chars (base64 JSON)`);
process.exit(0);
