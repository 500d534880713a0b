// The account service process. Its RPCs answer UNIMPLEMENTED until they are built; the mesh runtime
// already gives it mTLS, health, metrics, migrations and a graceful drain.
import { AccountServiceService } from '../../../gen/grpc-js/clearmesh/account/v1/account_service.js';
import { runGrpcService } from '../../mesh/src/grpc-service-main.js';
import { unimplementedService } from '../../mesh/src/server.js';
import { migrations } from '../migrations/index.js';

runGrpcService({
  name: 'account',
  schema: 'account',
  migrations,
  services: () => [
    {
      name: 'clearmesh.account.v1.AccountService',
      definition: AccountServiceService,
      implementation: unimplementedService(AccountServiceService),
    },
  ],
});
