// The ledger's tables. The database enforces what it can on its own, so that a bug in the service
// cannot lose or create money unnoticed: non-negative balances within their limits, positive
// amounts, one currency per transfer and its accounts (composite foreign keys), unique ids, and
// transfers that are append-only twice over — the service's writer role has no UPDATE or DELETE on
// them, and a trigger refuses both to everyone else. A pending transfer's fate (posted, voided,
// expired) is a row of pending_resolutions, never a change of the transfer, which also lets
// GetAccountBalances(as_of) recompute any past instant from inserts alone.
//
// Written for the schema on the search path, so tests can apply it to schemas of their own.
import type { Knex, Migration } from '../../mesh/src/database.js';

/** The NOLOGIN role the service's writer transactions SET LOCAL ROLE to. Cluster-wide. */
export const ledgerWriterRole = 'clearmesh_ledger_writer';

const createAccounts = `
CREATE TABLE accounts (
  id uuid PRIMARY KEY,
  currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  debits_must_not_exceed_credits boolean NOT NULL,
  credits_must_not_exceed_debits boolean NOT NULL,
  overdraft_limit bigint NOT NULL CHECK (overdraft_limit >= 0),
  status text NOT NULL CHECK (status IN ('OPEN', 'FROZEN', 'CLOSED')),
  debits_pending bigint NOT NULL CHECK (debits_pending >= 0),
  debits_posted bigint NOT NULL CHECK (debits_posted >= 0),
  credits_pending bigint NOT NULL CHECK (credits_pending >= 0),
  credits_posted bigint NOT NULL CHECK (credits_posted >= 0),
  created_at timestamptz NOT NULL,
  -- The target of the transfers' (account, currency) foreign keys.
  CONSTRAINT accounts_id_currency_key UNIQUE (id, currency),
  CONSTRAINT accounts_flags_exclusive
    CHECK (NOT (debits_must_not_exceed_credits AND credits_must_not_exceed_debits)),
  CONSTRAINT accounts_overdraft_needs_limit
    CHECK (overdraft_limit = 0 OR debits_must_not_exceed_credits),
  -- The limits, in numeric so that the sums themselves cannot overflow.
  CONSTRAINT accounts_debits_within_limit CHECK (
    NOT debits_must_not_exceed_credits
    OR debits_pending::numeric + debits_posted <= credits_posted::numeric + overdraft_limit),
  CONSTRAINT accounts_credits_within_limit CHECK (
    NOT credits_must_not_exceed_debits
    OR credits_pending::numeric + credits_posted <= debits_posted),
  CONSTRAINT accounts_debits_fit_int64
    CHECK (debits_pending::numeric + debits_posted <= 9223372036854775807),
  CONSTRAINT accounts_credits_fit_int64
    CHECK (credits_pending::numeric + credits_posted <= 9223372036854775807)
)`;

// flags is a bit set: 1 linked, 2 pending, 4 post_pending_transfer, 8 void_pending_transfer.
const createTransfers = `
CREATE TABLE transfers (
  sequence bigserial NOT NULL,
  id uuid PRIMARY KEY,
  debit_account_id uuid NOT NULL,
  credit_account_id uuid NOT NULL,
  amount bigint NOT NULL CHECK (amount > 0),
  currency text NOT NULL,
  flags smallint NOT NULL,
  pending_id uuid REFERENCES transfers (id),
  timeout_seconds bigint NOT NULL CHECK (timeout_seconds BETWEEN 0 AND 4294967295),
  code bigint NOT NULL CHECK (code BETWEEN 0 AND 4294967295),
  reference text NOT NULL CHECK (char_length(reference) <= 128),
  created_at timestamptz NOT NULL,
  expires_at timestamptz,
  CONSTRAINT transfers_debit_account_fkey
    FOREIGN KEY (debit_account_id, currency) REFERENCES accounts (id, currency),
  CONSTRAINT transfers_credit_account_fkey
    FOREIGN KEY (credit_account_id, currency) REFERENCES accounts (id, currency),
  CONSTRAINT transfers_accounts_differ CHECK (debit_account_id <> credit_account_id),
  CONSTRAINT transfers_flags_valid CHECK (flags BETWEEN 0 AND 15 AND flags & 14 IN (0, 2, 4, 8)),
  CONSTRAINT transfers_pending_id_for_resolutions
    CHECK ((flags & 12 <> 0) = (pending_id IS NOT NULL)),
  CONSTRAINT transfers_timeout_for_pending CHECK (timeout_seconds = 0 OR flags & 2 <> 0),
  CONSTRAINT transfers_expiry_for_timeouts
    CHECK ((expires_at IS NOT NULL) = (flags & 2 <> 0 AND timeout_seconds > 0))
)`;

const createPendingResolutions = `
CREATE TABLE pending_resolutions (
  pending_id uuid PRIMARY KEY REFERENCES transfers (id),
  state text NOT NULL CHECK (state IN ('POSTED', 'VOIDED', 'EXPIRED')),
  -- The post or void that resolved it; none for an expiry.
  transfer_id uuid REFERENCES transfers (id),
  resolved_at timestamptz NOT NULL,
  CONSTRAINT pending_resolutions_by_transfer CHECK ((state = 'EXPIRED') = (transfer_id IS NULL))
)`;

// Status is the CreateTransferStatus number (21 to 37: the recorded ones).
const createTransferFailures = `
CREATE TABLE transfer_failures (
  id uuid PRIMARY KEY,
  status smallint NOT NULL CHECK (status BETWEEN 21 AND 37),
  failed_at timestamptz NOT NULL
)`;

const createIndexes = [
  // ListAccountTransfers and GetAccountBalances walk one account's transfers in apply order.
  'CREATE INDEX transfers_debit_account_sequence_idx ON transfers (debit_account_id, sequence)',
  'CREATE INDEX transfers_credit_account_sequence_idx ON transfers (credit_account_id, sequence)',
  // The expiry job and the pending-holds gauge; only pending transfers are in it.
  'CREATE INDEX transfers_pending_expires_at_idx ON transfers (expires_at) WHERE flags & 2 <> 0',
];

const refuseChanges = `
CREATE FUNCTION refuse_append_only_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END
$$`;

function appendOnlyTriggers(table: string): string[] {
  return [
    `CREATE TRIGGER ${table}_append_only BEFORE UPDATE OR DELETE ON ${table}
       FOR EACH STATEMENT EXECUTE FUNCTION refuse_append_only_change()`,
    `CREATE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON ${table}
       FOR EACH STATEMENT EXECUTE FUNCTION refuse_append_only_change()`,
  ];
}

// Roles belong to the cluster, not the database: parallel test databases may race to create it.
const createWriterRole = `
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${ledgerWriterRole}') THEN
    CREATE ROLE ${ledgerWriterRole} NOLOGIN;
  END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
  NULL;
END
$$`;

// SET ROLE needs membership; a superuser has it implicitly.
const grantWriterRole = `
DO $$
BEGIN
  EXECUTE format('GRANT USAGE ON SCHEMA %I TO ${ledgerWriterRole}', current_schema());
  IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
    EXECUTE format('GRANT ${ledgerWriterRole} TO %I', current_user);
  END IF;
END
$$`;

const grants = [
  `GRANT SELECT, INSERT ON accounts, transfers, pending_resolutions, transfer_failures
     TO ${ledgerWriterRole}`,
  // Balances and status change; an account's identity, currency, flags and limit never do.
  `GRANT UPDATE (status, debits_pending, debits_posted, credits_pending, credits_posted)
     ON accounts TO ${ledgerWriterRole}`,
  `GRANT USAGE ON SEQUENCE transfers_sequence_seq TO ${ledgerWriterRole}`,
];

export const createLedgerTables: Migration = {
  name: '20261201000000_create_ledger_tables',
  up: async (db: Knex) => {
    const statements = [
      createAccounts,
      createTransfers,
      createPendingResolutions,
      createTransferFailures,
      ...createIndexes,
      refuseChanges,
      ...['transfers', 'pending_resolutions', 'transfer_failures'].flatMap(appendOnlyTriggers),
      createWriterRole,
      grantWriterRole,
      ...grants,
    ];
    for (const statement of statements) await db.raw(statement);
  },
};
