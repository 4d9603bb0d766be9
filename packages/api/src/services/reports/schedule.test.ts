import { describe, expect, it } from "vitest";
import { nextSendAt, offsetMinutes, previousSendAt, reportPeriod, wallTime, zonedInstant } from "./schedule.ts";

const paris = { dayOfWeek: 1, localTime: "09:00", timezone: "Europe/Paris" };

describe("zoned wall times", () => {
  it("knows Paris offsets on both sides of the 2026 changes (29 Mar, 25 Oct)", () => {
    expect(offsetMinutes(Date.UTC(2026, 2, 28, 12), "Europe/Paris")).toBe(60);
    expect(offsetMinutes(Date.UTC(2026, 2, 30, 12), "Europe/Paris")).toBe(120);
    expect(offsetMinutes(Date.UTC(2026, 9, 26, 12), "Europe/Paris")).toBe(60);
    expect(offsetMinutes(Date.UTC(2026, 5, 1), "Asia/Kolkata")).toBe(330);
  });
  it("runs a nonexistent wall time once, after the gap, and a repeated one at its first occurrence", () => {
    // 2026-03-29 02:30 does not exist in Paris → 03:30 CEST = 01:30Z.
    expect(new Date(zonedInstant({ year: 2026, month: 3, day: 29, hour: 2, minute: 30 }, "Europe/Paris")).toISOString()).toBe("2026-03-29T01:30:00.000Z");
    // 2026-10-25 02:30 happens twice in Paris → first (CEST) = 00:30Z.
    expect(new Date(zonedInstant({ year: 2026, month: 10, day: 25, hour: 2, minute: 30 }, "Europe/Paris")).toISOString()).toBe("2026-10-25T00:30:00.000Z");
  });
});

describe("weekly schedule", () => {
  it("sends every Monday at 09:00 Paris time, once per ISO week, for two years across DST", () => {
    let t = new Date("2026-01-01T00:00:00Z");
    const sends: Date[] = [];
    while (t < new Date("2028-01-01T00:00:00Z")) {
      t = nextSendAt(paris, t);
      sends.push(t);
    }
    sends.pop(); // the one after the range
    expect(sends.length).toBe(104);
    for (const s of sends) {
      const w = wallTime(s.getTime(), "Europe/Paris");
      expect([w.hour, w.minute]).toEqual([9, 0]);
      expect(new Date(Date.UTC(w.year, w.month - 1, w.day)).getUTCDay()).toBe(1);
    }
    // Consecutive sends are 168 h apart, except across a DST change (167 h / 169 h).
    const gaps = new Set(sends.slice(1).map((s, i) => (s.getTime() - sends[i]!.getTime()) / 3_600_000));
    expect([...gaps].sort()).toEqual([167, 168, 169]);
  });

  it("reports on the previous local week, 167 h long in the spring-forward week", () => {
    const send = nextSendAt(paris, new Date("2026-03-29T12:00:00Z")); // Monday 30 March 09:00 CEST
    expect(send.toISOString()).toBe("2026-03-30T07:00:00.000Z");
    const p = reportPeriod(send, "Europe/Paris");
    expect(p.periodStart).toBe("2026-03-23");
    expect(p.from.toISOString()).toBe("2026-03-22T23:00:00.000Z");
    expect(p.to.toISOString()).toBe("2026-03-29T22:00:00.000Z");
    expect((p.to.getTime() - p.from.getTime()) / 3_600_000).toBe(167);
  });

  it("weekly windows tile time: no gap, no overlap over a year", () => {
    let t = new Date("2026-01-01T00:00:00Z");
    let prev: { to: Date } | undefined;
    for (let i = 0; i < 53; i++) {
      t = nextSendAt(paris, t);
      const p = reportPeriod(t, "Europe/Paris");
      if (prev) expect(p.from.getTime()).toBe(prev.to.getTime());
      prev = p;
    }
  });

  it("a 02:30 Sunday schedule in Paris sends exactly once in the spring-forward week", () => {
    const s = { dayOfWeek: 7, localTime: "02:30", timezone: "Europe/Paris" };
    const a = nextSendAt(s, new Date("2026-03-28T00:00:00Z"));
    const b = nextSendAt(s, a);
    expect(a.toISOString()).toBe("2026-03-29T01:30:00.000Z");
    expect(b.toISOString()).toBe("2026-04-05T00:30:00.000Z"); // next Sunday 02:30 CEST
  });

  it("finds the latest due slot for a worker that woke up late", () => {
    expect(previousSendAt(paris, new Date("2026-06-10T12:00:00Z")).toISOString()).toBe("2026-06-08T07:00:00.000Z");
    expect(previousSendAt(paris, new Date("2026-06-08T07:00:00Z")).toISOString()).toBe("2026-06-08T07:00:00.000Z");
  });

  it("refuses a malformed local time", () => {
    expect(() => nextSendAt({ ...paris, localTime: "9am" }, new Date())).toThrow(/HH:MM/);
  });
});
