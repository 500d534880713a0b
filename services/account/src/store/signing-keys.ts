// The keys that sign access tokens: public JWKs, and private ones sealed (signing-key-seal.ts).
// Creating the first key, rotating and re-sealing take one advisory lock, so replicas starting
// together create one key, not one each, and never re-seal the same row at once.
import type { Knex } from '../../../mesh/src/database.js';

export interface StoredSigningKey {
  readonly kid: string;
  readonly algorithm: 'ES256';
  readonly publicJwk: Record<string, unknown>;
  /** The private JWK, sealed; undefined only on a row written before keys were sealed. */
  readonly privateKeySealed: string | undefined;
  /** Such a row's plain private JWK, until the service seals it at start. */
  readonly unsealedPrivateJwk: Record<string, unknown> | undefined;
  readonly createdAt: Date;
  readonly retiredAt: Date | undefined;
}

interface SigningKeyRow {
  kid: string;
  algorithm: 'ES256';
  public_jwk: Record<string, unknown>;
  private_key_sealed: string | null;
  private_jwk: Record<string, unknown> | null;
  created_at: Date;
  retired_at: Date | null;
}

function keyOf(row: SigningKeyRow): StoredSigningKey {
  return {
    kid: row.kid,
    algorithm: row.algorithm,
    publicJwk: row.public_jwk,
    privateKeySealed: row.private_key_sealed ?? undefined,
    unsealedPrivateJwk: row.private_jwk ?? undefined,
    createdAt: row.created_at,
    retiredAt: row.retired_at ?? undefined,
  };
}

/** Runs `change` in a transaction holding the signing keys' advisory lock. */
export function withSigningKeyLock<T>(db: Knex, change: (trx: Knex) => Promise<T>): Promise<T> {
  return db.transaction(async (trx) => {
    await trx.raw(`SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.signing_keys'))`);
    return change(trx);
  });
}

export async function newestActiveSigningKey(db: Knex): Promise<StoredSigningKey | undefined> {
  const row = (await db('signing_keys')
    .whereNull('retired_at')
    .orderBy('key_order', 'desc')
    .first()) as SigningKeyRow | undefined;
  return row === undefined ? undefined : keyOf(row);
}

/** Keys still active or retired after `retiredAfter`, newest first. */
export async function publishedSigningKeys(
  db: Knex,
  retiredAfter: Date,
): Promise<StoredSigningKey[]> {
  const rows = (await db('signing_keys')
    .whereRaw('retired_at IS NULL OR retired_at > ?', [retiredAfter])
    .orderBy('key_order', 'desc')
    .select('*')) as SigningKeyRow[];
  return rows.map(keyOf);
}

export async function allSigningKeys(db: Knex): Promise<StoredSigningKey[]> {
  const rows = (await db('signing_keys').orderBy('key_order').select('*')) as SigningKeyRow[];
  return rows.map(keyOf);
}

/** A new key; its private half only ever sealed. */
export async function insertSigningKey(
  db: Knex,
  key: Omit<StoredSigningKey, 'privateKeySealed' | 'unsealedPrivateJwk'> & {
    privateKeySealed: string;
  },
): Promise<void> {
  await db('signing_keys').insert({
    kid: key.kid,
    algorithm: key.algorithm,
    public_jwk: JSON.stringify(key.publicJwk),
    private_key_sealed: key.privateKeySealed,
    created_at: key.createdAt,
    retired_at: key.retiredAt ?? null,
  });
}

/** Stores `kid`'s private key sealed (anew), and drops any plain copy of it. */
export async function storeSealedPrivateKey(db: Knex, kid: string, sealed: string): Promise<void> {
  await db('signing_keys').where({ kid }).update({ private_key_sealed: sealed, private_jwk: null });
}

/** Retires every active key but `kid`. */
export async function retireSigningKeysExcept(db: Knex, kid: string, at: Date): Promise<void> {
  await db('signing_keys')
    .whereNull('retired_at')
    .andWhereNot('kid', kid)
    .update({ retired_at: at });
}

/** Deletes keys retired at or before `retiredUpTo` (no longer published), private halves too. */
export async function deleteSigningKeysRetiredUpTo(db: Knex, retiredUpTo: Date): Promise<string[]> {
  const rows: { kid: string }[] = await db('signing_keys')
    .where('retired_at', '<=', retiredUpTo)
    .delete()
    .returning('kid');
  return rows.map((row) => row.kid);
}
