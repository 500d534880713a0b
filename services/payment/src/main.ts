// The payment service process. Its RPCs answer UNIMPLEMENTED until they are built; the mesh runtime
// already gives it mTLS, identity, authorization, health, metrics, migrations and a drain.
import { PaymentServiceService } from '../../../gen/grpc-js/clearmesh/payment/v1/payment_service.js';
import { runGrpcService } from '../../mesh/src/grpc-service-main.js';
import { notImplementedHandlers, serviceRegistration } from '../../mesh/src/server.js';
import { migrations } from '../migrations/index.js';

runGrpcService({
  name: 'payment',
  schema: 'payment',
  migrations,
  services: () => [
    serviceRegistration(PaymentServiceService, notImplementedHandlers(PaymentServiceService)),
  ],
});
