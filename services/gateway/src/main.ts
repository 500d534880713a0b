// The partner gateway process: config → mesh clients (mTLS as service/gateway) and the rate
// limits' Redis → HTTPS listener → metrics → ready → drain on SIGTERM.
import {
  createAccountClient,
  createPaymentClient,
  meshClientCredentials,
} from '../../../clients/internal/src/index.js';
import { announceReady, exitOnStartupFailure, stopOnSignals } from '../../mesh/src/lifecycle.js';
import { createLogger } from '../../mesh/src/logger.js';
import { createMetricsRegistry, startMetricsServer } from '../../mesh/src/metrics-server.js';
import { readProcessConfig } from '../../mesh/src/process-config.js';
import type { Redis } from 'ioredis';
import { connectRedis } from '../../mesh/src/redis-client.js';
import { readTlsIdentity } from '../../mesh/src/tls.js';
import { readGatewayConfig } from './config.js';
import { startGateway } from './gateway.js';

const logger = createLogger('gateway');
/** Every grpc-web call and token request asks Redis once; past this it decides alone. */
const rateLimitRedisTimeoutMs = 100;
/** How long start-up waits for the rate limits' Redis before it goes on without it. */
const rateLimitRedisStartWaitMs = 2_000;

async function main(): Promise<void> {
  const processConfig = readProcessConfig('gateway', process.env);
  const config = readGatewayConfig(process.env);
  const registry = createMetricsRegistry('gateway');
  const identity = {
    certsDirectory: processConfig.certsDirectory,
    identity: 'gateway',
    trustDomain: processConfig.trustDomain,
    refreshIntervalMs: processConfig.certificateRefreshIntervalMs,
  };
  const accountCredentials = meshClientCredentials(identity, 'service/account');
  const paymentCredentials = meshClientCredentials(identity, 'service/payment');
  const account = createAccountClient({
    address: config.accountAddress,
    credentials: accountCredentials.credentials,
    registry,
  });
  const payment = createPaymentClient({
    address: config.paymentAddress,
    credentials: paymentCredentials.credentials,
    registry,
  });
  const redis = connectRedis(
    config.redisUrl,
    { name: 'rate limit Redis', whileDown: 'rate limits are per replica' },
    { commandTimeoutMs: rateLimitRedisTimeoutMs, logger, registry },
  );
  // Partners are served without Redis too, but a replica that starts connected shares its limits
  // from the first request; one that cannot reach Redis soon starts anyway, limiting alone.
  await redisReadyOrGiveUp(redis, rateLimitRedisStartWaitMs);
  const metrics = await startMetricsServer(registry, processConfig.metricsAddress);
  const server = await startGateway({
    address: processConfig.address,
    identity: readTlsIdentity(processConfig.certsDirectory, 'gateway'),
    config,
    account,
    payment,
    redis,
    registry,
    logger,
  });
  stopOnSignals(logger, async () => {
    await server.shutdown(processConfig.drainGraceMs);
    account.close();
    payment.close();
    accountCredentials.close();
    paymentCredentials.close();
    redis.disconnect();
    await metrics.close();
  });
  announceReady({ name: 'gateway', address: server.address, metricsAddress: metrics.address });
}

main().catch(exitOnStartupFailure(logger));

/** Resolves when Redis is ready, or after `waitMs` (saying so); connection errors do not end it. */
function redisReadyOrGiveUp(redis: Redis, waitMs: number): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve) => {
    const onReady = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      redis.removeListener('ready', onReady);
      logger.warn(
        { waitedMs: waitMs },
        "starting without the rate limits' Redis: limits are per replica",
      );
      resolve();
    }, waitMs);
    redis.once('ready', onReady);
  });
}
