// The account service's tables. The database enforces what it can on its own (owner id pattern,
// upper-case currency, known kinds and statuses, a non-negative overdraft only on CUSTOMER
// accounts), so that a bug in the service cannot store an account the contract forbids.
//
// accounts.ledger_state is the open-account recovery: a row is written PENDING with its
// open_requests row in one transaction, and becomes CREATED once the ledger answers CREATED or
// EXISTS for the ledger account of the same id. A PENDING row is invisible to every read.
//
// Written for the schema on the search path, so tests can apply it to schemas of their own.
import type { Knex, Migration } from '../../mesh/src/database.js';

const createAccounts = `
CREATE TABLE accounts (
  account_id uuid PRIMARY KEY,
  owner_id text NOT NULL CHECK (owner_id ~ '^[A-Za-z0-9._:-]{1,128}$'),
  currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  kind text NOT NULL CHECK (kind IN ('CUSTOMER', 'SETTLEMENT')),
  status text NOT NULL CHECK (status IN ('ACTIVE', 'FROZEN', 'CLOSED')),
  overdraft_limit bigint NOT NULL CHECK (overdraft_limit >= 0),
  display_name text NOT NULL CHECK (char_length(display_name) <= 200),
  metadata jsonb NOT NULL CHECK (jsonb_typeof(metadata) = 'object'),
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  ledger_state text NOT NULL CHECK (ledger_state IN ('PENDING', 'CREATED')),
  CONSTRAINT accounts_settlement_has_no_overdraft
    CHECK (kind = 'CUSTOMER' OR overdraft_limit = 0)
)`;

// Account ids are UUIDv7, so id order is creation order: listings page by id alone.
const createAccountIndexes = [
  'CREATE INDEX accounts_owner_id ON accounts (owner_id, account_id)',
  `CREATE INDEX accounts_ledger_pending ON accounts (created_at) WHERE ledger_state = 'PENDING'`,
];

// One row per (caller, request_id): the idempotency record of OpenAccount. The response is
// stored as the encoded OpenAccountResponse, so a replay answers it byte for byte.
const createOpenRequests = `
CREATE TABLE open_requests (
  caller text NOT NULL CHECK (char_length(caller) BETWEEN 1 AND 300),
  request_id text NOT NULL CHECK (request_id ~ '^[!-~]{1,255}$'),
  request_hash bytea NOT NULL CHECK (length(request_hash) = 32),
  account_id uuid NOT NULL UNIQUE REFERENCES accounts (account_id),
  response bytea NOT NULL,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (caller, request_id)
)`;

// Who did what to which account, when, with which outcome, from which peer. Never a secret or a
// token: the columns hold identities, names of actions and reasons only.
const createAuditEvents = `
CREATE TABLE audit_events (
  audit_id bigserial PRIMARY KEY,
  occurred_at timestamptz NOT NULL DEFAULT now(),
  principal text NOT NULL,
  partner_id text,
  peer text NOT NULL,
  action text NOT NULL,
  outcome text NOT NULL,
  account_id uuid,
  reason text NOT NULL DEFAULT '' CHECK (char_length(reason) <= 500),
  trace_id text NOT NULL DEFAULT ''
)`;

export const createAccountTables: Migration = {
  name: '20261129000100_create_account_tables',
  up: async (db: Knex) => {
    await db.raw(createAccounts);
    for (const statement of createAccountIndexes) await db.raw(statement);
    await db.raw(createOpenRequests);
    await db.raw(createAuditEvents);
    await db.raw('CREATE INDEX audit_events_account_id ON audit_events (account_id, audit_id)');
  },
};
