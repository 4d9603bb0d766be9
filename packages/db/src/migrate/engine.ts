import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { bindMigrationAwareSqlAdapterFactory, type ErrorRegistry } from "@prisma/driver-adapter-utils";
import type { SchemaEngine } from "@prisma/schema-engine-wasm";
import type * as SchemaEngineBg from "@prisma/schema-engine-wasm/schema_engine_bg";
import { MigrationAdapterFactory } from "./adapter.ts";
import { parseDatabaseUrl } from "./connection.ts";

export type { SchemaEngine };

type BgModule = typeof SchemaEngineBg;

/** The subset of the WebAssembly JS API used here (lib "dom" is not in this package's tsconfig). */
interface WasmApi {
  instantiate(
    bytes: Uint8Array,
    imports: Record<string, unknown>,
  ): Promise<{ instance: { exports: Record<string, unknown> } }>;
}

/** Error raised by the migration tool (engine errors carry Prisma's code, e.g. P3009). */
export class MigrationError extends Error {
  override name = "MigrationError";
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

// ---- Trap 1: load the WASM engine by hand -------------------------------------------------------

let lastPanicMessage: string | undefined;

function installPanicRegistry(): void {
  // The engine's panic hook calls `global.PRISMA_WASM_PANIC_REGISTRY.set_message(msg)`; without it a
  // panic surfaces as "TypeError: Cannot read properties of undefined (reading 'set_message')".
  const registry = Reflect.get(globalThis, "PRISMA_WASM_PANIC_REGISTRY");
  if (registry !== undefined) return;
  Reflect.set(globalThis, "PRISMA_WASM_PANIC_REGISTRY", {
    set_message(message: string) {
      lastPanicMessage = message;
    },
  });
}

let runtimePromise: Promise<BgModule> | undefined;

/**
 * Timers the engine starts (it arms a 10 s setTimeout per operation and never clears it). They are
 * unref'd once a session ends, so a caller's process can exit without waiting ~10 s.
 */
const engineTimers = new Set<NodeJS.Timeout>();

function releaseEngineTimers(): void {
  for (const timer of engineTimers) timer.unref();
  engineTimers.clear();
}

/** The bg module as the wasm import object, with its setTimeout import tracked. */
function importsFor(bg: BgModule): Record<string, unknown> {
  const imports: Record<string, unknown> = { ...bg };
  for (const key of Object.keys(imports)) {
    if (!key.startsWith("__wbg_setTimeout_")) continue;
    imports[key] = (callback: () => void, ms: number): NodeJS.Timeout => {
      const timer = setTimeout(() => {
        engineTimers.delete(timer);
        callback();
      }, ms >>> 0);
      engineTimers.add(timer);
      return timer;
    };
  }
  return imports;
}

/**
 * Node 20 cannot `import "@prisma/schema-engine-wasm"` (its main module imports a .wasm file), so
 * load schema_engine_bg.js, instantiate schema_engine_bg.wasm with it as the import object, and wire
 * them together. Done once per process: wasm-bindgen keeps module-level state in the bg module.
 */
function loadRuntime(): Promise<BgModule> {
  runtimePromise ??= (async () => {
    installPanicRegistry();
    const require = createRequire(import.meta.url);
    const bgPath = require.resolve("@prisma/schema-engine-wasm/schema_engine_bg");
    const wasmPath = path.join(path.dirname(bgPath), "schema_engine_bg.wasm");
    const bg: BgModule = await import("@prisma/schema-engine-wasm/schema_engine_bg");
    const bytes = await readFile(wasmPath);
    const wasmApi = Reflect.get(globalThis, "WebAssembly") as WasmApi;
    const { instance } = await wasmApi.instantiate(bytes, { "./schema_engine_bg.js": importsFor(bg) });
    bg.__wbg_set_wasm(instance.exports);
    const start = instance.exports["__wbindgen_start"];
    if (typeof start !== "function") throw new Error("schema_engine_bg.wasm has no __wbindgen_start export");
    start();
    return bg;
  })();
  runtimePromise.catch(() => {
    runtimePromise = undefined;
  });
  return runtimePromise;
}

// ---- Errors -------------------------------------------------------------------------------------

function describeEngineError(error: unknown, registry: ErrorRegistry): MigrationError {
  if (error instanceof MigrationError) return error;
  if (lastPanicMessage !== undefined) {
    const message = lastPanicMessage;
    lastPanicMessage = undefined;
    return new MigrationError(`Schema engine panicked: ${message}`);
  }
  if (typeof error === "object" && error !== null) {
    const code: unknown = Reflect.get(error, "code");
    const message: unknown = Reflect.get(error, "message");
    const meta: unknown = Reflect.get(error, "meta");
    // A JS error thrown inside the adapter is parked in the registry and referenced by id.
    const id = typeof meta === "object" && meta !== null ? Reflect.get(meta, "id") : Reflect.get(error, "id");
    if (typeof id === "number") {
      const record = registry.consumeError(id);
      if (record) {
        const inner = record.error;
        return new MigrationError(inner instanceof Error ? inner.message : String(inner));
      }
    }
    if (typeof message === "string") {
      return new MigrationError(typeof code === "string" ? `${code}: ${message}` : message, typeof code === "string" ? code : undefined);
    }
  }
  return new MigrationError(String(error));
}

// ---- Engine lifecycle ---------------------------------------------------------------------------

export interface EngineSession {
  ownerUrl: string;
  /** Prisma schema files ([path, content]) the engine starts with; optional. */
  schemaFiles?: ReadonlyArray<readonly [string, string]>;
  log: (line: string) => void;
  /** Engine debug output (very verbose). */
  debug?: (line: string) => void;
}

/**
 * Runs `fn` with a fresh schema engine bound to the owner database, then frees the engine and
 * closes every pool it opened (trap 5), dropping any shadow database left behind.
 */
export async function withSchemaEngine<T>(session: EngineSession, fn: (engine: SchemaEngine) => Promise<T>): Promise<T> {
  const config = parseDatabaseUrl(session.ownerUrl);
  const bg = await loadRuntime();
  const factory = new MigrationAdapterFactory({ config, log: session.log });
  const bound = bindMigrationAwareSqlAdapterFactory(factory);
  const debug = session.debug ?? (() => undefined);
  let engine: SchemaEngine | undefined;
  try {
    const datamodels = session.schemaFiles?.map(([p, c]): [string, string] => [p, c]);
    engine = await bg.SchemaEngine.new({ datamodels: datamodels && datamodels.length > 0 ? datamodels : undefined }, debug, bound);
    return await fn(engine);
  } catch (error) {
    throw describeEngineError(error, bound.errorRegistry);
  } finally {
    try {
      engine?.free();
    } finally {
      await factory.close();
      releaseEngineTimers();
    }
  }
}
