// The payment service process: the mesh runtime gives it mTLS, identity, authorization, health,
// metrics, migrations and a drain; the payment service adds its account and ledger clients (as
// service/payment), its Redis for locks, the change listener and the recovery worker, which stop
// once the drain has let in-flight calls finish.
import { existsSync, unlinkSync } from 'node:fs';
import {
  createAccountClient,
  createLedgerClient,
  meshClientCredentials,
} from '../../../clients/internal/src/index.js';
import { runGrpcService } from '../../mesh/src/grpc-service-main.js';
import { migrations } from '../migrations/index.js';
import { readPaymentConfig, type PaymentConfig } from './config.js';
import { connectLockRedis } from './coordination/index.js';
import type { PaymentHooks } from './payment-processor.js';
import { createPaymentService } from './payment-service.js';

runGrpcService({
  name: 'payment',
  schema: 'payment',
  migrations,
  services: ({ config: processConfig, db, logger, registry, onStop }) => {
    const config = readPaymentConfig(process.env, processConfig);
    const identity = {
      certsDirectory: config.certsDirectory,
      identity: 'payment',
      trustDomain: config.trustDomain,
    };
    const ledgerCredentials = meshClientCredentials(identity, 'service/ledger');
    const accountCredentials = meshClientCredentials(identity, 'service/account');
    const ledger = createLedgerClient({
      address: config.ledgerAddress,
      credentials: ledgerCredentials.credentials,
      registry,
    });
    const accounts = createAccountClient({
      address: config.accountAddress,
      credentials: accountCredentials.credentials,
      registry,
    });
    const redis = connectLockRedis(config.redisUrl, {
      commandTimeoutMs: config.redisCommandTimeoutMs,
      logger,
      registry,
    });
    const payment = createPaymentService({
      db,
      redis,
      logger,
      registry,
      accounts,
      ledger,
      config,
      hooks: crashHooks(config.crashFault),
    });
    payment.start().catch((error: unknown) => {
      logger.error({ err: error }, 'the payment change listener did not start');
    });
    onStop(async () => {
      await payment.stop();
      redis.disconnect();
      ledger.close();
      accounts.close();
      ledgerCredentials.close();
      accountCredentials.close();
    });
    return [payment.registration];
  },
});

/** The crash matrix's fault: the first operation to reach the point while the file exists. */
function crashHooks(fault: PaymentConfig['crashFault']): PaymentHooks {
  if (fault === undefined) return {};
  return {
    [fault.point]: () => {
      if (!existsSync(fault.file)) return;
      unlinkSync(fault.file);
      process.kill(process.pid, 'SIGKILL');
    },
  };
}
