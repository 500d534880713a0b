// The account service process. Its RPCs answer UNIMPLEMENTED until they are built; the mesh runtime
// already gives it mTLS, identity, authorization, health, metrics, migrations and a drain.
import { AccountServiceService } from '../../../gen/grpc-js/clearmesh/account/v1/account_service.js';
import { runGrpcService } from '../../mesh/src/grpc-service-main.js';
import { notImplementedHandlers, serviceRegistration } from '../../mesh/src/server.js';
import { migrations } from '../migrations/index.js';

runGrpcService({
  name: 'account',
  schema: 'account',
  migrations,
  services: () => [
    serviceRegistration(AccountServiceService, notImplementedHandlers(AccountServiceService)),
  ],
});
