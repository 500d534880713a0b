// SetAccountStatus: OPEN <-> FROZEN; OPEN or FROZEN -> CLOSED, which is final. Closing needs an
// empty account (debits_posted = credits_posted, nothing pending), because a closed account
// refuses every transfer but a void and could otherwise never be settled. Setting the current
// status again is allowed and changes nothing, so the RPC is safe to retry.
import type { LedgerAccountState, LedgerAccountStatus } from './types.js';

export type SetAccountStatusError = 'INVALID_STATE' | 'ACCOUNT_NOT_EMPTY';

export type SetAccountStatusOutcome =
  | {
      readonly ok: true;
      /** The account with its new status. */
      readonly account: LedgerAccountState;
      /** False when the account already had the status: nothing to write. */
      readonly changed: boolean;
    }
  | { readonly ok: false; readonly error: SetAccountStatusError };

/** True when the account holds nothing: it may be closed. */
export function isAccountEmpty(account: LedgerAccountState): boolean {
  return (
    account.debitsPosted === account.creditsPosted &&
    account.debitsPending === 0n &&
    account.creditsPending === 0n
  );
}

export function setAccountStatus(
  account: LedgerAccountState,
  status: LedgerAccountStatus,
): SetAccountStatusOutcome {
  if (account.status === status) return { ok: true, account, changed: false };
  if (account.status === 'CLOSED') return { ok: false, error: 'INVALID_STATE' };
  if (status === 'CLOSED' && !isAccountEmpty(account)) {
    return { ok: false, error: 'ACCOUNT_NOT_EMPTY' };
  }
  return { ok: true, account: { ...account, status }, changed: true };
}
