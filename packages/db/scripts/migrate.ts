/**
 * Offline replacement for `prisma migrate` (WASM schema engine; see src/migrate.ts).
 *
 *   tsx scripts/migrate.ts deploy                         apply pending migrations
 *   tsx scripts/migrate.ts dev --name <name> [--create-only] [--accept-data-loss]
 *   tsx scripts/migrate.ts diff                           print SQL from migrations to schema
 *   tsx scripts/migrate.ts status                         exit 1 unless up to date
 *   tsx scripts/migrate.ts resolve --applied <name> | --rolled-back <name>
 *
 * Common flags: --schema <path> (default prisma/schema.prisma), --migrations-dir <path>
 * (default prisma/migrations), --debug. Database: DATABASE_OWNER_URL, else DATABASE_URL.
 */
import { parseArgs } from "node:util";
import {
  MigrationError,
  createMigration,
  deployMigrations,
  diffMigrations,
  migrationStatus,
  resolveMigration,
  resolveOwnerUrl,
} from "../src/migrate.ts";

const USAGE = `Usage: migrate <deploy|dev|diff|status|resolve> [options]
  dev      --name <name> [--create-only] [--accept-data-loss]
  resolve  --applied <name> | --rolled-back <name>
  common   --schema <path> --migrations-dir <path> --debug
  Database URL: DATABASE_OWNER_URL, else DATABASE_URL.`;

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      name: { type: "string", short: "n" },
      "create-only": { type: "boolean", default: false },
      "accept-data-loss": { type: "boolean", default: false },
      schema: { type: "string" },
      "migrations-dir": { type: "string" },
      applied: { type: "string" },
      "rolled-back": { type: "string" },
      debug: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  const command = positionals[0];
  if (values.help || command === undefined) {
    process.stdout.write(`${USAGE}\n`);
    return command === undefined && !values.help ? 2 : 0;
  }
  const common = {
    ownerUrl: resolveOwnerUrl(process.env),
    debug: values.debug,
    ...(values["migrations-dir"] ? { migrationsDir: values["migrations-dir"] } : {}),
  };
  const withSchema = { ...common, ...(values.schema ? { schemaPath: values.schema } : {}) };

  switch (command) {
    case "deploy":
      await deployMigrations(common);
      return 0;
    case "dev": {
      if (!values.name) throw new MigrationError("dev needs --name <name> (e.g. --name add_invoices).");
      await createMigration({
        ...withSchema,
        name: values.name,
        createOnly: values["create-only"],
        acceptDataLoss: values["accept-data-loss"],
      });
      return 0;
    }
    case "diff": {
      const sql = await diffMigrations(withSchema);
      process.stdout.write(sql === "" ? "-- No difference between the migrations and the schema.\n" : sql);
      return 0;
    }
    case "status": {
      const status = await migrationStatus(common);
      for (const line of status.lines) process.stdout.write(`${line}\n`);
      return status.upToDate ? 0 : 1;
    }
    case "resolve": {
      const applied = values.applied;
      const rolledBack = values["rolled-back"];
      if ((applied === undefined) === (rolledBack === undefined)) {
        throw new MigrationError("resolve needs exactly one of --applied <name> or --rolled-back <name>.");
      }
      await resolveMigration(applied !== undefined ? { ...common, applied } : { ...common, rolledBack: rolledBack ?? "" });
      return 0;
    }
    default:
      process.stderr.write(`Unknown command "${command}".\n${USAGE}\n`);
      return 2;
  }
}

// Trap 5: the engine (and pg) may keep handles alive; always exit explicitly.
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`Error: ${message}\n`);
    process.exit(1);
  },
);
