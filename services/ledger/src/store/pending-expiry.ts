// The expiry job's write: find pending transfers whose timeout has passed and that nothing has
// resolved yet, load their accounts, release their amounts and
// record each as EXPIRED — in one writer transaction, so it serializes with transfer batches.
import {
  expirePendingTransfers,
  type ExpiryOutcome,
  type StoredTransfer,
} from '../domain/index.js';
import type { Knex } from '../../../mesh/src/database.js';
import { loadAccountsForWrite } from './account-loads.js';
import { inWriterTransaction, queryRows } from './connection.js';
import { transferColumns, transferFromRow, type TransferRow } from './rows.js';

// Only pending transfers are in the expires_at index. `$1` bounds the scan from below: holds that
// expired before it are known to be resolved already (see PendingExpiryJob). Ordered by the index,
// so a backlog of due holds is read only up to the limit rather than all of it sorted per pass.
const dueSql = `SELECT ${transferColumns} FROM transfers t
LEFT JOIN pending_resolutions r ON r.pending_id = t.id
WHERE t.flags & 2 <> 0 AND t.expires_at > $1::timestamptz AND t.expires_at <= $2::timestamptz
  AND r.pending_id IS NULL
ORDER BY t.expires_at LIMIT $3`;

const writeExpiriesSql = `WITH expired AS (
  INSERT INTO pending_resolutions (pending_id, state, transfer_id, resolved_at)
  SELECT id, 'EXPIRED', NULL, $1::timestamptz FROM unnest($2::uuid[]) AS expired (id)
  RETURNING pending_id
), released AS (
  UPDATE accounts SET debits_pending = changed.debits_pending,
    credits_pending = changed.credits_pending
  FROM unnest($3::uuid[], $4::bigint[], $5::bigint[])
    AS changed (id, debits_pending, credits_pending)
  -- As in the batch write: the ANY() gives the planner an index condition on accounts.
  WHERE accounts.id = changed.id AND accounts.id = ANY($3::uuid[])
  RETURNING accounts.id
)
SELECT (SELECT count(*) FROM expired) AS expired, (SELECT count(*) FROM released) AS released`;

export interface ExpiryRun extends ExpiryOutcome {
  /** How many due holds were found: `limit` means there may be more. */
  readonly dueCount: number;
}

/** Expires up to `limit` pending transfers with expiresAfter < expires_at <= now. */
export function expireDuePendingTransfers(
  db: Knex,
  now: Date,
  options: { readonly expiresAfter: Date; readonly limit: number },
): Promise<ExpiryRun> {
  return inWriterTransaction(db, async (connection) => {
    const rows = await queryRows<TransferRow>(connection, 'ledger-due-pending', dueSql, [
      options.expiresAfter,
      now,
      options.limit,
    ]);
    const due: StoredTransfer[] = rows.map(transferFromRow);
    if (due.length === 0) return { dueCount: 0, pendingTransfersExpired: [], accountsChanged: [] };
    // No sort: loadAccountsForWrite takes no row locks, so there is no lock order to keep.
    const accountIds = new Set(
      due.flatMap((transfer) => [transfer.debitAccountId, transfer.creditAccountId]),
    );
    const accounts = await loadAccountsForWrite(connection, [...accountIds]);
    const outcome = expirePendingTransfers(due, accounts, now);
    const changed = outcome.accountsChanged;
    const [counts] = await queryRows<{ expired: bigint; released: bigint }>(
      connection,
      'ledger-write-expiries',
      writeExpiriesSql,
      [
        now,
        outcome.pendingTransfersExpired.map((change) => change.id),
        changed.map((account) => account.id),
        changed.map((account) => account.debitsPending),
        changed.map((account) => account.creditsPending),
      ],
    );
    if (
      counts?.expired !== BigInt(outcome.pendingTransfersExpired.length) ||
      counts.released !== BigInt(changed.length)
    ) {
      throw new Error('the expiry wrote other rows than it decided');
    }
    return { ...outcome, dueCount: due.length };
  });
}
