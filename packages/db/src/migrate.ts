/**
 * Offline Prisma migrations: the WASM build of Prisma's own schema engine driven through adapter-pg
 * (the `prisma migrate` CLI needs a native engine it cannot download here). Same file layout and
 * `_prisma_migrations` bookkeeping as the CLI. See STACK-NOTES.md, "Prisma 7 without its engine download".
 *
 * Every function opens its own engine and closes all of its connections before returning, so a
 * caller's process can exit on its own. The CLI is scripts/migrate.ts.
 */
import type { HistoryDiagnostic, MigrationList, SchemaEngine } from "@prisma/schema-engine-wasm";
import { MigrationError, withSchemaEngine } from "./migrate/engine.ts";
import {
  DEFAULT_MIGRATIONS_DIR,
  DEFAULT_SCHEMA_PATH,
  NO_FILTERS,
  readMigrationsList,
  readSchema,
  sanitizeMigrationName,
  writeMigration,
} from "./migrate/files.ts";

export { MigrationError } from "./migrate/engine.ts";
export { DEFAULT_MIGRATIONS_DIR, DEFAULT_SCHEMA_PATH } from "./migrate/files.ts";

export type MigrateLog = (line: string) => void;

export interface MigrateOptions {
  /** Owner/migration role URL (postgresql://...). */
  ownerUrl: string;
  /** One line per event; defaults to stdout. Pass `() => {}` to silence. */
  log?: MigrateLog;
  /** Defaults to <repo>/prisma/migrations. */
  migrationsDir?: string;
  /** Engine debug output to stderr. */
  debug?: boolean;
}

export interface SchemaOptions extends MigrateOptions {
  /** Defaults to <repo>/prisma/schema.prisma. */
  schemaPath?: string;
}

const stdoutLog: MigrateLog = (line) => {
  process.stdout.write(`${line}\n`);
};

function sessionFor(options: MigrateOptions, schemaFiles?: ReadonlyArray<readonly [string, string]>) {
  const log = options.log ?? stdoutLog;
  return {
    ownerUrl: options.ownerUrl,
    log,
    ...(schemaFiles ? { schemaFiles } : {}),
    ...(options.debug ? { debug: (line: string) => process.stderr.write(`[engine] ${line}\n`) } : {}),
  };
}

/** The owner URL from an environment (pass `process.env`): DATABASE_OWNER_URL, else DATABASE_URL. */
export function resolveOwnerUrl(env: Readonly<Record<string, string | undefined>>): string {
  const url = env["DATABASE_OWNER_URL"] || env["DATABASE_URL"];
  if (!url) {
    throw new MigrationError(
      "No database URL: set DATABASE_OWNER_URL (the owner/migration role) or DATABASE_URL to a postgresql:// URL.",
    );
  }
  return url;
}

// ---- deploy -------------------------------------------------------------------------------------

export interface DeployResult {
  /** Migrations applied by this call, in order. */
  applied: string[];
  /** Migrations in the migrations directory. */
  total: number;
}

async function applyPending(engine: SchemaEngine, migrationsList: MigrationList, log: MigrateLog): Promise<string[]> {
  const { appliedMigrationNames } = await engine.applyMigrations({ migrationsList, filters: NO_FILTERS });
  for (const name of appliedMigrationNames) log(`Applied migration ${name}`);
  return appliedMigrationNames;
}

/**
 * Applies pending migrations (like `prisma migrate deploy`), recording them in `_prisma_migrations`.
 * Idempotent. Each migration runs as one atomic script. Fails (MigrationError, code P3009) while a
 * failed migration is recorded, until `resolve` is used.
 */
export async function deployMigrations(options: MigrateOptions): Promise<DeployResult> {
  const log = options.log ?? stdoutLog;
  const migrationsList = await readMigrationsList(options.migrationsDir ?? DEFAULT_MIGRATIONS_DIR);
  const total = migrationsList.migrationDirectories.length;
  const applied = await withSchemaEngine(sessionFor(options), (engine) => applyPending(engine, migrationsList, log));
  log(
    applied.length === 0
      ? `No pending migrations to apply (${total} migration${total === 1 ? "" : "s"} found).`
      : `${applied.length} migration${applied.length === 1 ? "" : "s"} applied (${total} found).`,
  );
  return { applied, total };
}

// ---- dev ----------------------------------------------------------------------------------------

export interface DevOptions extends SchemaOptions {
  name: string;
  /** Write the migration without applying it. */
  createOnly?: boolean;
  /** Apply a migration even if the engine warns about data loss. */
  acceptDataLoss?: boolean;
}

export interface DevResult {
  /** Directory name of the new migration, or null when the schema had no changes. */
  created: string | null;
  /** Path of the new migration.sql. */
  file: string | null;
  /** Migrations applied (pending ones first, then the new one unless createOnly). */
  applied: string[];
}

/**
 * Like `prisma migrate dev --name <name>`: applies pending migrations, diffs the migrations
 * (replayed into a temporary shadow database, which needs CREATEDB) against the schema, writes
 * <migrationsDir>/<timestamp>_<name>/migration.sql when they differ, then applies it.
 * Never resets the database: on drift it fails with the engine's reason.
 */
export async function createMigration(options: DevOptions): Promise<DevResult> {
  const log = options.log ?? stdoutLog;
  const name = sanitizeMigrationName(options.name);
  if (!name) throw new MigrationError("A migration name is required (--name <name>).");
  const migrationsDir = options.migrationsDir ?? DEFAULT_MIGRATIONS_DIR;
  const schemaFile = await readSchema(options.schemaPath ?? DEFAULT_SCHEMA_PATH);
  const schema = { files: [schemaFile] };

  const session = sessionFor(options, [[schemaFile.path, schemaFile.content]]);

  return withSchemaEngine(session, async (engine) => {
    // Only devDiagnostic/diagnoseMigrationHistory/diff receive the shadow-database factory in the
    // WASM engine; evaluateDataLoss/createMigration read the migrations' schema from a per-engine
    // cache that devDiagnostic fills (else: "PostgreSQL shadow DB must be provided through an
    // external factory"). So devDiagnostic runs first, and again after pending migrations were applied.
    const diagnose = async (migrationsList: MigrationList): Promise<void> => {
      const { action } = await engine.devDiagnostic({ migrationsList, filters: NO_FILTERS });
      if (action.tag === "reset") {
        throw new MigrationError(
          `The database must be reset before a new migration can be created (this tool never resets):\n${action.reason}`,
        );
      }
    };
    const migrationsList = await readMigrationsList(migrationsDir);
    await diagnose(migrationsList);
    const applied = await applyPending(engine, migrationsList, log);
    if (applied.length > 0) await diagnose(migrationsList);

    const loss = await engine.evaluateDataLoss({ migrationsList, schema, filters: NO_FILTERS });
    const created = await engine.createMigration({
      draft: false,
      migrationName: name,
      migrationsList,
      schema,
      filters: NO_FILTERS,
    });
    if (created.migrationScript === null) {
      log("No changes: the schema matches the migrations.");
      return { created: null, file: null, applied };
    }
    const file = await writeMigration(migrationsDir, created.generatedMigrationName, created.migrationScript);
    log(`Created migration ${created.generatedMigrationName} (${file})`);
    for (const w of loss.warnings) log(`Warning: ${w.message}`);
    for (const u of loss.unexecutableSteps) log(`Cannot be applied as is: ${u.message}`);
    const blocked = loss.unexecutableSteps.length > 0 || (loss.warnings.length > 0 && !options.acceptDataLoss);
    if (options.createOnly || blocked) {
      if (!options.createOnly) {
        log("Not applied (possible data loss): review the migration, then run deploy (or dev with --accept-data-loss).");
      }
      return { created: created.generatedMigrationName, file, applied };
    }
    applied.push(...(await applyPending(engine, await readMigrationsList(migrationsDir), log)));
    return { created: created.generatedMigrationName, file, applied };
  });
}

// ---- diff ---------------------------------------------------------------------------------------

/** The SQL that would take the migrations' end state to the schema ("" when there is none). */
export async function diffMigrations(options: SchemaOptions): Promise<string> {
  const migrationsList = await readMigrationsList(options.migrationsDir ?? DEFAULT_MIGRATIONS_DIR);
  const schemaFile = await readSchema(options.schemaPath ?? DEFAULT_SCHEMA_PATH);
  return withSchemaEngine(sessionFor(options, [[schemaFile.path, schemaFile.content]]), async (engine) => {
    const result = await engine.diff({
      from: { tag: "migrations", ...migrationsList },
      to: { tag: "schemaDatamodel", files: [schemaFile] },
      script: true,
      exitCode: true,
      filters: NO_FILTERS,
    });
    return result.exitCode === 2 ? (result.stdout ?? "") : "";
  });
}

// ---- status -------------------------------------------------------------------------------------

export interface MigrationStatus {
  upToDate: boolean;
  total: number;
  hasMigrationsTable: boolean;
  /** In the directory, not applied to the database. */
  pending: string[];
  /** Applied to the database, missing from the directory. */
  notInDirectory: string[];
  failed: string[];
  /** Applied migrations whose migration.sql changed since. */
  edited: string[];
  /** Engine's drift explanation when the schema differs from what the migrations produce; null if none. */
  drift: string | null;
  /** Human-readable report, one line per entry. */
  lines: string[];
}

function historyParts(history: HistoryDiagnostic | null): { pending: string[]; notInDirectory: string[]; diverged: string | null } {
  if (history === null) return { pending: [], notInDirectory: [], diverged: null };
  switch (history.diagnostic) {
    case "databaseIsBehind":
      return { pending: history.unappliedMigrationNames, notInDirectory: [], diverged: null };
    case "migrationsDirectoryIsBehind":
      return { pending: [], notInDirectory: history.unpersistedMigrationNames, diverged: null };
    case "historiesDiverge":
      return {
        pending: history.unappliedMigrationNames,
        notInDirectory: history.unpersistedMigrationNames,
        diverged: history.lastCommonMigrationName ?? "(none)",
      };
  }
}

/** Like `prisma migrate status`, plus a drift check (needs CREATEDB for the shadow database). */
export async function migrationStatus(options: MigrateOptions & { checkDrift?: boolean }): Promise<MigrationStatus> {
  const migrationsList = await readMigrationsList(options.migrationsDir ?? DEFAULT_MIGRATIONS_DIR);
  const total = migrationsList.migrationDirectories.length;
  return withSchemaEngine(sessionFor(options), async (engine) => {
    const d = await engine.diagnoseMigrationHistory({ migrationsList, optInToShadowDatabase: false, filters: NO_FILTERS });
    const { pending, notInDirectory, diverged } = historyParts(d.history);
    const lines = [`${total} migration${total === 1 ? "" : "s"} found in ${migrationsList.baseDir}`];
    if (!d.hasMigrationsTable) lines.push("The database has no _prisma_migrations table yet.");
    if (diverged !== null) lines.push(`The migration history diverges after ${diverged}.`);
    for (const n of pending) lines.push(`Pending: ${n}`);
    for (const n of notInDirectory) lines.push(`Applied but not in the migrations directory: ${n}`);
    for (const n of d.failedMigrationNames) lines.push(`Failed: ${n}`);
    for (const n of d.editedMigrationNames) lines.push(`Edited after it was applied: ${n}`);

    let drift: string | null = null;
    const inSync = d.history === null && d.failedMigrationNames.length === 0 && d.editedMigrationNames.length === 0;
    if (inSync && options.checkDrift !== false) {
      const { action } = await engine.devDiagnostic({ migrationsList, filters: NO_FILTERS });
      if (action.tag === "reset") {
        drift = action.reason;
        lines.push(`Drift: ${action.reason}`);
      }
    }
    const upToDate = inSync && drift === null;
    lines.push(upToDate ? "Database schema is up to date!" : "Database schema is NOT up to date.");
    return {
      upToDate,
      total,
      hasMigrationsTable: d.hasMigrationsTable,
      pending,
      notInDirectory,
      failed: d.failedMigrationNames,
      edited: d.editedMigrationNames,
      drift,
      lines,
    };
  });
}

// ---- resolve ------------------------------------------------------------------------------------

export type ResolveOptions = MigrateOptions & ({ applied: string; rolledBack?: undefined } | { rolledBack: string; applied?: undefined });

/** Like `prisma migrate resolve --applied <name>` / `--rolled-back <name>`. */
export async function resolveMigration(options: ResolveOptions): Promise<void> {
  const log = options.log ?? stdoutLog;
  const migrationsList = await readMigrationsList(options.migrationsDir ?? DEFAULT_MIGRATIONS_DIR);
  await withSchemaEngine(sessionFor(options), async (engine) => {
    if (options.applied !== undefined) {
      await engine.markMigrationApplied({ migrationName: options.applied, migrationsList });
      log(`Migration ${options.applied} marked as applied.`);
    } else {
      await engine.markMigrationRolledBack({ migrationName: options.rolledBack });
      log(`Migration ${options.rolledBack} marked as rolled back.`);
    }
  });
}
