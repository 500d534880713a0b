// The accounts table and its OpenAccount idempotency records. Only rows whose ledger account
// exists (ledger_state CREATED) are visible to reads; PENDING rows belong to the open-account
// recovery.
import type { Knex } from '../../../mesh/src/database.js';
import type { AccountKind, AccountRecord, AccountStatus } from '../domain/index.js';
import { insertAuditEvent, type AuditEvent } from './audit-events.js';

interface AccountRow {
  account_id: string;
  owner_id: string;
  currency: string;
  kind: AccountKind;
  status: AccountStatus;
  overdraft_limit: bigint;
  display_name: string;
  metadata: Record<string, string>;
  created_at: Date;
  updated_at: Date;
}

const accountColumns = [
  'account_id',
  'owner_id',
  'currency',
  'kind',
  'status',
  'overdraft_limit',
  'display_name',
  'metadata',
  'created_at',
  'updated_at',
];

function recordOf(row: AccountRow): AccountRecord {
  return {
    accountId: row.account_id,
    ownerId: row.owner_id,
    currency: row.currency,
    kind: row.kind,
    status: row.status,
    overdraftLimit: row.overdraft_limit,
    displayName: row.display_name,
    metadata: row.metadata,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export interface OpenRequestRecord {
  readonly caller: string;
  readonly requestId: string;
  readonly requestHash: Buffer;
  readonly accountId: string;
  /** The encoded OpenAccountResponse of the first call. */
  readonly response: Buffer;
}

export interface StoredOpenRequest extends OpenRequestRecord {
  readonly ledgerCreated: boolean;
  readonly account: AccountRecord;
}

/**
 * Writes a PENDING account and its idempotency record in one transaction. False, and nothing
 * written, when (caller, request_id) is already taken: a concurrent first call won the race.
 */
export async function insertOpening(
  db: Knex,
  account: AccountRecord,
  request: OpenRequestRecord,
): Promise<boolean> {
  const taken = new Error('request_id taken');
  const write = db.transaction(async (trx) => {
    await trx('accounts').insert({
      account_id: account.accountId,
      owner_id: account.ownerId,
      currency: account.currency,
      kind: account.kind,
      status: account.status,
      overdraft_limit: account.overdraftLimit.toString(),
      display_name: account.displayName,
      metadata: JSON.stringify(account.metadata),
      created_at: account.createdAt,
      updated_at: account.updatedAt,
      ledger_state: 'PENDING',
    });
    const inserted = (await trx('open_requests')
      .insert({
        caller: request.caller,
        request_id: request.requestId,
        request_hash: request.requestHash,
        account_id: request.accountId,
        response: request.response,
        created_at: account.createdAt,
      })
      .onConflict(['caller', 'request_id'])
      .ignore()
      .returning('account_id')) as unknown[];
    // Throwing rolls the account row back with the transaction.
    if (inserted.length === 0) throw taken;
  });
  try {
    await write;
    return true;
  } catch (error) {
    if (error === taken) return false;
    throw error;
  }
}

export async function findOpenRequest(
  db: Knex,
  caller: string,
  requestId: string,
): Promise<StoredOpenRequest | undefined> {
  const row:
    (AccountRow & { request_hash: Buffer; response: Buffer; ledger_state: string }) | undefined =
    await db('open_requests as r')
      .join('accounts as a', 'a.account_id', 'r.account_id')
      .where({ 'r.caller': caller, 'r.request_id': requestId })
      .first(
        'r.request_hash',
        'r.response',
        'a.ledger_state',
        ...accountColumns.map((column) => `a.${column}`),
      );
  if (row === undefined) return undefined;
  return {
    caller,
    requestId,
    requestHash: row.request_hash,
    accountId: row.account_id,
    response: row.response,
    ledgerCreated: row.ledger_state === 'CREATED',
    account: recordOf(row),
  };
}

/**
 * Records that a PENDING account's ledger account exists, with its "OpenAccount OK" audit row, in
 * one transaction. Whoever gets there first (the call, its retry, the recovery pass) writes both;
 * the others find the row CREATED and write neither, so an opening is audited exactly once.
 */
export async function finishOpening(db: Knex, accountId: string, audit: AuditEvent): Promise<void> {
  await db.transaction(async (transaction) => {
    const changed = await transaction('accounts')
      .where({ account_id: accountId, ledger_state: 'PENDING' })
      .update({ ledger_state: 'CREATED' });
    if (changed === 1) await insertAuditEvent(transaction, audit);
  });
}

/** PENDING accounts opened before `openedBefore`, oldest first. */
export async function listPendingAccounts(
  db: Knex,
  openedBefore: Date,
  limit: number,
): Promise<AccountRecord[]> {
  const rows: AccountRow[] = await db('accounts')
    .where('ledger_state', 'PENDING')
    .andWhere('created_at', '<', openedBefore)
    .orderBy('created_at')
    .limit(limit)
    .select(accountColumns);
  return rows.map(recordOf);
}

/** A visible account; with a transaction, locked until it ends. */
export async function findAccount(
  db: Knex,
  accountId: string,
  options: { forUpdate?: boolean } = {},
): Promise<AccountRecord | undefined> {
  const query = db('accounts')
    .where({ account_id: accountId, ledger_state: 'CREATED' })
    .first(accountColumns);
  const row = (await (options.forUpdate === true ? query.forUpdate() : query)) as
    AccountRow | undefined;
  return row === undefined ? undefined : recordOf(row);
}

/** Visible accounts after `afterAccountId` in id (creation) order, of one owner if given. */
export async function listAccounts(
  db: Knex,
  query: { ownerId: string | undefined; afterAccountId: string | undefined; limit: number },
): Promise<AccountRecord[]> {
  let builder = db('accounts').where('ledger_state', 'CREATED');
  if (query.ownerId !== undefined) builder = builder.andWhere('owner_id', query.ownerId);
  if (query.afterAccountId !== undefined) {
    builder = builder.andWhere('account_id', '>', query.afterAccountId);
  }
  const rows: AccountRow[] = await builder
    .orderBy('account_id')
    .limit(query.limit)
    .select(accountColumns);
  return rows.map(recordOf);
}

export async function updateAccountStatus(
  db: Knex,
  accountId: string,
  status: AccountStatus,
  updatedAt: Date,
): Promise<AccountRecord> {
  const rows: AccountRow[] = await db('accounts')
    .where({ account_id: accountId })
    .update({ status, updated_at: updatedAt })
    .returning(accountColumns);
  const row = rows[0];
  if (row === undefined) throw new Error(`account ${accountId} vanished while locked`);
  return recordOf(row);
}
