// Private signing keys are stored sealed (signing-key-seal.ts), never as plain JWKs. The secret
// that seals them is not the database's to know, so this migration only makes room: rows written
// before it keep their plain private_jwk until the service, which has the secret, seals them at
// start. Each row holds exactly one of the two, and a sealed value has the sealed format.
import type { Knex, Migration } from '../../mesh/src/database.js';

export const sealSigningKeys: Migration = {
  name: '20261130000100_seal_signing_keys',
  up: async (db: Knex) => {
    await db.raw(`
ALTER TABLE signing_keys
  ADD COLUMN private_key_sealed text CHECK (
    private_key_sealed ~ '^v1\\.[0-9a-f]{16}(\\.[A-Za-z0-9_-]+){3}$'
  ),
  ALTER COLUMN private_jwk DROP NOT NULL,
  ADD CONSTRAINT signing_keys_one_private_key
    CHECK (num_nonnulls(private_jwk, private_key_sealed) = 1)`);
  },
};
