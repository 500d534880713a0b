// CreateAccounts: each account is created independently, in request order, so a later account
// with the same id sees the earlier one (EXISTS). The first failing check in results.proto's
// numeric order is the status; the id's existence is checked before the account's own fields so
// that a retry answers EXISTS even if validation rules have changed. No failure is recorded.
import { isCurrencyCode } from '../../../mesh/src/currencies.js';
import type { CreateAccountStatus } from './statuses.js';
import type { LedgerAccountInput, LedgerAccountState } from './types.js';
import { parseUuid } from '../../../mesh/src/uuid.js';

/** Most accounts in one CreateAccounts request. */
export const ACCOUNTS_PER_REQUEST_MAX = 8190;

export interface AccountResult {
  /** Position of the account in its request. */
  readonly index: number;
  readonly status: CreateAccountStatus;
}

export interface AccountBatchOutcome {
  readonly results: readonly AccountResult[];
  /** The accounts to insert, in request order. */
  readonly accountsCreated: readonly LedgerAccountState[];
}

/**
 * Applies one CreateAccounts request. `existing` holds the stored accounts with the request's
 * ids (lower case), preloaded by the storage layer.
 */
export function applyAccounts(
  inputs: readonly LedgerAccountInput[],
  existing: ReadonlyMap<string, LedgerAccountState>,
  now: Date,
): AccountBatchOutcome {
  if (inputs.length > ACCOUNTS_PER_REQUEST_MAX) {
    throw new Error(`a request of ${inputs.length} accounts passed validation`);
  }
  const createdAt = new Date(now.getTime());
  const created = new Map<string, LedgerAccountState>();
  const find = (id: string): LedgerAccountState | undefined => created.get(id) ?? existing.get(id);
  const results = inputs.map((input, index): AccountResult => {
    const check = accountStatus(input, find, createdAt);
    if (check.account === undefined) return { index, status: check.status };
    created.set(check.account.id, check.account);
    return { index, status: 'CREATED' };
  });
  return { results, accountsCreated: [...created.values()] };
}

type AccountCheck =
  | { readonly status: CreateAccountStatus; readonly account?: never }
  | { readonly status?: never; readonly account: LedgerAccountState };

function accountStatus(
  input: LedgerAccountInput,
  find: (id: string) => LedgerAccountState | undefined,
  createdAt: Date,
): AccountCheck {
  if (input.createdAtSet) return { status: 'CREATED_AT_MUST_NOT_BE_SET' };
  const id = parseUuid(input.id);
  if (id === undefined) return { status: 'INVALID_ID' };
  const stored = find(id);
  if (stored !== undefined) {
    return { status: hasSameFields(input, stored) ? 'EXISTS' : 'EXISTS_WITH_DIFFERENT_FIELDS' };
  }
  const fieldStatus = checkFields(input);
  if (fieldStatus !== undefined) return { status: fieldStatus };
  return {
    account: {
      id,
      currency: input.currency,
      flags: input.flags,
      overdraftLimit: input.overdraftLimit,
      status: 'OPEN',
      debitsPending: 0n,
      debitsPosted: 0n,
      creditsPending: 0n,
      creditsPosted: 0n,
      createdAt,
    },
  };
}

/** Same currency, flags and overdraft limit: the other fields are not part of an account's identity. */
function hasSameFields(input: LedgerAccountInput, stored: LedgerAccountState): boolean {
  return (
    input.currency === stored.currency &&
    input.flags.debitsMustNotExceedCredits === stored.flags.debitsMustNotExceedCredits &&
    input.flags.creditsMustNotExceedDebits === stored.flags.creditsMustNotExceedDebits &&
    input.overdraftLimit === stored.overdraftLimit
  );
}

/** The account's own fields: statuses 6 to 11. */
function checkFields(input: LedgerAccountInput): CreateAccountStatus | undefined {
  const { flags } = input;
  if (flags.debitsMustNotExceedCredits && flags.creditsMustNotExceedDebits) {
    return 'FLAGS_ARE_MUTUALLY_EXCLUSIVE';
  }
  if (!isCurrencyCode(input.currency)) return 'INVALID_CURRENCY';
  if (input.overdraftLimit < 0n) return 'OVERDRAFT_LIMIT_MUST_NOT_BE_NEGATIVE';
  if (input.overdraftLimit !== 0n && !flags.debitsMustNotExceedCredits) {
    return 'OVERDRAFT_LIMIT_REQUIRES_DEBITS_MUST_NOT_EXCEED_CREDITS';
  }
  const balances = [
    input.debitsPending,
    input.debitsPosted,
    input.creditsPending,
    input.creditsPosted,
  ];
  if (balances.some((balance) => balance !== 0n)) return 'BALANCES_MUST_BE_ZERO';
  if (input.status !== 'OPEN') return 'INVALID_STATUS';
  return undefined;
}
