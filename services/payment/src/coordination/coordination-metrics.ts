// The metrics of the payment service's Redis coordination: lock outcomes and waits, Redis errors by
// operation, and whether the lock Redis is connected. Every metric is looked up on the registry
// before it is created, so two lock layers (or a lock layer and its client) can share a registry.
import type { Redis } from 'ioredis';
import {
  Counter,
  Gauge,
  Histogram,
  type CounterConfiguration,
  type HistogramConfiguration,
  type Registry,
} from 'prom-client';

export type LockOutcome = 'acquired' | 'contended' | 'unavailable';
export type LockReleaseOutcome = 'released' | 'not_held';
export type RedisOperation = 'acquire' | 'release' | 'connect';

// From a first SET (sub-millisecond) to waits of a few seconds.
const lockWaitBuckets = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
];

export interface CoordinationMetrics {
  readonly lockAcquisitions: Counter<'lock' | 'outcome'>;
  readonly lockWaitSeconds: Histogram<'lock' | 'outcome'>;
  readonly lockReleases: Counter<'lock' | 'outcome'>;
  readonly redisErrors: Counter<'operation'>;
}

export function coordinationMetrics(registry: Registry): CoordinationMetrics {
  return {
    lockAcquisitions: counterOn(registry, {
      name: 'clearmesh_payment_lock_acquisitions_total',
      help: 'Lock acquisitions by lock kind and final outcome (acquired, contended, unavailable).',
      labelNames: ['lock', 'outcome'],
    }),
    lockWaitSeconds: histogramOn(registry, {
      name: 'clearmesh_payment_lock_wait_seconds',
      help: 'Time acquire() took, retries included, by lock kind and final outcome.',
      labelNames: ['lock', 'outcome'],
      buckets: lockWaitBuckets,
    }),
    // A release that finds the lock no longer held means its lease expired (or Redis lost it)
    // while the work ran: Postgres fencing was what kept that work apart.
    lockReleases: counterOn(registry, {
      name: 'clearmesh_payment_lock_releases_total',
      help: 'Lock releases by lock kind: released, or not_held when the lease had already gone.',
      labelNames: ['lock', 'outcome'],
    }),
    redisErrors: redisErrorsOn(registry),
  };
}

export function redisErrorsOn(registry: Registry): Counter<'operation'> {
  return counterOn(registry, {
    name: 'clearmesh_redis_errors_total',
    help: 'Redis errors by operation (acquire, release, connect).',
    labelNames: ['operation'],
  });
}

// The clients each registry's clearmesh_redis_up reads. A registry normally watches one client;
// with more, Redis counts as up only when every one of them is ready.
const watchedClients = new WeakMap<Registry, Set<Redis>>();

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
        help: 'Whether the lock Redis connection is ready (1) or not (0).',
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

const redisUpName = 'clearmesh_redis_up';

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

function histogramOn<T extends string>(
  registry: Registry,
  configuration: Omit<HistogramConfiguration<T>, 'registers'>,
): Histogram<T> {
  const existing = registry.getSingleMetric(configuration.name);
  if (existing === undefined) return new Histogram({ ...configuration, registers: [registry] });
  if (existing instanceof Histogram) return existing;
  throw new Error(`metric ${configuration.name} is already registered, and not as a histogram`);
}
