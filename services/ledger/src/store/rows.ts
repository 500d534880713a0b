// How ledger rows map to domain values. Transfer flags are stored as a bit set (see the
// migration), timeouts and codes (uint32) as BIGINT, a transfer's pending state as the row of
// pending_resolutions that resolved it, if any.
import {
  CREATE_TRANSFER_STATUSES,
  type CreateTransferStatus,
  type LedgerAccountState,
  type LedgerAccountStatus,
  type PendingState,
  type StoredTransfer,
  type TransferFlags,
} from '../domain/index.js';

export const accountColumns = `id, currency, debits_must_not_exceed_credits,
  credits_must_not_exceed_debits, overdraft_limit, status, debits_pending, debits_posted,
  credits_pending, credits_posted, created_at`;

export interface AccountRow {
  readonly id: string;
  readonly currency: string;
  readonly debits_must_not_exceed_credits: boolean;
  readonly credits_must_not_exceed_debits: boolean;
  readonly overdraft_limit: bigint;
  readonly status: LedgerAccountStatus;
  readonly debits_pending: bigint;
  readonly debits_posted: bigint;
  readonly credits_pending: bigint;
  readonly credits_posted: bigint;
  readonly created_at: Date;
}

export function accountFromRow(row: AccountRow): LedgerAccountState {
  return {
    id: row.id,
    currency: row.currency,
    flags: {
      debitsMustNotExceedCredits: row.debits_must_not_exceed_credits,
      creditsMustNotExceedDebits: row.credits_must_not_exceed_debits,
    },
    overdraftLimit: row.overdraft_limit,
    status: row.status,
    debitsPending: row.debits_pending,
    debitsPosted: row.debits_posted,
    creditsPending: row.credits_pending,
    creditsPosted: row.credits_posted,
    createdAt: row.created_at,
  };
}

/** The columns of `transfers t` joined with `pending_resolutions r ON r.pending_id = t.id`. */
export const transferColumns = `t.sequence, t.id, t.debit_account_id, t.credit_account_id,
  t.amount, t.currency, t.flags, t.pending_id, t.timeout_seconds, t.code, t.reference,
  t.created_at, t.expires_at, r.state AS resolution`;

export interface TransferRow {
  readonly sequence: bigint;
  readonly id: string;
  readonly debit_account_id: string;
  readonly credit_account_id: string;
  readonly amount: bigint;
  readonly currency: string;
  readonly flags: number;
  readonly pending_id: string | null;
  readonly timeout_seconds: bigint;
  readonly code: bigint;
  readonly reference: string;
  readonly created_at: Date;
  readonly expires_at: Date | null;
  readonly resolution: Exclude<PendingState, 'PENDING'> | null;
}

export const flagBits = { linked: 1, pending: 2, postPendingTransfer: 4, voidPendingTransfer: 8 };

export function flagsToBits(flags: TransferFlags): number {
  return (
    (flags.linked ? flagBits.linked : 0) |
    (flags.pending ? flagBits.pending : 0) |
    (flags.postPendingTransfer ? flagBits.postPendingTransfer : 0) |
    (flags.voidPendingTransfer ? flagBits.voidPendingTransfer : 0)
  );
}

export function flagsFromBits(bits: number): TransferFlags {
  return {
    linked: (bits & flagBits.linked) !== 0,
    pending: (bits & flagBits.pending) !== 0,
    postPendingTransfer: (bits & flagBits.postPendingTransfer) !== 0,
    voidPendingTransfer: (bits & flagBits.voidPendingTransfer) !== 0,
  };
}

/** A stored transfer, with its sequence: the order the ledger applied it in. */
export interface SequencedTransfer extends StoredTransfer {
  readonly sequence: bigint;
}

export function transferFromRow(row: TransferRow): SequencedTransfer {
  const flags = flagsFromBits(row.flags);
  return {
    sequence: row.sequence,
    id: row.id,
    debitAccountId: row.debit_account_id,
    creditAccountId: row.credit_account_id,
    amount: row.amount,
    currency: row.currency,
    flags,
    pendingId: row.pending_id ?? '',
    timeoutSeconds: Number(row.timeout_seconds),
    code: Number(row.code),
    reference: row.reference,
    createdAt: row.created_at,
    pendingState: flags.pending ? (row.resolution ?? 'PENDING') : null,
    expiresAt: row.expires_at,
  };
}

/** The stored number of a recorded failure status (its proto number) and back. */
export function failureStatusNumber(status: CreateTransferStatus): number {
  return CREATE_TRANSFER_STATUSES.indexOf(status) + 1;
}

export function failureStatusFromNumber(number: number): CreateTransferStatus {
  const status = CREATE_TRANSFER_STATUSES[number - 1];
  if (status === undefined) throw new Error(`stored failure status ${number} is unknown`);
  return status;
}
