// Reads of stored transfers: by id, and one account's history in apply order with keyset
// pagination on the apply sequence (a page never skips or repeats a transfer, however many are
// written meanwhile).
import type { Knex } from '../../../mesh/src/database.js';
import { queryRows, withConnection } from './connection.js';
import {
  transferColumns,
  transferFromRow,
  type SequencedTransfer,
  type TransferRow,
} from './rows.js';

const lookupTransfersSql = `SELECT ${transferColumns} FROM transfers t
LEFT JOIN pending_resolutions r ON r.pending_id = t.id WHERE t.id = ANY($1::uuid[])`;

/** The stored transfers among `ids` (lower-case UUIDs), by id. */
export function lookupTransfers(
  db: Knex,
  ids: readonly string[],
): Promise<Map<string, SequencedTransfer>> {
  return withConnection(db, async (connection) => {
    const rows = await queryRows<TransferRow>(
      connection,
      'ledger-lookup-transfers',
      lookupTransfersSql,
      [ids],
    );
    return new Map(rows.map((row) => [row.id, transferFromRow(row)]));
  });
}

export interface AccountTransfersQuery {
  readonly accountId: string;
  /** Only transfers created at or after. */
  readonly since: Date | undefined;
  /** Only transfers created before. */
  readonly until: Date | undefined;
  /** Newest first. */
  readonly reverse: boolean;
  /** Continue after this sequence (exclusive), in the query's direction. */
  readonly afterSequence: bigint | undefined;
  readonly limit: number;
}

// One branch per side of the account, each walking its (account, sequence) index in order and
// stopping at the limit; an account is never both sides of a transfer, so nothing is counted twice.
function accountTransfersSql(reverse: boolean): string {
  const order = reverse ? 'DESC' : 'ASC';
  const after = reverse ? '<' : '>';
  const side = (column: string): string => `(SELECT ${transferColumns} FROM transfers t
  LEFT JOIN pending_resolutions r ON r.pending_id = t.id
  WHERE t.${column} = $1 AND ($2::bigint IS NULL OR t.sequence ${after} $2)
    AND ($3::timestamptz IS NULL OR t.created_at >= $3)
    AND ($4::timestamptz IS NULL OR t.created_at < $4)
  ORDER BY t.sequence ${order} LIMIT $5)`;
  return `SELECT * FROM (${side('debit_account_id')} UNION ALL ${side('credit_account_id')}) page
ORDER BY sequence ${order} LIMIT $5`;
}

const forwardSql = accountTransfersSql(false);
const reverseSql = accountTransfersSql(true);

export function listAccountTransfers(
  db: Knex,
  query: AccountTransfersQuery,
): Promise<SequencedTransfer[]> {
  return withConnection(db, async (connection) => {
    const rows = await queryRows<TransferRow>(
      connection,
      query.reverse ? 'ledger-account-transfers-reverse' : 'ledger-account-transfers',
      query.reverse ? reverseSql : forwardSql,
      [
        query.accountId,
        query.afterSequence ?? null,
        query.since ?? null,
        query.until ?? null,
        query.limit,
      ],
    );
    return rows.map(transferFromRow);
  });
}

// Holds ever made minus holds resolved: both counts come from small indexes and tables.
const pendingHoldsSql = `SELECT (SELECT count(*) FROM transfers WHERE flags & 2 <> 0)
  - (SELECT count(*) FROM pending_resolutions) AS holds`;

/** Pending transfers not yet posted, voided or expired. */
export function countPendingHolds(db: Knex): Promise<number> {
  return withConnection(db, async (connection) => {
    const [row] = await queryRows<{ holds: bigint }>(
      connection,
      'ledger-pending-holds',
      pendingHoldsSql,
      [],
    );
    return Number(row?.holds ?? 0n);
  });
}
