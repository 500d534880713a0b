// The ledger service process. Its RPCs answer UNIMPLEMENTED until they are built; the mesh runtime
// already gives it mTLS, health, metrics, migrations and a graceful drain.
import { LedgerServiceService } from '../../../gen/grpc-js/clearmesh/ledger/v1/ledger_service.js';
import { runGrpcService } from '../../mesh/src/grpc-service-main.js';
import { unimplementedService } from '../../mesh/src/server.js';
import { migrations } from '../migrations/index.js';

runGrpcService({
  name: 'ledger',
  schema: 'ledger',
  migrations,
  services: () => [
    {
      name: 'clearmesh.ledger.v1.LedgerService',
      definition: LedgerServiceService,
      implementation: unimplementedService(LedgerServiceService),
    },
  ],
});
