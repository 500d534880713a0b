// The payment service's tables. The database enforces what it can on its own — positive amounts,
// known statuses and reasons, a capture never above the amount and refunds never above the
// capture — so that a bug in the service cannot store a payment the contract forbids.
//
// operations is the durable idempotency record of every keyed write (Stripe's idempotency keys,
// Brandur Leach's atomic phases): one row per (scope, idempotency_key), claimed in the same
// transaction as the payment or refund it starts, RUNNING until its outcome is recorded, DONE
// with the encoded response (or the error) that every replay answers. lease_version is the
// fencing token: a holder's final write names the version it was given, and Postgres refuses it
// once another holder (a retry or the recovery worker, after the lease ran out) took over.
// holder names the process instance holding the lease, so that an instance restarted after a
// crash reclaims its own unfinished operations at once instead of waiting for their leases.
//
// Written for the schema on the search path, so tests can apply it to schemas of their own.
import type { Knex, Migration } from '../../mesh/src/database.js';

const createPayments = `
CREATE TABLE payments (
  payment_id uuid PRIMARY KEY,
  idempotency_key text NOT NULL CHECK (idempotency_key ~ '^[!-~]{1,255}$'),
  payer_account_id uuid NOT NULL,
  payee_account_id uuid NOT NULL CHECK (payee_account_id <> payer_account_id),
  payer_owner_id text NOT NULL,
  payee_owner_id text NOT NULL,
  currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  amount bigint NOT NULL CHECK (amount > 0),
  amount_captured bigint NOT NULL DEFAULT 0 CHECK (amount_captured BETWEEN 0 AND amount),
  amount_refunded bigint NOT NULL DEFAULT 0 CHECK (amount_refunded >= 0),
  refund_reserved bigint NOT NULL DEFAULT 0 CHECK (refund_reserved >= 0),
  capture_method text NOT NULL CHECK (capture_method IN ('AUTOMATIC', 'MANUAL')),
  authorization_ttl_seconds integer NOT NULL CHECK (authorization_ttl_seconds BETWEEN 0 AND 2592000),
  authorization_expires_at timestamptz,
  status text NOT NULL
    CHECK (status IN ('PENDING', 'REQUIRES_CAPTURE', 'SUCCEEDED', 'CANCELED', 'FAILED')),
  failure_reason text CHECK (failure_reason IN ('INSUFFICIENT_FUNDS', 'ACCOUNT_FROZEN',
    'ACCOUNT_CLOSED', 'CURRENCY_MISMATCH', 'AUTHORIZATION_EXPIRED', 'OVERFLOW')),
  settling_operation_id uuid,
  ledger_transfer_ids uuid[] NOT NULL DEFAULT '{}',
  description text NOT NULL CHECK (char_length(description) <= 1000),
  reference text NOT NULL CHECK (char_length(reference) <= 128),
  metadata jsonb NOT NULL CHECK (jsonb_typeof(metadata) = 'object'),
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  CONSTRAINT payments_refunds_within_capture
    CHECK (amount_refunded <= amount_captured AND refund_reserved <= amount_captured - amount_refunded),
  CONSTRAINT payments_failure_reason_iff_failed
    CHECK ((status = 'FAILED') = (failure_reason IS NOT NULL))
)`;

// Payment ids are UUIDv7, so id order is creation order: listings page by id alone, newest first.
const createPaymentIndexes = [
  'CREATE INDEX payments_payer_account ON payments (payer_account_id, payment_id)',
  'CREATE INDEX payments_payee_account ON payments (payee_account_id, payment_id)',
  'CREATE INDEX payments_payer_owner ON payments (payer_owner_id, payment_id)',
  'CREATE INDEX payments_payee_owner ON payments (payee_owner_id, payment_id)',
  `CREATE INDEX payments_authorizations ON payments (authorization_expires_at)
     WHERE status = 'REQUIRES_CAPTURE'`,
];

const createRefunds = `
CREATE TABLE refunds (
  refund_id uuid PRIMARY KEY,
  payment_id uuid NOT NULL REFERENCES payments (payment_id),
  amount bigint NOT NULL CHECK (amount > 0),
  reason text NOT NULL CHECK (char_length(reason) <= 500),
  status text NOT NULL CHECK (status IN ('PENDING', 'SUCCEEDED', 'FAILED')),
  failure_reason text CHECK (failure_reason IN ('INSUFFICIENT_FUNDS', 'ACCOUNT_FROZEN',
    'ACCOUNT_CLOSED', 'CURRENCY_MISMATCH', 'OVERFLOW')),
  ledger_transfer_id uuid,
  created_at timestamptz NOT NULL,
  CONSTRAINT refunds_failure_reason_iff_failed
    CHECK ((status = 'FAILED') = (failure_reason IS NOT NULL))
)`;

const createOperations = `
CREATE TABLE operations (
  operation_id uuid PRIMARY KEY,
  scope text NOT NULL CHECK (char_length(scope) BETWEEN 1 AND 300),
  idempotency_key text NOT NULL CHECK (idempotency_key ~ '^[!-~]{1,255}$'),
  rpc text NOT NULL
    CHECK (rpc IN ('CreatePayment', 'CapturePayment', 'CancelPayment', 'RefundPayment')),
  request_hash bytea NOT NULL,
  payment_id uuid NOT NULL REFERENCES payments (payment_id),
  refund_id uuid REFERENCES refunds (refund_id),
  capture_amount bigint CHECK (capture_amount > 0),
  state text NOT NULL CHECK (state IN ('RUNNING', 'DONE')),
  lease_version bigint NOT NULL CHECK (lease_version > 0),
  leased_until timestamptz NOT NULL,
  holder text NOT NULL,
  response bytea,
  error_code text,
  error_reason text,
  error_message text,
  created_at timestamptz NOT NULL,
  finished_at timestamptz,
  CONSTRAINT operations_key UNIQUE (scope, idempotency_key),
  CONSTRAINT operations_done_has_outcome
    CHECK (state = 'RUNNING' OR ((response IS NULL) <> (error_code IS NULL)))
)`;

const createOperationIndexes = [
  `CREATE INDEX operations_running ON operations (leased_until) WHERE state = 'RUNNING'`,
  `CREATE INDEX operations_finished ON operations (finished_at) WHERE state = 'DONE'`,
  'CREATE INDEX operations_payment ON operations (payment_id)',
  'CREATE INDEX refunds_payment ON refunds (payment_id, refund_id)',
];

export const createPaymentTables: Migration = {
  name: '20261129000300_create_payment_tables',
  up: async (db: Knex) => {
    for (const statement of [
      createPayments,
      ...createPaymentIndexes,
      createRefunds,
      createOperations,
      ...createOperationIndexes,
    ]) {
      await db.raw(statement);
    }
  },
};
