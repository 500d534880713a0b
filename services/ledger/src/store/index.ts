// The ledger's storage layer: the only code that talks to Postgres. Writes go through writer
// transactions (see connection.ts); reads answer from one snapshot each.
export { accountBalancesAt, findAccount, lookupAccounts } from './account-queries.js';
export { changeAccountStatus, createAccountBatch } from './account-writes.js';
export { withConnection, type Connection } from './connection.js';
export {
  checkIntegrity,
  INTEGRITY_MISMATCHES_MAX,
  type CurrencyTotals,
  type IntegrityMismatch,
  type IntegrityReport,
} from './integrity-check.js';
export { expireDuePendingTransfers, type ExpiryRun } from './pending-expiry.js';
export type { SequencedTransfer } from './rows.js';
export { applyTransferBatch } from './transfer-batch.js';
export {
  countPendingHolds,
  listAccountTransfers,
  lookupTransfers,
  type AccountTransfersQuery,
} from './transfer-queries.js';
