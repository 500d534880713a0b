// The ledger service process: the mesh runtime gives it mTLS, identity, authorization, health,
// metrics, migrations and a drain; the ledger adds its writer and its expiry job, which stop once
// the drain has let in-flight calls finish through the writer.
import { runGrpcService } from '../../mesh/src/grpc-service-main.js';
import { migrations } from '../migrations/index.js';
import { readLedgerConfig } from './config.js';
import { createLedgerService } from './ledger-service.js';

runGrpcService({
  name: 'ledger',
  schema: 'ledger',
  migrations,
  services: ({ config: processConfig, db, logger, registry, onStop }) => {
    const ledger = createLedgerService({
      db,
      logger,
      registry,
      config: readLedgerConfig(process.env, processConfig),
    });
    ledger.start();
    onStop(() => ledger.stop());
    return [ledger.registration];
  },
});
