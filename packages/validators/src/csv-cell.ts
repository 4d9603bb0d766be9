/**
 * One CSV cell, safe to open in a spreadsheet (OWASP CSV injection): a value starting with
 * = + - @ tab CR or LF, or their full-width forms ＝ ＋ － ＠, is prefixed with a single quote so it
 * is shown as text, never run as a formula. Then RFC 4180 quoting when needed. The stored data is
 * never changed; only exports go through this.
 */
const FORMULA_START = /^[=+\-@\t\r\n\uFF1D\uFF0B\uFF0D\uFF20]/;

export function toCsvCell(value: string | number | bigint | boolean | null | undefined): string {
  if (value === null || value === undefined) return "";
  let s = String(value);
  if (typeof value === "string" && FORMULA_START.test(s)) s = `'${s}`;
  if (/[",\r\n;\t]/.test(s) || s !== s.trim()) s = `"${s.replace(/"/g, '""')}"`;
  return s;
}

export function toCsvRow(values: readonly (string | number | bigint | boolean | null | undefined)[]): string {
  return values.map(toCsvCell).join(",") + "\r\n";
}
