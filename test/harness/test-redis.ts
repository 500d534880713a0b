// A Redis key prefix per test run: every key a test writes lives under it, and the run deletes
// them all at the end, so runs never see each other's locks.
import { Redis } from 'ioredis';
import { redisUrlDefault } from '../../services/mesh/src/topology.js';

export interface TestRedis {
  readonly url: string;
  readonly keyPrefix: string;
  /** A client whose every key is under the run's prefix. The caller quits it. */
  connect(): Redis;
  /** Deletes every key under the prefix. */
  clear(): Promise<number>;
}

export function createTestRedis(runId: string): TestRedis {
  const url = process.env['REDIS_URL'] || redisUrlDefault;
  const keyPrefix = `clearmesh:test:${runId}:`;
  const connect = (): Redis =>
    new Redis(url, { keyPrefix, lazyConnect: false, maxRetriesPerRequest: 1 });
  return {
    url,
    keyPrefix,
    connect,
    clear: async () => {
      // A client without the prefix: SCAN patterns and DEL keys are then the full names.
      const client = new Redis(url, { maxRetriesPerRequest: 1 });
      try {
        let deleted = 0;
        let cursor = '0';
        do {
          const [next, keys] = await client.scan(cursor, 'MATCH', `${keyPrefix}*`, 'COUNT', 500);
          cursor = next;
          if (keys.length > 0) deleted += await client.del(...keys);
        } while (cursor !== '0');
        return deleted;
      } finally {
        client.disconnect();
      }
    },
  };
}
