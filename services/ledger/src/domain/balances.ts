// Balance arithmetic and limits. Balances are never negative, so bounding an account's total
// per side (pending + posted) by 2^63-1 also bounds each of its balances; those totals are the
// sums the limit checks compute, hence the only sums that can overflow. The overdraft headroom
// (credits_posted + overdraft_limit) is a bound, not a balance, and is never required to fit.
import { AMOUNT_MAX, type AccountBalances, type LedgerAccountState } from './types.js';

/** debits_pending + debits_posted: what a debit limit counts, and a sum that must fit in int64. */
function debitsTotal(account: AccountBalances): bigint {
  return account.debitsPending + account.debitsPosted;
}

/** credits_pending + credits_posted: what a credit limit counts, and a sum that must fit. */
function creditsTotal(account: AccountBalances): bigint {
  return account.creditsPending + account.creditsPosted;
}

/** True when holding or moving `amount` would take a total past 2^63-1 on either account. */
export function wouldOverflow(
  debit: AccountBalances,
  credit: AccountBalances,
  amount: bigint,
): boolean {
  return debitsTotal(debit) + amount > AMOUNT_MAX || creditsTotal(credit) + amount > AMOUNT_MAX;
}

/** Insufficient funds: debits would pass credits_posted plus the overdraft limit. */
export function wouldExceedCredits(debit: LedgerAccountState, amount: bigint): boolean {
  if (!debit.flags.debitsMustNotExceedCredits) return false;
  return debitsTotal(debit) + amount - debit.creditsPosted > debit.overdraftLimit;
}

/** Credits would pass debits_posted; an overdraft limit never applies to this side. */
export function wouldExceedDebits(credit: LedgerAccountState, amount: bigint): boolean {
  if (!credit.flags.creditsMustNotExceedDebits) return false;
  return creditsTotal(credit) + amount > credit.debitsPosted;
}

/**
 * The two accounts after a hold of `held` ends: it leaves both pending balances and `posted` of
 * it (the amount a post posts; 0 for a void or an expiry) enters both posted balances. The one
 * place a hold is released, so a post, a void and the expiry job cannot disagree on it.
 */
export function releaseHold(
  debit: LedgerAccountState,
  credit: LedgerAccountState,
  held: bigint,
  posted: bigint,
): readonly [LedgerAccountState, LedgerAccountState] {
  return [
    {
      ...debit,
      debitsPending: debit.debitsPending - held,
      debitsPosted: debit.debitsPosted + posted,
    },
    {
      ...credit,
      creditsPending: credit.creditsPending - held,
      creditsPosted: credit.creditsPosted + posted,
    },
  ];
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
