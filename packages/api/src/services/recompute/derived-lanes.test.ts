import { describe, expect, it } from "vitest";
import { PartQueue, type LanePart, type PartRecord } from "./derived-lanes.ts";

/** A part that takes `ms` on its lane and notes which lane ran it, in order. */
function part(name: string, ms: number, log: string[], fail?: Error): LanePart<string> {
  return {
    name,
    run: async (lane) => {
      log.push(`${lane}:${name}`);
      await new Promise((r) => setTimeout(r, ms));
      if (fail) throw fail;
    },
  };
}

describe("derived parts over two connections", () => {
  it("each lane takes the next part when it is free, so a long part on one lane does not hold up the others", async () => {
    const ran: string[] = [];
    const heard: string[] = [];
    const q = new PartQueue([part("long", 120, ran), part("a", 20, ran), part("b", 20, ran), part("c", 20, ran)], (name, r) => heard.push(`${r.lane}:${name}`));
    await Promise.all([q.drain("A", "first"), q.drain("B", "second")]);
    // "long" on the first lane; the second runs every other part meanwhile, in queue order.
    expect(ran).toEqual(["A:long", "B:a", "B:b", "B:c"]);
    expect(heard.sort()).toEqual(["first:long", "second:a", "second:b", "second:c"]);
    expect(Object.keys(q.record).sort()).toEqual(["a", "b", "c", "long"]);
    expect(q.left).toEqual([]);
  });

  it("a lane whose part throws stops; the parts it had not started are run by the other lane", async () => {
    const ran: string[] = [];
    const q = new PartQueue([part("broken", 10, ran, new Error("connection lost")), part("slow", 60, ran), part("x", 10, ran), part("y", 10, ran)]);
    const first = q.drain("A", "first");
    const second = q.drain("B", "second");
    await expect(first).rejects.toThrow("connection lost");
    await second;
    expect(ran).toEqual(["A:broken", "B:slow", "B:x", "B:y"]);
    expect(q.record.broken).toEqual<PartRecord>({ lane: "first", ms: expect.any(Number) as number, failed: true });
    expect(q.record.x?.lane).toBe("second");
  });

  it("a lane that never starts (its connection could not be opened) leaves every part to the other", async () => {
    const ran: string[] = [];
    const q = new PartQueue([part("p", 5, ran), part("q", 5, ran), part("r", 5, ran)]);
    await q.drain("A", "first");
    expect(ran).toEqual(["A:p", "A:q", "A:r"]);
  });

  it("after stop() no lane takes another part; the one in flight finishes", async () => {
    const ran: string[] = [];
    const q = new PartQueue([part("inflight", 40, ran), part("later1", 5, ran), part("later2", 5, ran)]);
    const second = q.drain("B", "second");
    q.stop();
    await second;
    await q.drain("A", "first");
    expect(ran).toEqual(["B:inflight"]);
    expect(q.left).toEqual(["later1", "later2"]);
  });
});
