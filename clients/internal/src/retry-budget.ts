// A retry budget (as in Finagle and Envoy): retries may add at most `ratio` extra load on top of
// the first attempts, plus a small floor per second for quiet clients. When a downstream is
// struggling, its failures drain the budget and retries stop adding to the storm. Counts live in
// one-second buckets over the window, so memory stays constant however many calls pass.
export interface RetryBudgetOptions {
  /** Retries allowed per first attempt, e.g. 0.2 = at most 20% extra calls. */
  readonly ratio: number;
  /** Retries always allowed per second, however few calls there are. */
  readonly minRetriesPerSecond: number;
  /** How long attempts and retries count against the budget; whole seconds. */
  readonly windowMs: number;
}

const bucketMs = 1_000;

export class RetryBudget {
  private readonly attempts: number[];
  private readonly retries: number[];
  /** The second each bucket currently counts (to recycle stale buckets). */
  private readonly seconds: number[];

  constructor(
    private readonly options: RetryBudgetOptions,
    private readonly now: () => number = Date.now,
  ) {
    const buckets = Math.max(1, Math.ceil(options.windowMs / bucketMs));
    this.attempts = new Array<number>(buckets).fill(0);
    this.retries = new Array<number>(buckets).fill(0);
    this.seconds = new Array<number>(buckets).fill(-1);
  }

  /** Every first attempt earns `ratio` of a retry. */
  recordAttempt(): void {
    const index = this.bucket();
    this.attempts[index] = (this.attempts[index] ?? 0) + 1;
  }

  /** Takes one retry from the budget; false when it is spent. */
  tryWithdraw(): boolean {
    const index = this.bucket();
    const current = Math.floor(this.now() / bucketMs);
    let attempts = 0;
    let retries = 0;
    this.seconds.forEach((second, slot) => {
      if (current - second < this.seconds.length) {
        attempts += this.attempts[slot] ?? 0;
        retries += this.retries[slot] ?? 0;
      }
    });
    const windowSeconds = this.seconds.length;
    const allowed =
      attempts * this.options.ratio + this.options.minRetriesPerSecond * windowSeconds;
    if (retries + 1 > allowed) return false;
    this.retries[index] = (this.retries[index] ?? 0) + 1;
    return true;
  }

  private bucket(): number {
    const second = Math.floor(this.now() / bucketMs);
    const index = second % this.seconds.length;
    if (this.seconds[index] !== second) {
      this.seconds[index] = second;
      this.attempts[index] = 0;
      this.retries[index] = 0;
    }
    return index;
  }
}
