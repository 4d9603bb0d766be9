/**
 * Who closes what on SIGTERM/SIGINT. Under the production server (src/server/main.ts) Next.js runs in
 * the same process, and its bundled copy of the api (instrumentation.ts) must not exit the process
 * the moment a signal arrives: the server first stops accepting connections and lets in-flight
 * requests finish, then runs every registered hook (closing each copy's database pool), then exits.
 * A global symbol, because Next.js's bundle and the server hold separate copies of this module.
 */
type Hook = () => Promise<void>;
const KEY = Symbol.for("valuelens.web.shutdown-hooks");
type Holder = { [KEY]?: Hook[] };

/** Called by the server before Next.js starts: from now on shutdown hooks are collected, not signals. */
export function takeShutdownOwnership(): Hook[] {
  const holder = globalThis as Holder;
  holder[KEY] ??= [];
  return holder[KEY];
}

/** Registers a hook with the server if one owns shutdown; false under a plain `next start`/`next dev`. */
export function registerShutdownHook(hook: Hook): boolean {
  const hooks = (globalThis as Holder)[KEY];
  if (!hooks) return false;
  hooks.push(hook);
  return true;
}
