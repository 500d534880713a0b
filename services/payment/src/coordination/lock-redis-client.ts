// The Redis client the payment service's locks use. Locks are an optimisation (Postgres fences
// every write), so this client never makes work wait on Redis: with no offline queue and no
// per-command retries a command fails at once while disconnected, and within commandTimeoutMs
// when Redis hangs, while the client reconnects in the background for as long as the process runs.
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import type { Logger } from '../../../mesh/src/logger.js';
import { redisErrorsOn, watchRedisUp } from './coordination-metrics.js';

export interface LockRedisOptions {
  /** How long one command may take before it fails (and the lock answers 'unavailable'). */
  readonly commandTimeoutMs: number;
  /** How long one connection attempt may take; 1 s unless given. */
  readonly connectTimeoutMs?: number;
  readonly logger?: Logger;
  readonly registry?: Registry;
}

const connectTimeoutMsDefault = 1_000;
const reconnectDelayFirstMs = 50;
// Reconnecting to a Redis that is down costs one refused connection per second: cheap, and the
// locks are back within a second of Redis.
const reconnectDelayMaxMs = 1_000;

/**
 * A client that connects at once and reconnects forever. Until the first connection is ready,
 * and during every outage, its commands fail immediately: callers see 'unavailable', not a wait.
 * Connection errors are counted on every attempt and logged once per outage.
 */
export function connectLockRedis(url: string, options: LockRedisOptions): Redis {
  assertPositiveInteger('commandTimeoutMs', options.commandTimeoutMs);
  const connectTimeoutMs = options.connectTimeoutMs ?? connectTimeoutMsDefault;
  assertPositiveInteger('connectTimeoutMs', connectTimeoutMs);
  const registry = options.registry ?? new Registry();
  const redisErrors = redisErrorsOn(registry);
  const redis = new Redis(url, {
    lazyConnect: false,
    enableOfflineQueue: false,
    // A SET NX resent after a reconnect could find its own key and answer 'contended'; one that
    // fails is simply 'unavailable', and a key it did write expires with its lease.
    maxRetriesPerRequest: 0,
    commandTimeout: options.commandTimeoutMs,
    connectTimeout: connectTimeoutMs,
    retryStrategy: (attempt: number) =>
      Math.min(reconnectDelayFirstMs * 2 ** Math.min(attempt - 1, 16), reconnectDelayMaxMs),
  });
  // Without an 'error' listener ioredis would print every reconnection failure to the console.
  let inOutage = false;
  redis.on('error', (error: unknown) => {
    redisErrors.inc({ operation: 'connect' });
    if (inOutage) return;
    inOutage = true;
    // The URL is not logged: it may carry a password.
    options.logger?.warn(
      { err: error },
      'lock Redis unavailable: locks answer unavailable until it reconnects',
    );
  });
  redis.on('ready', () => {
    if (!inOutage) return;
    inOutage = false;
    options.logger?.info('lock Redis reconnected');
  });
  watchRedisUp(registry, redis);
  return redis;
}

function assertPositiveInteger(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new Error(`${name} must be a positive integer, got ${value}`);
  }
}
