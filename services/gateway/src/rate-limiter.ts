// Token buckets per key (a partner id, a client address): `ratePerSecond` sustained, `burst` at
// once, in this replica's memory. The gateway shares its limits across replicas in Redis
// (shared-rate-limiter.ts) and falls back to these while Redis is away, or uses only these when
// given no Redis. The number of keys is bounded: the least recently used bucket is dropped first
// (a dropped bucket comes back full, which only errs towards serving).
export interface RateLimitOptions {
  readonly ratePerSecond: number;
  readonly burst: number;
  readonly keysMax?: number;
}

export type RateDecision =
  { readonly allowed: true } | { readonly allowed: false; readonly retryAfterMs: number };

/** Takes one request's token from `key`'s allowance, or says how long until there is one. */
export interface RateLimiter {
  take(key: string): RateDecision | Promise<RateDecision>;
}

interface Bucket {
  tokens: number;
  updatedAtMs: number;
}

const keysMaxDefault = 100_000;

export class TokenBucketLimiter implements RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly keysMax: number;

  constructor(
    private readonly options: RateLimitOptions,
    private readonly nowMs: () => number = () => performance.now(),
  ) {
    this.keysMax = options.keysMax ?? keysMaxDefault;
  }

  /** Takes one token from `key`'s bucket, or says how long until one is there. */
  take(key: string): RateDecision {
    const now = this.nowMs();
    const bucket = this.buckets.get(key) ?? { tokens: this.options.burst, updatedAtMs: now };
    // Re-inserted on every use: Map order is then least recently used first.
    this.buckets.delete(key);
    this.buckets.set(key, bucket);
    const elapsedSeconds = Math.max(0, now - bucket.updatedAtMs) / 1_000;
    bucket.tokens = Math.min(
      this.options.burst,
      bucket.tokens + elapsedSeconds * this.options.ratePerSecond,
    );
    bucket.updatedAtMs = now;
    if (this.buckets.size > this.keysMax) {
      const oldest = this.buckets.keys().next();
      if (oldest.done !== true) this.buckets.delete(oldest.value);
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true };
    }
    const retryAfterMs = Math.ceil(((1 - bucket.tokens) / this.options.ratePerSecond) * 1_000);
    return { allowed: false, retryAfterMs };
  }
}
