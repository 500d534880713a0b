// The keys that sign access tokens, as JWKs. Creating the first key and rotating take one
// advisory lock, so replicas starting together create one key, not one each.
import type { Knex } from '../../../mesh/src/database.js';

export interface StoredSigningKey {
  readonly kid: string;
  readonly algorithm: 'ES256';
  readonly publicJwk: Record<string, unknown>;
  readonly privateJwk: Record<string, unknown>;
  readonly createdAt: Date;
  readonly retiredAt: Date | undefined;
}

interface SigningKeyRow {
  kid: string;
  algorithm: 'ES256';
  public_jwk: Record<string, unknown>;
  private_jwk: Record<string, unknown>;
  created_at: Date;
  retired_at: Date | null;
}

function keyOf(row: SigningKeyRow): StoredSigningKey {
  return {
    kid: row.kid,
    algorithm: row.algorithm,
    publicJwk: row.public_jwk,
    privateJwk: row.private_jwk,
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

export async function insertSigningKey(db: Knex, key: StoredSigningKey): Promise<void> {
  await db('signing_keys').insert({
    kid: key.kid,
    algorithm: key.algorithm,
    public_jwk: JSON.stringify(key.publicJwk),
    private_jwk: JSON.stringify(key.privateJwk),
    created_at: key.createdAt,
    retired_at: key.retiredAt ?? null,
  });
}

/** Retires every active key but `kid`. */
export async function retireSigningKeysExcept(db: Knex, kid: string, at: Date): Promise<void> {
  await db('signing_keys')
    .whereNull('retired_at')
    .andWhereNot('kid', kid)
    .update({ retired_at: at });
}
