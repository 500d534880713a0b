// Per-item outcomes of CreateTransfers and CreateAccounts, named as in results.proto without the
// enum prefix. The arrays are in the proto's numeric order, which is the documented precedence:
// an item that fails gets the earliest status that applies. The handler maps a name to its proto
// number as index + 1.

export const CREATE_TRANSFER_STATUSES = [
  'CREATED',
  'LINKED_EVENT_FAILED',
  'LINKED_EVENT_CHAIN_OPEN',
  'CREATED_AT_MUST_NOT_BE_SET',
  'INVALID_ID',
  'EXISTS_WITH_DIFFERENT_FIELDS',
  'EXISTS',
  'ID_ALREADY_FAILED',
  'FLAGS_ARE_MUTUALLY_EXCLUSIVE',
  'INVALID_DEBIT_ACCOUNT_ID',
  'INVALID_CREDIT_ACCOUNT_ID',
  'ACCOUNTS_MUST_BE_DIFFERENT',
  'PENDING_ID_MUST_BE_EMPTY',
  'PENDING_ID_REQUIRED',
  'INVALID_PENDING_ID',
  'PENDING_ID_MUST_BE_DIFFERENT',
  'TIMEOUT_RESERVED_FOR_PENDING_TRANSFER',
  'AMOUNT_MUST_BE_POSITIVE',
  'INVALID_CURRENCY',
  'INVALID_REFERENCE',
  'DEBIT_ACCOUNT_NOT_FOUND',
  'CREDIT_ACCOUNT_NOT_FOUND',
  'CURRENCY_MISMATCH',
  'PENDING_TRANSFER_NOT_FOUND',
  'PENDING_TRANSFER_NOT_PENDING',
  'PENDING_TRANSFER_HAS_DIFFERENT_DEBIT_ACCOUNT_ID',
  'PENDING_TRANSFER_HAS_DIFFERENT_CREDIT_ACCOUNT_ID',
  'EXCEEDS_PENDING_TRANSFER_AMOUNT',
  'PENDING_TRANSFER_HAS_DIFFERENT_AMOUNT',
  'PENDING_TRANSFER_ALREADY_POSTED',
  'PENDING_TRANSFER_ALREADY_VOIDED',
  'PENDING_TRANSFER_EXPIRED',
  'ACCOUNT_CLOSED',
  'ACCOUNT_FROZEN',
  'OVERFLOW',
  'EXCEEDS_CREDITS',
  'EXCEEDS_DEBITS',
] as const;

export type CreateTransferStatus = (typeof CREATE_TRANSFER_STATUSES)[number];

export const CREATE_ACCOUNT_STATUSES = [
  'CREATED',
  'CREATED_AT_MUST_NOT_BE_SET',
  'INVALID_ID',
  'EXISTS_WITH_DIFFERENT_FIELDS',
  'EXISTS',
  'FLAGS_ARE_MUTUALLY_EXCLUSIVE',
  'INVALID_CURRENCY',
  'OVERDRAFT_LIMIT_MUST_NOT_BE_NEGATIVE',
  'OVERDRAFT_LIMIT_REQUIRES_DEBITS_MUST_NOT_EXCEED_CREDITS',
  'BALANCES_MUST_BE_ZERO',
  'INVALID_STATUS',
] as const;

export type CreateAccountStatus = (typeof CREATE_ACCOUNT_STATUSES)[number];

const TRANSFER_STATUS_NUMBERS: ReadonlyMap<CreateTransferStatus, number> = new Map(
  CREATE_TRANSFER_STATUSES.map((status, index) => [status, index + 1]),
);

const ACCOUNT_STATUS_NUMBERS: ReadonlyMap<CreateAccountStatus, number> = new Map(
  CREATE_ACCOUNT_STATUSES.map((status, index) => [status, index + 1]),
);

/** The status's number in results.proto (CREATE_TRANSFER_STATUS_<name>). */
export function createTransferStatusNumber(status: CreateTransferStatus): number {
  const number = TRANSFER_STATUS_NUMBERS.get(status);
  if (number === undefined) throw new Error(`unknown CreateTransferStatus ${status}`);
  return number;
}

/** The status's number in results.proto (CREATE_ACCOUNT_STATUS_<name>). */
export function createAccountStatusNumber(status: CreateAccountStatus): number {
  const number = ACCOUNT_STATUS_NUMBERS.get(status);
  if (number === undefined) throw new Error(`unknown CreateAccountStatus ${status}`);
  return number;
}

const FIRST_RECORDED_TRANSFER_STATUS = createTransferStatusNumber('DEBIT_ACCOUNT_NOT_FOUND');

/**
 * True for the statuses that depend on the ledger's state (21 to 37): the failure is recorded
 * under the transfer's id and every later attempt with that id answers ID_ALREADY_FAILED.
 */
export function isRecordedTransferStatus(status: CreateTransferStatus): boolean {
  return createTransferStatusNumber(status) >= FIRST_RECORDED_TRANSFER_STATUS;
}
