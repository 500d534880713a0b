// The account service's domain values, free of proto and SQL: an account as stored, what opening
// one asks for, and the ledger balances an account's balance is derived from.
import type { MeshCaller } from '../../../mesh/src/mesh-caller.js';

export type AccountKind = 'CUSTOMER' | 'SETTLEMENT';
export type AccountStatus = 'ACTIVE' | 'FROZEN' | 'CLOSED';

/** What OpenAccount asks for, validated and with defaults applied: the idempotency comparison. */
export interface OpenAccountParams {
  readonly ownerId: string;
  readonly currency: string;
  readonly kind: AccountKind;
  readonly overdraftLimit: bigint;
  readonly displayName: string;
  readonly metadata: Readonly<Record<string, string>>;
}

export interface AccountRecord extends OpenAccountParams {
  readonly accountId: string;
  readonly status: AccountStatus;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** A ledger account's four balances, in minor units. */
export interface LedgerBalances {
  readonly debitsPending: bigint;
  readonly debitsPosted: bigint;
  readonly creditsPending: bigint;
  readonly creditsPosted: bigint;
}

export interface Balance {
  readonly posted: bigint;
  readonly pending: bigint;
  readonly available: bigint;
}

/** Who calls, as far as accounts are concerned: the mesh's caller (CUSTOMER only to open, unless
 * client/admin; a partner only its own accounts). */
export type AccountCaller = MeshCaller;
