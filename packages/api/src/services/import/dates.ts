import { zonedInstant } from "../zoned-time.ts";
/**
 * Dates from text, without floats or a date library. Formats:
 * - ISO 8601 / RFC 3339-like: YYYY-MM-DD, "YYYY-MM-DD[T ]HH:MM[:SS[.fff]]" with an optional offset
 *   (Z, UTC, ±HH, ±HHMM, ±HH:MM, separated by nothing or a space). Without an offset the wall time
 *   is read in the chosen time zone.
 * - YYYYMMDD (8 digits), YYYY/MM/DD.
 * - MM/DD/YYYY or DD/MM/YYYY (also with - or .), per the chosen format, optional " HH:MM[:SS]".
 * - Unix epoch seconds (9–10 digits) or milliseconds (12–13 digits).
 * Dates after `now` are rejected (a purchase or sign-up cannot be in the future).
 */
export type DateFormat = "auto" | "MDY" | "DMY";
export type DateResult = { ok: true; date: Date } | { ok: false; reason: string };


export function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** The UTC instant of a wall-clock time in a time zone (DST gaps resolve forward, overlaps to the first). */
export function zonedToUtc(y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number, tz: string): number {
  return zonedInstant({ year: y, month: mo, day: d, hour: h, minute: mi, second: s, millisecond: ms }, tz);
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
function validYmd(y: number, mo: number, d: number): boolean {
  if (y < 1900 || y > 2200 || mo < 1 || mo > 12 || d < 1) return false;
  const leap = mo === 2 && y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  return d <= DAYS_IN_MONTH[mo - 1]! + (leap ? 1 : 0);
}

/** Digits at s[from..from+n) as a number, or -1 if any is not a digit. */
function digitsAt(s: string, from: number, n: number): number {
  let v = 0;
  for (let i = from; i < from + n; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

/**
 * The common export form "YYYY-MM-DDTHH:MM:SS[.fff]Z" (what toISOString, Shopify and Stripe write)
 * read without a regular expression: the import's hot path. Anything else, or any value out of
 * range, returns null and takes the general path below (which also words the errors).
 */
function fastIsoUtc(s: string): Date | null {
  const len = s.length;
  if ((len !== 20 && len !== 24) || s.charCodeAt(len - 1) !== 90 /* Z */) return null;
  if (s[4] !== "-" || s[7] !== "-" || s[10] !== "T" || s[13] !== ":" || s[16] !== ":") return null;
  const y = digitsAt(s, 0, 4);
  const mo = digitsAt(s, 5, 2);
  const d = digitsAt(s, 8, 2);
  const h = digitsAt(s, 11, 2);
  const mi = digitsAt(s, 14, 2);
  const sec = digitsAt(s, 17, 2);
  let ms = 0;
  if (len === 24) {
    if (s[19] !== ".") return null;
    ms = digitsAt(s, 20, 3);
  }
  if (y < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || sec < 0 || ms < 0) return null;
  if (!validYmd(y, mo, d) || h > 23 || mi > 59 || sec > 59) return null;
  return new Date(Date.UTC(y, mo - 1, d, h, mi, sec, ms));
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?$/i;
const SLASH = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$/;
const YMD_SLASH = /^(\d{4})\/(\d{1,2})\/(\d{1,2})$/;

export function parseDate(input: string, opts: { format: DateFormat; timeZone: string; now: Date }): DateResult {
  const s = input.trim();
  if (s === "") return { ok: false, reason: "date is empty" };
  const r = parseInstant(s, opts);
  if (!r.ok) return r;
  if (r.date.getTime() > opts.now.getTime()) return { ok: false, reason: `date ${s} is in the future` };
  return r;
}

function parseInstant(s: string, opts: { format: DateFormat; timeZone: string }): DateResult {
  const fast = fastIsoUtc(s);
  if (fast) return { ok: true, date: fast };
  let m = ISO.exec(s);
  if (m) {
    const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
    if (!validYmd(y, mo, d)) return { ok: false, reason: `no such date: ${s}` };
    const h = Number(m[4] ?? 0);
    const mi = Number(m[5] ?? 0);
    const sec = Number(m[6] ?? 0);
    const ms = Number((m[7] ?? "0").padEnd(3, "0").slice(0, 3));
    if (h > 23 || mi > 59 || sec > 59) return { ok: false, reason: `no such time: ${s}` };
    const off = m[8];
    if (off) {
      let offMin = 0;
      if (!/^(Z|UTC|GMT)$/i.test(off)) {
        const om = /^([+-])(\d{2}):?(\d{2})?$/.exec(off)!;
        offMin = (om[1] === "-" ? -1 : 1) * (Number(om[2]) * 60 + Number(om[3] ?? 0));
        if (Math.abs(offMin) > 18 * 60) return { ok: false, reason: `bad UTC offset in ${s}` };
      }
      return { ok: true, date: new Date(Date.UTC(y, mo - 1, d, h, mi, sec, ms) - offMin * 60_000) };
    }
    return { ok: true, date: new Date(zonedToUtc(y, mo, d, h, mi, sec, ms, opts.timeZone)) };
  }
  if (/^\d{8}$/.test(s)) {
    const [y, mo, d] = [Number(s.slice(0, 4)), Number(s.slice(4, 6)), Number(s.slice(6, 8))];
    if (!validYmd(y, mo, d)) return { ok: false, reason: `no such date: ${s}` };
    return { ok: true, date: new Date(zonedToUtc(y, mo, d, 0, 0, 0, 0, opts.timeZone)) };
  }
  if (/^\d{9,10}$/.test(s)) return { ok: true, date: new Date(Number(s) * 1000) };
  if (/^\d{12,13}$/.test(s)) return { ok: true, date: new Date(Number(s)) };
  m = YMD_SLASH.exec(s);
  if (m) {
    const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
    if (!validYmd(y, mo, d)) return { ok: false, reason: `no such date: ${s}` };
    return { ok: true, date: new Date(zonedToUtc(y, mo, d, 0, 0, 0, 0, opts.timeZone)) };
  }
  m = SLASH.exec(s);
  if (m) {
    if (opts.format === "auto") return { ok: false, reason: `ambiguous date ${s}: choose MM/DD/YYYY or DD/MM/YYYY` };
    const a = Number(m[1]);
    const b = Number(m[2]);
    const [mo, d] = opts.format === "MDY" ? [a, b] : [b, a];
    const y = Number(m[3]);
    if (!validYmd(y, mo, d)) return { ok: false, reason: `no such date for ${opts.format === "MDY" ? "MM/DD/YYYY" : "DD/MM/YYYY"}: ${s}` };
    const h = Number(m[4] ?? 0);
    const mi = Number(m[5] ?? 0);
    const sec = Number(m[6] ?? 0);
    if (h > 23 || mi > 59 || sec > 59) return { ok: false, reason: `no such time: ${s}` };
    return { ok: true, date: new Date(zonedToUtc(y, mo, d, h, mi, sec, 0, opts.timeZone)) };
  }
  return { ok: false, reason: `unrecognised date: ${s}` };
}
