// A reference ledger: SPEC §3.2 and results.proto written as plainly as possible, to check the
// engine (and later the real LedgerService) against. It keeps the list of applied transfers and
// derives everything else from it on every question: balances are sums over the list, a hold is
// POSTED or VOIDED when a post or void of it is in the list. A linked chain is undone by putting
// back a copy of the list taken before it. Slow on purpose (quadratic); never use it in the
// service. It shares only input types and status names with the engine, none of its code.
import { isCurrencyCode } from '../../../mesh/src/currencies.js';
import type {
  CreateAccountStatus,
  CreateTransferStatus,
  LedgerAccountInput,
  LedgerAccountStatus,
  TransferFlags,
  TransferInput,
} from '../../src/domain/index.js';

const INT64_MAX = 9223372036854775807n;

export interface ModelAccount {
  readonly id: string;
  readonly currency: string;
  readonly debitsMustNotExceedCredits: boolean;
  readonly creditsMustNotExceedDebits: boolean;
  readonly overdraftLimit: bigint;
  status: LedgerAccountStatus;
}

export interface ModelTransfer {
  readonly id: string;
  readonly debitAccountId: string;
  readonly creditAccountId: string;
  readonly amount: bigint;
  readonly currency: string;
  readonly flags: TransferFlags;
  readonly pendingId: string;
  readonly timeoutSeconds: number;
  readonly code: number;
  readonly reference: string;
  readonly createdAt: Date;
}

export interface ModelResult {
  readonly status: CreateTransferStatus;
  readonly transfer?: ModelTransfer;
}

export interface ModelBalances {
  debitsPending: bigint;
  debitsPosted: bigint;
  creditsPending: bigint;
  creditsPosted: bigint;
}

export type ModelPendingState = 'PENDING' | 'POSTED' | 'VOIDED' | 'EXPIRED';

export type ModelSetStatusOutcome = 'OK' | 'NOT_FOUND' | 'INVALID_STATE' | 'ACCOUNT_NOT_EMPTY';

function looksLikeUuid(text: string): boolean {
  return /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(text);
}

/** A usable id: UUID text that is neither all zeros nor all f. */
function isGoodUuid(text: string): boolean {
  const lower = text.toLowerCase();
  return (
    looksLikeUuid(text) &&
    lower !== '00000000-0000-0000-0000-000000000000' &&
    lower !== 'ffffffff-ffff-ffff-ffff-ffffffffffff'
  );
}

function lowerIfUuid(text: string): string {
  return looksLikeUuid(text) ? text.toLowerCase() : text;
}

function isGoodReference(reference: string): boolean {
  return Array.from(reference).length <= 128 && !/\p{Cc}/u.test(reference);
}

function expiresAt(transfer: ModelTransfer): number | undefined {
  if (!transfer.flags.pending || transfer.timeoutSeconds === 0) return undefined;
  return transfer.createdAt.getTime() + transfer.timeoutSeconds * 1000;
}

export class ReferenceLedger {
  accounts: ModelAccount[] = [];
  transfers: ModelTransfer[] = [];
  failedIds: { id: string; status: CreateTransferStatus }[] = [];
  expiredIds: string[] = [];

  findAccount(id: string): ModelAccount | undefined {
    return this.accounts.find((account) => account.id === id);
  }

  findTransfer(id: string): ModelTransfer | undefined {
    return this.transfers.find((transfer) => transfer.id === id);
  }

  pendingState(id: string): ModelPendingState {
    const resolutions = this.transfers.filter((transfer) => transfer.pendingId === id);
    if (resolutions.some((transfer) => transfer.flags.postPendingTransfer)) return 'POSTED';
    if (resolutions.some((transfer) => transfer.flags.voidPendingTransfer)) return 'VOIDED';
    if (this.expiredIds.includes(id)) return 'EXPIRED';
    return 'PENDING';
  }

  balances(accountId: string): ModelBalances {
    const balances = { debitsPending: 0n, debitsPosted: 0n, creditsPending: 0n, creditsPosted: 0n };
    for (const transfer of this.transfers) {
      if (transfer.flags.voidPendingTransfer) continue;
      const held = transfer.flags.pending;
      if (held && this.pendingState(transfer.id) !== 'PENDING') continue;
      if (transfer.debitAccountId === accountId) {
        if (held) balances.debitsPending += transfer.amount;
        else balances.debitsPosted += transfer.amount;
      }
      if (transfer.creditAccountId === accountId) {
        if (held) balances.creditsPending += transfer.amount;
        else balances.creditsPosted += transfer.amount;
      }
    }
    return balances;
  }

  createAccounts(inputs: readonly LedgerAccountInput[]): CreateAccountStatus[] {
    return inputs.map((input) => this.createAccount(input));
  }

  private createAccount(input: LedgerAccountInput): CreateAccountStatus {
    if (input.createdAtSet) return 'CREATED_AT_MUST_NOT_BE_SET';
    if (!isGoodUuid(input.id)) return 'INVALID_ID';
    const id = input.id.toLowerCase();
    const existing = this.findAccount(id);
    if (existing) {
      const same =
        existing.currency === input.currency &&
        existing.debitsMustNotExceedCredits === input.flags.debitsMustNotExceedCredits &&
        existing.creditsMustNotExceedDebits === input.flags.creditsMustNotExceedDebits &&
        existing.overdraftLimit === input.overdraftLimit;
      return same ? 'EXISTS' : 'EXISTS_WITH_DIFFERENT_FIELDS';
    }
    const { debitsMustNotExceedCredits, creditsMustNotExceedDebits } = input.flags;
    if (debitsMustNotExceedCredits && creditsMustNotExceedDebits) {
      return 'FLAGS_ARE_MUTUALLY_EXCLUSIVE';
    }
    if (!isCurrencyCode(input.currency)) return 'INVALID_CURRENCY';
    if (input.overdraftLimit < 0n) return 'OVERDRAFT_LIMIT_MUST_NOT_BE_NEGATIVE';
    if (input.overdraftLimit > 0n && !debitsMustNotExceedCredits) {
      return 'OVERDRAFT_LIMIT_REQUIRES_DEBITS_MUST_NOT_EXCEED_CREDITS';
    }
    if (
      input.debitsPending !== 0n ||
      input.debitsPosted !== 0n ||
      input.creditsPending !== 0n ||
      input.creditsPosted !== 0n
    ) {
      return 'BALANCES_MUST_BE_ZERO';
    }
    if (input.status !== 'OPEN') return 'INVALID_STATUS';
    this.accounts.push({
      id,
      currency: input.currency,
      debitsMustNotExceedCredits,
      creditsMustNotExceedDebits,
      overdraftLimit: input.overdraftLimit,
      status: 'OPEN',
    });
    return 'CREATED';
  }

  setAccountStatus(id: string, status: LedgerAccountStatus): ModelSetStatusOutcome {
    const account = this.findAccount(id);
    if (!account) return 'NOT_FOUND';
    if (account.status === status) return 'OK';
    if (account.status === 'CLOSED') return 'INVALID_STATE';
    if (status === 'CLOSED') {
      const balances = this.balances(id);
      if (balances.debitsPosted !== balances.creditsPosted) return 'ACCOUNT_NOT_EMPTY';
      if (balances.debitsPending !== 0n || balances.creditsPending !== 0n) {
        return 'ACCOUNT_NOT_EMPTY';
      }
    }
    account.status = status;
    return 'OK';
  }

  /** The expiry job. Answers the ids it expired. */
  expirePendingTransfers(now: Date): string[] {
    const expired: string[] = [];
    for (const transfer of this.transfers) {
      const at = expiresAt(transfer);
      if (at === undefined || at > now.getTime()) continue;
      if (this.pendingState(transfer.id) !== 'PENDING') continue;
      this.expiredIds.push(transfer.id);
      expired.push(transfer.id);
    }
    return expired;
  }

  /** One CreateTransfers request. */
  createTransfers(request: readonly TransferInput[], now: Date): ModelResult[] {
    const results: ModelResult[] = [];
    let openChainFrom = request.length;
    while (openChainFrom > 0 && request[openChainFrom - 1]?.flags.linked) openChainFrom -= 1;
    let index = 0;
    while (index < request.length) {
      if (index >= openChainFrom) {
        const last = index === request.length - 1;
        results.push({ status: last ? 'LINKED_EVENT_CHAIN_OPEN' : 'LINKED_EVENT_FAILED' });
        index += 1;
        continue;
      }
      let end = index;
      while (request[end]?.flags.linked) end += 1;
      results.push(...this.createGroup(request.slice(index, end + 1), now));
      index = end + 1;
    }
    return results;
  }

  /** A lone transfer, or a linked chain that must succeed or fail as a whole. */
  private createGroup(group: readonly TransferInput[], now: Date): ModelResult[] {
    const before = [...this.transfers];
    const results: ModelResult[] = [];
    for (const input of group) {
      const result = this.createTransfer(input, now);
      results.push(result);
      if (result.status !== 'CREATED' && result.status !== 'EXISTS') {
        if (group.length === 1) return results;
        this.transfers = before;
        return group.map((_, position) =>
          position === results.length - 1 ? result : { status: 'LINKED_EVENT_FAILED' },
        );
      }
    }
    return results;
  }

  private createTransfer(input: TransferInput, now: Date): ModelResult {
    if (input.createdAtSet) return { status: 'CREATED_AT_MUST_NOT_BE_SET' };
    if (!isGoodUuid(input.id)) return { status: 'INVALID_ID' };
    const id = input.id.toLowerCase();
    const existing = this.findTransfer(id);
    if (existing) {
      if (this.isSameTransfer(input, existing)) return { status: 'EXISTS', transfer: existing };
      return { status: 'EXISTS_WITH_DIFFERENT_FIELDS' };
    }
    if (this.failedIds.some((failure) => failure.id === id)) {
      return { status: 'ID_ALREADY_FAILED' };
    }
    const fieldStatus = fieldProblem(input, id);
    if (fieldStatus) return { status: fieldStatus };
    const outcome = this.applyAgainstState(input, id, now);
    if (typeof outcome === 'string') {
      this.failedIds.push({ id, status: outcome });
      return { status: outcome };
    }
    this.transfers.push(outcome);
    return { status: 'CREATED', transfer: outcome };
  }

  private isSameTransfer(input: TransferInput, stored: ModelTransfer): boolean {
    let debit = lowerIfUuid(input.debitAccountId);
    let credit = lowerIfUuid(input.creditAccountId);
    let currency = input.currency;
    let amount = input.amount;
    const pendingId = lowerIfUuid(input.pendingId);
    const resolving = input.flags.postPendingTransfer || input.flags.voidPendingTransfer;
    if (resolving && pendingId !== '' && pendingId === stored.pendingId) {
      const pending = this.findTransfer(pendingId);
      if (!pending) throw new Error(`model lost pending transfer ${pendingId}`);
      if (debit === '') debit = pending.debitAccountId;
      if (credit === '') credit = pending.creditAccountId;
      if (currency === '') currency = pending.currency;
      if (amount === 0n) amount = pending.amount;
    }
    return (
      debit === stored.debitAccountId &&
      credit === stored.creditAccountId &&
      amount === stored.amount &&
      currency === stored.currency &&
      input.flags.linked === stored.flags.linked &&
      input.flags.pending === stored.flags.pending &&
      input.flags.postPendingTransfer === stored.flags.postPendingTransfer &&
      input.flags.voidPendingTransfer === stored.flags.voidPendingTransfer &&
      pendingId === stored.pendingId &&
      input.timeoutSeconds === stored.timeoutSeconds &&
      input.code === stored.code &&
      input.reference === stored.reference
    );
  }

  /** Statuses 21 to 37, or the transfer to store. */
  private applyAgainstState(
    input: TransferInput,
    id: string,
    now: Date,
  ): ModelTransfer | CreateTransferStatus {
    const isPost = input.flags.postPendingTransfer;
    const isVoid = input.flags.voidPendingTransfer;
    const target = isPost || isVoid ? this.findTransfer(input.pendingId.toLowerCase()) : undefined;
    const hold = target?.flags.pending ? target : undefined;

    const debitId = input.debitAccountId
      ? input.debitAccountId.toLowerCase()
      : hold?.debitAccountId;
    const creditId = input.creditAccountId
      ? input.creditAccountId.toLowerCase()
      : hold?.creditAccountId;
    const debit = debitId === undefined ? undefined : this.findAccount(debitId);
    if (debitId !== undefined && !debit) return 'DEBIT_ACCOUNT_NOT_FOUND';
    const credit = creditId === undefined ? undefined : this.findAccount(creditId);
    if (creditId !== undefined && !credit) return 'CREDIT_ACCOUNT_NOT_FOUND';
    if (debit && credit && debit.currency !== credit.currency) return 'CURRENCY_MISMATCH';
    const currency = input.currency || hold?.currency;
    if (currency && debit && debit.currency !== currency) return 'CURRENCY_MISMATCH';
    if (currency && credit && credit.currency !== currency) return 'CURRENCY_MISMATCH';

    if (isPost || isVoid) {
      if (!target) return 'PENDING_TRANSFER_NOT_FOUND';
      if (!target.flags.pending) return 'PENDING_TRANSFER_NOT_PENDING';
      if (input.debitAccountId && debitId !== target.debitAccountId) {
        return 'PENDING_TRANSFER_HAS_DIFFERENT_DEBIT_ACCOUNT_ID';
      }
      if (input.creditAccountId && creditId !== target.creditAccountId) {
        return 'PENDING_TRANSFER_HAS_DIFFERENT_CREDIT_ACCOUNT_ID';
      }
      if (isPost && input.amount > target.amount) return 'EXCEEDS_PENDING_TRANSFER_AMOUNT';
      if (isVoid && input.amount !== 0n && input.amount !== target.amount) {
        return 'PENDING_TRANSFER_HAS_DIFFERENT_AMOUNT';
      }
      const state = this.pendingState(target.id);
      if (state === 'POSTED') return 'PENDING_TRANSFER_ALREADY_POSTED';
      if (state === 'VOIDED') return 'PENDING_TRANSFER_ALREADY_VOIDED';
      const expiry = expiresAt(target);
      if (state === 'EXPIRED' || (expiry !== undefined && expiry <= now.getTime())) {
        return 'PENDING_TRANSFER_EXPIRED';
      }
    }
    if (!debit || !credit) throw new Error('model: accounts unresolved after the checks');

    if (!isVoid) {
      if (debit.status === 'CLOSED' || credit.status === 'CLOSED') return 'ACCOUNT_CLOSED';
      if (debit.status === 'FROZEN' || credit.status === 'FROZEN') return 'ACCOUNT_FROZEN';
    }

    let amount = input.amount;
    if (target && (isVoid || amount === 0n)) amount = target.amount;
    const transfer: ModelTransfer = {
      id,
      debitAccountId: debit.id,
      creditAccountId: credit.id,
      amount,
      currency: debit.currency,
      flags: { ...input.flags },
      pendingId: isPost || isVoid ? input.pendingId.toLowerCase() : '',
      timeoutSeconds: input.timeoutSeconds,
      code: input.code,
      reference: input.reference,
      createdAt: now,
    };
    return this.balanceProblem(transfer, debit, credit) ?? transfer;
  }

  /** OVERFLOW, EXCEEDS_CREDITS, EXCEEDS_DEBITS, judged on the balances the transfer leads to. */
  private balanceProblem(
    transfer: ModelTransfer,
    debit: ModelAccount,
    credit: ModelAccount,
  ): CreateTransferStatus | undefined {
    this.transfers.push(transfer);
    const debitAfter = this.balances(debit.id);
    const creditAfter = this.balances(credit.id);
    this.transfers.pop();
    const debitTotal = debitAfter.debitsPending + debitAfter.debitsPosted;
    const creditTotal = creditAfter.creditsPending + creditAfter.creditsPosted;
    const everySum = [
      debitAfter.debitsPending,
      debitAfter.debitsPosted,
      debitTotal,
      creditAfter.creditsPending,
      creditAfter.creditsPosted,
      creditTotal,
    ];
    if (everySum.some((value) => value > INT64_MAX)) return 'OVERFLOW';
    // Posts and voids never fail on limits: their amount is already held.
    if (transfer.flags.postPendingTransfer || transfer.flags.voidPendingTransfer) return undefined;
    if (
      debit.debitsMustNotExceedCredits &&
      debitTotal > debitAfter.creditsPosted + debit.overdraftLimit
    ) {
      return 'EXCEEDS_CREDITS';
    }
    if (credit.creditsMustNotExceedDebits && creditTotal > creditAfter.debitsPosted) {
      return 'EXCEEDS_DEBITS';
    }
    return undefined;
  }
}

/** The transfer's own fields (9 to 20), checked in order; undefined when all are fine. */
function fieldProblem(input: TransferInput, id: string): CreateTransferStatus | undefined {
  const { pending, postPendingTransfer, voidPendingTransfer } = input.flags;
  const kinds = [pending, postPendingTransfer, voidPendingTransfer].filter(Boolean).length;
  if (kinds > 1) return 'FLAGS_ARE_MUTUALLY_EXCLUSIVE';
  const resolving = postPendingTransfer || voidPendingTransfer;
  const { debitAccountId, creditAccountId, pendingId } = input;
  if (debitAccountId === '' ? !resolving : !isGoodUuid(debitAccountId)) {
    return 'INVALID_DEBIT_ACCOUNT_ID';
  }
  if (creditAccountId === '' ? !resolving : !isGoodUuid(creditAccountId)) {
    return 'INVALID_CREDIT_ACCOUNT_ID';
  }
  if (debitAccountId !== '' && debitAccountId.toLowerCase() === creditAccountId.toLowerCase()) {
    return 'ACCOUNTS_MUST_BE_DIFFERENT';
  }
  if (!resolving && pendingId !== '') return 'PENDING_ID_MUST_BE_EMPTY';
  if (resolving && pendingId === '') return 'PENDING_ID_REQUIRED';
  if (resolving && !isGoodUuid(pendingId)) return 'INVALID_PENDING_ID';
  if (resolving && pendingId.toLowerCase() === id) return 'PENDING_ID_MUST_BE_DIFFERENT';
  if (!pending && input.timeoutSeconds !== 0) return 'TIMEOUT_RESERVED_FOR_PENDING_TRANSFER';
  if (input.amount < 0n || (input.amount === 0n && !resolving)) return 'AMOUNT_MUST_BE_POSITIVE';
  if (input.currency === '' ? !resolving : !isCurrencyCode(input.currency)) {
    return 'INVALID_CURRENCY';
  }
  if (!isGoodReference(input.reference)) return 'INVALID_REFERENCE';
  return undefined;
}
