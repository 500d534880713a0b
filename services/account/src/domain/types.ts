// The account service's domain values, free of proto and SQL: an account as stored, what opening
// one asks for, and the ledger balances an account's balance is derived from.

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

/** Who calls, as far as accounts are concerned (SPEC §4). */
export type AccountCaller =
  /** client/admin: everything. */
  | { readonly kind: 'admin'; readonly principalId: string }
  /** Other client/* principals and service/payment: across owners, CUSTOMER only to open. */
  | { readonly kind: 'internal'; readonly principalId: string }
  /** service/gateway acting for a partner: only the partner's own accounts. */
  | {
      readonly kind: 'partner';
      readonly principalId: string;
      readonly partnerId: string;
      readonly scopes: readonly string[];
    };
