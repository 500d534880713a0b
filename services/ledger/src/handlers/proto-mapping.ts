// Proto ↔ domain for the ledger: generated messages in, domain inputs out (exactly as sent, so the
// engine judges them), and stored values back as messages. Statuses map by their proto numbers.
import type { LedgerAccount } from '../../../../gen/grpc-js/clearmesh/ledger/v1/ledger_account.js';
import { LedgerAccountStatus as ProtoAccountStatus } from '../../../../gen/grpc-js/clearmesh/ledger/v1/ledger_account.js';
import {
  CreateAccountStatus as ProtoCreateAccountStatus,
  CreateTransferStatus as ProtoCreateTransferStatus,
  type CreateAccountResult,
  type CreateTransferResult,
} from '../../../../gen/grpc-js/clearmesh/ledger/v1/results.js';
import type { Transfer } from '../../../../gen/grpc-js/clearmesh/ledger/v1/transfer.js';
import {
  type AccountResult,
  type LedgerAccountInput,
  type LedgerAccountState,
  type LedgerAccountStatus,
  type StoredTransfer,
  type TransferInput,
  type TransferResult,
} from '../domain/index.js';

const accountStatuses: ReadonlyMap<number, LedgerAccountStatus> = new Map([
  [ProtoAccountStatus.LEDGER_ACCOUNT_STATUS_OPEN, 'OPEN'],
  [ProtoAccountStatus.LEDGER_ACCOUNT_STATUS_FROZEN, 'FROZEN'],
  [ProtoAccountStatus.LEDGER_ACCOUNT_STATUS_CLOSED, 'CLOSED'],
]);

const protoAccountStatuses: Readonly<Record<LedgerAccountStatus, ProtoAccountStatus>> = {
  OPEN: ProtoAccountStatus.LEDGER_ACCOUNT_STATUS_OPEN,
  FROZEN: ProtoAccountStatus.LEDGER_ACCOUNT_STATUS_FROZEN,
  CLOSED: ProtoAccountStatus.LEDGER_ACCOUNT_STATUS_CLOSED,
};

/** The status named by a proto number; undefined for UNSPECIFIED and numbers the enum lacks. */
export function accountStatusFromProto(status: number): LedgerAccountStatus | undefined {
  return accountStatuses.get(status);
}

export function transferInputFromProto(transfer: Transfer): TransferInput {
  const flags = transfer.flags;
  return {
    id: transfer.id,
    debitAccountId: transfer.debitAccountId,
    creditAccountId: transfer.creditAccountId,
    amount: transfer.amount,
    currency: transfer.currency,
    flags: {
      linked: flags?.linked ?? false,
      pending: flags?.pending ?? false,
      postPendingTransfer: flags?.postPendingTransfer ?? false,
      voidPendingTransfer: flags?.voidPendingTransfer ?? false,
    },
    pendingId: transfer.pendingId,
    timeoutSeconds: transfer.timeoutSeconds,
    code: transfer.code,
    reference: transfer.reference,
    createdAtSet: transfer.createdAt !== undefined,
  };
}

export function transferToProto(transfer: StoredTransfer): Transfer {
  return {
    id: transfer.id,
    debitAccountId: transfer.debitAccountId,
    creditAccountId: transfer.creditAccountId,
    amount: transfer.amount,
    currency: transfer.currency,
    flags: { ...transfer.flags },
    pendingId: transfer.pendingId,
    timeoutSeconds: transfer.timeoutSeconds,
    code: transfer.code,
    reference: transfer.reference,
    createdAt: transfer.createdAt,
  };
}

export function transferResultToProto(result: TransferResult): CreateTransferResult {
  return {
    index: result.index,
    // By name: this compiles only while every domain status is a member of the proto enum.
    status: ProtoCreateTransferStatus[`CREATE_TRANSFER_STATUS_${result.status}`],
    transfer: result.transfer === undefined ? undefined : transferToProto(result.transfer),
    originalStatus:
      result.originalStatus === undefined
        ? ProtoCreateTransferStatus.CREATE_TRANSFER_STATUS_UNSPECIFIED
        : ProtoCreateTransferStatus[`CREATE_TRANSFER_STATUS_${result.originalStatus}`],
  };
}

export function accountInputFromProto(account: LedgerAccount): LedgerAccountInput {
  return {
    id: account.id,
    currency: account.currency,
    flags: {
      debitsMustNotExceedCredits: account.flags?.debitsMustNotExceedCredits ?? false,
      creditsMustNotExceedDebits: account.flags?.creditsMustNotExceedDebits ?? false,
    },
    overdraftLimit: account.overdraftLimit,
    status: accountStatusFromProto(account.status) ?? 'UNSPECIFIED',
    debitsPending: account.debitsPending,
    debitsPosted: account.debitsPosted,
    creditsPending: account.creditsPending,
    creditsPosted: account.creditsPosted,
    createdAtSet: account.createdAt !== undefined,
  };
}

export function accountToProto(account: LedgerAccountState): LedgerAccount {
  return {
    id: account.id,
    currency: account.currency,
    flags: { ...account.flags },
    overdraftLimit: account.overdraftLimit,
    status: protoAccountStatuses[account.status],
    debitsPending: account.debitsPending,
    debitsPosted: account.debitsPosted,
    creditsPending: account.creditsPending,
    creditsPosted: account.creditsPosted,
    createdAt: account.createdAt,
  };
}

export function accountResultToProto(result: AccountResult): CreateAccountResult {
  return {
    index: result.index,
    status: ProtoCreateAccountStatus[`CREATE_ACCOUNT_STATUS_${result.status}`],
  };
}
