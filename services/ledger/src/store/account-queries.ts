// Reads of ledger accounts. Each answer comes from one statement, hence one snapshot: the balances
// of several accounts are never a mix of before and after a batch.
import type { AccountBalances, LedgerAccountState } from '../domain/index.js';
import type { Knex } from '../../../mesh/src/database.js';
import { queryRows, withConnection } from './connection.js';
import { accountColumns, accountFromRow, type AccountRow } from './rows.js';

const lookupAccountsSql = `SELECT ${accountColumns} FROM accounts WHERE id = ANY($1::uuid[])`;

/** The stored accounts among `ids` (lower-case UUIDs), by id. */
export function lookupAccounts(
  db: Knex,
  ids: readonly string[],
): Promise<Map<string, LedgerAccountState>> {
  return withConnection(db, async (connection) => {
    const rows = await queryRows<AccountRow>(
      connection,
      'ledger-lookup-accounts',
      lookupAccountsSql,
      [ids],
    );
    return new Map(rows.map((row) => [row.id, accountFromRow(row)]));
  });
}

export async function findAccount(db: Knex, id: string): Promise<LedgerAccountState | undefined> {
  return (await lookupAccounts(db, [id])).get(id);
}

// The account's balances recomputed from its history: a transfer counts once created at or before
// $2; posted amounts are those of plain transfers and posts (flags neither pending nor void); a
// hold is pending until a resolution at or before $2. Sums of valid balances fit in BIGINT.
const balancesAtSql = `SELECT
  coalesce(sum(t.amount) FILTER (WHERE t.debit_account_id = $1 AND t.flags & 10 = 0), 0)::bigint
    AS debits_posted,
  coalesce(sum(t.amount) FILTER (WHERE t.credit_account_id = $1 AND t.flags & 10 = 0), 0)::bigint
    AS credits_posted,
  coalesce(sum(t.amount) FILTER (WHERE t.debit_account_id = $1 AND t.flags & 2 <> 0
    AND (r.resolved_at IS NULL OR r.resolved_at > $2)), 0)::bigint AS debits_pending,
  coalesce(sum(t.amount) FILTER (WHERE t.credit_account_id = $1 AND t.flags & 2 <> 0
    AND (r.resolved_at IS NULL OR r.resolved_at > $2)), 0)::bigint AS credits_pending
FROM transfers t
LEFT JOIN pending_resolutions r ON r.pending_id = t.id
WHERE (t.debit_account_id = $1 OR t.credit_account_id = $1) AND t.created_at <= $2`;

interface BalancesRow {
  readonly debits_pending: bigint;
  readonly debits_posted: bigint;
  readonly credits_pending: bigint;
  readonly credits_posted: bigint;
}

/** An account's four balances as they were at `asOf`. */
export function accountBalancesAt(
  db: Knex,
  accountId: string,
  asOf: Date,
): Promise<AccountBalances> {
  return withConnection(db, async (connection) => {
    const [row] = await queryRows<BalancesRow>(connection, 'ledger-balances-at', balancesAtSql, [
      accountId,
      asOf,
    ]);
    if (row === undefined) throw new Error('an aggregate answered no row');
    return {
      debitsPending: row.debits_pending,
      debitsPosted: row.debits_posted,
      creditsPending: row.credits_pending,
      creditsPosted: row.credits_posted,
    };
  });
}
