/**
 * `pnpm db:seed`: writes the demo workspace (idempotent: does nothing if it exists).
 * Connects with DATABASE_URL (the app role), like the app itself.
 */
import { createDb } from "../src/client.ts";
import { dbEnv } from "../src/env.ts";
import { DEMO_PASSWORD, DEMO_USERS, seedDemoWorkspace } from "../src/seed/write-demo.ts";

const started = Date.now();
const db = createDb(dbEnv().DATABASE_URL);
try {
  const end = new Date();
  end.setUTCHours(0, 0, 0, 0);
  const start = new Date(Date.UTC(end.getUTCFullYear() - 2, end.getUTCMonth() - 1, 1));
  const res = await seedDemoWorkspace(db.prisma, { start, end: new Date(end.getTime() - 1), log: (m) => console.log(m) });
  if (res.created) {
    console.log(`seed: demo workspace ready (${res.customers} customers, ${res.orders} orders) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } else {
    console.log("seed: demo workspace already present, nothing written");
  }
  console.log(`seed: sign in as ${DEMO_USERS.map((u) => `${u.email} (${u.role})`).join(", ")} with password "${DEMO_PASSWORD}"`);
} finally {
  await db.close();
}
process.exit(0);
