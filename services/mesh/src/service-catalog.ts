// Every gRPC service the mesh serves, so that one policy file can be validated by every process.
import type * as grpc from '@grpc/grpc-js';
import { AccountServiceService } from '../../../gen/grpc-js/clearmesh/account/v1/account_service.js';
import { LedgerServiceService } from '../../../gen/grpc-js/clearmesh/ledger/v1/ledger_service.js';
import { PaymentServiceService } from '../../../gen/grpc-js/clearmesh/payment/v1/payment_service.js';
import { HealthService } from '../../../gen/grpc-js/health/v1/health.js';
import { methodPathsOf } from './server.js';

export const meshServiceDefinitions: readonly grpc.ServiceDefinition[] = [
  AccountServiceService,
  LedgerServiceService,
  PaymentServiceService,
  HealthService,
];

export const meshMethodPaths: readonly string[] = methodPathsOf(meshServiceDefinitions);
