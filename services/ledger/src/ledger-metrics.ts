// The ledger's domain metrics (SPEC §6), on the process registry next to the RPC metrics: transfer
// outcomes by status, the size and commit time of group-committed batches, writer transactions
// that failed, holds still pending, expirations, and the database pool. Gauges that need the database are read at scrape time.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Logger } from '../../mesh/src/logger.js';
import type { TransferResult } from './domain/index.js';

export type WriterOperation = 'transfers' | 'accounts' | 'account_status' | 'expiry';

export interface PoolUse {
  readonly used: number;
  readonly free: number;
  readonly pending: number;
}

export interface LedgerMetricsSources {
  readonly pendingHolds: () => Promise<number>;
  readonly poolUse: () => PoolUse | undefined;
  readonly logger: Logger;
}

const batchSizeBuckets = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8190];
const commitSecondsBuckets = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
];

export class LedgerMetrics {
  private readonly transfers: Counter<'status'>;
  private readonly batchTransfers: Histogram;
  private readonly batchRequests: Histogram;
  private readonly commitSeconds: Histogram<'operation'>;
  private readonly writerFailures: Counter<'operation'>;
  private readonly expirations: Counter;

  constructor(registry: Registry, sources: LedgerMetricsSources) {
    const registers = [registry];
    this.transfers = new Counter({
      name: 'clearmesh_ledger_transfers_total',
      help: 'Transfers answered by CreateTransfers, by CreateTransferStatus.',
      labelNames: ['status'],
      registers,
    });
    this.batchTransfers = new Histogram({
      name: 'clearmesh_ledger_batch_transfers',
      help: 'Transfers per group-committed batch.',
      buckets: batchSizeBuckets,
      registers,
    });
    this.batchRequests = new Histogram({
      name: 'clearmesh_ledger_batch_requests',
      help: 'CreateTransfers requests per group-committed batch.',
      buckets: batchSizeBuckets,
      registers,
    });
    this.commitSeconds = new Histogram({
      name: 'clearmesh_ledger_commit_seconds',
      help: 'Duration of a writer transaction, from BEGIN to COMMIT, by operation.',
      labelNames: ['operation'],
      buckets: commitSecondsBuckets,
      registers,
    });
    // Commit times count only commits: without this, a batch that rolled back (every caller
    // answered INTERNAL) would show nowhere but in the log.
    this.writerFailures = new Counter({
      name: 'clearmesh_ledger_writer_failures_total',
      help: 'Writer transactions that failed and wrote nothing, by operation.',
      labelNames: ['operation'],
      registers,
    });
    this.expirations = new Counter({
      name: 'clearmesh_ledger_expirations_total',
      help: 'Pending transfers expired by their timeout.',
      registers,
    });
    registerPendingHolds(registry, sources);
    registerPoolUse(registry, sources);
  }

  transfersAnswered(results: readonly (readonly TransferResult[])[]): void {
    const counts = new Map<string, number>();
    for (const request of results) {
      for (const result of request) counts.set(result.status, (counts.get(result.status) ?? 0) + 1);
    }
    for (const [status, count] of counts) this.transfers.inc({ status }, count);
  }

  transferBatchCommitted(requests: number, transfers: number): void {
    this.batchRequests.observe(requests);
    this.batchTransfers.observe(transfers);
  }

  transactionFinished(operation: WriterOperation, seconds: number): void {
    this.commitSeconds.observe({ operation }, seconds);
  }

  transactionFailed(operation: WriterOperation): void {
    this.writerFailures.inc({ operation });
  }

  pendingTransfersExpired(count: number): void {
    if (count > 0) this.expirations.inc(count);
  }
}

function registerPendingHolds(registry: Registry, sources: LedgerMetricsSources): void {
  let last = 0;
  new Gauge({
    name: 'clearmesh_ledger_pending_holds',
    help: 'Pending transfers not yet posted, voided or expired.',
    registers: [registry],
    async collect() {
      try {
        last = await sources.pendingHolds();
      } catch (error) {
        // A scrape must not fail because the database is briefly away: keep the last value.
        sources.logger.warn({ err: error }, 'could not count pending holds');
      }
      this.set(last);
    },
  });
}

function registerPoolUse(registry: Registry, sources: LedgerMetricsSources): void {
  new Gauge({
    name: 'clearmesh_ledger_db_pool_connections',
    help: 'Database pool connections: used, free, and acquisitions waiting for one.',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const use = sources.poolUse();
      if (use === undefined) return;
      this.set({ state: 'used' }, use.used);
      this.set({ state: 'free' }, use.free);
      this.set({ state: 'pending' }, use.pending);
    },
  });
}
