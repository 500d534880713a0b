// The ledger's rules, pure and deterministic: no transport, no storage, no clock of its own. The
// storage layer loads and locks the rows a batch needs (preload.ts), calls an engine with them
// and `now`, and writes the outcome in one transaction; handlers map statuses to proto numbers.
export {
  applyAccounts,
  ACCOUNTS_PER_REQUEST_MAX,
  type AccountBatchOutcome,
  type AccountResult,
} from './create-accounts.js';
export {
  applyTransferRequests,
  applyTransfers,
  TRANSFERS_PER_REQUEST_MAX,
  type TransferBatchOutcome,
  type TransferRequestsOutcome,
  type TransferResult,
  type TransferWrites,
} from './create-transfers.js';
export { expirePendingTransfers, isExpired, type ExpiryOutcome } from './expire-pending.js';
export { accountIdsToLoad, accountInputIdsToLoad, transferIdsToLoad } from './preload.js';
export {
  isAccountEmpty,
  setAccountStatus,
  type SetAccountStatusError,
  type SetAccountStatusOutcome,
} from './set-account-status.js';
export {
  CREATE_ACCOUNT_STATUSES,
  CREATE_TRANSFER_STATUSES,
  createAccountStatusNumber,
  createTransferStatusNumber,
  isRecordedTransferStatus,
  type CreateAccountStatus,
  type CreateTransferStatus,
} from './statuses.js';
export { isValidReference, REFERENCE_LENGTH_MAX } from './transfer-fields.js';
export {
  AMOUNT_MAX,
  type AccountBalances,
  type AccountFlags,
  type LedgerAccountInput,
  type LedgerAccountState,
  type LedgerAccountStatus,
  type LedgerView,
  type PendingState,
  type PendingTransferChange,
  type StoredTransfer,
  type TransferFailure,
  type TransferFlags,
  type TransferInput,
} from './types.js';
export { normalizeUuid, parseUuid } from '../../../mesh/src/uuid.js';
