// The ledger service assembled: clock, metrics, the group-commit writer, the expiry job and the
// handlers, over one database pool. main.ts runs it in a process; tests run it in theirs.
import type { Registry } from 'prom-client';
import { LedgerServiceService } from '../../../gen/grpc-js/clearmesh/ledger/v1/ledger_service.js';
import type { Knex } from '../../mesh/src/database.js';
import type { Logger } from '../../mesh/src/logger.js';
import { PageTokens } from '../../mesh/src/page-token.js';
import { serviceRegistration, type ServiceRegistration } from '../../mesh/src/server.js';
import type { LedgerConfig } from './config.js';
import { ledgerHandlers } from './handlers/index.js';
import { LedgerClock, type TimeSource } from './ledger-clock.js';
import { LedgerMetrics, type PoolUse } from './ledger-metrics.js';
import { LedgerWriter } from './ledger-writer.js';
import { PendingExpiryJob } from './pending-expiry-job.js';
import { countPendingHolds } from './store/index.js';

export interface LedgerServiceOptions {
  readonly db: Knex;
  readonly logger: Logger;
  readonly registry: Registry;
  readonly config: LedgerConfig;
  /** Milliseconds since the epoch; the system clock unless a test drives time. */
  readonly timeSource?: TimeSource;
}

export interface LedgerService {
  readonly registration: ServiceRegistration;
  readonly writer: LedgerWriter;
  readonly expiry: PendingExpiryJob;
  readonly clock: LedgerClock;
  /** Starts the expiry timer. */
  start(): void;
  /** Stops the expiry timer, then lets the writer finish what is queued. */
  stop(): Promise<void>;
}

export function createLedgerService(options: LedgerServiceOptions): LedgerService {
  const { db, logger, config } = options;
  const clock = new LedgerClock(options.timeSource);
  const metrics = new LedgerMetrics(options.registry, {
    pendingHolds: () => countPendingHolds(db),
    poolUse: () => poolUseOf(db),
    logger,
  });
  const writer = new LedgerWriter({
    db,
    clock,
    metrics,
    logger,
    batchTransfersMax: config.batchTransfersMax,
    batchWaitMaxMs: config.batchWaitMaxMs,
    queueTransfersMax: config.queueTransfersMax,
  });
  const expiry = new PendingExpiryJob(writer, {
    intervalMs: config.expiryIntervalMs,
    batchMax: config.expiryBatchMax,
    logger,
  });
  const handlers = ledgerHandlers({
    db,
    writer,
    clock,
    pageTokens: new PageTokens(config.pageTokenSecret),
  });
  return {
    registration: serviceRegistration(LedgerServiceService, handlers),
    writer,
    expiry,
    clock,
    start: () => {
      expiry.start();
    },
    stop: async () => {
      await expiry.stop();
      await writer.close();
    },
  };
}

interface TarnPool {
  numUsed(): number;
  numFree(): number;
  numPendingAcquires(): number;
}

/** knex's pool (tarn) counts, when the pool exists yet. */
function poolUseOf(db: Knex): PoolUse | undefined {
  const pool = (db.client as { pool?: TarnPool }).pool;
  if (pool === undefined) return undefined;
  return { used: pool.numUsed(), free: pool.numFree(), pending: pool.numPendingAcquires() };
}
