// Lease locks on Redis that keep concurrent payment work apart (SPEC §3.3 Coordination): one key
// per locked thing, set with SET NX PX to a random token and deleted only by its holder. A lock is
// an optimisation, never the guarantee: a lease can expire or vanish mid-flight, so every write is
// fenced in Postgres, and when Redis is away an attempt answers 'unavailable' at once.
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { watchRedisUp } from '../../../mesh/src/redis-client.js';
import { coordinationMetrics, type CoordinationMetrics } from './coordination-metrics.js';

export { connectLockRedis, type LockRedisOptions } from './lock-redis-client.js';

export type LockKind = 'idempotency_key' | 'payer_account' | 'payment';

export interface LockHandle {
  readonly kind: LockKind;
  readonly name: string;
  readonly token: string;
  /**
   * Deletes the lock if this handle still holds it (compare-and-delete); never throws (errors
   * counted + swallowed: the lease then expires by itself). Calling it again does nothing more.
   */
  release(): Promise<void>;
}

export type LockAttempt =
  | { readonly outcome: 'acquired'; readonly lock: LockHandle }
  | { readonly outcome: 'contended' }
  | { readonly outcome: 'unavailable'; readonly error: unknown };

export interface RedisLocksOptions {
  /** Put before every lock key, e.g. 'clearmesh:payment:lock:'. */
  readonly prefix: string;
  /** The lease: how long a lock lives when its holder never releases it. */
  readonly ttlMs: number;
  readonly registry?: Registry;
}

export interface AcquireOptions {
  /** How long to keep retrying a contended lock; 0 tries once. */
  readonly waitMs: number;
  /** Stops the retries; the attempt then answers 'contended'. */
  readonly signal?: AbortSignal;
}

// Compare-and-delete in one step, so a holder whose lease expired cannot delete its successor's.
const releaseScript = `if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`;
const releaseCommandName = 'clearmeshLockRelease';
type ReleaseCommand = (key: string, token: string) => Promise<number>;

// Full-jitter exponential backoff: a retry waits a random time below a ceiling that doubles from
// 2 ms up to 50 ms, so waiters spread out instead of retrying in step.
const retryDelayFirstMs = 2;
const retryDelayMaxMs = 50;
const tokenBytes = 16;

const contended: LockAttempt = Object.freeze({ outcome: 'contended' });

export class RedisLocks {
  private readonly metrics: CoordinationMetrics;
  private readonly releaseCommand: ReleaseCommand;

  constructor(
    private readonly redis: Redis,
    private readonly options: RedisLocksOptions,
  ) {
    if (!Number.isSafeInteger(options.ttlMs) || options.ttlMs <= 0) {
      throw new Error(`lock ttlMs must be a positive integer, got ${options.ttlMs}`);
    }
    const registry = options.registry ?? new Registry();
    this.metrics = coordinationMetrics(registry);
    watchRedisUp(registry, redis);
    // ioredis sends EVALSHA, and EVAL where the script is not yet loaded (a new connection, or a
    // Redis restarted since).
    redis.defineCommand(releaseCommandName, { numberOfKeys: 1, lua: releaseScript });
    const command = (redis as unknown as Record<string, ReleaseCommand | undefined>)[
      releaseCommandName
    ];
    if (command === undefined) throw new Error('ioredis did not define the lock release command');
    this.releaseCommand = command.bind(redis);
  }

  /** One SET NX PX. */
  async tryAcquire(kind: LockKind, name: string): Promise<LockAttempt> {
    const attempt = await this.attempt(kind, name);
    this.metrics.lockAcquisitions.inc({ lock: kind, outcome: attempt.outcome });
    return attempt;
  }

  /**
   * Retries while contended until the lock is acquired, Redis is unavailable, waitMs has passed
   * ('contended') or the signal aborts ('contended'). A SET already sent when the signal aborts
   * may still answer 'acquired': the caller then holds the lock and releases it.
   */
  async acquire(kind: LockKind, name: string, options: AcquireOptions): Promise<LockAttempt> {
    if (!Number.isFinite(options.waitMs) || options.waitMs < 0) {
      throw new Error(`lock waitMs must be a finite number >= 0, got ${options.waitMs}`);
    }
    const startedMs = performance.now();
    const attempt = await this.attemptUntil(kind, name, startedMs + options.waitMs, options.signal);
    const labels = { lock: kind, outcome: attempt.outcome };
    this.metrics.lockAcquisitions.inc(labels);
    this.metrics.lockWaitSeconds.observe(labels, (performance.now() - startedMs) / 1_000);
    return attempt;
  }

  private async attemptUntil(
    kind: LockKind,
    name: string,
    deadlineMs: number,
    signal: AbortSignal | undefined,
  ): Promise<LockAttempt> {
    if (signal?.aborted === true) return contended;
    for (let retry = 0; ; retry += 1) {
      const attempt = await this.attempt(kind, name);
      if (attempt.outcome !== 'contended') return attempt;
      const remainingMs = deadlineMs - performance.now();
      if (remainingMs <= 0) return attempt;
      const ceilingMs = Math.min(retryDelayMaxMs, retryDelayFirstMs * 2 ** Math.min(retry, 16));
      if (!(await delay(Math.min(remainingMs, Math.random() * ceilingMs), signal))) {
        return contended;
      }
    }
  }

  private async attempt(kind: LockKind, name: string): Promise<LockAttempt> {
    if (name === '') throw new Error(`empty ${kind} lock name`);
    const key = `${this.options.prefix}${kind}:${name}`;
    const token = randomBytes(tokenBytes).toString('hex');
    try {
      const reply = await this.redis.set(key, token, 'PX', this.options.ttlMs, 'NX');
      if (reply === null) return contended;
      return { outcome: 'acquired', lock: this.handle(kind, name, key, token) };
    } catch (error) {
      this.metrics.redisErrors.inc({ operation: 'acquire' });
      return { outcome: 'unavailable', error };
    }
  }

  private handle(kind: LockKind, name: string, key: string, token: string): LockHandle {
    let released: Promise<void> | undefined;
    return Object.freeze({
      kind,
      name,
      token,
      release: () => (released ??= this.release(kind, key, token)),
    });
  }

  private async release(kind: LockKind, key: string, token: string): Promise<void> {
    try {
      const deleted = await this.releaseCommand(key, token);
      this.metrics.lockReleases.inc({
        lock: kind,
        outcome: deleted === 1 ? 'released' : 'not_held',
      });
    } catch {
      // The lease expires by itself; the work it guarded was fenced in Postgres either way.
      this.metrics.redisErrors.inc({ operation: 'release' });
    }
  }
}

/** Resolves true after `ms`, or false as soon as `signal` aborts. */
function delay(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) {
      resolve(false);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
