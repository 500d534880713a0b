// Partners, their client credentials, the keys that sign their access tokens, and the counter
// that rate-limits failed logins. A client secret is stored only as an scrypt hash with its salt
// and the parameters it was hashed with, so the cost can be raised later without breaking the
// secrets already issued. The audit trail gains the columns partner actions and logins need.
//
// Written for the schema on the search path, so tests can apply it to schemas of their own.
import type { Knex, Migration } from '../../mesh/src/database.js';

// scrypt_n is a power of two: at least 2^10 so that no row is ever cheap to brute-force even
// in a test database; the service's default is 2^15 and its configuration refuses below 2^14.
const createPartners = `
CREATE TABLE partners (
  partner_id uuid PRIMARY KEY,
  client_id text NOT NULL UNIQUE CHECK (client_id ~ '^[!-~]{1,255}$'),
  display_name text NOT NULL CHECK (char_length(display_name) BETWEEN 1 AND 200),
  scopes text[] NOT NULL CHECK (cardinality(scopes) >= 1 AND scopes <@ ARRAY[
    'accounts:read', 'accounts:write', 'payments:read', 'payments:write']::text[]),
  status text NOT NULL CHECK (status IN ('ACTIVE', 'REVOKED')),
  secret_hash bytea NOT NULL CHECK (length(secret_hash) BETWEEN 32 AND 128),
  secret_salt bytea NOT NULL CHECK (length(secret_salt) >= 16),
  scrypt_n integer NOT NULL CHECK (scrypt_n >= 1024 AND scrypt_n & (scrypt_n - 1) = 0),
  scrypt_r integer NOT NULL CHECK (scrypt_r BETWEEN 1 AND 64),
  scrypt_p integer NOT NULL CHECK (scrypt_p BETWEEN 1 AND 16),
  key_bytes integer NOT NULL CHECK (key_bytes = length(secret_hash)),
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
)`;

// ES256 keys as JWKs. The newest key (by key_order, not by a clock) without retired_at signs; a retired key stays published
// until every token it signed has expired. The private half never leaves this table and the
// service's memory.
const createSigningKeys = `
CREATE TABLE signing_keys (
  kid text PRIMARY KEY CHECK (kid ~ '^[A-Za-z0-9_-]{1,64}$'),
  key_order bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  algorithm text NOT NULL CHECK (algorithm = 'ES256'),
  public_jwk jsonb NOT NULL CHECK (jsonb_typeof(public_jwk) = 'object' AND NOT public_jwk \\? 'd'),
  private_jwk jsonb NOT NULL CHECK (jsonb_typeof(private_jwk) = 'object' AND private_jwk \\? 'd'),
  created_at timestamptz NOT NULL,
  retired_at timestamptz
)`;

// Failed IssueToken attempts per presented client_id in a fixed window. Unknown client ids are
// counted too, so a refusal says nothing about which ids exist.
const createLoginFailures = `
CREATE TABLE login_failures (
  client_id text PRIMARY KEY CHECK (char_length(client_id) BETWEEN 1 AND 255),
  window_started_at timestamptz NOT NULL,
  failures integer NOT NULL CHECK (failures >= 1)
)`;

// client_id: the credential a login presented; target_partner_id: the partner an admin action
// changed. Neither is a secret.
const extendAuditEvents = `
ALTER TABLE audit_events
  ADD COLUMN client_id text,
  ADD COLUMN target_partner_id uuid`;

export const createPartnerTables: Migration = {
  name: '20261129000200_create_partner_tables',
  up: async (db: Knex) => {
    await db.raw(createPartners);
    await db.raw(createSigningKeys);
    await db.raw(
      'CREATE INDEX signing_keys_active ON signing_keys (key_order) WHERE retired_at IS NULL',
    );
    await db.raw(createLoginFailures);
    await db.raw(extendAuditEvents);
    await db.raw(
      'CREATE INDEX audit_events_target_partner_id ON audit_events (target_partner_id, audit_id)',
    );
  },
};
