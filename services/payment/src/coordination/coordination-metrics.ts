// The metrics of the payment service's Redis coordination: lock outcomes and waits, and Redis
// errors by operation (clearmesh_redis_up comes with the client, services/mesh/src/redis-client.ts).
// Every metric is looked up on the registry before it is created, so two lock layers (or a lock
// layer and its client) can share a registry.
import { Counter, Histogram, type HistogramConfiguration, type Registry } from 'prom-client';
import { counterOn, redisErrorsOn } from '../../../mesh/src/redis-client.js';

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

function histogramOn<T extends string>(
  registry: Registry,
  configuration: Omit<HistogramConfiguration<T>, 'registers'>,
): Histogram<T> {
  const existing = registry.getSingleMetric(configuration.name);
  if (existing === undefined) return new Histogram({ ...configuration, registers: [registry] });
  if (existing instanceof Histogram) return existing;
  throw new Error(`metric ${configuration.name} is already registered, and not as a histogram`);
}
