// The gateway's rate limits shared in Redis, against real Redis servers: two replicas draw on one
// allowance per key, it refills at the configured rate on Redis's clock, and while Redis is away
// each replica decides alone (counted, said once) until Redis answers again.
import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { once } from 'node:events';
import { Registry } from 'prom-client';
import { startRedisProcess, type RedisProcess } from '../../../test/harness/redis-process.js';
import { testRun } from '../../../test/harness/test-run.js';
import { createLogger } from '../../mesh/src/logger.js';
import { connectRedis } from '../../mesh/src/redis-client.js';
import { GatewayMetrics } from '../src/gateway-metrics.js';
import type { RateDecision } from '../src/rate-limiter.js';
import {
  localAfterFailureMs,
  SharedRateLimiter,
  type SharedRateLimitOptions,
} from '../src/shared-rate-limiter.js';
import { silentLogger } from '../../../test/harness/test-server.js';

const role = { name: 'test rate limit Redis', whileDown: 'rate limits are per replica' };

async function readyClient(url: string, registry = new Registry()): Promise<Redis> {
  const redis = connectRedis(url, role, { commandTimeoutMs: 500, registry });
  await once(redis, 'ready');
  return redis;
}

/** Takes `times` tokens of `key` one after another; answers how many were allowed. */
async function allowedOf(limiter: SharedRateLimiter, key: string, times: number): Promise<number> {
  let allowed = 0;
  for (let index = 0; index < times; index += 1) {
    if ((await limiter.take(key)).allowed) allowed += 1;
  }
  return allowed;
}

async function metric(registry: Registry, name: string, labels: string): Promise<number> {
  const text = await registry.metrics();
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${name}{${labels}}`));
  return Number(line?.split(' ').at(-1) ?? 0);
}

describe('gateway rate limits shared in Redis', () => {
  const clients: Redis[] = [];
  let prefix: string;
  let testNumber = 0;

  beforeEach(() => {
    testNumber += 1;
    prefix = `${testRun().redis.keyPrefix}shared-rate-limit:${testNumber}:`;
  });

  after(() => {
    for (const client of clients) client.disconnect();
  });

  async function replica(
    limit: Omit<SharedRateLimitOptions, 'keyPrefix' | 'route'>,
    options: {
      url?: string;
      registry?: Registry;
      nowMs?: () => number;
      logger?: typeof silentLogger;
    } = {},
  ): Promise<SharedRateLimiter> {
    const registry = options.registry ?? new Registry();
    const redis = await readyClient(options.url ?? testRun().redis.url, registry);
    clients.push(redis);
    return new SharedRateLimiter(
      redis,
      { ...limit, route: 'grpc_web', keyPrefix: prefix },
      {
        metrics: new GatewayMetrics(registry),
        registry,
        logger: options.logger ?? silentLogger,
        ...(options.nowMs === undefined ? {} : { nowMs: options.nowMs }),
      },
    );
  }

  it('lets two replicas together serve one burst per key, and other keys their own', async () => {
    const limit = { ratePerSecond: 1, burst: 4 };
    const [first, second] = [await replica(limit), await replica(limit)];
    const decisions: RateDecision[] = [];
    for (let index = 0; index < 8; index += 1) {
      decisions.push(await (index % 2 === 0 ? first : second).take('partner-a'));
    }
    expect(decisions.map((decision) => decision.allowed)).to.deep.equal([
      ...Array<boolean>(4).fill(true),
      ...Array<boolean>(4).fill(false),
    ]);
    const refused = decisions.at(-1);
    expect(refused?.allowed === false ? refused.retryAfterMs : 0).to.be.within(1, 1_000);
    expect((await second.take('partner-b')).allowed).to.equal(true);
  });

  it('refills at the configured rate', async () => {
    const limiter = await replica({ ratePerSecond: 20, burst: 1 });
    expect((await limiter.take('partner')).allowed).to.equal(true);
    const refused = await limiter.take('partner');
    if (refused.allowed) throw new Error('expected the second take to be refused');
    expect(refused.retryAfterMs).to.be.within(1, 50);
    // The limiter names the instant a token is back: waiting that long is waiting for the event.
    await new Promise((resolve) => setTimeout(resolve, refused.retryAfterMs + 5));
    expect((await limiter.take('partner')).allowed).to.equal(true);
    expect((await limiter.take('partner')).allowed).to.equal(false);
  });

  describe('while Redis is away', () => {
    let server: RedisProcess;

    before(async () => {
      server = await startRedisProcess();
    });

    after(async () => {
      await server.stop();
    });

    it('decides alone with a local bucket, counts and says it once, and shares again after', async () => {
      let nowMs = 1_000_000;
      const registry = new Registry();
      const warnings: string[] = [];
      const logger = createLogger('rate-limit-test', {
        level: 'info',
        destination: {
          write: (line: string) => {
            const parsed = JSON.parse(line) as { level: number; msg: string };
            if (parsed.level === 40) warnings.push(parsed.msg);
          },
        },
      });
      const limiter = await replica(
        { ratePerSecond: 1, burst: 3 },
        { url: server.url, registry, nowMs: () => nowMs, logger },
      );
      expect((await limiter.take('partner')).allowed).to.equal(true); // shared: 2 left in Redis
      await server.stop();

      // A fresh local bucket: the full burst, then refusals, without waiting on Redis.
      const localDecisions = (): Promise<number> =>
        metric(registry, 'clearmesh_gateway_rate_limit_local_total', 'route="grpc_web"');
      expect(await allowedOf(limiter, 'partner', 5)).to.equal(3);
      expect(await localDecisions()).to.equal(5);
      expect(
        await metric(registry, 'clearmesh_redis_errors_total', 'operation="rate_limit"'),
      ).to.equal(1); // later takes in the same second did not ask Redis at all
      expect(warnings).to.deep.equal(['rate limits are per replica until Redis answers again']);

      await server.restart();
      const reconnected = clients.at(-1);
      if (reconnected !== undefined && reconnected.status !== 'ready') {
        await once(reconnected, 'ready');
      }
      nowMs += localAfterFailureMs; // the local second is over: Redis is asked again
      // The restarted Redis kept nothing: a fresh shared cell of 3.
      expect(await allowedOf(limiter, 'partner', 4)).to.equal(3);
      expect(await localDecisions()).to.equal(5);
    });
  });
});
