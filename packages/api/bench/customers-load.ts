/**
 * Benchmark (issue 9): the Customers page's queries under 50 concurrent users, over HTTP against the
 * running app (production build, as scripts/start.ts starts it), on the 1,000,000-customer workspace that
 * bench/scale-1m.ts generated. Each simulated user is signed in (Auth.js credentials, a real
 * session cookie) and loops over what the Customers page and a profile ask for: the list in each
 * sort order, pages 2–3 by keyset cursor, each filter, a search, the filter options, the model status
 * and a customer profile. Latencies are measured per request by the client; p50/p95/p99 per kind.
 *
 * The app is started the way scripts/start.ts starts it (apps/web/src/server/main.ts); BENCH_WEB=next-start
 * starts plain `next start` instead (the entry before session 9), to compare.
 * Usage (after `pnpm --filter @valuelens/web build`, or with NEXT_DIST_DIR=<dir> of a build):
 *   pnpm --filter @valuelens/api exec tsx bench/customers-load.ts [customers=1000000] [--users 50] [--seconds 30] [--think ms]
 * --warmup s: untimed back-to-back load before the timed run (default 5 s; every worker and connection warm).
 * --client node|wrk|both: the load generator (see runWrk).
 * --think: each user pauses a random (exponential) time of this mean between requests, as people
 * reading a page do; without it every user sends its next request the moment the last one returns.
 *   BENCH_PG_DIR (default /tmp/vl-bench-pg), BENCH_PG_PORT (default 5460), BENCH_APP_PORT (default 3950).
 *   BENCH_WORKSPACE_SLUG: another workspace of that database to load (default `bench-<customers>`, the one
 *   scale-1m.ts creates), e.g. a 1M-customer workspace another benchmark generated.
 * The client runs on the same machine as the server and the database (2 cores here): its own CPU
 * use is part of the figures, which makes them pessimistic.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { hashPassword } from "@valuelens/auth";
import { createDb } from "@valuelens/db";
import { grantAppRole, startEmbeddedPostgres } from "@valuelens/db/embedded";
import { deployMigrations } from "@valuelens/db/migrate";

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const customers = Number(process.argv.slice(2).find((a, i, all) => /^\d+$/.test(a) && !/^--/.test(all[i - 1] ?? "")) ?? 1_000_000);
const users = arg("--users", 50);
const seconds = arg("--seconds", 30);
/** Mean pause (ms) of each user between requests (exponential); 0 = back to back, as autocannon does. */
const thinkMs = arg("--think", 0);
/** Seconds of untimed load (all users, back to back) before the timed run. */
const warmupSeconds = arg("--warmup", 5);
/** The load generator: this Node.js process (default), wrk (a C client, less CPU on the shared cores), or both one after the other. */
const clientArg = process.argv.includes("--client") ? process.argv[process.argv.indexOf("--client") + 1] : "node";
if (clientArg !== "node" && clientArg !== "wrk" && clientArg !== "both") throw new Error(`--client must be node, wrk or both, not "${clientArg}".`);
if (clientArg !== "node" && thinkMs > 0) throw new Error("--think works with the Node.js client only (wrk sends back to back).");
/** Directory for a V8 CPU profile of the web server (--cpu-prof), to see where a request's time goes. */
const profileDir = process.env.BENCH_CPU_PROF_DIR;
/** Which web server: the production entry (default, `server`) or plain `next start` (`next-start`), to compare. */
const webEntry = process.env.BENCH_WEB ?? "server";
/** Extra Node.js flags for the web server process only (e.g. BENCH_WEB_NODE_ARGS="--max-semi-space-size=64"). */
const webNodeArgs = (process.env.BENCH_WEB_NODE_ARGS ?? "").split(/\s+/).filter(Boolean);
if (webEntry !== "server" && webEntry !== "next-start") throw new Error(`BENCH_WEB must be "server" or "next-start", not "${webEntry}".`);
const dir = process.env.BENCH_PG_DIR ?? "/tmp/vl-bench-pg";
const pgPort = Number(process.env.BENCH_PG_PORT ?? 5460);
const appPort = Number(process.env.BENCH_APP_PORT ?? 3950);
const base = `http://127.0.0.1:${appPort}`;
const webDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../apps/web");
const say = (event: string, data: Record<string, unknown> = {}) => console.log(JSON.stringify({ event, ...data }));

// Slow statements (when the server logs them: ALTER SYSTEM SET log_min_duration_statement) go to stderr;
// BENCH_PG_LOG_ALL=1 echoes every server log line (with ALTER SYSTEM SET log_statement = 'all': each statement a request sends).
const logAll = process.env.BENCH_PG_LOG_ALL === "1";
let echo = 0;
const pg = await startEmbeddedPostgres({
  dir,
  port: pgPort,
  persistent: true,
  log: (m) => {
    if (/duration: /.test(m) || logAll) echo = 3;
    if (echo > 0) {
      echo--;
      console.error(m.slice(0, 400));
    }
  },
});
await deployMigrations({ ownerUrl: pg.ownerUrl, log: () => undefined });
await grantAppRole(pg.ownerUrl, pg.appUrl);
const sup = createDb(pg.superUrl.replace(/\/postgres$/, "/valuelens"), { max: 2 });
const agent = new http.Agent({ keepAlive: true, maxSockets: users + 4 });
let web: ReturnType<typeof spawn> | null = null;

try {
  const slug = process.env.BENCH_WORKSPACE_SLUG ?? `bench-${customers}`;
  const [ws] = await sup.prisma.$queryRaw<{ id: string }[]>`SELECT id::text FROM workspaces WHERE slug = ${slug}`;
  if (!ws) throw new Error(`No workspace ${slug}: run apps/worker/bench/scale-1m.ts ${customers} --generate-only first (or set BENCH_WORKSPACE_SLUG).`);
  // A bench user with a fresh password each run, OWNER of the bench workspace (superuser connection: set-up only).
  const email = "bench-load@valuelens.local";
  const password = randomBytes(18).toString("base64url");
  const hash = await hashPassword(password);
  const [user] = await sup.prisma.$queryRaw<{ id: string }[]>`
    INSERT INTO users (id, email, name, password_hash, updated_at) VALUES (gen_random_uuid(), ${email}, 'Bench load', ${hash}, now())
    ON CONFLICT (email) DO UPDATE SET password_hash = EXCLUDED.password_hash RETURNING id::text`;
  await sup.prisma.$executeRaw`INSERT INTO memberships (workspace_id, user_id, role) VALUES (${ws.id}::uuid, ${user!.id}::uuid, 'OWNER') ON CONFLICT DO NOTHING`;

  // BENCH_PG_SOCKET=<dir> (e.g. /tmp): the web server reaches PostgreSQL over its Unix-domain socket in that
  // directory instead of TCP on 127.0.0.1 (same server, same roles), to measure what the transport costs.
  const socketDir = process.env.BENCH_PG_SOCKET;
  const appUrl = socketDir ? `${pg.appUrl}${pg.appUrl.includes("?") ? "&" : "?"}host=${encodeURIComponent(socketDir)}` : pg.appUrl;
  // The production entry scripts/start.ts runs (apps/web/src/server/main.ts: /api/trpc answered directly,
  // Next.js for the rest), or with BENCH_WEB=next-start plain `next start` (every request through Next.js's routing).
  const entry = webEntry === "next-start" ? [path.join(webDir, "node_modules/next/dist/bin/next"), "start", "--port", String(appPort)] : ["--import", "tsx", "src/server/main.ts"];
  web = spawn(process.execPath, [...(profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : []), ...webNodeArgs, ...entry], {
    cwd: webDir,
    env: { ...process.env, NODE_ENV: "production", PORT: String(appPort), DATABASE_URL: appUrl, AUTH_SECRET: randomBytes(32).toString("base64"), APP_URL: base, LOG_LEVEL: "warn" },
    stdio: ["ignore", "ignore", "inherit"],
  });
  for (let i = 0; ; i++) {
    const ok = await get("/api/health").then((r) => r.status === 200, () => false);
    if (ok) break;
    if (i > 120) throw new Error("the app did not become healthy within 60 s");
    await new Promise((r) => setTimeout(r, 500));
  }
  const cookie = await signIn(email, password);
  say("signed_in");

  const trpc = (proc: string, input: unknown) => `/api/trpc/${proc}?batch=1&input=${encodeURIComponent(JSON.stringify({ 0: { json: input } }))}`;
  const list = (extra: Record<string, unknown>) => trpc("customers.list", { workspaceId: ws.id, limit: 25, cursor: null, sort: "predictedClv", dir: "desc", filters: {}, ...extra });
  type Page = { rows: { id: string; email: string | null; channel: string | null }[]; nextCursor: { v: string; id: string } | null };
  const page = async (extra: Record<string, unknown>): Promise<Page> => {
    const r = await get(list(extra), cookie);
    if (r.status !== 200) throw new Error(`customers.list: HTTP ${r.status} ${r.body.slice(0, 300)}`);
    return (JSON.parse(r.body) as [{ result: { data: { json: Page } } }])[0].result.data.json;
  };
  const p1 = await page({});
  const p2 = await page({ cursor: p1.nextCursor });
  const first = p1.rows[0]!;
  const channel = p1.rows.find((r) => r.channel)?.channel ?? null;
  const emailPrefix = first.email ? first.email.slice(0, Math.max(4, first.email.indexOf("@") - 2)) : null;
  const requests: { kind: string; path: string }[] = [
    { kind: "list: predicted CLV, page 1", path: list({}) },
    { kind: "list: predicted CLV, page 2", path: list({ cursor: p1.nextCursor }) },
    { kind: "list: predicted CLV, page 3", path: list({ cursor: p2.nextCursor }) },
    { kind: "list: historical CLV", path: list({ sort: "historicalClv" }) },
    { kind: "list: P(alive) ascending", path: list({ sort: "pAlive", dir: "asc" }) },
    { kind: "list: last order", path: list({ sort: "lastOrder" }) },
    { kind: "list: tier high", path: list({ filters: { tier: "high" } }) },
    { kind: "list: segment At Risk", path: list({ filters: { segment: "At Risk" } }) },
    { kind: "list: churn risk high", path: list({ filters: { churnRisk: "high" } }) },
    ...(channel ? [{ kind: "list: channel", path: list({ filters: { channel } }) }] : []),
    ...(emailPrefix ? [{ kind: "list: search e-mail prefix", path: list({ filters: { search: emailPrefix } }) }] : []),
    { kind: "list: without orders", path: list({ view: "withoutOrders" }) },
    { kind: "filter options", path: trpc("customers.filterOptions", { workspaceId: ws.id }) },
    { kind: "model status", path: trpc("model.status", { workspaceId: ws.id }) },
    { kind: "customer profile", path: trpc("customers.get", { workspaceId: ws.id, customerId: first.id }) },
  ];
  // Warm-up: every request once (plans cached, pages in memory), then `--warmup` seconds (default 5) of
  // all users back to back, untimed: every connection opened, the database pool filled and the server's
  // hot paths compiled before the timed run (a server of several processes, e.g. a cluster, would
  // otherwise get all 15 warm-up requests on one of them).
  for (const r of requests) {
    const res = await get(r.path, cookie);
    if (res.status !== 200) throw new Error(`${r.kind}: HTTP ${res.status} ${res.body.slice(0, 300)}`);
  }
  const warmUntil = Date.now() + warmupSeconds * 1000;
  await Promise.all(
    Array.from({ length: users }, async (_, u) => {
      for (let i = u; Date.now() < warmUntil; i++) {
        const r = requests[i % requests.length]!;
        const res = await get(r.path, cookie);
        if (res.status !== 200) throw new Error(`warm-up ${r.kind}: HTTP ${res.status} ${res.body.slice(0, 300)}`);
      }
    }),
  );
  // BENCH_PG_STATEMENTS=1 (needs shared_preload_libraries = 'pg_stat_statements' in the data dir's
  // postgresql.auto.conf, and pg_stat_statements.track_planning = on for planning times): the statements
  // of the timed run(s) with their calls, mean planning and execution time, printed at the end.
  const statements = process.env.BENCH_PG_STATEMENTS === "1";
  if (statements) {
    // In a schema of its own: in public, the app role's grants (grantAppRole, run at every start) trip over its functions.
    await sup.prisma.$executeRawUnsafe("CREATE SCHEMA IF NOT EXISTS bench_stats");
    await sup.prisma.$executeRawUnsafe("CREATE EXTENSION IF NOT EXISTS pg_stat_statements SCHEMA bench_stats");
    await sup.prisma.$queryRawUnsafe("SELECT bench_stats.pg_stat_statements_reset()::text");
  }
  const pause = () => new Promise((w) => setTimeout(w, -Math.log(1 - Math.random()) * thinkMs));
  const pct = (xs: number[], q: number) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length ? Math.round(s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!) : NaN;
  };
  const header = (client: string) => `
Customers page under ${users} concurrent users${thinkMs ? ` (mean think time ${thinkMs} ms between requests)` : " (back to back, no think time)"}, ${customers.toLocaleString("en-US")} customers (${new Date().toISOString()})
Web server: ${webEntry === "server" ? "apps/web/src/server/main.ts (production entry)" : "next start"}${webNodeArgs.length ? ` with node ${webNodeArgs.join(" ")}` : ""}${socketDir ? `, PostgreSQL over its Unix socket in ${socketDir}` : ""}; load generator: ${client}
Command: \`pnpm --filter @valuelens/api exec tsx bench/customers-load.ts ${customers} --users ${users} --seconds ${seconds}${thinkMs ? ` --think ${thinkMs}` : ""}${clientArg !== "node" ? ` --client ${clientArg}` : ""}${warmupSeconds !== 5 ? ` --warmup ${warmupSeconds}` : ""}\``;
  const machine = (load0: number[], load1: number[]) =>
    `Machine: ${os.cpus().length} cores, ${Math.round(os.totalmem() / 1024 ** 3)} GiB, Node ${process.version}; load average ${load0.map((x) => x.toFixed(2)).join(" / ")} before, ${load1.map((x) => x.toFixed(2)).join(" / ")} after.`;
  const cpuLine = (cpu0: Cpu, cpu1: Cpu, n: number, wall: number, clientMs?: number) =>
    `CPU per request: ${(["client", "web", "postgres"] as const).map((k) => `${k} ${((k === "client" && clientMs !== undefined ? clientMs : cpu1[k] - cpu0[k]) / Math.max(1, n)).toFixed(2)} ms`).join(", ")} (of ${((os.cpus().length * 1000) / Math.max(1, n / wall)).toFixed(2)} ms of the ${os.cpus().length} cores' time per request).`;

  if (clientArg === "node" || clientArg === "both") {
    const load0 = os.loadavg();
    const cpu0 = cpuNow(web.pid);
    const lat = new Map<string, number[]>(requests.map((r) => [r.kind, []]));
    let errors = 0;
    const until = Date.now() + seconds * 1000;
    const t0 = Date.now();
    await Promise.all(
      Array.from({ length: users }, async (_, u) => {
        // With pauses, users arrive the way people do, not all in the same millisecond: each starts
        // after one pause of its own (otherwise the first 50 requests queue together and that one burst
        // alone fills the slowest 5 % of a 30 s run).
        if (thinkMs > 0) await pause();
        for (let i = u; Date.now() < until; i++) {
          const r = requests[i % requests.length]!;
          const t = performance.now();
          const res = await get(r.path, cookie).catch(() => ({ status: 0, body: "" }));
          if (res.status !== 200) errors++;
          else lat.get(r.kind)!.push(performance.now() - t);
          if (thinkMs > 0) await pause();
        }
      }),
    );
    const wall = (Date.now() - t0) / 1000;
    const load1 = os.loadavg();
    const cpu1 = cpuNow(web.pid);
    const all = [...lat.values()].flat();
    const lines = [...lat.entries()].map(([kind, xs]) => `| ${kind} | ${xs.length} | ${pct(xs, 0.5)} | ${pct(xs, 0.95)} | ${pct(xs, 0.99)} |`);
    console.log(`${header("Node.js (this process)")}
${machine(load0, load1)}
${all.length} requests in ${wall.toFixed(1)} s (${(all.length / wall).toFixed(0)} req/s), ${errors} errors; all requests p50 ${pct(all, 0.5)} ms, p95 ${pct(all, 0.95)} ms, p99 ${pct(all, 0.99)} ms.
${cpuLine(cpu0, cpu1, all.length, wall)}

| request | n | p50 ms | p95 ms | p99 ms |
|---|---:|---:|---:|---:|
${lines.join("\n")}
`);
  }
  if (clientArg === "wrk" || clientArg === "both") {
    // The same mix from a C client (wrk): `users` connections, each sending its next request the moment the
    // last returns, the request kinds in turn; every response's status checked (200) by the script.
    const load0 = os.loadavg();
    const cpu0 = cpuNow(web.pid);
    const r = await runWrk(requests.map((x) => x.path), cookie);
    const load1 = os.loadavg();
    const cpu1 = cpuNow(web.pid);
    console.log(`${header(`wrk (${r.version})`)}
${machine(load0, load1)}
${r.requests} requests in ${r.wall.toFixed(1)} s (${(r.requests / r.wall).toFixed(0)} req/s), ${r.errors} errors (status other than 200 or socket errors); all requests p50 ${r.p50} ms, p95 ${r.p95} ms, p99 ${r.p99} ms (wrk's latency histogram; no per-kind split).
${cpuLine(cpu0, cpu1, r.requests, r.wall, r.cpuMs)}
`);
  }
  if (statements) {
    const rows = await sup.prisma.$queryRawUnsafe<{ calls: number; plan_ms: number; exec_ms: number; total_ms: number; query: string }[]>(
      `SELECT calls::int, round((total_plan_time / GREATEST(calls, 1))::numeric, 3)::float8 AS plan_ms, round((total_exec_time / GREATEST(calls, 1))::numeric, 3)::float8 AS exec_ms,
              round((total_plan_time + total_exec_time)::numeric)::float8 AS total_ms, left(regexp_replace(query, '\\s+', ' ', 'g'), 160) AS query
         FROM bench_stats.pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = 'valuelens') ORDER BY total_plan_time + total_exec_time DESC LIMIT 25`,
    );
    console.log(`\nStatements of the timed run(s) (pg_stat_statements), by total time:\n| calls | plan ms | exec ms | total ms | statement |\n|---:|---:|---:|---:|---|\n${rows.map((r) => `| ${r.calls} | ${r.plan_ms} | ${r.exec_ms} | ${r.total_ms} | ${r.query.replace(/\|/g, "\\|")} |`).join("\n")}`);
  }
} finally {
  if (web && web.exitCode === null) {
    const exited = new Promise((r) => web!.once("exit", r));
    web.kill("SIGTERM");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]); // a CPU profile is written on exit
  }
  agent.destroy();
  await sup.close();
  await pg.stop();
}

/**
 * CPU time (ms, user + system) so far of this client, the web server (and any child) and this
 * database's PostgreSQL (the postmaster of <BENCH_PG_DIR>/pg/postmaster.pid and its backends), from
 * /proc (Linux): where each request's CPU goes. A backend that exited meanwhile is not counted.
 */
type Cpu = { client: number; web: number; postgres: number };
function cpuNow(webPid: number | undefined): Cpu {
  const tick = 1000 / 100; // USER_HZ
  const procs = readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .flatMap((pid) => {
      try {
        const st = readFileSync(`/proc/${pid}/stat`, "utf8");
        const f = st.slice(st.lastIndexOf(")") + 2).split(" ");
        return [{ pid: Number(pid), ppid: Number(f[1]), ms: (Number(f[11]) + Number(f[12])) * tick }]; // utime, stime (fields 14, 15)
      } catch {
        return []; // exited meanwhile
      }
    });
  /** A process and its children (PostgreSQL's backends; a server that forks workers). */
  const tree = (root: number | undefined) => (root ? procs.filter((p) => p.pid === root || p.ppid === root).reduce((a, p) => a + p.ms, 0) : 0);
  let pgPid: number | undefined;
  try {
    pgPid = Number(readFileSync(path.join(dir, "pg", "postmaster.pid"), "utf8").split("\n")[0]);
  } catch {
    pgPid = undefined;
  }
  const me = process.cpuUsage();
  return { client: (me.user + me.system) / 1000, web: tree(webPid), postgres: tree(pgPid) };
}

function get(p: string, cookie?: string): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return request("GET", p, cookie);
}

function request(method: string, p: string, cookie?: string, body?: string, type?: string): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${base}${p}`,
      { method, agent, headers: { ...(cookie ? { cookie } : {}), ...(body ? { "content-type": type ?? "application/json", "content-length": Buffer.byteLength(body) } : {}) } },
      (res) => {
        let data = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (data += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: data, headers: res.headers }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** Auth.js credentials sign-in as the browser does it: CSRF token + cookie, then the callback; returns the session cookie. */
async function signIn(email: string, password: string): Promise<string> {
  const csrf = await get("/api/auth/csrf");
  const jar = (csrf.headers["set-cookie"] ?? []).map((c) => c.split(";")[0]!).join("; ");
  const { csrfToken } = JSON.parse(csrf.body) as { csrfToken: string };
  const form = new URLSearchParams({ csrfToken, email, password, callbackUrl: base }).toString();
  const res = await request("POST", "/api/auth/callback/credentials", jar, form, "application/x-www-form-urlencoded");
  const session = (res.headers["set-cookie"] ?? []).map((c) => c.split(";")[0]!).find((c) => /session-token=/.test(c));
  if (!session) throw new Error(`sign-in failed: HTTP ${res.status} ${res.body.slice(0, 200)}`);
  return session;
}

/**
 * One timed run of wrk (Debian's wrk 4.x, `apt-get install -y wrk`) over the same request paths, with
 * the session cookie: one thread, `users` connections, `seconds` long. The Lua script sends the paths
 * in turn and counts every response whose status is not 200; wrk's own socket errors are added.
 * Latencies are wrk's (per request, from send to complete response), in ms; cpuMs is wrk's own CPU
 * time (os.clock() at the end: the process's user + system time over all its threads).
 */
async function runWrk(paths: string[], cookie: string): Promise<{ requests: number; wall: number; errors: number; p50: number; p95: number; p99: number; cpuMs: number; version: string }> {
  const { mkdtempSync, writeFileSync, rmSync } = await import("node:fs");
  const tmp = mkdtempSync(path.join(os.tmpdir(), "vl-wrk-"));
  const lua = (v: string) => JSON.stringify(v); // a JSON string literal is a valid Lua string literal for these ASCII values
  if (![...paths, cookie].every((v) => /^[\x20-\x7e]*$/.test(v) && !v.includes("\\"))) throw new Error("wrk: a path or the cookie is not plain printable ASCII");
  const script = `
local paths = { ${paths.map(lua).join(", ")} }
local cookie = ${lua(cookie)}
local threads = {}
function setup(thread) table.insert(threads, thread) end
local n = 0
bad = 0
function request()
  n = n + 1
  return wrk.format("GET", paths[(n % #paths) + 1], { ["Cookie"] = cookie })
end
function response(status, headers, body)
  if status ~= 200 then bad = bad + 1 end
end
function done(summary, latency, requests)
  local b = 0
  for _, t in ipairs(threads) do b = b + t:get("bad") end
  local e = summary.errors
  io.write(string.format("WRK_RESULT %d %d %d %d %.3f %.3f %.3f %.1f\\n", summary.requests, summary.duration, b,
    e.connect + e.read + e.write + e.timeout, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, os.clock() * 1000))
end
`;
  writeFileSync(path.join(tmp, "mix.lua"), script);
  try {
    const out = await new Promise<string>((resolve, reject) => {
      const p = spawn("wrk", ["-t1", `-c${users}`, `-d${seconds}s`, "--timeout", "10s", "-s", path.join(tmp, "mix.lua"), base], { stdio: ["ignore", "pipe", "inherit"] });
      let text = "";
      p.stdout.on("data", (c: Buffer) => (text += c.toString()));
      p.on("error", reject);
      p.on("exit", (code) => (code === 0 ? resolve(text) : reject(new Error(`wrk exited with ${code}: ${text}`))));
    });
    const m = /WRK_RESULT (\d+) (\d+) (\d+) (\d+) ([\d.]+) ([\d.]+) ([\d.]+) ([\d.]+)/.exec(out);
    if (!m) throw new Error(`wrk: no result line in its output: ${out}`);
    const version = await new Promise<string>((resolve) => {
      const p = spawn("wrk", ["--version"], { stdio: ["ignore", "pipe", "pipe"] });
      let text = "";
      p.stdout.on("data", (c: Buffer) => (text += c.toString()));
      p.on("exit", () => resolve(/wrk (\S+)/.exec(text)?.[1] ?? "unknown version"));
    });
    return {
      requests: Number(m[1]),
      wall: Number(m[2]) / 1e6,
      errors: Number(m[3]) + Number(m[4]),
      p50: Math.round(Number(m[5])),
      p95: Math.round(Number(m[6])),
      p99: Math.round(Number(m[7])),
      cpuMs: Number(m[8]),
      version,
    };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
