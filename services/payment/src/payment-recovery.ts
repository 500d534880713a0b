// The payment service's background work, one pass per interval: re-drive every operation left
// RUNNING with its lease run out (its holder crashed, its ledger call failed, a breaker was open)
// until it reaches its outcome; fail the MANUAL payments whose hold expired uncaptured; reap
// idempotency records past their retention. At start it also reclaims at once what this instance
// held before a restart, so a crashed payment is final seconds after the process is back.
import type { Knex } from '../../mesh/src/database.js';
import type { Logger } from '../../mesh/src/logger.js';
import { PeriodicTask } from '../../mesh/src/periodic-task.js';
import { isDependencyUnreachable } from './dependency-failure.js';
import type { PaymentMetrics } from './payment-metrics.js';
import type { PaymentProcessor } from './payment-processor.js';
import { expireAuthorizations, listAbandoned, reapOperations, takeOver } from './store/index.js';

export interface PaymentRecoveryOptions {
  readonly intervalMs: number;
  readonly batchMax: number;
  /** This process's lease holder name (holderName: instance and start). */
  readonly holder: string;
  readonly leaseMs: number;
  /** How long a DONE operation (and so its key's replay) is kept: at least 24 hours. */
  readonly retentionMs: number;
  readonly logger: Logger;
}

export interface RecoveryPassResult {
  readonly redriven: number;
  readonly expired: number;
  readonly reaped: number;
}

export class PaymentRecovery {
  private readonly task: PeriodicTask<RecoveryPassResult>;
  private reclaimed = false;

  constructor(
    private readonly db: Knex,
    private readonly processor: PaymentProcessor,
    private readonly metrics: PaymentMetrics,
    private readonly options: PaymentRecoveryOptions,
  ) {
    this.task = new PeriodicTask(() => this.pass(), {
      intervalMs: options.intervalMs,
      runAtStart: true,
      onResult: (result) => {
        if (result.redriven + result.expired + result.reaped > 0) {
          options.logger.info(result, 'payment recovery pass');
        }
      },
      onError: (error) => {
        options.logger.warn({ err: error }, 'payment recovery pass failed');
      },
    });
  }

  /** One pass now (reclaiming this instance's earlier leases), then one per interval. */
  start(): void {
    this.task.start();
  }

  /** Stops the timer and waits for a pass in progress. */
  stop(): Promise<void> {
    return this.task.stop();
  }

  /** One pass now, or the one already running. */
  runOnce(): Promise<RecoveryPassResult> {
    return this.task.runOnce();
  }

  /** One pass; until one has got through, it also takes back this instance's earlier leases. */
  private async pass(): Promise<RecoveryPassResult> {
    // Until a pass has got through its re-drives, this instance's earlier leases are still ours
    // to take back at once (a first pass may fail: the ledger down at start).
    const reclaim = !this.reclaimed;
    const expiredIds = await expireAuthorizations(this.db, this.options.batchMax);
    this.metrics.authorizationsExpired(expiredIds.length);
    const redriven = await this.redrive(reclaim);
    this.reclaimed = true;
    const reaped = await reapOperations(this.db, this.options.retentionMs, this.options.batchMax);
    return { redriven, expired: expiredIds.length, reaped };
  }

  private async redrive(reclaim: boolean): Promise<number> {
    const abandoned = await listAbandoned(
      this.db,
      this.options.batchMax,
      this.options.holder,
      reclaim,
    );
    let finished = 0;
    for (const operationId of abandoned) {
      const lease = await takeOver(
        this.db,
        operationId,
        this.options.holder,
        this.options.leaseMs,
        reclaim,
      );
      if (lease === undefined) continue;
      const { rpc } = lease.operation;
      try {
        await this.processor.drive(lease);
        this.metrics.redriven(rpc, 'finished');
        finished += 1;
      } catch (error) {
        this.metrics.redriven(rpc, 'failed');
        // An unreachable ledger fails every operation alike: end the pass, try again next time.
        if (isDependencyUnreachable(error)) throw error;
        this.options.logger.error(
          { err: error, operationId },
          'an unfinished payment operation could not be re-driven',
        );
      }
    }
    return finished;
  }
}
