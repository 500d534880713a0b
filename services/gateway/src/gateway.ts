// Assembles the gateway from its parts: the internal SDK's clients to the account and payment
// services (mTLS as service/gateway), the token verifier over our own JWKS, the rate limiters
// (shared in Redis when given one), CORS and metrics, behind the HTTPS listener. main.ts and the
// tests start it the same way.
import type { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import type { AccountClient, PaymentClient } from '../../../clients/internal/src/index.js';
import type { HostPort } from '../../mesh/src/config.js';
import type { Logger } from '../../mesh/src/logger.js';
import type { TlsIdentity } from '../../mesh/src/tls.js';
import { AccessTokenVerifier } from './access-tokens.js';
import type { GatewayConfig } from './config.js';
import { CorsPolicy } from './cors.js';
import { GatewayMetrics } from './gateway-metrics.js';
import { startGatewayServer, type GatewayServer } from './https-server.js';
import { partnerRoutes } from './partner-routes.js';
import { TokenBucketLimiter, type RateLimiter, type RateLimitOptions } from './rate-limiter.js';
import { SharedRateLimiter } from './shared-rate-limiter.js';

export interface GatewayOptions {
  readonly address: HostPort;
  /** The certificate partners' TLS clients see (the gateway's mesh identity by default). */
  readonly identity: TlsIdentity;
  readonly config: Omit<GatewayConfig, 'accountAddress' | 'paymentAddress' | 'redisUrl'>;
  /** Where the rate limits are shared with the other replicas; without it, per replica. */
  readonly redis?: Redis;
  readonly account: AccountClient;
  readonly payment: PaymentClient;
  readonly registry: Registry;
  readonly logger: Logger;
}

export async function startGateway(options: GatewayOptions): Promise<GatewayServer> {
  const { config, logger } = options;
  const metrics = new GatewayMetrics(options.registry);
  const { redis } = options;
  const limiter = (route: 'grpc_web' | 'oauth_token', limit: RateLimitOptions): RateLimiter =>
    redis === undefined
      ? new TokenBucketLimiter(limit)
      : new SharedRateLimiter(
          redis,
          { ...limit, route, keyPrefix: config.rateLimitKeyPrefix },
          { metrics, registry: options.registry, logger },
        );
  const verifier = new AccessTokenVerifier(
    async () => (await options.account.call.getJwks({}, { timeoutMs: 5_000 })).jwksJson,
    {
      issuer: config.tokenIssuer,
      audience: config.tokenAudience,
      leewaySeconds: config.tokenLeewaySeconds,
      jwksRefreshMinIntervalMs: config.jwksRefreshMinIntervalMs,
      jwksMaxAgeMs: config.jwksMaxAgeMs,
      trustedIssuers: config.trustedIssuers,
    },
  );
  return startGatewayServer({
    address: options.address,
    identity: options.identity,
    routes: {
      grpcWeb: {
        routes: partnerRoutes,
        account: options.account,
        payment: options.payment,
        verifier,
        limiter: limiter('grpc_web', {
          ratePerSecond: config.rateLimitPerSecond,
          burst: config.rateLimitBurst,
        }),
        metrics,
        logger,
        config,
      },
      tokenEndpoint: {
        account: options.account,
        limiter: limiter('oauth_token', {
          ratePerSecond: config.tokenEndpointRatePerSecond,
          burst: config.tokenEndpointBurst,
        }),
        metrics,
        logger,
      },
      verifier,
      cors: new CorsPolicy(config.corsOrigins),
      metrics,
      logger,
      headerBytesMax: config.headerBytesMax,
    },
  });
}
