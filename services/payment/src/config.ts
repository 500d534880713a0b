// The payment service's own settings, read once from the environment (the mesh's process settings
// are read by the runtime). Durations are named with their units; a bad value stops start-up with
// one line.
import { hostname } from 'node:os';
import {
  ConfigError,
  readInteger,
  readString,
  readUrl,
  type Environment,
} from '../../mesh/src/config.js';
import { readDialAddress, type ProcessConfig } from '../../mesh/src/process-config.js';
import { redisUrlDefault } from '../../mesh/src/topology.js';
import type { HookPoint } from './payment-processor.js';

export interface PaymentConfig {
  /** host:port the account and ledger services are dialled at (<NAME>_TARGET, else _ADDR). */
  readonly accountAddress: string;
  readonly ledgerAddress: string;
  readonly certsDirectory: string;
  readonly trustDomain: string;
  readonly databaseUrl: string;
  readonly pageTokenSecret: string;
  /** REDIS_URL: the locks' Redis. Down or unreachable, payments go on without locks (slower). */
  readonly redisUrl: string;
  /** Put before every lock key, so several meshes can share one Redis. */
  readonly redisKeyPrefix: string;
  /** A lock command that takes longer counts as Redis unavailable. */
  readonly redisCommandTimeoutMs: number;
  /** Names this replica's leases; stable across restarts (default host:port). */
  readonly instanceId: string;
  /** How long a holder owns an operation (and its locks) before a retry or recovery may take
   * it over. Longer than every ledger call an operation makes. */
  readonly leaseMs: number;
  /** Deadline of each ledger call; the payment is finished even if its caller has gone. */
  readonly ledgerTimeoutMs: number;
  /** How long a call waits for its payer's or payment's lock before going on without it. */
  readonly lockWaitMs: number;
  /** How often abandoned operations are re-driven and expired holds failed; 0 turns it off. */
  readonly recoveryIntervalMs: number;
  readonly recoveryBatchMax: number;
  /** How long a finished operation answers replays: at least 24 hours. */
  readonly idempotencyRetentionMs: number;
  /** How often a WatchPayment stream re-reads without a change notification. */
  readonly watchPollIntervalMs: number;
  /** Accounts whose owner, kind and currency are remembered. */
  readonly accountCacheMax: number;
  /**
   * Test-only fault injection (the crash matrix): when the file PAYMENT_FAULT_CRASH_FILE exists,
   * the first operation to reach PAYMENT_FAULT_CRASH_POINT deletes it and kills the process.
   */
  readonly crashFault: { readonly point: HookPoint; readonly file: string } | undefined;
}

const hookPoints: readonly HookPoint[] = [
  'after_claim',
  'after_ledger_call',
  'before_record',
  'before_answer',
];

const hourMs = 3_600_000;

export const paymentConfigDefaults = {
  redisKeyPrefix: 'clearmesh:payment:lock:',
  redisCommandTimeoutMs: 200,
  leaseMs: 15_000,
  ledgerTimeoutMs: 5_000,
  lockWaitMs: 250,
  recoveryIntervalMs: 5_000,
  recoveryBatchMax: 100,
  idempotencyRetentionMs: 48 * hourMs,
  watchPollIntervalMs: 5_000,
  accountCacheMax: 100_000,
} as const;

export function readPaymentConfig(
  env: Environment,
  processConfig: Pick<
    ProcessConfig,
    'certsDirectory' | 'trustDomain' | 'pageTokenSecret' | 'databaseUrl' | 'address'
  >,
): PaymentConfig {
  const defaults = paymentConfigDefaults;
  const leaseMs = readInteger(env, 'PAYMENT_LEASE_MS', defaults.leaseMs, {
    min: 500,
    max: 600_000,
  });
  const ledgerTimeoutMs = readInteger(env, 'PAYMENT_LEDGER_TIMEOUT_MS', defaults.ledgerTimeoutMs, {
    min: 50,
    max: 60_000,
  });
  // A capture that is declined voids its hold: two ledger calls must fit in one lease.
  if (leaseMs < 2 * ledgerTimeoutMs + 200) {
    throw new ConfigError(
      `PAYMENT_LEASE_MS=${leaseMs} must be at least twice PAYMENT_LEDGER_TIMEOUT_MS=${ledgerTimeoutMs} plus 200`,
    );
  }
  return {
    accountAddress: readDialAddress(env, 'account'),
    ledgerAddress: readDialAddress(env, 'ledger'),
    certsDirectory: processConfig.certsDirectory,
    trustDomain: processConfig.trustDomain,
    databaseUrl: processConfig.databaseUrl,
    pageTokenSecret: processConfig.pageTokenSecret,
    redisUrl: readUrl(env, 'REDIS_URL', redisUrlDefault).toString(),
    redisKeyPrefix: readString(env, 'PAYMENT_REDIS_PREFIX', defaults.redisKeyPrefix),
    redisCommandTimeoutMs: readInteger(
      env,
      'PAYMENT_REDIS_COMMAND_TIMEOUT_MS',
      defaults.redisCommandTimeoutMs,
      { min: 10, max: 10_000 },
    ),
    instanceId: readInstanceId(env, `${hostname()}:${processConfig.address.port}`),
    leaseMs,
    ledgerTimeoutMs,
    lockWaitMs: readInteger(env, 'PAYMENT_LOCK_WAIT_MS', defaults.lockWaitMs, {
      min: 0,
      max: 10_000,
    }),
    recoveryIntervalMs: readInteger(
      env,
      'PAYMENT_RECOVERY_INTERVAL_MS',
      defaults.recoveryIntervalMs,
      { min: 0, max: 600_000 },
    ),
    recoveryBatchMax: readInteger(env, 'PAYMENT_RECOVERY_BATCH_MAX', defaults.recoveryBatchMax, {
      min: 1,
      max: 10_000,
    }),
    idempotencyRetentionMs:
      readInteger(env, 'PAYMENT_IDEMPOTENCY_RETENTION_HOURS', 48, { min: 24, max: 24 * 365 }) *
      hourMs,
    watchPollIntervalMs: readInteger(
      env,
      'PAYMENT_WATCH_POLL_INTERVAL_MS',
      defaults.watchPollIntervalMs,
      { min: 100, max: 600_000 },
    ),
    accountCacheMax: readInteger(env, 'PAYMENT_ACCOUNT_CACHE_MAX', defaults.accountCacheMax, {
      min: 0,
      max: 10_000_000,
    }),
    crashFault: readCrashFault(env),
  };
}

function readInstanceId(env: Environment, fallback: string): string {
  const instanceId = readString(env, 'PAYMENT_INSTANCE_ID', fallback);
  if (!/^[!-~]{1,200}$/.test(instanceId)) {
    throw new ConfigError(`PAYMENT_INSTANCE_ID must be 1 to 200 printable characters, no spaces`);
  }
  return instanceId;
}

function readCrashFault(env: Environment): PaymentConfig['crashFault'] {
  const point = env['PAYMENT_FAULT_CRASH_POINT'];
  const file = env['PAYMENT_FAULT_CRASH_FILE'];
  if (point === undefined && file === undefined) return undefined;
  if (point === undefined || file === undefined || !hookPoints.includes(point as HookPoint)) {
    throw new ConfigError(
      `PAYMENT_FAULT_CRASH_POINT (one of ${hookPoints.join(', ')}) and PAYMENT_FAULT_CRASH_FILE go together`,
    );
  }
  return { point: point as HookPoint, file };
}
