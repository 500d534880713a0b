// The checks that depend on the ledger's state (CreateTransferStatus 21 to 37), in the enum's
// numeric order, and the effects of a transfer that passes them. Every status returned here is
// recorded by the caller. A post or void that leaves its accounts or currency empty takes them
// from its pending transfer, so account lookups (21-23) already use the pending transfer when it
// exists, although "not found" and its other checks (24-32) come after them.
import { releaseHold, wouldExceedCredits, wouldExceedDebits, wouldOverflow } from './balances.js';
import { isExpired } from './expire-pending.js';
import type { CreateTransferStatus } from './statuses.js';
import type { ValidTransfer } from './transfer-fields.js';
import type { LedgerAccountState, StoredTransfer } from './types.js';
import type { WorkingLedger } from './working-ledger.js';

/** A transfer that passed every check, with everything its effects need. */
export interface ResolvedTransfer {
  readonly valid: ValidTransfer;
  readonly debit: LedgerAccountState;
  readonly credit: LedgerAccountState;
  /** The pending transfer a post or void resolves. */
  readonly pending: StoredTransfer | undefined;
  /** The amount stored: moved, held, posted or released. */
  readonly amount: bigint;
  readonly currency: string;
}

interface Accounts {
  readonly debit: LedgerAccountState | undefined;
  readonly credit: LedgerAccountState | undefined;
}

export function checkAgainstLedger(
  valid: ValidTransfer,
  ledger: WorkingLedger,
): ResolvedTransfer | CreateTransferStatus {
  const target = valid.pendingId === undefined ? undefined : ledger.transfer(valid.pendingId);
  const pending = target?.flags.pending === true ? target : undefined;
  const accounts = lookUpAccounts(valid, pending, ledger);
  if (typeof accounts === 'string') return accounts;
  if (valid.pendingId !== undefined) {
    const status = checkPendingTransfer(valid, target, ledger.now);
    if (status !== undefined) return status;
  }
  const { debit, credit } = accounts;
  if (debit === undefined || credit === undefined) {
    throw new Error(`transfer ${valid.id} has unresolved accounts after its checks`);
  }
  const resolved: ResolvedTransfer = {
    valid,
    debit,
    credit,
    pending,
    amount: storedAmount(valid, pending),
    currency: valid.currency ?? pending?.currency ?? '',
  };
  return checkAccountStates(resolved) ?? checkBalances(resolved);
}

function storedAmount(valid: ValidTransfer, pending: StoredTransfer | undefined): bigint {
  if (pending === undefined) return valid.input.amount;
  if (valid.kind === 'VOID' || valid.input.amount === 0n) return pending.amount;
  return valid.input.amount;
}

/** DEBIT_ACCOUNT_NOT_FOUND, CREDIT_ACCOUNT_NOT_FOUND, CURRENCY_MISMATCH. */
function lookUpAccounts(
  valid: ValidTransfer,
  pending: StoredTransfer | undefined,
  ledger: WorkingLedger,
): Accounts | CreateTransferStatus {
  const debit = lookUpAccount(valid.debitAccountId, pending?.debitAccountId, ledger);
  if (debit === null) return 'DEBIT_ACCOUNT_NOT_FOUND';
  const credit = lookUpAccount(valid.creditAccountId, pending?.creditAccountId, ledger);
  if (credit === null) return 'CREDIT_ACCOUNT_NOT_FOUND';
  if (debit !== undefined && credit !== undefined && debit.currency !== credit.currency) {
    return 'CURRENCY_MISMATCH';
  }
  const currency = valid.currency ?? pending?.currency;
  if (currency !== undefined) {
    if (debit !== undefined && debit.currency !== currency) return 'CURRENCY_MISMATCH';
    if (credit !== undefined && credit.currency !== currency) return 'CURRENCY_MISMATCH';
  }
  return { debit, credit };
}

/** The account named by the transfer (null: no such account), else by its pending transfer. */
function lookUpAccount(
  named: string | undefined,
  fromPending: string | undefined,
  ledger: WorkingLedger,
): LedgerAccountState | undefined | null {
  if (named !== undefined) return ledger.account(named) ?? null;
  if (fromPending === undefined) return undefined;
  const account = ledger.account(fromPending);
  if (account === undefined) {
    throw new Error(`account ${fromPending} of a pending transfer is missing from the view`);
  }
  return account;
}

/** The pending transfer being posted or voided: statuses 24 to 32. */
function checkPendingTransfer(
  valid: ValidTransfer,
  target: StoredTransfer | undefined,
  now: Date,
): CreateTransferStatus | undefined {
  if (target === undefined) return 'PENDING_TRANSFER_NOT_FOUND';
  if (!target.flags.pending) return 'PENDING_TRANSFER_NOT_PENDING';
  if (valid.debitAccountId !== undefined && valid.debitAccountId !== target.debitAccountId) {
    return 'PENDING_TRANSFER_HAS_DIFFERENT_DEBIT_ACCOUNT_ID';
  }
  if (valid.creditAccountId !== undefined && valid.creditAccountId !== target.creditAccountId) {
    return 'PENDING_TRANSFER_HAS_DIFFERENT_CREDIT_ACCOUNT_ID';
  }
  const amount = valid.input.amount;
  if (valid.kind === 'POST' && amount > target.amount) return 'EXCEEDS_PENDING_TRANSFER_AMOUNT';
  if (valid.kind === 'VOID' && amount !== 0n && amount !== target.amount) {
    return 'PENDING_TRANSFER_HAS_DIFFERENT_AMOUNT';
  }
  if (target.pendingState === 'POSTED') return 'PENDING_TRANSFER_ALREADY_POSTED';
  if (target.pendingState === 'VOIDED') return 'PENDING_TRANSFER_ALREADY_VOIDED';
  // The expiry job may not have run yet: the clock decides, not the stored state alone.
  if (target.pendingState === 'EXPIRED' || isExpired(target, now)) {
    return 'PENDING_TRANSFER_EXPIRED';
  }
  return undefined;
}

/** ACCOUNT_CLOSED, ACCOUNT_FROZEN. A void only releases a hold, so it is never refused. */
function checkAccountStates(resolved: ResolvedTransfer): CreateTransferStatus | undefined {
  if (resolved.valid.kind === 'VOID') return undefined;
  const { debit, credit } = resolved;
  if (debit.status === 'CLOSED' || credit.status === 'CLOSED') return 'ACCOUNT_CLOSED';
  if (debit.status === 'FROZEN' || credit.status === 'FROZEN') return 'ACCOUNT_FROZEN';
  return undefined;
}

/**
 * OVERFLOW, EXCEEDS_CREDITS, EXCEEDS_DEBITS. Posts and voids are exempt: a post moves an amount
 * its pending transfer already holds (so no total grows), a void only releases.
 */
function checkBalances(resolved: ResolvedTransfer): ResolvedTransfer | CreateTransferStatus {
  const { valid, debit, credit, amount } = resolved;
  if (valid.kind === 'POST' || valid.kind === 'VOID') return resolved;
  if (wouldOverflow(debit, credit, amount)) return 'OVERFLOW';
  if (wouldExceedCredits(debit, amount)) return 'EXCEEDS_CREDITS';
  if (wouldExceedDebits(credit, amount)) return 'EXCEEDS_DEBITS';
  return resolved;
}

/** Stores the transfer and moves its amounts; returns the stored transfer. */
export function applyTransfer(resolved: ResolvedTransfer, ledger: WorkingLedger): StoredTransfer {
  const { valid, debit, credit, pending, amount } = resolved;
  if (debit.id === credit.id) throw new Error(`transfer ${valid.id} debits its credit account`);
  const transfer = storedTransfer(resolved, ledger.now);
  ledger.insertTransfer(transfer);
  if (pending === undefined) {
    const held = valid.kind === 'PENDING';
    ledger.putAccount(
      held
        ? { ...debit, debitsPending: debit.debitsPending + amount }
        : { ...debit, debitsPosted: debit.debitsPosted + amount },
    );
    ledger.putAccount(
      held
        ? { ...credit, creditsPending: credit.creditsPending + amount }
        : { ...credit, creditsPosted: credit.creditsPosted + amount },
    );
    return transfer;
  }
  // A post moves `amount` from pending to posted and releases the rest; a void posts nothing.
  const posted = valid.kind === 'POST' ? amount : 0n;
  const [debitAfter, creditAfter] = releaseHold(debit, credit, pending.amount, posted);
  ledger.putAccount(debitAfter);
  ledger.putAccount(creditAfter);
  ledger.replaceTransfer({
    ...pending,
    pendingState: valid.kind === 'POST' ? 'POSTED' : 'VOIDED',
  });
  return transfer;
}

function storedTransfer(resolved: ResolvedTransfer, now: Date): StoredTransfer {
  const { valid, debit, credit, amount, currency } = resolved;
  const { input } = valid;
  const held = valid.kind === 'PENDING';
  return {
    id: valid.id,
    debitAccountId: debit.id,
    creditAccountId: credit.id,
    amount,
    currency,
    flags: input.flags,
    pendingId: valid.pendingId ?? '',
    timeoutSeconds: input.timeoutSeconds,
    code: input.code,
    reference: input.reference,
    createdAt: now,
    pendingState: held ? 'PENDING' : null,
    expiresAt:
      held && input.timeoutSeconds > 0
        ? new Date(now.getTime() + input.timeoutSeconds * 1000)
        : null,
  };
}
