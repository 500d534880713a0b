// The partners table: a partner, its status and its client secret's scrypt hash. Reads for
// answers never select the hash; only the credential check does.
import type { Knex } from '../../../mesh/src/database.js';
import type { PartnerRecord, PartnerScope, PartnerStatus } from '../domain/index.js';
import type { SecretHash } from '../client-secrets.js';

interface PartnerRow {
  partner_id: string;
  client_id: string;
  display_name: string;
  scopes: PartnerScope[];
  status: PartnerStatus;
  created_at: Date;
  updated_at: Date;
}

interface SecretRow {
  secret_hash: Buffer;
  secret_salt: Buffer;
  scrypt_n: number;
  scrypt_r: number;
  scrypt_p: number;
  key_bytes: number;
}

const partnerColumns = [
  'partner_id',
  'client_id',
  'display_name',
  'scopes',
  'status',
  'created_at',
  'updated_at',
];
const secretColumns = [
  'secret_hash',
  'secret_salt',
  'scrypt_n',
  'scrypt_r',
  'scrypt_p',
  'key_bytes',
];

function recordOf(row: PartnerRow): PartnerRecord {
  return {
    partnerId: row.partner_id,
    clientId: row.client_id,
    displayName: row.display_name,
    scopes: row.scopes,
    status: row.status,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function secretColumnsOf(secret: SecretHash): SecretRow {
  return {
    secret_hash: secret.hash,
    secret_salt: secret.salt,
    scrypt_n: secret.parameters.cost,
    scrypt_r: secret.parameters.blockSize,
    scrypt_p: secret.parameters.parallelism,
    key_bytes: secret.parameters.keyBytes,
  };
}

function secretOf(row: SecretRow): SecretHash {
  return {
    hash: row.secret_hash,
    salt: row.secret_salt,
    parameters: {
      cost: row.scrypt_n,
      blockSize: row.scrypt_r,
      parallelism: row.scrypt_p,
      keyBytes: row.key_bytes,
    },
  };
}

export async function insertPartner(
  db: Knex,
  partner: PartnerRecord,
  secret: SecretHash,
): Promise<void> {
  await db('partners').insert({
    partner_id: partner.partnerId,
    client_id: partner.clientId,
    display_name: partner.displayName,
    scopes: [...partner.scopes],
    status: partner.status,
    created_at: partner.createdAt,
    updated_at: partner.updatedAt,
    ...secretColumnsOf(secret),
  });
}

/** A partner; with a transaction and forUpdate, locked until it ends. */
export async function findPartner(
  db: Knex,
  partnerId: string,
  options: { forUpdate?: boolean } = {},
): Promise<PartnerRecord | undefined> {
  const query = db('partners').where({ partner_id: partnerId }).first(partnerColumns);
  const row = (await (options.forUpdate === true ? query.forUpdate() : query)) as
    PartnerRow | undefined;
  return row === undefined ? undefined : recordOf(row);
}

/** The partner holding `clientId` with its secret's hash, for the credential check only. */
export async function findPartnerCredential(
  db: Knex,
  clientId: string,
): Promise<{ partner: PartnerRecord; secret: SecretHash } | undefined> {
  const row: (PartnerRow & SecretRow) | undefined = await db('partners')
    .where({ client_id: clientId })
    .first([...partnerColumns, ...secretColumns]);
  return row === undefined ? undefined : { partner: recordOf(row), secret: secretOf(row) };
}

export async function updatePartnerSecret(
  db: Knex,
  partnerId: string,
  secret: SecretHash,
  updatedAt: Date,
): Promise<PartnerRecord> {
  const rows: PartnerRow[] = await db('partners')
    .where({ partner_id: partnerId })
    .update({ ...secretColumnsOf(secret), updated_at: updatedAt })
    .returning(partnerColumns);
  return onlyRow(rows, partnerId);
}

export async function updatePartnerStatus(
  db: Knex,
  partnerId: string,
  status: PartnerStatus,
  updatedAt: Date,
): Promise<PartnerRecord> {
  const rows: PartnerRow[] = await db('partners')
    .where({ partner_id: partnerId })
    .update({ status, updated_at: updatedAt })
    .returning(partnerColumns);
  return onlyRow(rows, partnerId);
}

function onlyRow(rows: PartnerRow[], partnerId: string): PartnerRecord {
  const row = rows[0];
  if (row === undefined) throw new Error(`partner ${partnerId} vanished while locked`);
  return recordOf(row);
}
