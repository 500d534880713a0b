// The payment service's Redis coordination: lease locks that keep concurrent work apart, and the
// client they run on. Postgres fencing, not these locks, is what keeps money correct.
export {
  RedisLocks,
  type AcquireOptions,
  type LockAttempt,
  type LockHandle,
  type LockKind,
  type RedisLocksOptions,
} from './redis-locks.js';
export { connectLockRedis, type LockRedisOptions } from './lock-redis-client.js';
export type { LockOutcome, LockReleaseOutcome, RedisOperation } from './coordination-metrics.js';
