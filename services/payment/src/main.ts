// The payment service process. Its RPCs answer UNIMPLEMENTED until they are built; the mesh runtime
// already gives it mTLS, health, metrics, migrations and a graceful drain.
import { PaymentServiceService } from '../../../gen/grpc-js/clearmesh/payment/v1/payment_service.js';
import { runGrpcService } from '../../mesh/src/grpc-service-main.js';
import { unimplementedService } from '../../mesh/src/server.js';
import { migrations } from '../migrations/index.js';

runGrpcService({
  name: 'payment',
  schema: 'payment',
  migrations,
  services: () => [
    {
      name: 'clearmesh.payment.v1.PaymentService',
      definition: PaymentServiceService,
      implementation: unimplementedService(PaymentServiceService),
    },
  ],
});
