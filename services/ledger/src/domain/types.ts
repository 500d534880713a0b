// The ledger's domain values: what a caller asks for (inputs, as sent), what the ledger stores
// (accounts with their four balances, transfers with their resolved fields), and what the storage
// layer hands the engine for one batch (a view of the preloaded rows). Money is bigint minor
// units everywhere; ids in stored values are canonical lower-case UUIDs.
import type { CreateTransferStatus } from './statuses.js';

/** The largest amount or balance the ledger holds: int64's maximum, 2^63-1 minor units. */
export const AMOUNT_MAX = 2n ** 63n - 1n;

export type LedgerAccountStatus = 'OPEN' | 'FROZEN' | 'CLOSED';

export interface AccountFlags {
  readonly debitsMustNotExceedCredits: boolean;
  readonly creditsMustNotExceedDebits: boolean;
}

export interface AccountBalances {
  readonly debitsPending: bigint;
  readonly debitsPosted: bigint;
  readonly creditsPending: bigint;
  readonly creditsPosted: bigint;
}

/** A stored ledger account. Balances are 0 to AMOUNT_MAX minor units of `currency`. */
export interface LedgerAccountState extends AccountBalances {
  readonly id: string;
  readonly currency: string;
  readonly flags: AccountFlags;
  readonly overdraftLimit: bigint;
  readonly status: LedgerAccountStatus;
  readonly createdAt: Date;
}

/** One account of a CreateAccounts request, as sent (after the proto → domain mapping). */
export interface LedgerAccountInput extends AccountBalances {
  readonly id: string;
  readonly currency: string;
  readonly flags: AccountFlags;
  readonly overdraftLimit: bigint;
  /** 'UNSPECIFIED' stands for the proto's 0 (or an unknown number): INVALID_STATUS. */
  readonly status: LedgerAccountStatus | 'UNSPECIFIED';
  readonly createdAtSet: boolean;
}

export interface TransferFlags {
  readonly linked: boolean;
  readonly pending: boolean;
  readonly postPendingTransfer: boolean;
  readonly voidPendingTransfer: boolean;
}

/** One transfer of a CreateTransfers request, exactly as sent; '' is an unset string field. */
export interface TransferInput {
  readonly id: string;
  readonly debitAccountId: string;
  readonly creditAccountId: string;
  /** Minor units; the proto's int64, so -2^63 to 2^63-1. */
  readonly amount: bigint;
  readonly currency: string;
  readonly flags: TransferFlags;
  readonly pendingId: string;
  /** uint32. */
  readonly timeoutSeconds: number;
  /** uint32. */
  readonly code: number;
  readonly reference: string;
  readonly createdAtSet: boolean;
}

/** Where a pending transfer stands. Only transfers with flags.pending have one. */
export type PendingState = 'PENDING' | 'POSTED' | 'VOIDED' | 'EXPIRED';

/**
 * A stored transfer: the proto Transfer as LookupTransfers answers it. Ids are lower case; a post
 * or void holds the debit and credit accounts and currency it took from its pending transfer and
 * the amount it actually posted or released. Retries are compared against these fields.
 */
export interface StoredTransfer {
  readonly id: string;
  readonly debitAccountId: string;
  readonly creditAccountId: string;
  readonly amount: bigint;
  readonly currency: string;
  readonly flags: TransferFlags;
  /** '' unless the transfer is a post or a void. */
  readonly pendingId: string;
  readonly timeoutSeconds: number;
  readonly code: number;
  readonly reference: string;
  readonly createdAt: Date;
  /** null unless flags.pending. */
  readonly pendingState: PendingState | null;
  /** createdAt + timeoutSeconds for a pending transfer with a timeout; null otherwise. */
  readonly expiresAt: Date | null;
}

/** A transfer id whose first attempt failed with a recorded status (21 to 37). Final. */
export interface TransferFailure {
  readonly id: string;
  readonly status: CreateTransferStatus;
}

/** A stored pending transfer that leaves PENDING. */
export interface PendingTransferChange {
  readonly id: string;
  readonly pendingState: Exclude<PendingState, 'PENDING'>;
}

/**
 * The rows one batch may read, preloaded and locked by the storage layer (see preload.ts). Maps
 * are keyed by lower-case id. The engine never mutates them.
 */
export interface LedgerView {
  readonly accounts: ReadonlyMap<string, LedgerAccountState>;
  readonly transfers: ReadonlyMap<string, StoredTransfer>;
  readonly failures: ReadonlyMap<string, TransferFailure>;
}
