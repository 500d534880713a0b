// The Redis client the payment service's locks use: the mesh's client (never waits on Redis,
// reconnects forever). Locks are an optimisation — Postgres fences every write — so while Redis is
// down the locks answer 'unavailable' at once and payments go on without them.
import type { Redis } from 'ioredis';
import { connectRedis, type RedisClientOptions } from '../../../mesh/src/redis-client.js';

export type LockRedisOptions = RedisClientOptions;

export function connectLockRedis(url: string, options: LockRedisOptions): Redis {
  return connectRedis(url, { name: 'lock Redis', whileDown: 'locks answer unavailable' }, options);
}
