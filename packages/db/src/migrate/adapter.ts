import { randomUUID } from "node:crypto";
import { PrismaPg } from "@prisma/adapter-pg";
import {
  ColumnTypeEnum,
  DriverAdapterError,
  type ConnectionInfo,
  type IsolationLevel,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
  type SqlQuery,
  type SqlResultSet,
  type Transaction,
} from "@prisma/driver-adapter-utils";
import pg from "pg";
import { type PgConnectionConfig, poolConfig, quoteIdent } from "./connection.ts";

/**
 * A migration-aware driver adapter factory for the WASM schema engine: adapter-pg with the fixes
 * for traps 2, 3 and 4 (see STACK-NOTES.md, "Prisma 7 without its engine download").
 */

const CHAR_OID = 18; // internal "char" (pg_constraint.contype, pg_class.relkind, ...)
const TEXT_OID = 25;
/** Catalog types adapter-pg rejects as UnsupportedNativeDataType: int2vector, regproc, oidvector, pg_node_tree, regclass. */
const CATALOG_TEXT_OIDS: ReadonlySet<number> = new Set([22, 24, 30, 194, 2205]);
/** Appended to the name of a "char" column between the pg layer and the adapter layer (stripped again). */
const CHAR_MARKER = "\u0000vl-migrate-char";
const PATCHED = Symbol.for("valuelens.migrate.patchedQuery");
const SHADOW_PREFIX = "prisma_migrate_shadow_db_";

// ---- Trap 2: "char" and catalog OIDs ------------------------------------------------------------

/** Rewrites a pg result's field descriptions in place: catalog OIDs become text, "char" is marked. */
function fixFields(result: unknown): void {
  if (typeof result !== "object" || result === null) return;
  const fields: unknown = Reflect.get(result, "fields");
  if (!Array.isArray(fields)) return;
  for (const field of fields) {
    if (typeof field !== "object" || field === null) continue;
    const oid: unknown = Reflect.get(field, "dataTypeID");
    const name: unknown = Reflect.get(field, "name");
    if (oid === CHAR_OID && typeof name === "string") {
      Reflect.set(field, "dataTypeID", TEXT_OID);
      Reflect.set(field, "name", name + CHAR_MARKER);
    } else if (typeof oid === "number" && CATALOG_TEXT_OIDS.has(oid)) {
      Reflect.set(field, "dataTypeID", TEXT_OID);
    }
  }
}

function usesCallback(args: readonly unknown[]): boolean {
  if (args.some((a) => typeof a === "function")) return true;
  const first = args[0];
  return typeof first === "object" && first !== null && typeof Reflect.get(first, "callback") === "function";
}

/** Wraps `target.query` (a pg Pool or Client) so promise results get {@link fixFields}. Rows are already parsed by then. */
function patchQuery(target: object): void {
  if (Reflect.get(target, PATCHED) === true) return;
  const original: unknown = Reflect.get(target, "query");
  if (typeof original !== "function") return;
  const wrapped = (...args: unknown[]): unknown => {
    const ret: unknown = Reflect.apply(original, target, args);
    if (!usesCallback(args) && ret instanceof Promise) {
      return ret.then((result: unknown) => {
        fixFields(result);
        return result;
      });
    }
    return ret;
  };
  Reflect.set(target, "query", wrapped);
  Reflect.set(target, PATCHED, true);
}

/** Columns marked by {@link fixFields} are reported with their real name and the Character column type. */
function markCharColumns(rs: SqlResultSet): SqlResultSet {
  rs.columnNames.forEach((name, i) => {
    if (name.endsWith(CHAR_MARKER)) {
      rs.columnNames[i] = name.slice(0, -CHAR_MARKER.length);
      rs.columnTypes[i] = ColumnTypeEnum.Character;
    }
  });
  return rs;
}

// ---- Errors -------------------------------------------------------------------------------------

/** Postgres errors become DriverAdapterErrors so the engine reports code and message (not "GenericJs"). */
export function toDriverAdapterError(error: unknown): unknown {
  if (error instanceof pg.DatabaseError) {
    return new DriverAdapterError({
      kind: "postgres",
      code: error.code ?? "N/A",
      severity: error.severity ?? "N/A",
      message: error.message,
      detail: error.detail,
      column: error.column,
      hint: error.hint,
    });
  }
  return error;
}

// ---- Adapter ------------------------------------------------------------------------------------

function wrapTransaction(tx: Transaction): Transaction {
  const wrapped: Transaction = {
    provider: tx.provider,
    adapterName: tx.adapterName,
    options: tx.options,
    queryRaw: async (query: SqlQuery) => markCharColumns(await tx.queryRaw(query)),
    executeRaw: (query: SqlQuery) => tx.executeRaw(query),
    commit: () => tx.commit(),
    rollback: () => tx.rollback(),
  };
  const { createSavepoint, rollbackToSavepoint, releaseSavepoint } = tx;
  if (createSavepoint) wrapped.createSavepoint = (name: string) => createSavepoint.call(tx, name);
  if (rollbackToSavepoint) wrapped.rollbackToSavepoint = (name: string) => rollbackToSavepoint.call(tx, name);
  if (releaseSavepoint) wrapped.releaseSavepoint = (name: string) => releaseSavepoint.call(tx, name);
  return wrapped;
}

class MigrationAdapter implements SqlDriverAdapter {
  readonly provider = "postgres" as const;
  readonly adapterName: string;

  constructor(
    private readonly inner: SqlDriverAdapter,
    private readonly pool: pg.Pool,
    private readonly release: () => Promise<void>,
  ) {
    this.adapterName = inner.adapterName;
  }

  async queryRaw(query: SqlQuery): Promise<SqlResultSet> {
    return markCharColumns(await this.inner.queryRaw(query));
  }

  executeRaw(query: SqlQuery): Promise<number> {
    return this.inner.executeRaw(query);
  }

  /**
   * Trap 4: adapter-pg splits scripts on ";", which breaks `$$` bodies and string literals.
   * The whole script goes out as ONE simple-protocol query instead, so Postgres runs it as one
   * implicit transaction: each migration is atomic (and `CREATE INDEX CONCURRENTLY` cannot be used).
   */
  async executeScript(script: string): Promise<void> {
    try {
      await this.pool.query(script);
    } catch (error) {
      throw toDriverAdapterError(error);
    }
  }

  async startTransaction(isolationLevel?: IsolationLevel): Promise<Transaction> {
    return wrapTransaction(await this.inner.startTransaction(isolationLevel));
  }

  getConnectionInfo(): ConnectionInfo {
    return this.inner.getConnectionInfo?.() ?? { supportsRelationJoins: true };
  }

  async dispose(): Promise<void> {
    try {
      await this.inner.dispose();
    } finally {
      await this.release();
    }
  }
}

export interface MigrationAdapterFactoryOptions {
  config: PgConnectionConfig;
  log: (line: string) => void;
}

/**
 * Trap 3: the shadow database is reached with explicit host/port/user/password/database (never a
 * connection string), its pool is closed before `DROP DATABASE ... WITH (FORCE)`, and leftover
 * `prisma_migrate_shadow_db_%` databases from interrupted runs are removed.
 * Trap 5: every pool is tracked so {@link close} can end them all (the engine keeps its pool open).
 */
export class MigrationAdapterFactory implements SqlMigrationAwareDriverAdapterFactory {
  readonly provider = "postgres" as const;
  readonly adapterName = "@prisma/adapter-pg";

  private readonly pools = new Set<pg.Pool>();
  private readonly shadowDatabases = new Set<string>();
  private adminPool: pg.Pool | undefined;
  private leftoversCleaned = false;

  constructor(private readonly options: MigrationAdapterFactoryOptions) {}

  private newPool(database: string, max: number): pg.Pool {
    const pool = new pg.Pool(poolConfig(this.options.config, database, max));
    pool.on("error", () => {
      // Idle client errors (e.g. the server terminating a shadow connection) must not crash the process.
    });
    pool.on("connect", (client) => patchQuery(client));
    patchQuery(pool);
    this.pools.add(pool);
    return pool;
  }

  private async endPool(pool: pg.Pool): Promise<void> {
    if (!this.pools.delete(pool)) return;
    await pool.end().catch(() => undefined);
  }

  private async adapterFor(database: string, release: (pool: pg.Pool) => Promise<void>): Promise<MigrationAdapter> {
    const pool = this.newPool(database, 4);
    const schema = this.options.config.schema;
    const inner = await new PrismaPg(pool, schema === undefined ? {} : { schema }).connect();
    return new MigrationAdapter(inner, pool, () => release(pool));
  }

  connect(): Promise<SqlDriverAdapter> {
    return this.adapterFor(this.options.config.database, (pool) => this.endPool(pool));
  }

  private admin(): pg.Pool {
    this.adminPool ??= this.newPool(this.options.config.database, 1);
    return this.adminPool;
  }

  /** Drops shadow databases left by interrupted runs. One still in use (another run) is left alone. */
  async cleanLeftoverShadowDatabases(): Promise<void> {
    const { rows } = await this.admin().query<{ datname: string }>(
      "SELECT datname FROM pg_database WHERE starts_with(datname, $1)",
      [SHADOW_PREFIX],
    );
    for (const { datname } of rows) {
      if (this.shadowDatabases.has(datname)) continue;
      try {
        await this.admin().query(`DROP DATABASE IF EXISTS ${quoteIdent(datname)}`);
        this.options.log(`Dropped leftover shadow database ${datname}`);
      } catch {
        // In use by a concurrent run: not ours to drop.
      }
    }
  }

  async connectToShadowDb(): Promise<SqlDriverAdapter> {
    try {
      if (!this.leftoversCleaned) {
        this.leftoversCleaned = true;
        await this.cleanLeftoverShadowDatabases();
      }
      const name = `${SHADOW_PREFIX}${randomUUID().replace(/-/g, "_")}`;
      await this.admin().query(`CREATE DATABASE ${quoteIdent(name)}`);
      this.shadowDatabases.add(name);
      return await this.adapterFor(name, async (pool) => {
        await this.endPool(pool);
        await this.dropShadowDatabase(name);
      });
    } catch (error) {
      throw toDriverAdapterError(error);
    }
  }

  private async dropShadowDatabase(name: string): Promise<void> {
    if (!this.shadowDatabases.has(name)) return;
    await this.admin().query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
    this.shadowDatabases.delete(name);
  }

  /** Drops shadow databases the engine did not dispose of, then ends every pool. Idempotent. */
  async close(): Promise<void> {
    const errors: unknown[] = [];
    for (const pool of [...this.pools]) {
      if (pool !== this.adminPool) await this.endPool(pool);
    }
    for (const name of [...this.shadowDatabases]) {
      await this.dropShadowDatabase(name).catch((error: unknown) => errors.push(error));
    }
    if (this.adminPool) await this.endPool(this.adminPool);
    this.adminPool = undefined;
    if (errors.length > 0) {
      this.options.log(`Warning: could not drop shadow database(s): ${errors.map(String).join("; ")}`);
    }
  }
}
