// The payment service assembled: handlers, the keyed-call runner, the processor and the recovery
// worker over one database pool, one Redis for locks and the account and ledger clients. main.ts
// runs it in a process; tests run it in theirs.
import type { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import type { AccountClient, LedgerClient } from '../../../clients/internal/src/index.js';
import { PaymentServiceService } from '../../../gen/grpc-js/clearmesh/payment/v1/payment_service.js';
import type { Knex } from '../../mesh/src/database.js';
import type { Logger } from '../../mesh/src/logger.js';
import { PageTokens } from '../../mesh/src/page-token.js';
import { serviceRegistration, type ServiceRegistration } from '../../mesh/src/server.js';
import { AccountDirectory } from './account-directory.js';
import type { PaymentConfig } from './config.js';
import { RedisLocks } from './coordination/index.js';
import { paymentHandlers } from './handlers/index.js';
import { KeyedCalls } from './keyed-calls.js';
import { LedgerTransfers } from './ledger-transfers.js';
import { PaymentChanges } from './payment-changes.js';
import { PaymentMetrics } from './payment-metrics.js';
import { PaymentProcessor, type PaymentHooks } from './payment-processor.js';
import { PaymentRecovery } from './payment-recovery.js';
import { holderName } from './store/index.js';

export interface PaymentServiceOptions {
  readonly db: Knex;
  readonly redis: Redis;
  readonly logger: Logger;
  readonly registry: Registry;
  /** Called as service/payment: AccountService.GetAccount only. */
  readonly accounts: AccountClient;
  /** Called as service/payment: CreateTransfers, LookupAccounts, LookupTransfers. */
  readonly ledger: LedgerClient;
  readonly config: Omit<
    PaymentConfig,
    | 'accountAddress'
    | 'ledgerAddress'
    | 'certsDirectory'
    | 'trustDomain'
    | 'redisUrl'
    | 'redisCommandTimeoutMs'
    | 'crashFault'
  >;
  /** Test hooks: stall a holder, crash a process. */
  readonly hooks?: PaymentHooks;
  readonly clock?: () => Date;
}

export interface PaymentService {
  readonly registration: ServiceRegistration;
  readonly recovery: PaymentRecovery;
  readonly metrics: PaymentMetrics;
  /** Starts listening for payment changes, then the recovery worker. */
  start(): Promise<void>;
  /** Stops the recovery worker (waiting for a pass in progress) and the change listener. */
  stop(): Promise<void>;
}

export function createPaymentService(options: PaymentServiceOptions): PaymentService {
  const { db, config, logger } = options;
  const clock = options.clock ?? (() => new Date());
  const holder = holderName(config.instanceId, Date.now());
  const metrics = new PaymentMetrics(options.registry);
  const locks = new RedisLocks(options.redis, {
    prefix: config.redisKeyPrefix,
    ttlMs: config.leaseMs,
    registry: options.registry,
  });
  const processor = new PaymentProcessor({
    db,
    ledger: new LedgerTransfers(options.ledger, config.ledgerTimeoutMs),
    metrics,
    logger,
    hooks: options.hooks ?? {},
    clock,
  });
  const changes = new PaymentChanges({
    databaseUrl: config.databaseUrl,
    logger,
    pollIntervalMs: config.watchPollIntervalMs,
  });
  const recovery = new PaymentRecovery(db, processor, metrics, {
    intervalMs: config.recoveryIntervalMs,
    batchMax: config.recoveryBatchMax,
    holder,
    leaseMs: config.leaseMs,
    retentionMs: config.idempotencyRetentionMs,
    logger,
  });
  const handlers = paymentHandlers({
    db,
    accounts: new AccountDirectory(
      options.accounts,
      config.accountCacheMax,
      config.ledgerTimeoutMs,
    ),
    keyedCalls: new KeyedCalls(db, locks, processor, metrics, {
      holder,
      leaseMs: config.leaseMs,
      lockWaitMs: config.lockWaitMs,
    }),
    pageTokens: new PageTokens(config.pageTokenSecret),
    changes,
    clock,
  });
  return {
    registration: serviceRegistration(PaymentServiceService, handlers),
    recovery,
    metrics,
    start: async () => {
      await changes.start();
      recovery.start();
    },
    stop: async () => {
      await recovery.stop();
      await changes.stop();
    },
  };
}
