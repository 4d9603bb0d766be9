import { startTestDatabase, type TestDatabase } from "./test-database.ts";

/**
 * Vitest globalSetup for integration tests: reuse the database the test command started
 * (TEST_DATABASE_URL / TEST_DATABASE_OWNER_URL), or start a private one for this run.
 */
let db: TestDatabase | undefined;

export async function setup(): Promise<void> {
  if (process.env.TEST_DATABASE_URL) {
    process.env.DATABASE_URL = process.env.TEST_DATABASE_URL;
    process.env.DATABASE_OWNER_URL = process.env.TEST_DATABASE_OWNER_URL ?? process.env.TEST_DATABASE_URL;
    return;
  }
  db = await startTestDatabase();
  process.env.DATABASE_URL = db.appUrl;
  process.env.DATABASE_OWNER_URL = db.ownerUrl;
  process.env.TEST_DATABASE_SUPER_URL = db.superUrl;
}

export async function teardown(): Promise<void> {
  await db?.stop();
}
