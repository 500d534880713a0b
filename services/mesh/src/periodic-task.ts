// A background pass on a timer, as the services' recovery and expiry jobs run: one pass at a time
// (a tick while a pass runs is skipped, and runOnce joins the running pass instead of doubling
// it), an optional pass at start, a timer that never keeps the process alive, and a stop that
// waits for the pass in progress.

export interface PeriodicTaskOptions<Result> {
  /** 0: no timer; passes run only when asked (tests, or a job turned off). */
  readonly intervalMs: number;
  /** Whether start() runs a pass at once, before the first interval has passed. */
  readonly runAtStart: boolean;
  /** What a timer pass's result or failure is told to (a pass asked for by runOnce answers it). */
  readonly onResult: (result: Result) => void;
  readonly onError: (error: unknown) => void;
}

export class PeriodicTask<Result> {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<Result> | undefined;

  constructor(
    private readonly pass: () => Promise<Result>,
    private readonly options: PeriodicTaskOptions<Result>,
  ) {}

  start(): void {
    if (this.options.runAtStart) this.tick();
    if (this.options.intervalMs === 0 || this.timer !== undefined) return;
    this.timer = setInterval(() => {
      this.tick();
    }, this.options.intervalMs);
    this.timer.unref();
  }

  /** One pass now, or the one already running. */
  runOnce(): Promise<Result> {
    this.running ??= this.pass().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Stops the timer and waits for a pass in progress (its failure is the timer's to report). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  private tick(): void {
    if (this.running !== undefined) return;
    this.runOnce().then(this.options.onResult, this.options.onError);
  }
}
