import { closeDb, dbEnv } from "@valuelens/db";

/** Validates the database settings (throws a message naming each bad variable). */
export function validateDbEnv(): void {
  dbEnv();
}

/** Closes the process-wide pool (graceful shutdown). */
export function shutdownDb(): Promise<void> {
  return closeDb();
}
