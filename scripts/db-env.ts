/**
 * Prints `export DATABASE_URL=… DATABASE_OWNER_URL=…` for the embedded database under .data/
 * (started by `pnpm start`), for running migrations and scripts by hand:
 *   eval "$(pnpm -s db:env)" && pnpm db:migrate --name add_something
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { APP_ROLE, DB_NAME, OWNER_ROLE } from "@valuelens/db/embedded";
import { loadDotEnv, ROOT } from "./runtime.ts";

loadDotEnv();
const dir = path.resolve(ROOT, process.env.VALUELENS_DATA_DIR ?? ".data");
const file = path.join(dir, "credentials.json");
if (!existsSync(file)) {
  process.stderr.write(`No embedded database in ${dir}: run ./valuelens start (or pnpm start) once first.\n`);
  process.exit(1);
}
const c = JSON.parse(readFileSync(file, "utf8")) as { ownerPassword: string; appPassword: string };
const port = Number(process.env.VALUELENS_PG_PORT ?? 5433);
const u = (user: string, pw: string) => `postgresql://${user}:${encodeURIComponent(pw)}@127.0.0.1:${port}/${DB_NAME}`;
process.stdout.write(`export DATABASE_URL='${u(APP_ROLE, c.appPassword)}'\nexport DATABASE_OWNER_URL='${u(OWNER_ROLE, c.ownerPassword)}'\n`);
