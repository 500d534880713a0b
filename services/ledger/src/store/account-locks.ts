// Loads accounts for a write and locks them, in ascending id order in one statement: every writer
// locks accounts in that one global order, so two transactions can never wait on each other in a
// cycle even if something other than this service's writer touches the rows.
import type { LedgerAccountState } from '../domain/index.js';
import { queryRows, type Connection } from './connection.js';
import { accountColumns, accountFromRow, type AccountRow } from './rows.js';

const lockAccountsSql = `SELECT ${accountColumns} FROM accounts
WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`;

/** The stored accounts among `ids` (lower-case UUIDs), locked until the transaction ends. */
export async function lockAccounts(
  connection: Connection,
  ids: readonly string[],
): Promise<Map<string, LedgerAccountState>> {
  const accounts = new Map<string, LedgerAccountState>();
  if (ids.length === 0) return accounts;
  const rows = await queryRows<AccountRow>(connection, 'ledger-lock-accounts', lockAccountsSql, [
    ids,
  ]);
  for (const row of rows) accounts.set(row.id, accountFromRow(row));
  return accounts;
}
