// The internal client SDK of Clearmesh: typed promise clients for account, ledger and payment
// over mTLS, with deadlines, circuit breakers and safe retries. Services call each other only
// through it.
export { ClientError } from './client-error.js';
export {
  meshClientCredentials,
  type MeshClientCredentials,
  type MeshIdentityOptions,
} from './credentials.js';
export {
  breakerFailureCodes,
  breakerOptionsDefault,
  type BreakerOptions,
  type BreakerState,
} from './circuit-breaker.js';
export {
  createMeshClient,
  retryOptionsDefault,
  type CallOptions,
  type MeshClient,
  type MeshClientOptions,
  type PromiseClient,
  type RetryOptions,
} from './mesh-client.js';
export { idempotent, keyedBy, never, read, type RetryRule } from './retry-policy.js';
export {
  createAccountClient,
  createLedgerClient,
  createPaymentClient,
  type AccountClient,
  type LedgerClient,
  type PaymentClient,
  type ServiceClientOptions,
} from './service-clients.js';
