// The expiry job: on a timer, expires pending transfers whose timeout has passed, through the
// writer (so it serializes with transfer batches), releasing their holds by themselves. The
// engine already refuses to post or void an expired hold before the job has run; the job is what
// gives the money back.
//
// Each pass scans the expires_at index only above a watermark: once a pass finds fewer due holds
// than its limit, every hold that expired before its instant is resolved, and no later hold can
// expire before then (its timeout is at least a second). The watermark trails that instant by a
// margin, for ledger processes whose clocks disagree.
import type { Logger } from '../../mesh/src/logger.js';
import { PeriodicTask } from '../../mesh/src/periodic-task.js';
import type { LedgerWriter } from './ledger-writer.js';

export const expiryWatermarkMarginMs = 60_000;

export interface PendingExpiryJobOptions {
  /** 0: no timer; passes run only when asked (tests). */
  readonly intervalMs: number;
  readonly batchMax: number;
  readonly logger: Logger;
}

export class PendingExpiryJob {
  private readonly task: PeriodicTask<number>;
  private expiresAfter = new Date(0);

  constructor(
    private readonly writer: LedgerWriter,
    private readonly options: PendingExpiryJobOptions,
  ) {
    this.task = new PeriodicTask(() => this.expireAllDue(), {
      intervalMs: options.intervalMs,
      runAtStart: false,
      onResult: () => undefined,
      onError: (error) => {
        options.logger.error({ err: error }, 'pending transfer expiry failed; will retry');
      },
    });
  }

  start(): void {
    this.task.start();
  }

  /** Expires every due hold; answers how many. A pass already running is joined, not doubled. */
  runOnce(): Promise<number> {
    return this.task.runOnce();
  }

  /** Stops the timer and waits for a pass in progress. */
  stop(): Promise<void> {
    return this.task.stop();
  }

  private async expireAllDue(): Promise<number> {
    let expired = 0;
    for (;;) {
      const pass = await this.writer.expirePending({
        expiresAfter: this.expiresAfter,
        limit: this.options.batchMax,
      });
      expired += pass.pendingTransfersExpired.length;
      if (pass.dueCount < this.options.batchMax) {
        const watermarkMs = pass.now.getTime() - expiryWatermarkMarginMs;
        if (watermarkMs > this.expiresAfter.getTime()) this.expiresAfter = new Date(watermarkMs);
        return expired;
      }
    }
  }
}
