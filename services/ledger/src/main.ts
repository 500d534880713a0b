// The ledger service process: the mesh runtime gives it mTLS, identity, authorization, health,
// metrics, migrations and a drain; the ledger adds its writer and its expiry job, which stops as
// soon as the drain begins (in-flight calls still finish through the writer).
import { runGrpcService } from '../../mesh/src/grpc-service-main.js';
import { migrations } from '../migrations/index.js';
import { readLedgerConfig } from './config.js';
import { createLedgerService } from './ledger-service.js';

runGrpcService({
  name: 'ledger',
  schema: 'ledger',
  migrations,
  services: ({ db, logger, registry }) => {
    const ledger = createLedgerService({
      db,
      logger,
      registry,
      config: readLedgerConfig(process.env),
    });
    ledger.start();
    const stop = (): void => {
      ledger.stop().catch((error: unknown) => {
        logger.error({ err: error }, 'ledger writer did not stop cleanly');
      });
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    return [ledger.registration];
  },
});
