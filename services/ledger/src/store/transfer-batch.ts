// One group-committed batch of CreateTransfers requests, in one writer transaction: load the
// transfers and recorded failures the batch names, load its accounts (the writer lock, not row
// locks, keeps them as read: see account-loads.ts), run the engine, and write its outcome in one
// statement. Round trips per batch: begin (with the writer lock), load transfers, load accounts,
// write, commit — whatever the batch size. Callable without gRPC (benchmarks).
import {
  accountIdsToLoad,
  applyTransferRequests,
  transferIdsToLoad,
  type StoredTransfer,
  type TransferFailure,
  type TransferInput,
  type TransferRequestsOutcome,
} from '../domain/index.js';
import type { Knex } from '../../../mesh/src/database.js';
import { loadAccountsForWrite } from './account-loads.js';
import { inWriterTransaction, queryRows, type Connection } from './connection.js';
import {
  failureStatusFromNumber,
  transferColumns,
  transferFromRow,
  type TransferRow,
} from './rows.js';
import { writeTransferBatch } from './transfer-batch-write.js';

/**
 * Applies `requests` (each one CreateTransfers call's transfers, in queue order) at `now` and
 * commits the outcome; answers one result list per request. Rejects, with nothing written, when
 * the database fails or the engine reports a programmer error.
 */
export function applyTransferBatch(
  db: Knex,
  requests: readonly (readonly TransferInput[])[],
  now: Date,
): Promise<TransferRequestsOutcome> {
  return inWriterTransaction(db, async (connection) => {
    const { transfers, failures } = await loadTransfers(connection, transferIdsToLoad(requests));
    const accounts = await loadAccountsForWrite(connection, accountIdsToLoad(requests, transfers));
    const outcome = applyTransferRequests(requests, { accounts, transfers, failures }, now);
    await writeTransferBatch(connection, outcome, now);
    return outcome;
  });
}

// One row per requested id that is stored or has failed; an id is never both.
const loadTransfersSql = `SELECT ${transferColumns}, f.id AS failure_id, f.status AS failure_status
FROM unnest($1::uuid[]) AS requested (id)
LEFT JOIN transfers t ON t.id = requested.id
LEFT JOIN pending_resolutions r ON r.pending_id = t.id
LEFT JOIN transfer_failures f ON f.id = requested.id
WHERE t.id IS NOT NULL OR f.id IS NOT NULL`;

type LoadedRow =
  | (TransferRow & { readonly failure_id: null; readonly failure_status: null })
  | (Record<keyof TransferRow, null> & {
      readonly failure_id: string;
      readonly failure_status: number;
    });

/**
 * The stored transfers and recorded failures among `ids`. Transfers are not row-locked: the
 * writer role may not lock what it may not update, and the writer lock already keeps every other
 * batch out until this one commits.
 */
async function loadTransfers(
  connection: Connection,
  ids: readonly string[],
): Promise<{ transfers: Map<string, StoredTransfer>; failures: Map<string, TransferFailure> }> {
  const transfers = new Map<string, StoredTransfer>();
  const failures = new Map<string, TransferFailure>();
  if (ids.length === 0) return { transfers, failures };
  const rows = await queryRows<LoadedRow>(connection, 'ledger-load-transfers', loadTransfersSql, [
    ids,
  ]);
  for (const row of rows) {
    if (row.failure_id === null) transfers.set(row.id, transferFromRow(row));
    else {
      const status = failureStatusFromNumber(row.failure_status);
      failures.set(row.failure_id, { id: row.failure_id, status });
    }
  }
  return { transfers, failures };
}
