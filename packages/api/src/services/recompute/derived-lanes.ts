/**
 * The derived phase's parts (run-recompute.ts refreshDerived) spread over its two connections (issue 9).
 *
 * Both connections read one exported REPEATABLE READ snapshot, and the parts are independent given it: each
 * reads only the workspace's data and scores (never another part's rows) and writes only its own tables and its
 * own derived_refresh_keys row, in its own savepoint (a failed part logs and keeps its previous rows). So any
 * part may run on either connection. Before, the first connection ran score prints, campaign rollups, the
 * facts copy and the holdout check one after the other (≈ 21.5 s at 1M) while the second ran only the retention
 * rollups (≈ 22 s): the phase took the longer of the two whatever each part's length. Now each connection takes
 * the next part of one queue when it is free (list scheduling, the queue in order of expected length), so the
 * phase takes ≈ (total work) / 2 plus at most one part's length.
 *
 * A lane whose connection fails (it could not open, or an unexpected error aborted its transaction) stops; the
 * parts it had not started stay in the queue for the other lane. A failure on the first lane stops both: that
 * transaction holds the workspace's lock, so nothing is taken after it failed (the part in flight on the other
 * lane finishes and commits, as the retention rollups did before).
 */

/** One part of the phase: runs on whichever lane (an open transaction) takes it. */
export interface LanePart<L> {
  name: string;
  run: (lane: L) => Promise<unknown>;
}

/** Where and how long each part ran (for the derived phase's log line). */
export interface PartRecord {
  lane: string;
  ms: number;
  failed?: true;
}

export class PartQueue<L> {
  private next = 0;
  private stopped = false;
  readonly record: Record<string, PartRecord> = {};

  /** `onPart` hears of each part when it has finished or failed (the derived phase logs it). */
  constructor(
    private readonly parts: readonly LanePart<L>[],
    private readonly onPart: (name: string, record: PartRecord) => void = () => undefined,
  ) {}

  /** Parts not taken by any lane (a lane stopped, or the queue was stopped before they were reached). */
  get left(): string[] {
    return this.parts.slice(this.next).map((p) => p.name);
  }

  /** No lane takes another part after this (the part each lane is running finishes). */
  stop(): void {
    this.stopped = true;
  }

  /**
   * Runs parts on `lane` until the queue is empty or stopped. A part that throws (its own failures are logged
   * and kept inside it, so this means its transaction is unusable) ends this lane with that error; the parts
   * after it stay for the other lane.
   */
  async drain(lane: L, laneName: string): Promise<void> {
    while (!this.stopped) {
      const part = this.parts[this.next];
      if (!part) return;
      this.next++;
      const t = Date.now();
      let failed = true;
      try {
        await part.run(lane);
        failed = false;
      } finally {
        const record: PartRecord = { lane: laneName, ms: Date.now() - t, ...(failed ? { failed: true as const } : {}) };
        this.record[part.name] = record;
        this.onPart(part.name, record);
      }
    }
  }
}
