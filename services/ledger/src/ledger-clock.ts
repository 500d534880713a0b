// The ledger's clock: wall time that never goes backwards within a process, so that batches get
// non-decreasing created_at in the order they are applied even if the system clock is stepped
// back. Tests drive it by hand to pin created_at and expiry instants.
export type TimeSource = () => number;

export class LedgerClock {
  private lastMs = Number.NEGATIVE_INFINITY;

  constructor(private readonly source: TimeSource = Date.now) {}

  /** The current instant, never before one returned earlier. */
  now(): Date {
    this.lastMs = Math.max(this.lastMs, this.source());
    return new Date(this.lastMs);
  }
}
