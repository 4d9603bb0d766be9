import path from "node:path";
import { defineConfig } from "prisma/config";

// `prisma generate` needs no engine, but the CLI resolves a schema-engine path at start-up and
// would try to download one (no internet here). Any existing executable satisfies that check;
// migrations go through scripts/migrate.ts (WASM schema engine) instead of `prisma migrate`.
process.env.PRISMA_SCHEMA_ENGINE_BINARY ??= process.execPath;

export default defineConfig({
  schema: path.join(import.meta.dirname, "../../prisma/schema.prisma"),
  migrations: { path: path.join(import.meta.dirname, "../../prisma/migrations") },
});
