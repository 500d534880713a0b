// Builders for domain inputs, and an in-memory store that drives the engine the way the storage
// layer will: it preloads exactly the rows preload.ts names, calls the engine, and writes the
// outcome back, checking that every write is consistent with what it already holds. Tests that go
// through it therefore also check that the preload contract is sufficient and the writes complete.
import {
  accountIdsToLoad,
  applyTransferRequests,
  expirePendingTransfers,
  setAccountStatus,
  transferIdsToLoad,
  type ExpiryOutcome,
  type LedgerAccountInput,
  type LedgerAccountState,
  type LedgerAccountStatus,
  type SetAccountStatusOutcome,
  type StoredTransfer,
  type TransferFailure,
  type TransferFlags,
  type TransferInput,
  type TransferResult,
  type TransferWrites,
} from '../../src/domain/index.js';

export const NOW = new Date('2025-01-01T00:00:00.000Z');

/** A deterministic, valid (version 4) UUID numbered n. */
export function uuid(n: number): string {
  return `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}

export const NIL_UUID = '00000000-0000-0000-0000-000000000000';
export const MAX_UUID = 'ffffffff-ffff-ffff-ffff-ffffffffffff';

export function secondsAfter(instant: Date, seconds: number): Date {
  return new Date(instant.getTime() + seconds * 1000);
}

export const NO_TRANSFER_FLAGS: TransferFlags = {
  linked: false,
  pending: false,
  postPendingTransfer: false,
  voidPendingTransfer: false,
};

export type TransferFields = Partial<Omit<TransferInput, 'flags'>> & {
  readonly flags?: Partial<TransferFlags>;
};

/** A plain transfer's fields: 100 USD minor units (the domain's and the proto's builders). */
export const PLAIN_TRANSFER_FIELDS = {
  amount: 100n,
  currency: 'USD',
  pendingId: '',
  timeoutSeconds: 0,
  code: 0,
  reference: '',
};

/** A valid single transfer of 100 USD minor units unless `fields` say otherwise. */
export function transferInput(fields: TransferFields = {}): TransferInput {
  return {
    id: uuid(1000),
    debitAccountId: uuid(1),
    creditAccountId: uuid(2),
    ...PLAIN_TRANSFER_FIELDS,
    createdAtSet: false,
    ...fields,
    flags: { ...NO_TRANSFER_FLAGS, ...fields.flags },
  };
}

/**
 * The fields of a post or void of `pendingId` that leaves currency and amount to the pending one
 * (the domain's and the proto's builders).
 */
export function resolutionFields<Fields extends { readonly flags?: Partial<TransferFlags> }>(
  kind: 'post' | 'void',
  pendingId: string,
  fields: Fields,
) {
  return {
    currency: '',
    amount: 0n,
    pendingId,
    ...fields,
    flags: {
      postPendingTransfer: kind === 'post',
      voidPendingTransfer: kind === 'void',
      ...fields.flags,
    },
  };
}

/** A post or void of `pendingId` that leaves accounts, currency and amount to the pending one. */
export function resolutionInput(
  kind: 'post' | 'void',
  pendingId: string,
  fields: TransferFields = {},
): TransferInput {
  return transferInput(
    resolutionFields(kind, pendingId, { debitAccountId: '', creditAccountId: '', ...fields }),
  );
}

/** An OPEN USD account without limits and with zero balances unless `fields` say otherwise. */
export function accountState(
  id: string,
  fields: Partial<Omit<LedgerAccountState, 'id'>> = {},
): LedgerAccountState {
  return {
    id,
    currency: 'USD',
    flags: { debitsMustNotExceedCredits: false, creditsMustNotExceedDebits: false },
    overdraftLimit: 0n,
    status: 'OPEN',
    debitsPending: 0n,
    debitsPosted: 0n,
    creditsPending: 0n,
    creditsPosted: 0n,
    createdAt: NOW,
    ...fields,
  };
}

/** A CUSTOMER account: debits must not exceed credits plus the overdraft limit. */
export function customerAccount(
  id: string,
  fields: Partial<Omit<LedgerAccountState, 'id'>> = {},
): LedgerAccountState {
  return accountState(id, {
    flags: { debitsMustNotExceedCredits: true, creditsMustNotExceedDebits: false },
    ...fields,
  });
}

/** A valid CreateAccounts item for an OPEN USD account unless `fields` say otherwise. */
export function accountInput(fields: Partial<LedgerAccountInput> = {}): LedgerAccountInput {
  return {
    id: uuid(1),
    currency: 'USD',
    flags: { debitsMustNotExceedCredits: false, creditsMustNotExceedDebits: false },
    overdraftLimit: 0n,
    status: 'OPEN',
    debitsPending: 0n,
    debitsPosted: 0n,
    creditsPending: 0n,
    creditsPosted: 0n,
    createdAtSet: false,
    ...fields,
  };
}

function only<T>(ids: readonly string[], rows: ReadonlyMap<string, T>): Map<string, T> {
  const loaded = new Map<string, T>();
  for (const id of ids) {
    const row = rows.get(id);
    if (row !== undefined) loaded.set(id, row);
  }
  return loaded;
}

/** The ledger's tables in memory, written only with what the engine outputs. */
export class InMemoryLedgerStore {
  readonly accounts = new Map<string, LedgerAccountState>();
  readonly transfers = new Map<string, StoredTransfer>();
  readonly failures = new Map<string, TransferFailure>();
  lastWrites: TransferWrites | undefined;

  constructor(accounts: readonly LedgerAccountState[] = []) {
    for (const account of accounts) this.accounts.set(account.id, account);
  }

  account(id: string): LedgerAccountState {
    const account = this.accounts.get(id);
    if (account === undefined) throw new Error(`no account ${id}`);
    return account;
  }

  transfer(id: string): StoredTransfer {
    const transfer = this.transfers.get(id);
    if (transfer === undefined) throw new Error(`no transfer ${id}`);
    return transfer;
  }

  createTransfers(inputs: readonly TransferInput[], now: Date = NOW): readonly TransferResult[] {
    const [results] = this.createTransferRequests([inputs], now);
    return results ?? [];
  }

  /** One group-committed batch of several requests. */
  createTransferRequests(
    requests: readonly (readonly TransferInput[])[],
    now: Date = NOW,
  ): readonly (readonly TransferResult[])[] {
    const transfers = only(transferIdsToLoad(requests), this.transfers);
    const failures = only(transferIdsToLoad(requests), this.failures);
    const accounts = only(accountIdsToLoad(requests, transfers), this.accounts);
    const outcome = applyTransferRequests(requests, { accounts, transfers, failures }, now);
    this.write(outcome);
    this.lastWrites = outcome;
    return outcome.results;
  }

  private write(writes: TransferWrites): void {
    for (const transfer of writes.transfersCreated) {
      if (this.transfers.has(transfer.id)) throw new Error(`duplicate ${transfer.id}`);
      this.transfers.set(transfer.id, transfer);
    }
    for (const change of writes.pendingTransfersChanged) {
      const pending = this.transfer(change.id);
      if (pending.pendingState !== 'PENDING') throw new Error(`${change.id} is not pending`);
      this.transfers.set(change.id, { ...pending, pendingState: change.pendingState });
    }
    for (const failure of writes.failuresRecorded) {
      if (this.failures.has(failure.id) || this.transfers.has(failure.id)) {
        throw new Error(`failure of ${failure.id} recorded twice`);
      }
      this.failures.set(failure.id, failure);
    }
    this.writeAccounts(writes.accountsChanged);
  }

  private writeAccounts(accounts: readonly LedgerAccountState[]): void {
    for (const account of accounts) {
      this.account(account.id);
      this.accounts.set(account.id, account);
    }
  }

  /** The expiry job: every stored pending transfer whose timeout has passed. */
  expirePending(now: Date): ExpiryOutcome {
    const due = [...this.transfers.values()].filter(
      (transfer) =>
        transfer.pendingState === 'PENDING' &&
        transfer.expiresAt !== null &&
        transfer.expiresAt.getTime() <= now.getTime(),
    );
    const accountIds = due.flatMap((transfer) => [
      transfer.debitAccountId,
      transfer.creditAccountId,
    ]);
    const outcome = expirePendingTransfers(due, only(accountIds, this.accounts), now);
    for (const change of outcome.pendingTransfersExpired) {
      this.transfers.set(change.id, { ...this.transfer(change.id), pendingState: 'EXPIRED' });
    }
    this.writeAccounts(outcome.accountsChanged);
    return outcome;
  }

  setAccountStatus(id: string, status: LedgerAccountStatus): SetAccountStatusOutcome {
    const outcome = setAccountStatus(this.account(id), status);
    if (outcome.ok) this.accounts.set(id, outcome.account);
    return outcome;
  }
}

/** Statuses of results, for compact assertions. */
export function statusesOf(results: readonly TransferResult[]): string[] {
  return results.map((result) => result.status);
}
