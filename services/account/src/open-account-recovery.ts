// Finishes OpenAccount calls that wrote their PENDING account but never heard the ledger answer
// (the ledger was down, the process died, the deadline passed): at start-up and then on a timer,
// it opens each such account's ledger account (EXISTS is success) and marks the row CREATED. A
// retry of the call itself does the same, so the two may race harmlessly: whichever marks the row
// CREATED audits the opening (finishOpening).
import * as grpc from '@grpc/grpc-js';
import type { LedgerClient } from '../../../clients/internal/src/index.js';
import type { Knex } from '../../mesh/src/database.js';
import { MeshError } from '../../mesh/src/errors.js';
import type { Logger } from '../../mesh/src/logger.js';
import { PeriodicTask } from '../../mesh/src/periodic-task.js';
import { openLedgerAccount } from './ledger-accounts.js';
import { finishOpening, listPendingAccounts, type AuditEvent } from './store/index.js';

export interface OpenAccountRecoveryOptions {
  readonly intervalMs: number;
  readonly graceMs: number;
  readonly batchMax: number;
  readonly logger: Logger;
}

export class OpenAccountRecovery {
  private readonly task: PeriodicTask<number>;

  constructor(
    private readonly db: Knex,
    private readonly ledger: LedgerClient,
    private readonly options: OpenAccountRecoveryOptions,
  ) {
    this.task = new PeriodicTask(() => this.finishPending(), {
      intervalMs: options.intervalMs,
      runAtStart: true,
      onResult: (finished) => {
        if (finished > 0) options.logger.info({ finished }, 'pending accounts opened');
      },
      onError: (error) => {
        options.logger.warn({ err: error }, 'open-account recovery pass failed');
      },
    });
  }

  /** One pass now, then one per interval (none when the interval is 0). */
  start(): void {
    this.task.start();
  }

  /** Stops the timer and waits for a pass in progress. */
  stop(): Promise<void> {
    return this.task.stop();
  }

  /** Finishes the PENDING accounts older than the grace period; answers how many it finished. */
  runOnce(): Promise<number> {
    return this.task.runOnce();
  }

  private async finishPending(): Promise<number> {
    const openedBefore = new Date(Date.now() - this.options.graceMs);
    const pending = await listPendingAccounts(this.db, openedBefore, this.options.batchMax);
    let finished = 0;
    for (const account of pending) {
      try {
        await openLedgerAccount(this.ledger, account, undefined);
        await finishOpening(this.db, account.accountId, recoveredOpening(account.accountId));
        finished += 1;
      } catch (error) {
        // The oldest rows head every pass: one the ledger refuses must not hold back the rest
        // forever. An unreachable ledger fails them all alike, so that ends the pass instead.
        if (ledgerUnreachable(error)) throw error;
        this.options.logger.error(
          { err: error, accountId: account.accountId },
          'a pending account could not be finished',
        );
      }
    }
    return finished;
  }
}

/**
 * The audit row of an opening this pass finished: the caller that began it was answered with an
 * error, so the account service itself records the success, as the one that completed it.
 */
function recoveredOpening(accountId: string): AuditEvent {
  return {
    principal: 'service/account',
    partnerId: undefined,
    peer: '',
    action: 'OpenAccount',
    outcome: 'OK',
    accountId,
    reason: 'finished by the open-account recovery pass',
    traceId: '',
  };
}

/** Whether `error` is ledgerFailure's UNAVAILABLE or DEADLINE_EXCEEDED: no account can proceed. */
function ledgerUnreachable(error: unknown): boolean {
  return (
    error instanceof MeshError &&
    (error.code === grpc.status.UNAVAILABLE || error.code === grpc.status.DEADLINE_EXCEEDED)
  );
}
