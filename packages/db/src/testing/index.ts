export { startTestDatabase, freePort, type TestDatabase } from "./test-database.ts";
