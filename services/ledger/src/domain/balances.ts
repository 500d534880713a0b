// Balance arithmetic and limits. Balances are never negative, so bounding an account's total
// per side (pending + posted) by 2^63-1 also bounds each of its balances; those totals are the
// sums the limit checks compute, hence the only sums that can overflow. The overdraft headroom
// (credits_posted + overdraft_limit) is a bound, not a balance, and is never required to fit.
import { AMOUNT_MAX, type AccountBalances, type LedgerAccountState } from './types.js';

/** True when holding or moving `amount` would take a total past 2^63-1 on either account. */
export function wouldOverflow(
  debit: AccountBalances,
  credit: AccountBalances,
  amount: bigint,
): boolean {
  return (
    debit.debitsPending + debit.debitsPosted + amount > AMOUNT_MAX ||
    credit.creditsPending + credit.creditsPosted + amount > AMOUNT_MAX
  );
}

/** Insufficient funds: debits would pass credits_posted plus the overdraft limit. */
export function wouldExceedCredits(debit: LedgerAccountState, amount: bigint): boolean {
  if (!debit.flags.debitsMustNotExceedCredits) return false;
  const debits = debit.debitsPending + debit.debitsPosted + amount;
  return debits - debit.creditsPosted > debit.overdraftLimit;
}

/** Credits would pass debits_posted; an overdraft limit never applies to this side. */
export function wouldExceedDebits(credit: LedgerAccountState, amount: bigint): boolean {
  if (!credit.flags.creditsMustNotExceedDebits) return false;
  return credit.creditsPending + credit.creditsPosted + amount > credit.debitsPosted;
}

/** Programmer-error guard: a balance outside 0..2^63-1 means a rule was skipped. */
export function assertBalancesInRange(account: LedgerAccountState): void {
  const balances = [
    account.debitsPending,
    account.debitsPosted,
    account.creditsPending,
    account.creditsPosted,
  ];
  for (const balance of balances) {
    if (balance < 0n || balance > AMOUNT_MAX) {
      throw new Error(`ledger account ${account.id} would hold balance ${balance}`);
    }
  }
}

export function sameBalances(left: AccountBalances, right: AccountBalances): boolean {
  return (
    left.debitsPending === right.debitsPending &&
    left.debitsPosted === right.debitsPosted &&
    left.creditsPending === right.creditsPending &&
    left.creditsPosted === right.creditsPosted
  );
}
