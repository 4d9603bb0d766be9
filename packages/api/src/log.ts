/**
 * Structured logs: one JSON line per event on stdout. Field values that look like secrets are
 * redacted by key name, and strings are JSON-encoded so CR/LF in user input cannot forge lines.
 */
const SECRET_KEYS = /pass(word)?|secret|token|authorization|cookie|api[-_]?key|hash/i;
const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 } as const;
type Level = keyof typeof LEVELS;

let minLevel: Level = "info";
export function setLogLevel(level: Level): void {
  minLevel = level;
}

function redact(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) {
    if (SECRET_KEYS.test(k)) out[k] = "[redacted]";
    else if (v instanceof Error) out[k] = { name: v.name, message: v.message };
    else out[k] = v;
  }
  return out;
}

export function logAt(level: Level, event: string, fields: Record<string, unknown> = {}): void {
  if (LEVELS[level] < LEVELS[minLevel]) return;
  const line = JSON.stringify({ t: new Date().toISOString(), level, event, ...redact(fields) }, (_k, v: unknown) =>
    typeof v === "bigint" ? v.toString() : v,
  );
  process.stdout.write(line + "\n");
}

export const log = (event: string, fields: Record<string, unknown> = {}) => logAt("info", event, fields);
export const logWarn = (event: string, fields: Record<string, unknown> = {}) => logAt("warn", event, fields);
export const logError = (event: string, fields: Record<string, unknown> = {}) => logAt("error", event, fields);
