// The ledger's writer: one per process and the only code that starts writer transactions, so a
// process never runs two at once (no deadlock in-process; the writer lock in the store orders
// processes). CreateTransfers calls are group-committed: queued requests are taken in arrival
// order, up to batchTransfersMax transfers (whole requests), and applied in one transaction, each
// request's results exactly those of running the requests one by one in that order. An idle
// writer waits at most batchWaitMaxMs for company; a busy one starts the next batch as soon as
// the last commits, with whatever queued meanwhile. CreateAccounts, SetAccountStatus and the
// expiry job queue behind the same writer, each in a transaction of its own.
//
// A failed transaction fails every request in it with INTERNAL, and wrote nothing. A request
// whose caller has gone (deadline, cancel) before its batch starts is dropped unwritten. The queue
// is bounded in items (transfers, accounts, status changes), so no kind of request can grow it
// without limit.
import * as grpc from '@grpc/grpc-js';
import type { Knex } from '../../mesh/src/database.js';
import { MeshError } from '../../mesh/src/errors.js';
import type { Logger } from '../../mesh/src/logger.js';
import type { AbortState } from '../../mesh/src/rpc-runtime.js';
import type {
  AccountBatchOutcome,
  LedgerAccountInput,
  LedgerAccountStatus,
  SetAccountStatusOutcome,
  TransferInput,
  TransferResult,
} from './domain/index.js';
import type { LedgerClock } from './ledger-clock.js';
import type { LedgerMetrics, WriterOperation } from './ledger-metrics.js';
import {
  applyTransferBatch,
  changeAccountStatus,
  createAccountBatch,
  expireDuePendingTransfers,
  type ExpiryRun,
} from './store/index.js';

export interface LedgerWriterOptions {
  readonly db: Knex;
  readonly clock: LedgerClock;
  readonly metrics: LedgerMetrics;
  readonly logger: Logger;
  readonly batchTransfersMax: number;
  readonly batchWaitMaxMs: number;
  readonly queueTransfersMax: number;
}

interface TransferJob {
  readonly kind: 'transfers';
  /** What the job counts against queueTransfersMax: its transfers. */
  readonly items: number;
  readonly transfers: readonly TransferInput[];
  readonly signal: AbortState | undefined;
  readonly resolve: (results: readonly TransferResult[]) => void;
  readonly reject: (error: unknown) => void;
}

/** Anything else the writer runs, alone in its transaction; `run` settles the caller's promise. */
interface TaskJob {
  readonly kind: 'task';
  /** Accounts to create, 1 for a status change, 0 for the expiry job (never refused). */
  readonly items: number;
  readonly operation: Exclude<WriterOperation, 'transfers'>;
  readonly signal: AbortState | undefined;
  readonly run: (now: Date) => Promise<void>;
  readonly reject: (error: unknown) => void;
}

type Job = TransferJob | TaskJob;

export interface ExpiryPass extends ExpiryRun {
  /** The instant the pass expired holds at. */
  readonly now: Date;
}

export class LedgerWriter {
  private readonly queue: Job[] = [];
  private queueHead = 0;
  private queuedItems = 0;
  private draining = false;
  /** Cancels the pending batch wait, while there is one. */
  private cancelWait: (() => void) | undefined;
  private closed = false;
  private readonly idleWaiters: (() => void)[] = [];

  constructor(private readonly options: LedgerWriterOptions) {}

  /** One CreateTransfers request's results, once its batch has committed. */
  createTransfers(
    transfers: readonly TransferInput[],
    signal?: AbortState,
  ): Promise<readonly TransferResult[]> {
    return new Promise((resolve, reject) => {
      const items = transfers.length;
      this.enqueue({ kind: 'transfers', items, transfers, signal, resolve, reject });
    });
  }

  createAccounts(
    inputs: readonly LedgerAccountInput[],
    signal?: AbortState,
  ): Promise<AccountBatchOutcome> {
    return this.task('accounts', inputs.length, signal, (now) =>
      createAccountBatch(this.options.db, inputs, now),
    );
  }

  /** Undefined when there is no such account. */
  setAccountStatus(
    id: string,
    status: LedgerAccountStatus,
    signal?: AbortState,
  ): Promise<SetAccountStatusOutcome | undefined> {
    return this.task('account_status', 1, signal, () =>
      changeAccountStatus(this.options.db, id, status),
    );
  }

  /** One pass of the expiry job: up to `limit` holds with expiresAfter < expires_at <= now. */
  expirePending(options: { expiresAfter: Date; limit: number }): Promise<ExpiryPass> {
    return this.task('expiry', 0, undefined, async (now) => {
      const run = await expireDuePendingTransfers(this.options.db, now, options);
      this.options.metrics.pendingTransfersExpired(run.pendingTransfersExpired.length);
      return { ...run, now };
    });
  }

  /** Refuses new work, finishes what is queued, and resolves once idle. */
  close(): Promise<void> {
    this.closed = true;
    if (this.cancelWait !== undefined) this.startDrain();
    return this.whenIdle();
  }

  private task<T>(
    operation: TaskJob['operation'],
    items: number,
    signal: AbortState | undefined,
    work: (now: Date) => Promise<T>,
  ): Promise<T> {
    return new Promise((resolve, reject) => {
      const run = async (now: Date): Promise<void> => {
        resolve(await work(now));
      };
      this.enqueue({ kind: 'task', operation, items, signal, run, reject });
    });
  }

  private enqueue(job: Job): void {
    if (this.closed) {
      throw new MeshError(grpc.status.UNAVAILABLE, 'SHUTTING_DOWN', 'the ledger is shutting down');
    }
    if (this.queuedItems + job.items > this.options.queueTransfersMax) {
      throw new MeshError(
        grpc.status.RESOURCE_EXHAUSTED,
        'RATE_LIMITED',
        'the ledger writer queue is full; retry with backoff',
      );
    }
    this.queue.push(job);
    this.queuedItems += job.items;
    this.schedule(job);
  }

  /** Starts a drain now, or after the batch wait when an idle writer gets its first transfers. */
  private schedule(job: Job): void {
    if (this.draining) return;
    const full = this.queuedItems >= this.options.batchTransfersMax;
    if (full || job.kind === 'task') {
      this.startDrain();
    } else if (this.cancelWait === undefined) {
      const waitMs = this.options.batchWaitMaxMs;
      const drain = (): void => {
        this.cancelWait = undefined;
        this.startDrain();
      };
      // 0 still lets calls that arrive in the same turn of the event loop join the batch.
      if (waitMs === 0) {
        const immediate = setImmediate(drain);
        this.cancelWait = () => {
          clearImmediate(immediate);
        };
      } else {
        const timer = setTimeout(drain, waitMs);
        this.cancelWait = () => {
          clearTimeout(timer);
        };
      }
    }
  }

  private startDrain(): void {
    this.cancelWait?.();
    this.cancelWait = undefined;
    void this.drain();
  }

  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      for (let next = this.takeNext(); next !== undefined; next = this.takeNext()) {
        if (next.kind === 'task') await this.runTask(next);
        else await this.runTransferBatch(next.jobs);
      }
    } finally {
      this.draining = false;
      if (this.queueLength() === 0) for (const wake of this.idleWaiters.splice(0)) wake();
    }
  }

  /** The next task, or the longest run of transfer requests at the head that fits a batch. */
  private takeNext(): TaskJob | { kind: 'batch'; jobs: TransferJob[] } | undefined {
    const head = this.takeLive();
    if (head === undefined || head.kind === 'task') return head;
    const jobs = [head];
    let transfers = head.transfers.length;
    for (let next = this.peek(); next?.kind === 'transfers'; next = this.peek()) {
      if (transfers + next.transfers.length > this.options.batchTransfersMax) break;
      this.shift();
      if (next.signal?.aborted === true) {
        next.reject(next.signal.reason);
        continue;
      }
      jobs.push(next);
      transfers += next.transfers.length;
    }
    return { kind: 'batch', jobs };
  }

  /** The head job, dropping those whose caller has already gone. */
  private takeLive(): Job | undefined {
    for (let job = this.shift(); job !== undefined; job = this.shift()) {
      if (job.signal?.aborted !== true) return job;
      job.reject(job.signal.reason);
    }
    return undefined;
  }

  private async runTransferBatch(jobs: readonly TransferJob[]): Promise<void> {
    const requests = jobs.map((job) => job.transfers);
    const transfers = requests.reduce((sum, request) => sum + request.length, 0);
    const startedMs = performance.now();
    try {
      const outcome = await applyTransferBatch(this.options.db, requests, this.options.clock.now());
      if (outcome.results.length !== jobs.length) {
        throw new Error(`${jobs.length} requests got ${outcome.results.length} result lists`);
      }
      const { metrics } = this.options;
      metrics.transactionFinished('transfers', (performance.now() - startedMs) / 1000);
      metrics.transferBatchCommitted(jobs.length, transfers);
      metrics.transfersAnswered(outcome.results);
      jobs.forEach((job, index) => {
        job.resolve(outcome.results[index] ?? []);
      });
    } catch (error) {
      this.options.logger.error(
        { err: error, requests: jobs.length, transfers },
        'transfer batch failed; every request in it fails and nothing was written',
      );
      this.options.metrics.transactionFailed('transfers');
      const failure = MeshError.from(error);
      for (const job of jobs) job.reject(failure);
    }
  }

  private async runTask(job: TaskJob): Promise<void> {
    const startedMs = performance.now();
    try {
      await job.run(this.options.clock.now());
      this.options.metrics.transactionFinished(
        job.operation,
        (performance.now() - startedMs) / 1000,
      );
    } catch (error) {
      this.options.logger.error({ err: error, operation: job.operation }, 'ledger write failed');
      this.options.metrics.transactionFailed(job.operation);
      job.reject(MeshError.from(error));
    }
  }

  private peek(): Job | undefined {
    return this.queue[this.queueHead];
  }

  private shift(): Job | undefined {
    const job = this.queue[this.queueHead];
    if (job === undefined) return undefined;
    this.queueHead += 1;
    this.queuedItems -= job.items;
    // Compact now and then rather than shifting the array per job.
    if (this.queueHead >= 1024 && this.queueHead * 2 >= this.queue.length) {
      this.queue.splice(0, this.queueHead);
      this.queueHead = 0;
    }
    return job;
  }

  private queueLength(): number {
    return this.queue.length - this.queueHead;
  }

  private whenIdle(): Promise<void> {
    if (!this.draining && this.queueLength() === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}
