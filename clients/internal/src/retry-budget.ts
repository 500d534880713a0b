// A retry budget (as in Finagle and Envoy): retries may add at most `ratio` extra load on top of
// the calls that succeed, plus a small floor per second for quiet clients. When a downstream is
// struggling, its failures drain the budget and retries stop adding to the storm.
export interface RetryBudgetOptions {
  /** Retries allowed per first attempt, e.g. 0.2 = at most 20% extra calls. */
  readonly ratio: number;
  /** Retries always allowed per second, however few calls there are. */
  readonly minRetriesPerSecond: number;
  /** How long deposits stay in the budget. */
  readonly windowMs: number;
}

export class RetryBudget {
  private readonly deposits: number[] = [];
  private readonly withdrawals: number[] = [];

  constructor(
    private readonly options: RetryBudgetOptions,
    private readonly now: () => number = Date.now,
  ) {}

  /** Every first attempt earns `ratio` of a retry. */
  recordAttempt(): void {
    this.deposits.push(this.now());
  }

  /** Takes one retry from the budget; false when it is spent. */
  tryWithdraw(): boolean {
    const now = this.now();
    prune(this.deposits, now - this.options.windowMs);
    prune(this.withdrawals, now - this.options.windowMs);
    const windowSeconds = this.options.windowMs / 1000;
    const allowed =
      this.deposits.length * this.options.ratio + this.options.minRetriesPerSecond * windowSeconds;
    if (this.withdrawals.length + 1 > allowed) return false;
    this.withdrawals.push(now);
    return true;
  }
}

function prune(timestamps: number[], before: number): void {
  let drop = 0;
  while (drop < timestamps.length && (timestamps[drop] ?? 0) < before) drop += 1;
  if (drop > 0) timestamps.splice(0, drop);
}
