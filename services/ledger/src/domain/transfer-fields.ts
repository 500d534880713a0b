// Validation of a transfer's own fields (CreateTransferStatus 9 to 20), which needs nothing from
// the ledger. Checks run in the enum's numeric order, so the first failing check is the status.
// A transfer that passes comes out normalised: lower-case ids, and `undefined` for the fields a
// post or void leaves empty to take them from its pending transfer.
import { isCurrencyCode } from '../../../mesh/src/currencies.js';
import type { CreateTransferStatus } from './statuses.js';
import type { TransferInput } from './types.js';
import { parseUuid } from '../../../mesh/src/uuid.js';

/** Longest reference, in Unicode code points. */
export const REFERENCE_LENGTH_MAX = 128;

/** What a transfer does: moves money, holds it, or posts or voids a hold. */
export type TransferKind = 'SINGLE' | 'PENDING' | 'POST' | 'VOID';

export interface ValidTransfer {
  readonly input: TransferInput;
  readonly id: string;
  readonly kind: TransferKind;
  /** undefined on a post or void that left it empty: the pending transfer's. */
  readonly debitAccountId: string | undefined;
  readonly creditAccountId: string | undefined;
  /** Defined exactly for posts and voids. */
  readonly pendingId: string | undefined;
  /** undefined on a post or void that left it empty: the pending transfer's. */
  readonly currency: string | undefined;
}

/** 0 to 128 code points, none of them a control character (Unicode category Cc). */
export function isValidReference(reference: string): boolean {
  let length = 0;
  for (const character of reference) {
    length += 1;
    if (length > REFERENCE_LENGTH_MAX) return false;
    const codePoint = character.codePointAt(0) ?? 0;
    if (codePoint <= 0x1f || (codePoint >= 0x7f && codePoint <= 0x9f)) return false;
  }
  return true;
}

export function transferKind(input: TransferInput): TransferKind {
  if (input.flags.pending) return 'PENDING';
  if (input.flags.postPendingTransfer) return 'POST';
  if (input.flags.voidPendingTransfer) return 'VOID';
  return 'SINGLE';
}

function hasExclusiveFlags(input: TransferInput): boolean {
  const { pending, postPendingTransfer, voidPendingTransfer } = input.flags;
  return Number(pending) + Number(postPendingTransfer) + Number(voidPendingTransfer) > 1;
}

/** An account id: undefined when empty and allowed to be, null when invalid. */
function accountId(text: string, mayBeEmpty: boolean): string | undefined | null {
  if (text === '') return mayBeEmpty ? undefined : null;
  return parseUuid(text) ?? null;
}

/** The transfer normalised, or the status of the first own field that is wrong. */
export function validateTransferFields(
  input: TransferInput,
  id: string,
): ValidTransfer | CreateTransferStatus {
  if (hasExclusiveFlags(input)) return 'FLAGS_ARE_MUTUALLY_EXCLUSIVE';
  const kind = transferKind(input);
  const resolvesFromPending = kind === 'POST' || kind === 'VOID';
  const debitAccountId = accountId(input.debitAccountId, resolvesFromPending);
  if (debitAccountId === null) return 'INVALID_DEBIT_ACCOUNT_ID';
  const creditAccountId = accountId(input.creditAccountId, resolvesFromPending);
  if (creditAccountId === null) return 'INVALID_CREDIT_ACCOUNT_ID';
  if (debitAccountId !== undefined && debitAccountId === creditAccountId) {
    return 'ACCOUNTS_MUST_BE_DIFFERENT';
  }
  const pendingId = validatePendingId(input, id, resolvesFromPending);
  if (pendingId.status !== undefined) return pendingId.status;
  if (input.timeoutSeconds !== 0 && kind !== 'PENDING') {
    return 'TIMEOUT_RESERVED_FOR_PENDING_TRANSFER';
  }
  if (input.amount < 0n || (input.amount === 0n && !resolvesFromPending)) {
    return 'AMOUNT_MUST_BE_POSITIVE';
  }
  if (input.currency === '' ? !resolvesFromPending : !isCurrencyCode(input.currency)) {
    return 'INVALID_CURRENCY';
  }
  if (!isValidReference(input.reference)) return 'INVALID_REFERENCE';
  const currency = input.currency === '' ? undefined : input.currency;
  return {
    input,
    id,
    kind,
    debitAccountId,
    creditAccountId,
    pendingId: pendingId.value,
    currency,
  };
}

type PendingIdCheck =
  | { readonly status: CreateTransferStatus; readonly value?: never }
  | { readonly status?: never; readonly value: string | undefined };

function validatePendingId(
  input: TransferInput,
  id: string,
  resolvesFromPending: boolean,
): PendingIdCheck {
  if (!resolvesFromPending) {
    return input.pendingId === '' ? { value: undefined } : { status: 'PENDING_ID_MUST_BE_EMPTY' };
  }
  if (input.pendingId === '') return { status: 'PENDING_ID_REQUIRED' };
  const pendingId = parseUuid(input.pendingId);
  if (pendingId === undefined) return { status: 'INVALID_PENDING_ID' };
  if (pendingId === id) return { status: 'PENDING_ID_MUST_BE_DIFFERENT' };
  return { value: pendingId };
}
