// The payment service's Redis lease locks: one holder at a time, released only by that holder,
// expiring by themselves, waited for with a bounded, abortable backoff; and when Redis is away an
// attempt answers 'unavailable' at once instead of blocking work, until the same client reconnects.
// They are an optimisation: a lease that expires or a Redis that loses its keys lets two holders
// in at once, which is why every payment write is fenced in Postgres (SPEC §3.3).
// Fault tests run on a private redis-server so the shared one is never disturbed.
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import type { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { createLogger } from '../../mesh/src/logger.js';
import {
  connectLockRedis,
  RedisLocks,
  type LockAttempt,
  type LockHandle,
  type LockKind,
} from '../src/coordination/index.js';
import { startRedisProcess, type RedisProcess } from '../../../test/harness/redis-process.js';
import { testRun } from '../../../test/harness/test-run.js';

const commandTimeoutMs = 500;
const ttlMs = 30_000;

describe('payment Redis locks', () => {
  let registry: Registry;
  let redis: Redis;
  let locks: RedisLocks;
  let prefix: string;

  beforeEach(async () => {
    registry = new Registry();
    prefix = `${testRun().redis.keyPrefix}payment-locks:`;
    redis = connectLockRedis(testRun().redis.url, { commandTimeoutMs, registry });
    await ready(redis);
    locks = new RedisLocks(redis, { prefix, ttlMs, registry });
  });

  afterEach(() => {
    redis.disconnect();
  });

  const lockName = (): string => randomUUID();

  it('gives a free lock to one holder, contends while held, and frees it on release', async () => {
    const name = lockName();
    const lock = acquired(await locks.tryAcquire('payment', name));
    expect(lock).to.include({ kind: 'payment', name });
    expect(lock.token).to.match(/^[0-9a-f]{32}$/);
    expect(await redis.get(`${prefix}payment:${name}`)).to.equal(lock.token);
    expect(await redis.pttl(`${prefix}payment:${name}`)).to.be.within(1, ttlMs);

    expect((await locks.tryAcquire('payment', name)).outcome).to.equal('contended');
    await lock.release();
    expect(await redis.exists(`${prefix}payment:${name}`)).to.equal(0);
    const next = acquired(await locks.tryAcquire('payment', name));
    expect(next.token).to.not.equal(lock.token);
    await next.release();
  });

  it('keeps kinds apart: the same name under another kind is another lock', async () => {
    const name = lockName();
    const held = acquired(await locks.tryAcquire('idempotency_key', name));
    const other = acquired(await locks.tryAcquire('payer_account', name));
    await Promise.all([held.release(), other.release()]);
  });

  it('does not delete the lock when released by a holder whose lease has gone', async () => {
    const name = lockName();
    const stale = acquired(await locks.tryAcquire('payer_account', name));
    // The lease ends under the first holder (as an expiry would) and a second holder takes it.
    await redis.del(`${prefix}payer_account:${name}`);
    const current = acquired(await locks.tryAcquire('payer_account', name));

    await stale.release();
    expect(await redis.get(`${prefix}payer_account:${name}`)).to.equal(current.token);
    expect((await locks.tryAcquire('payer_account', name)).outcome).to.equal('contended');
    expect(await releases(registry, 'payer_account', 'not_held')).to.equal(1);

    await current.release();
    await current.release(); // a second release does nothing more
    expect(await releases(registry, 'payer_account', 'released')).to.equal(1);
  });

  it('lets another holder in once a lease expires unreleased', async () => {
    const shortLocks = new RedisLocks(redis, { prefix, ttlMs: 100, registry });
    const name = lockName();
    const expired = acquired(await shortLocks.tryAcquire('payment', name));
    expect((await shortLocks.tryAcquire('payment', name)).outcome).to.equal('contended');

    // Waiting on the lock itself: acquire() retries until the lease runs out.
    const next = acquired(await shortLocks.acquire('payment', name, { waitMs: 5_000 }));
    expect(await redis.get(`${prefix}payment:${name}`)).to.equal(next.token);
    await expired.release();
    expect(await redis.get(`${prefix}payment:${name}`)).to.equal(next.token);
    await next.release();
  });

  it('waits in acquire() while the lock is held and gets it once released', async () => {
    const name = lockName();
    const holder = acquired(await locks.tryAcquire('idempotency_key', name));
    const waiter = locks.acquire('idempotency_key', name, { waitMs: 10_000 });
    await waiterHasBeenRefused(locks, 'idempotency_key', name);

    await holder.release();
    const lock = acquired(await waiter);
    expect(await redis.get(`${prefix}idempotency_key:${name}`)).to.equal(lock.token);
    await lock.release();
    expect(await waitCount(registry, 'idempotency_key', 'acquired')).to.equal(1);
  });

  it('answers contended once waitMs has passed, having waited that long', async () => {
    const name = lockName();
    const holder = acquired(await locks.tryAcquire('payment', name));
    expect((await locks.acquire('payment', name, { waitMs: 100 })).outcome).to.equal('contended');
    expect((await locks.acquire('payment', name, { waitMs: 0 })).outcome).to.equal('contended');
    expect(await waitCount(registry, 'payment', 'contended')).to.equal(2);
    expect(await metricValue(registry, 'clearmesh_payment_lock_wait_seconds_sum')).to.be.at.least(
      0.1,
    );
    await holder.release();
  });

  it('stops waiting when the signal aborts, answering contended', async function () {
    this.timeout(5_000); // without the abort the waiter would wait a minute
    const name = lockName();
    const holder = acquired(await locks.tryAcquire('payer_account', name));
    const controller = new AbortController();
    const waiter = locks.acquire('payer_account', name, {
      waitMs: 60_000,
      signal: controller.signal,
    });
    await waiterHasBeenRefused(locks, 'payer_account', name);
    controller.abort();
    expect((await waiter).outcome).to.equal('contended');

    await holder.release();
    // An already aborted signal does not even try, even though the lock is free now.
    const attempt = await locks.acquire('payer_account', name, {
      waitMs: 60_000,
      signal: AbortSignal.abort(),
    });
    expect(attempt.outcome).to.equal('contended');
    expect(await redis.exists(`${prefix}payer_account:${name}`)).to.equal(0);
  });

  it('refuses a lease that is not a positive integer and an empty lock name', async () => {
    expect(() => new RedisLocks(redis, { prefix, ttlMs: 0, registry })).to.throw(/ttlMs/);
    expect(() => new RedisLocks(redis, { prefix, ttlMs: 1.5, registry })).to.throw(/ttlMs/);
    let refused: unknown;
    try {
      await locks.tryAcquire('payment', '');
    } catch (error) {
      refused = error;
    }
    expect(String(refused)).to.match(/empty payment lock name/);
    expect(await acquisitions(registry, 'payment', 'unavailable')).to.equal(0);
  });

  it('counts every final outcome once, and shares metrics between lock layers on a registry', async () => {
    const name = lockName();
    const second = new RedisLocks(redis, { prefix, ttlMs, registry });
    const holder = acquired(await locks.tryAcquire('payment', name));
    expect((await second.tryAcquire('payment', name)).outcome).to.equal('contended');
    expect((await second.acquire('payment', name, { waitMs: 20 })).outcome).to.equal('contended');
    await holder.release();
    acquired(await second.acquire('payment', name, { waitMs: 20 }));

    expect(await acquisitions(registry, 'payment', 'acquired')).to.equal(2);
    expect(await acquisitions(registry, 'payment', 'contended')).to.equal(2);
    expect(await acquisitions(registry, 'payment', 'unavailable')).to.equal(0);
    expect(await metricValue(registry, 'clearmesh_payment_lock_wait_seconds_count')).to.equal(2);
    expect(await metricValue(registry, 'clearmesh_redis_up')).to.equal(1);
    expect(await redisErrors(registry, 'acquire')).to.equal(0);
  });

  describe('on a Redis that fails', () => {
    let server: RedisProcess;
    let faultRegistry: Registry;
    let client: Redis;
    let faultLocks: RedisLocks;
    let logLines: LogLine[];

    before(async () => {
      server = await startRedisProcess();
    });

    after(async () => {
      await server.stop();
    });

    beforeEach(async () => {
      await server.restart();
      faultRegistry = new Registry();
      logLines = [];
      const logger = createLogger('payment-locks-test', {
        level: 'info',
        destination: {
          write: (line: string) => {
            logLines.push(JSON.parse(line) as LogLine);
          },
        },
      });
      client = connectLockRedis(server.url, { commandTimeoutMs, logger, registry: faultRegistry });
      await ready(client);
      faultLocks = new RedisLocks(client, { prefix: 'locks:', ttlMs, registry: faultRegistry });
    });

    afterEach(() => {
      client.disconnect();
    });

    it('answers unavailable at once while Redis is down, and acquires again after it returns', async () => {
      const held = acquired(await faultLocks.tryAcquire('payment', 'p-1'));
      await server.stop();

      expect((await faultLocks.tryAcquire('payment', 'p-2')).outcome).to.equal('unavailable');
      // No waiting out waitMs: unavailable is final, not retried.
      const waited = await faultLocks.acquire('payer_account', 'a-1', { waitMs: 60_000 });
      expect(waited.outcome).to.equal('unavailable');
      if (waited.outcome === 'unavailable') expect(waited.error).to.be.instanceOf(Error);
      await held.release(); // never throws; counted

      if (client.status === 'ready') await once(client, 'close');
      for (let error = 0; error < 3; error += 1) await once(client, 'error'); // reconnects fail
      expect(await metricValue(faultRegistry, 'clearmesh_redis_up')).to.equal(0);
      expect(await acquisitions(faultRegistry, 'payment', 'unavailable')).to.equal(1);
      expect(await acquisitions(faultRegistry, 'payer_account', 'unavailable')).to.equal(1);
      expect(await waitCount(faultRegistry, 'payer_account', 'unavailable')).to.equal(1);
      expect(await redisErrors(faultRegistry, 'acquire')).to.equal(2);
      expect(await redisErrors(faultRegistry, 'release')).to.equal(1);
      expect(await redisErrors(faultRegistry, 'connect')).to.be.at.least(3);
      expect(logLines.filter((line) => line.level === 40)).to.have.length(1);

      await server.restart();
      await ready(client);
      const lock = acquired(await faultLocks.tryAcquire('payment', 'p-2'));
      await lock.release(); // the release script is loaded again on the new connection
      acquired(await faultLocks.tryAcquire('payment', 'p-2'));
      expect(await metricValue(faultRegistry, 'clearmesh_redis_up')).to.equal(1);
      expect(logLines.map((line) => line.msg)).to.include('lock Redis reconnected');
    });

    it('answers unavailable within the command timeout when Redis hangs, and recovers', async () => {
      const held = acquired(await faultLocks.tryAcquire('payment', 'p-4'));
      server.pause();
      try {
        // The connection stays open, so only the command timeout ends these.
        const [attempt] = await Promise.all([
          faultLocks.acquire('payment', 'p-5', { waitMs: 60_000 }),
          held.release(),
        ]);
        expect(attempt.outcome).to.equal('unavailable');
        if (attempt.outcome === 'unavailable') {
          expect(String(attempt.error)).to.match(/timed out/i);
        }
      } finally {
        server.resume();
      }
      expect(await redisErrors(faultRegistry, 'acquire')).to.equal(1);
      expect(await redisErrors(faultRegistry, 'release')).to.equal(1);
      acquired(await faultLocks.tryAcquire('payment', 'p-6'));
    });

    it('answers unavailable from a client created while Redis is down, until Redis starts', async () => {
      await server.stop();
      const early = connectLockRedis(server.url, { commandTimeoutMs });
      try {
        const earlyLocks = new RedisLocks(early, { prefix: 'locks:', ttlMs });
        expect((await earlyLocks.tryAcquire('payment', 'p-3')).outcome).to.equal('unavailable');
        await server.restart();
        await ready(early);
        acquired(await earlyLocks.tryAcquire('payment', 'p-3'));
      } finally {
        early.disconnect();
      }
    });

    it('lets a second holder in when Redis loses its keys mid-hold: only Postgres fences that', async () => {
      const first = acquired(await faultLocks.tryAcquire('idempotency_key', 'k-1'));
      await server.flushAll();
      const second = acquired(await faultLocks.tryAcquire('idempotency_key', 'k-1'));
      // Both believe they hold the lock; the first one's release must not free the second's.
      await first.release();
      expect((await faultLocks.tryAcquire('idempotency_key', 'k-1')).outcome).to.equal('contended');
      expect(await releases(faultRegistry, 'idempotency_key', 'not_held')).to.equal(1);
      await second.release();
    });
  });
});

interface LogLine {
  readonly level: number;
  readonly msg: string;
}

function acquired(attempt: LockAttempt): LockHandle {
  if (attempt.outcome !== 'acquired') throw new Error(`expected acquired, got ${attempt.outcome}`);
  return attempt.lock;
}

async function ready(client: Redis): Promise<void> {
  if (client.status !== 'ready') await once(client, 'ready');
}

/**
 * Resolves once a waiter's first attempt has been refused. The waiter sent its SET NX when
 * acquire() was called; this SET follows it on the same connection, so its contended reply
 * means Redis already refused the waiter's.
 */
async function waiterHasBeenRefused(
  locks: RedisLocks,
  kind: LockKind,
  name: string,
): Promise<void> {
  expect((await locks.tryAcquire(kind, name)).outcome).to.equal('contended');
}

async function metricValue(
  registry: Registry,
  sample: string,
  labels: Readonly<Record<string, string>> = {},
): Promise<number> {
  const name = sample.replace(/_(sum|count|bucket)$/, '');
  const metric = registry.getSingleMetric(name) ?? registry.getSingleMetric(sample);
  if (metric === undefined) throw new Error(`no metric ${sample}`);
  const { values } = await metric.get();
  return values
    .filter((value) => ((value as { metricName?: string }).metricName ?? name) === sample)
    .filter((value) =>
      Object.entries(labels).every(([key, wanted]) => String(value.labels[key]) === wanted),
    )
    .reduce((sum, value) => sum + value.value, 0);
}

function acquisitions(registry: Registry, lock: LockKind, outcome: string): Promise<number> {
  return metricValue(registry, 'clearmesh_payment_lock_acquisitions_total', { lock, outcome });
}

function waitCount(registry: Registry, lock: LockKind, outcome: string): Promise<number> {
  return metricValue(registry, 'clearmesh_payment_lock_wait_seconds_count', { lock, outcome });
}

function releases(registry: Registry, lock: LockKind, outcome: string): Promise<number> {
  return metricValue(registry, 'clearmesh_payment_lock_releases_total', { lock, outcome });
}

function redisErrors(registry: Registry, operation: string): Promise<number> {
  return metricValue(registry, 'clearmesh_redis_errors_total', { operation });
}
