// The Redis client of the mesh's processes (the payment service's locks, the gateway's shared rate
// limits). Redis is an optimisation wherever it is used — nothing waits on it and nothing is lost
// without it — so this client never makes work wait: with no offline queue and no per-command
// retries a command fails at once while disconnected, and within commandTimeoutMs when Redis
// hangs, while the client reconnects in the background for as long as the process runs.
// `clearmesh_redis_up` and `clearmesh_redis_errors_total{operation}` say how it is doing.
import { Redis } from 'ioredis';
import { Counter, Gauge, Registry, type CounterConfiguration } from 'prom-client';
import type { Logger } from './logger.js';

export interface RedisClientOptions {
  /** How long one command may take before it fails. */
  readonly commandTimeoutMs: number;
  /** How long one connection attempt may take; 1 s unless given. */
  readonly connectTimeoutMs?: number;
  readonly logger?: Logger;
  readonly registry?: Registry;
}

export interface RedisRole {
  /** What the process calls this Redis in its log, e.g. 'lock Redis'. */
  readonly name: string;
  /** What happens while it is down, said once per outage, e.g. 'locks answer unavailable'. */
  readonly whileDown: string;
}

const connectTimeoutMsDefault = 1_000;
const reconnectDelayFirstMs = 50;
// Reconnecting to a Redis that is down costs one refused connection per second: cheap, and its
// users are back within a second of Redis.
const reconnectDelayMaxMs = 1_000;

/**
 * A client that connects at once and reconnects forever. Until the first connection is ready,
 * and during every outage, its commands fail immediately: callers see a failure, not a wait.
 * Connection errors are counted on every attempt and logged once per outage.
 */
export function connectRedis(url: string, role: RedisRole, options: RedisClientOptions): Redis {
  assertPositiveInteger('commandTimeoutMs', options.commandTimeoutMs);
  const connectTimeoutMs = options.connectTimeoutMs ?? connectTimeoutMsDefault;
  assertPositiveInteger('connectTimeoutMs', connectTimeoutMs);
  const registry = options.registry ?? new Registry();
  const redisErrors = redisErrorsOn(registry);
  const redis = new Redis(url, {
    lazyConnect: false,
    enableOfflineQueue: false,
    // A command resent after a reconnect could act twice (a SET NX finding its own key, a rate
    // limit taking two tokens); one that fails is simply a failure.
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
      `${role.name} unavailable: ${role.whileDown} until it reconnects`,
    );
  });
  redis.on('ready', () => {
    if (!inOutage) return;
    inOutage = false;
    options.logger?.info(`${role.name} reconnected`);
  });
  watchRedisUp(registry, redis);
  return redis;
}

function assertPositiveInteger(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new Error(`${name} must be a positive integer, got ${value}`);
  }
}

export function redisErrorsOn(registry: Registry): Counter<'operation'> {
  return counterOn(registry, {
    name: 'clearmesh_redis_errors_total',
    help: 'Redis errors by operation (acquire, release, rate_limit, connect).',
    labelNames: ['operation'],
  });
}

// The clients each registry's clearmesh_redis_up reads. A registry normally watches one client;
// with more, Redis counts as up only when every one of them is ready.
const watchedClients = new WeakMap<Registry, Set<Redis>>();
const redisUpName = 'clearmesh_redis_up';

/** Makes clearmesh_redis_up on `registry` read `redis`'s connection state at scrape time. */
export function watchRedisUp(registry: Registry, redis: Redis): void {
  let clients = watchedClients.get(registry);
  if (clients === undefined) {
    const watched = new Set<Redis>();
    clients = watched;
    watchedClients.set(registry, watched);
    if (registry.getSingleMetric(redisUpName) === undefined) {
      new Gauge({
        name: redisUpName,
        help: "Whether the process's Redis connection is ready (1) or not (0).",
        registers: [registry],
        collect() {
          const clientsReady = [...watched].map((client) => client.status === 'ready');
          this.set(clientsReady.length > 0 && clientsReady.every(Boolean) ? 1 : 0);
        },
      });
    }
  }
  if (clients.has(redis)) return;
  const watched = clients;
  watched.add(redis);
  // A client closed for good (quit, disconnect) no longer speaks for Redis.
  redis.once('end', () => watched.delete(redis));
}

/** The counter `name` on `registry`, made on first use: several users may share one registry. */
export function counterOn<T extends string>(
  registry: Registry,
  configuration: Omit<CounterConfiguration<T>, 'registers'>,
): Counter<T> {
  const existing = registry.getSingleMetric(configuration.name);
  if (existing === undefined) return new Counter({ ...configuration, registers: [registry] });
  if (existing instanceof Counter) return existing;
  throw new Error(`metric ${configuration.name} is already registered, and not as a counter`);
}
