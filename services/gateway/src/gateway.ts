// Assembles the gateway from its parts: the internal SDK's clients to the account and payment
// services (mTLS as service/gateway), the token verifier over our own JWKS, the rate limiters, CORS
// and metrics, behind the HTTPS listener. main.ts and the tests start it the same way.
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
import { TokenBucketLimiter } from './rate-limiter.js';

export interface GatewayOptions {
  readonly address: HostPort;
  /** The certificate partners' TLS clients see (the gateway's mesh identity by default). */
  readonly identity: TlsIdentity;
  readonly config: Omit<GatewayConfig, 'accountAddress' | 'paymentAddress'>;
  readonly account: AccountClient;
  readonly payment: PaymentClient;
  readonly registry: Registry;
  readonly logger: Logger;
}

export async function startGateway(options: GatewayOptions): Promise<GatewayServer> {
  const { config, logger } = options;
  const metrics = new GatewayMetrics(options.registry);
  const verifier = new AccessTokenVerifier(
    async () => (await options.account.call.getJwks({}, { timeoutMs: 5_000 })).jwksJson,
    {
      issuer: config.tokenIssuer,
      audience: config.tokenAudience,
      leewaySeconds: config.tokenLeewaySeconds,
      jwksRefreshMinIntervalMs: config.jwksRefreshMinIntervalMs,
      jwksMaxAgeMs: config.jwksMaxAgeMs,
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
        limiter: new TokenBucketLimiter({
          ratePerSecond: config.rateLimitPerSecond,
          burst: config.rateLimitBurst,
        }),
        metrics,
        logger,
        config,
      },
      tokenEndpoint: {
        account: options.account,
        limiter: new TokenBucketLimiter({
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
