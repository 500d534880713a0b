// The ledger service process. Its RPCs answer UNIMPLEMENTED until they are built; the mesh runtime
// already gives it mTLS, identity, authorization, health, metrics, migrations and a drain.
import { LedgerServiceService } from '../../../gen/grpc-js/clearmesh/ledger/v1/ledger_service.js';
import { runGrpcService } from '../../mesh/src/grpc-service-main.js';
import { notImplementedHandlers, serviceRegistration } from '../../mesh/src/server.js';
import { migrations } from '../migrations/index.js';

runGrpcService({
  name: 'ledger',
  schema: 'ledger',
  migrations,
  services: () => [
    serviceRegistration(LedgerServiceService, notImplementedHandlers(LedgerServiceService)),
  ],
});
