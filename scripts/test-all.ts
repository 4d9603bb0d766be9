/**
 * `pnpm test`: every check, against real components started here.
 *   1. lint and typecheck of every package (turbo),
 *   2. unit + integration tests (Vitest) against one throwaway embedded PostgreSQL,
 *   3. the production build served on that database, driven by Playwright in Debian's Chromium.
 * Ends with one plain line "N passed, N failed, N skipped" (CI reads it) and a non-zero exit on any
 * failure or when nothing ran.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { startTestDatabase } from "@valuelens/db/testing";
import { ROOT, say } from "./runtime.ts";

interface Tally {
  passed: number;
  failed: number;
  skipped: number;
  failures: string[];
}
const tally: Tally = { passed: 0, failed: 0, skipped: 0, failures: [] };

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}, cwd = ROOT): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: "inherit" });
    child.on("exit", (code) => resolve(code ?? 1));
  });
}

const TURBO_ENV = { TURBO_TELEMETRY_DISABLED: "1", NEXT_TELEMETRY_DISABLED: "1", DO_NOT_TRACK: "1", CHECKPOINT_DISABLE: "1" };

/** Runs turbo tasks and counts each package task as a passed or failed check, from turbo's run summary. */
async function turboChecks(tasks: string[], label: string, env: NodeJS.ProcessEnv = {}): Promise<void> {
  const runsDir = path.join(ROOT, ".turbo/runs");
  const before = new Set(existsSync(runsDir) ? readdirSync(runsDir) : []);
  const code = await run("pnpm", ["exec", "turbo", "run", ...tasks, "--continue", "--summarize", "--output-logs=errors-only"], { ...TURBO_ENV, ...env });
  const fresh = existsSync(runsDir) ? readdirSync(runsDir).filter((f) => !before.has(f)) : [];
  const latest = fresh.map((f) => path.join(runsDir, f)).sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
  if (!latest) {
    tally.failed++;
    tally.failures.push(`${label}: turbo exited ${code} without a run summary`);
    return;
  }
  const summary = JSON.parse(readFileSync(latest, "utf8")) as { tasks: { taskId: string; task: string; execution?: { exitCode?: number | null } }[] };
  for (const t of summary.tasks) {
    if (!tasks.includes(t.task)) continue; // ^build dependencies are not checks
    if (t.execution?.exitCode === 0) tally.passed++;
    else {
      tally.failed++;
      tally.failures.push(`${label}: ${t.taskId} exited ${t.execution?.exitCode ?? "?"}`);
    }
  }
}

interface VitestJson {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  testResults: { name: string; status: string; message?: string; assertionResults: { fullName: string; status: string }[] }[];
}

function collectVitest(): void {
  for (const dir of ["apps", "packages"].flatMap((d) => readdirSync(path.join(ROOT, d)).map((p) => path.join(ROOT, d, p)))) {
    const file = path.join(dir, "test-results.json");
    if (!existsSync(file)) continue;
    const r = JSON.parse(readFileSync(file, "utf8")) as VitestJson;
    tally.passed += r.numPassedTests;
    tally.failed += r.numFailedTests;
    tally.skipped += r.numPendingTests + r.numTodoTests;
    for (const f of r.testResults) {
      // A file that failed to load has no assertions but must count as a failure.
      if (f.status === "failed" && f.assertionResults.length === 0) {
        tally.failed++;
        tally.failures.push(`${path.relative(ROOT, f.name)}: ${f.message?.split("\n")[0] ?? "failed to run"}`);
      }
      for (const a of f.assertionResults) if (a.status === "failed") tally.failures.push(`${path.relative(ROOT, f.name)} › ${a.fullName}`);
    }
  }
}

function cleanVitestReports(): void {
  for (const d of ["apps", "packages"]) for (const p of readdirSync(path.join(ROOT, d))) rmSync(path.join(ROOT, d, p, "test-results.json"), { force: true });
}

async function waitForHealth(url: string, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    try {
      const r = await fetch(`${url}/api/health`);
      if (r.ok) return true;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  return false;
}

async function e2e(db: { appUrl: string; ownerUrl: string }): Promise<void> {
  const chromium = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
  if (!existsSync(chromium)) {
    tally.failed++;
    tally.failures.push(`e2e: no Chromium at ${chromium} (apt-get install chromium, or set CHROMIUM_PATH)`);
    return;
  }
  const buildCode = await run("pnpm", ["exec", "turbo", "run", "build", "--filter=@valuelens/web...", "--output-logs=errors-only"], TURBO_ENV);
  if (buildCode !== 0) {
    tally.failed++;
    tally.failures.push("e2e: production build failed");
    return;
  }
  const port = 3100 + Math.floor(Math.random() * 500);
  const baseUrl = `http://localhost:${port}`;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "valuelens-e2e-"));
  const app = spawn("pnpm", ["exec", "tsx", "scripts/start.ts"], {
    cwd: ROOT,
    env: {
      ...process.env,
      ...TURBO_ENV,
      DATABASE_URL: db.appUrl,
      DATABASE_OWNER_URL: db.ownerUrl,
      PORT: String(port),
      APP_URL: baseUrl,
      AUTH_SECRET: randomBytes(32).toString("base64url"),
      VALUELENS_DATA_DIR: dataDir,
      SMTP_URL: "",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs: string[] = [];
  app.stdout.on("data", (d: Buffer) => logs.push(d.toString()));
  app.stderr.on("data", (d: Buffer) => logs.push(d.toString()));
  try {
    if (!(await waitForHealth(baseUrl, 120_000))) {
      tally.failed++;
      tally.failures.push("e2e: the app did not become healthy within 120 s");
      process.stdout.write(logs.join("").slice(-4000));
      return;
    }
    // The CDNOW master data (../shared/datasets) through `pnpm import:cdnow`, so the Retention e2e on
    // real data runs instead of skipping; without the file (a machine without the datasets) it says so.
    const cdnow = path.resolve(ROOT, "../shared/datasets/CDNOW_master.txt");
    if (existsSync(cdnow)) {
      if ((await run("pnpm", ["import:cdnow", cdnow], { DATABASE_URL: db.appUrl })) !== 0) {
        tally.failed++;
        tally.failures.push("e2e: pnpm import:cdnow failed");
      }
    } else process.stdout.write(`e2e: ${cdnow} not found; the CDNOW Retention e2e will skip\n`);
    const report = path.join(ROOT, "e2e/test-results.json");
    rmSync(report, { force: true });
    await run("pnpm", ["exec", "playwright", "test"], { E2E_BASE_URL: baseUrl, E2E_DATABASE_URL: db.appUrl, CHROMIUM_PATH: chromium }, path.join(ROOT, "e2e"));
    if (!existsSync(report)) {
      tally.failed++;
      tally.failures.push("e2e: Playwright wrote no report");
      return;
    }
    const r = JSON.parse(readFileSync(report, "utf8")) as { stats: { expected: number; unexpected: number; flaky: number; skipped: number } };
    tally.passed += r.stats.expected + r.stats.flaky;
    tally.failed += r.stats.unexpected;
    tally.skipped += r.stats.skipped;
    if (r.stats.unexpected > 0) tally.failures.push(`e2e: ${r.stats.unexpected} Playwright test(s) failed (see above)`);
    if (process.env.CI) process.stdout.write("\n--- app log (last 3000 chars) ---\n" + logs.join("").slice(-3000) + "\n");
  } finally {
    app.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 1500));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const started = Date.now();
say("test.start");
const db = await startTestDatabase();
say("test.database_ready");
try {
  await turboChecks(["lint", "typecheck"], "static checks");
  cleanVitestReports();
  await turboChecks(["test"], "unit+integration", {
    TEST_DATABASE_URL: db.appUrl,
    TEST_DATABASE_OWNER_URL: db.ownerUrl,
    TEST_DATABASE_SUPER_URL: db.superUrl,
  });
  // Counted per test from the reports; the per-package task results above already counted a crash.
  collectVitest();
  if (process.env.SKIP_E2E !== "1") await e2e(db);
} finally {
  await db.stop();
}

if (tally.failures.length) {
  process.stdout.write("\nFailures:\n" + tally.failures.map((f) => `  - ${f}`).join("\n") + "\n");
}
process.stdout.write(`\nAll checks finished in ${Math.round((Date.now() - started) / 1000)} s\n`);
process.stdout.write(`${tally.passed} passed, ${tally.failed} failed, ${tally.skipped} skipped\n`);
process.exit(tally.failed > 0 || tally.passed === 0 ? 1 : 0);
