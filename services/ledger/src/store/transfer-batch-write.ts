// Writes one batch's outcome in a single statement (SPEC §9: a batch should cost little more than
// inserting its transfers): the new transfers from unnest() in apply order, a resolution for every
// post and void among them, the recorded failures, and the absolute balances of every changed
// account (the writer lock keeps it as loaded). The statement answers how many rows each part wrote, and any
// difference from what the engine decided aborts the transaction.
import type { TransferWrites } from '../domain/index.js';
import { queryRows, type Connection } from './connection.js';
import { failureStatusNumber, flagsToBits } from './rows.js';

// $11 is the batch's instant: every transfer of a batch has the same created_at, and expires_at
// is computed here exactly as the engine computes it. The serial `sequence` is drawn in the
// ORDER BY position order, which is what keeps the apply order.
const writeBatchSql = `WITH created AS (
  INSERT INTO transfers (id, debit_account_id, credit_account_id, amount, currency, flags,
    pending_id, timeout_seconds, code, reference, created_at, expires_at)
  SELECT id, debit_account_id, credit_account_id, amount, currency, flags, pending_id,
    timeout_seconds, code, reference, $11::timestamptz,
    CASE WHEN flags & 2 <> 0 AND timeout_seconds > 0
      THEN $11::timestamptz + timeout_seconds * interval '1 second' END
  FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::bigint[], $5::text[], $6::smallint[],
    $7::uuid[], $8::bigint[], $9::bigint[], $10::text[])
    WITH ORDINALITY AS batch (id, debit_account_id, credit_account_id, amount, currency, flags,
      pending_id, timeout_seconds, code, reference, position)
  ORDER BY position
  RETURNING id, flags, pending_id
), resolved AS (
  INSERT INTO pending_resolutions (pending_id, state, transfer_id, resolved_at)
  SELECT pending_id, CASE WHEN flags & 4 <> 0 THEN 'POSTED' ELSE 'VOIDED' END, id, $11
  FROM created WHERE pending_id IS NOT NULL
  RETURNING pending_id
), failed AS (
  INSERT INTO transfer_failures (id, status, failed_at)
  SELECT id, status, $11 FROM unnest($12::uuid[], $13::smallint[]) AS failure (id, status)
  RETURNING id
), balanced AS (
  -- The ANY() gives the planner an index condition on accounts: joined on id alone it hashes
  -- the whole table for a few thousand rows.
  UPDATE accounts SET debits_pending = changed.debits_pending,
    debits_posted = changed.debits_posted, credits_pending = changed.credits_pending,
    credits_posted = changed.credits_posted
  FROM unnest($14::uuid[], $15::bigint[], $16::bigint[], $17::bigint[], $18::bigint[])
    AS changed (id, debits_pending, debits_posted, credits_pending, credits_posted)
  WHERE accounts.id = changed.id AND accounts.id = ANY($14::uuid[])
  RETURNING accounts.id
)
SELECT (SELECT count(*) FROM created) AS created, (SELECT count(*) FROM resolved) AS resolved,
  (SELECT count(*) FROM failed) AS failed, (SELECT count(*) FROM balanced) AS balanced`;

interface WrittenCounts {
  readonly created: bigint;
  readonly resolved: bigint;
  readonly failed: bigint;
  readonly balanced: bigint;
}

export async function writeTransferBatch(
  connection: Connection,
  writes: TransferWrites,
  now: Date,
): Promise<void> {
  const { transfersCreated, failuresRecorded, accountsChanged } = writes;
  if (transfersCreated.length + failuresRecorded.length + accountsChanged.length === 0) return;
  const resolutions = checkResolutions(writes);
  const [counts] = await queryRows<WrittenCounts>(connection, 'ledger-write-batch', writeBatchSql, [
    ...transferColumns(writes),
    now,
    failuresRecorded.map((failure) => failure.id),
    failuresRecorded.map((failure) => failureStatusNumber(failure.status)),
    ...balanceColumns(writes),
  ]);
  const expected = [
    transfersCreated.length,
    resolutions,
    failuresRecorded.length,
    accountsChanged.length,
  ];
  const written = [counts?.created, counts?.resolved, counts?.failed, counts?.balanced];
  if (written.some((count, index) => count !== BigInt(expected[index] ?? -1))) {
    throw new Error(`batch wrote ${written.join('/')} rows, expected ${expected.join('/')}`);
  }
}

function transferColumns(writes: TransferWrites): unknown[][] {
  const transfers = writes.transfersCreated;
  return [
    transfers.map((transfer) => transfer.id),
    transfers.map((transfer) => transfer.debitAccountId),
    transfers.map((transfer) => transfer.creditAccountId),
    transfers.map((transfer) => transfer.amount),
    transfers.map((transfer) => transfer.currency),
    transfers.map((transfer) => flagsToBits(transfer.flags)),
    transfers.map((transfer) => (transfer.pendingId === '' ? null : transfer.pendingId)),
    transfers.map((transfer) => transfer.timeoutSeconds),
    transfers.map((transfer) => transfer.code),
    transfers.map((transfer) => transfer.reference),
  ];
}

function balanceColumns(writes: TransferWrites): unknown[][] {
  const accounts = writes.accountsChanged;
  return [
    accounts.map((account) => account.id),
    accounts.map((account) => account.debitsPending),
    accounts.map((account) => account.debitsPosted),
    accounts.map((account) => account.creditsPending),
    accounts.map((account) => account.creditsPosted),
  ];
}

/**
 * Every post or void created resolves its pending transfer, so the resolutions are derived from
 * the new transfers; the engine's list of stored pending transfers that changed must be among
 * them. Answers how many resolutions the statement will insert.
 */
function checkResolutions(writes: TransferWrites): number {
  const resolvedIds = writes.transfersCreated
    .map((transfer) => transfer.pendingId)
    .filter((pendingId) => pendingId !== '');
  const resolved = new Set(resolvedIds);
  for (const change of writes.pendingTransfersChanged) {
    if (!resolved.has(change.id)) {
      throw new Error(`pending transfer ${change.id} changed without a post or void`);
    }
  }
  return resolvedIds.length;
}
