// Rate limits shared by every gateway replica: one GCRA cell per key (a partner id, a client
// address) in Redis, checked and updated by one script in one round trip, on Redis's clock so that
// replicas' clocks do not matter. A partner gets its rate across the deployment, not once per
// replica. GCRA keeps one number per key — the theoretical arrival time (TAT) of the next request —
// and is exactly a token bucket of `burst` tokens refilled at `ratePerSecond`.
//
// Redis is not allowed to take the gateway down with it: when a command fails (Redis down, slow,
// or not yet connected) the replica decides with its own in-memory bucket instead, for a second
// before it asks Redis again, so a hung Redis costs one command timeout per second, not one per
// request. Those local decisions are counted (clearmesh_gateway_rate_limit_local_total) and an
// outage is logged once; during it a partner may get up to one rate per replica.
import type { Redis } from 'ioredis';
import type { Logger } from '../../mesh/src/logger.js';
import { redisErrorsOn } from '../../mesh/src/redis-client.js';
import type { Registry } from 'prom-client';
import type { GatewayMetrics } from './gateway-metrics.js';
import {
  TokenBucketLimiter,
  type RateDecision,
  type RateLimiter,
  type RateLimitOptions,
} from './rate-limiter.js';

/** How long a replica decides locally after a Redis failure before it tries Redis again. */
export const localAfterFailureMs = 1_000;

// KEYS[1]: the cell. ARGV[1]: emission interval (ms per request), ARGV[2]: burst.
// Answers {1, 0} when allowed, {0, ms until a request would be}.
const takeScript = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
local allowedAt = tat + interval - interval * burst
if now < allowedAt then
  return {0, math.ceil(allowedAt - now)}
end
local nextTat = tat + interval
redis.call('SET', KEYS[1], string.format('%.3f', nextTat), 'PX', math.ceil(nextTat - now))
return {1, 0}
`;

interface RateLimitCommands {
  clearmeshRateLimitTake(key: string, intervalMs: string, burst: string): Promise<[number, number]>;
}

export interface SharedRateLimitOptions extends RateLimitOptions {
  /** Which limit this is: the metrics' route label and part of every key. */
  readonly route: 'grpc_web' | 'oauth_token';
  /** Prefix of every key; replicas of one deployment share it. */
  readonly keyPrefix: string;
}

export class SharedRateLimiter implements RateLimiter {
  private readonly local: TokenBucketLimiter;
  private readonly redis: Redis & RateLimitCommands;
  private readonly intervalMs: string;
  private readonly burst: string;
  private readonly redisErrors: ReturnType<typeof redisErrorsOn>;
  private readonly nowMs: () => number;
  private localUntilMs = 0;
  private inOutage = false;

  constructor(
    redis: Redis,
    private readonly options: SharedRateLimitOptions,
    private readonly dependencies: {
      readonly metrics: GatewayMetrics;
      readonly registry: Registry;
      readonly logger: Logger;
      readonly nowMs?: () => number;
    },
  ) {
    if (!('clearmeshRateLimitTake' in redis)) {
      redis.defineCommand('clearmeshRateLimitTake', { numberOfKeys: 1, lua: takeScript });
    }
    this.redis = redis as Redis & RateLimitCommands;
    this.nowMs = dependencies.nowMs ?? (() => performance.now());
    this.local = new TokenBucketLimiter(options, this.nowMs);
    this.intervalMs = String(1_000 / options.ratePerSecond);
    this.burst = String(options.burst);
    this.redisErrors = redisErrorsOn(dependencies.registry);
  }

  async take(key: string): Promise<RateDecision> {
    const now = this.nowMs();
    if (now < this.localUntilMs) return this.decideLocally(key);
    let answer: [number, number];
    try {
      answer = await this.redis.clearmeshRateLimitTake(
        `${this.options.keyPrefix}${this.options.route}:${key}`,
        this.intervalMs,
        this.burst,
      );
    } catch (error) {
      this.redisErrors.inc({ operation: 'rate_limit' });
      this.localUntilMs = this.nowMs() + localAfterFailureMs;
      if (!this.inOutage) {
        this.inOutage = true;
        this.dependencies.logger.warn(
          { err: error, route: this.options.route },
          'rate limits are per replica until Redis answers again',
        );
      }
      return this.decideLocally(key);
    }
    if (this.inOutage) {
      this.inOutage = false;
      this.dependencies.logger.info({ route: this.options.route }, 'rate limits are shared again');
    }
    const [allowed, retryAfterMs] = answer;
    return allowed === 1 ? { allowed: true } : { allowed: false, retryAfterMs };
  }

  private decideLocally(key: string): RateDecision {
    this.dependencies.metrics.rateLimitDecidedLocally(this.options.route);
    return this.local.take(key);
  }
}
