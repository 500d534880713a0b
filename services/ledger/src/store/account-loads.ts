// Loads the accounts a writer transaction is about to decide on, in one statement.
//
// No row locks (no FOR UPDATE), on purpose: every transaction that writes the ledger is a writer
// transaction (connection.ts), and each takes the ledger's advisory lock before its first read,
// so at most one writer runs at a time across every process. Under READ COMMITTED each statement
// reads a fresh snapshot, and this one starts after the lock was granted, that is after the
// previous writer committed: it sees every earlier write, and nothing can change the rows it
// returns until this transaction ends, because anything that could would have to hold the same
// lock. A row lock would add nothing but cost: LockRows sets xmax on each of a batch's ~2,000
// account tuples (one WAL record each, dirtying their pages) and needs the rows sorted first.
import type { LedgerAccountState } from '../domain/index.js';
import { queryRows, type Connection } from './connection.js';
import { accountColumns, accountFromRow, type AccountRow } from './rows.js';

const loadAccountsSql = `SELECT ${accountColumns} FROM accounts WHERE id = ANY($1::uuid[])`;

/** The stored accounts among `ids` (lower-case UUIDs); call only inside a writer transaction. */
export async function loadAccountsForWrite(
  connection: Connection,
  ids: readonly string[],
): Promise<Map<string, LedgerAccountState>> {
  const accounts = new Map<string, LedgerAccountState>();
  if (ids.length === 0) return accounts;
  const rows = await queryRows<AccountRow>(connection, 'ledger-load-accounts', loadAccountsSql, [
    ids,
  ]);
  for (const row of rows) accounts.set(row.id, accountFromRow(row));
  return accounts;
}
