/**
 * Weekly report timing, DST-correct, with no date library: Intl gives a zone's offset at an
 * instant, and wall times are converted by checking the offsets on both sides of any transition.
 *
 * - A schedule is (ISO weekday 1 = Monday … 7 = Sunday, local "HH:MM", IANA time zone).
 * - A wall time that does not exist (spring-forward gap, e.g. 02:30 in Europe/Paris on the last
 *   Sunday of March) runs once, at the same distance past the gap (03:30); a wall time that exists
 *   twice (fall-back overlap) runs once, at its first occurrence. Never zero, never twice.
 * - Each send reports on the last complete local ISO week before it: [Monday 00:00, next Monday
 *   00:00) in the schedule's zone, 167 h or 169 h long across DST changes.
 */
import { wallTime, zonedInstant } from "../zoned-time.ts";

export { offsetMinutes, wallTime, zonedInstant, type WallTime } from "../zoned-time.ts";

export interface WeeklySchedule {
  dayOfWeek: number;
  localTime: string;
  timezone: string;
}


function parseLocalTime(s: string): { hour: number; minute: number } {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(s);
  if (!m) throw new RangeError(`Local time must be HH:MM (24 h), got "${s}"`);
  return { hour: Number(m[1]), minute: Number(m[2]) };
}

/** ISO weekday (1 = Monday) of a calendar date. */
function isoWeekday(y: number, m: number, d: number): number {
  const dow = new Date(Date.UTC(y, m - 1, d)).getUTCDay();
  return dow === 0 ? 7 : dow;
}

function addDays(y: number, m: number, d: number, n: number): { year: number; month: number; day: number } {
  const t = new Date(Date.UTC(y, m - 1, d + n));
  return { year: t.getUTCFullYear(), month: t.getUTCMonth() + 1, day: t.getUTCDate() };
}

function sendOn(schedule: WeeklySchedule, date: { year: number; month: number; day: number }): number {
  const { hour, minute } = parseLocalTime(schedule.localTime);
  return zonedInstant({ ...date, hour, minute }, schedule.timezone);
}

/** The first scheduled send strictly after `after`. */
export function nextSendAt(schedule: WeeklySchedule, after: Date): Date {
  const start = wallTime(after.getTime(), schedule.timezone);
  for (let k = -1; k <= 8; k++) {
    const date = addDays(start.year, start.month, start.day, k);
    if (isoWeekday(date.year, date.month, date.day) !== schedule.dayOfWeek) continue;
    const t = sendOn(schedule, date);
    if (t > after.getTime()) return new Date(t);
  }
  throw new Error("unreachable: a weekly slot always exists within 8 days");
}

/** The latest scheduled send at or before `at` (what a worker that woke up late should send now). */
export function previousSendAt(schedule: WeeklySchedule, at: Date): Date {
  const start = wallTime(at.getTime(), schedule.timezone);
  for (let k = 1; k >= -8; k--) {
    const date = addDays(start.year, start.month, start.day, k);
    if (isoWeekday(date.year, date.month, date.day) !== schedule.dayOfWeek) continue;
    const t = sendOn(schedule, date);
    if (t <= at.getTime()) return new Date(t);
  }
  throw new Error("unreachable: a weekly slot always exists within 8 days");
}

export interface ReportPeriod {
  /** Local date of the Monday that starts the reported week, YYYY-MM-DD (the idempotency key part). */
  periodStart: string;
  from: Date;
  to: Date;
}

/** The last complete local ISO week before a send instant. */
export function reportPeriod(sendAt: Date, timezone: string): ReportPeriod {
  const w = wallTime(sendAt.getTime(), timezone);
  const dow = isoWeekday(w.year, w.month, w.day);
  const thisMonday = addDays(w.year, w.month, w.day, -(dow - 1));
  const lastMonday = addDays(thisMonday.year, thisMonday.month, thisMonday.day, -7);
  const from = zonedInstant({ ...lastMonday, hour: 0, minute: 0 }, timezone);
  const to = zonedInstant({ ...thisMonday, hour: 0, minute: 0 }, timezone);
  const pad = (n: number) => String(n).padStart(2, "0");
  return { periodStart: `${lastMonday.year}-${pad(lastMonday.month)}-${pad(lastMonday.day)}`, from: new Date(from), to: new Date(to) };
}
