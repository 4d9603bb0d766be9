/**
 * Keeps a bench database running for work by hand (EXPLAIN ANALYZE, psql through `pnpm -s db:env`):
 *   BENCH_PG_DIR=/tmp/vl-bench-pg BENCH_PG_PORT=5460 pnpm --filter @valuelens/api exec tsx bench/pg-up.ts
 * Starts the embedded PostgreSQL of that data dir (persistent), applies pending migrations and the app
 * role's grants, prints one line when ready and stops the server on SIGINT / SIGTERM.
 */
import { benchDir as dir, benchPort as port, startBenchPg } from "./bench-db.ts";

const pg = await startBenchPg();
console.log(JSON.stringify({ event: "ready", dir, port }));
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await pg.stop();
  console.log(JSON.stringify({ event: "stopped" }));
  process.exit(0);
};
process.on("SIGINT", () => void stop());
process.on("SIGTERM", () => void stop());
setInterval(() => undefined, 1 << 30);
