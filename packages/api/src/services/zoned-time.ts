/**
 * Wall-clock time in IANA time zones from Intl alone (no date library): a zone's offset at an
 * instant, and the instant of a wall time, DST-correct. Shared by CSV date parsing and report timing.
 * A wall time that does not exist (spring-forward gap) resolves to the same distance past the gap;
 * one that exists twice (fall-back overlap) resolves to its first occurrence.
 */
const MINUTE = 60_000;
const DAY = 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: tz,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters.set(tz, f);
  }
  return f;
}

export interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second?: number;
  millisecond?: number;
}

/** The wall-clock reading of an instant in a zone. */
export function wallTime(instant: number, tz: string): WallTime & { second: number } {
  const parts = formatter(tz).formatToParts(new Date(instant));
  const get = (t: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === t)?.value ?? NaN);
  return { year: get("year"), month: get("month"), day: get("day"), hour: get("hour"), minute: get("minute"), second: get("second") };
}

/** Minutes the zone is ahead of UTC at an instant. */
export function offsetMinutes(instant: number, tz: string): number {
  const w = wallTime(instant, tz);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return Math.round((asUtc - Math.floor(instant / 1000) * 1000) / MINUTE);
}

function sameWall(instant: number, tz: string, w: WallTime): boolean {
  const x = wallTime(instant, tz);
  return x.year === w.year && x.month === w.month && x.day === w.day && x.hour === w.hour && x.minute === w.minute;
}

/** The instant a wall time happens in a zone (first occurrence; past a gap when it does not exist). */
export function zonedInstant(w: WallTime, tz: string): number {
  if (tz === "UTC") return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second ?? 0, w.millisecond ?? 0);
  const wall = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second ?? 0, w.millisecond ?? 0);
  const before = wall - offsetMinutes(wall - DAY, tz) * MINUTE;
  const after = wall - offsetMinutes(wall + DAY, tz) * MINUTE;
  const exact = [before, after].filter((t) => sameWall(t, tz, w)).sort((a, b) => a - b);
  return exact[0] ?? before;
}

