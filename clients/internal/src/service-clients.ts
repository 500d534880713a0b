// Typed clients for the three services, with the retry rule of each RPC: reads, and writes that
// carry a key (OpenAccount's request_id, payments' idempotency_key, the ledger's own ids).
import { AccountServiceService } from '../../../gen/grpc-js/clearmesh/account/v1/account_service.js';
import { LedgerServiceService } from '../../../gen/grpc-js/clearmesh/ledger/v1/ledger_service.js';
import { PaymentServiceService } from '../../../gen/grpc-js/clearmesh/payment/v1/payment_service.js';
import { createMeshClient, type MeshClient, type MeshClientOptions } from './mesh-client.js';
import { idempotent, keyedBy, read } from './retry-policy.js';

export type ServiceClientOptions = Omit<MeshClientOptions, 'target'>;

export type AccountClient = MeshClient<typeof AccountServiceService>;
export type LedgerClient = MeshClient<typeof LedgerServiceService>;
export type PaymentClient = MeshClient<typeof PaymentServiceService>;

export function createAccountClient(options: ServiceClientOptions): AccountClient {
  return createMeshClient(
    AccountServiceService,
    { getAccount: read, listAccounts: read, getJwks: read, openAccount: keyedBy('requestId') },
    { ...options, target: 'account' },
  );
}

export function createLedgerClient(options: ServiceClientOptions): LedgerClient {
  return createMeshClient(
    LedgerServiceService,
    {
      lookupAccounts: read,
      lookupTransfers: read,
      listAccountTransfers: read,
      getAccountBalances: read,
      checkIntegrity: read,
      // Transfer and account ids are client-generated idempotency keys: a repeat answers EXISTS.
      createTransfers: idempotent,
      createAccounts: idempotent,
    },
    { ...options, target: 'ledger' },
  );
}

export function createPaymentClient(options: ServiceClientOptions): PaymentClient {
  const byKey = keyedBy('idempotencyKey');
  return createMeshClient(
    PaymentServiceService,
    {
      getPayment: read,
      listPayments: read,
      createPayment: byKey,
      capturePayment: byKey,
      cancelPayment: byKey,
      refundPayment: byKey,
    },
    { ...options, target: 'payment' },
  );
}
